"""How sure the parser is of each value, read from files: what it marks uncertain, and what it will not guess.

The files are cases of tests/fixtures/kinds/. A value read but not beyond
doubt (a town split from its street by guess, a role ticked without its
question) is kept and listed by `Extraction.uncertain_fields()`, so the
acknowledgement can ask the applicant to confirm it; a role the words do not
decide is left empty.
"""
from __future__ import annotations

from pathlib import Path

from inbox_worker.extract import extract_path

KINDS = Path(__file__).parent / "fixtures" / "kinds"


def _read(name: str):
    return extract_path(next(KINDS.glob(f"{name}*.eml")))


def test_a_town_split_from_its_street_by_guess_is_uncertain():
    """A town written after the street with no comma and not a Wyoming town is kept, and marked to confirm."""
    extraction = _read("20-")
    assert extraction.record.city == "Billings"
    assert extraction.uncertain_fields() == ["city"]
    assert "taken apart" in extraction.readings["city"].how


def test_a_known_town_split_from_its_street_is_certain():
    """ "2084 Capitol Ave, Thermopolis" gives a town the parser knows: no need to ask."""
    extraction = _read("02-")
    assert (extraction.record.address, extraction.record.city) == ("2084 Capitol Ave", "Thermopolis")
    assert extraction.uncertain_fields() == []


def test_a_role_ticked_without_its_question_is_uncertain():
    """A ticked "Mentor" with no "Position you are applying for" above it is read, and marked to confirm."""
    extraction = _read("21-")
    assert extraction.record.role == "mentor"
    assert "role" in extraction.uncertain_fields()


def test_a_letter_that_offers_either_role_leaves_the_role_empty():
    """ "Either a mentor or a protégé" is an application with no role: asked for, never guessed."""
    extraction = _read("12-")
    assert extraction.kind == "application"
    assert extraction.record.role is None
    assert "role" in extraction.record.missing()


def test_every_value_says_how_it_was_read():
    """Each field of a record carries the part it came from and how it was read there."""
    for name in ("01-", "07-", "10-", "16-"):
        extraction = _read(name)
        filled = {k for k, v in extraction.record.contract_dict().items() if v not in (None, "", [])}
        assert filled <= set(extraction.readings), name
        for key in filled:
            reading = extraction.readings[key]
            assert reading.how and reading.source, (name, key)


def test_the_printed_json_lists_the_uncertain_fields():
    """`inbox-worker parse` prints which fields to confirm beside the record."""
    output = _read("20-").output()
    assert output["source"]["uncertain"] == ["city"]
    assert output["source"]["read_from"]["address"] == "a labelled line"
