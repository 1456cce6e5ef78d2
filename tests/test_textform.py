"""The form reader, one fixture at a time: tests/fixtures/textform/NAME.txt read into NAME.expected.json.

Each expected file lists the fields the text fills; every other field must be
left empty, because a wrong value is worse than none.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from inbox_worker.extract.document import Document, Line
from inbox_worker.extract.textform import read_form
from inbox_worker.form import LIST_KEYS

FIXTURES = Path(__file__).parent / "fixtures" / "textform"
CASES = sorted(p.stem for p in FIXTURES.glob("*.txt"))


def _comparable(values: dict) -> dict:
    return {k: sorted(v) if k in LIST_KEYS else v for k, v in values.items() if v not in (None, "", [])}


@pytest.mark.parametrize("name", CASES)
def test_fixture(name: str) -> None:
    """The text reads into exactly the expected fields."""
    text = (FIXTURES / f"{name}.txt").read_text(encoding="utf-8")
    expected = json.loads((FIXTURES / f"{name}.expected.json").read_text(encoding="utf-8"))
    got = read_form(Document.from_text(name, text)).values()
    assert _comparable(got) == _comparable(expected)


def test_bold_option_is_the_choice() -> None:
    """When only some options are emphasised (bold, highlight), those are the ones chosen."""
    lines = [
        Line("Position you are applying for:"),
        Line("Protégé"),
        Line("Mentor", emphasis=True),
        Line("Mentors (Check all that apply):"),
        Line("Experienced library staff, regardless of position"),
        Line("MLS librarian", emphasis=True),
        Line("Library Director"),
        Line("Library supervisor"),
    ]
    values = read_form(Document("bold", lines)).values()
    assert values["role"] == "mentor"
    assert values["mentor_categories"] == ["mls_librarian"]


def test_all_bold_list_is_no_choice() -> None:
    """A list whose every option is bold was not marked by bolding."""
    lines = [Line("Position you are applying for:"), Line("Protégé", True), Line("Mentor", True)]
    assert "role" not in read_form(Document("bold", lines)).values()
