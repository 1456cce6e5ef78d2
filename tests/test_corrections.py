"""Corrections in an applicant's reply are read from its own words: the form's labels, or a plain sentence.

GIVEN replies to our acknowledgement as people write them (tests/fixtures/corrections/: .txt bodies, most
  with our acknowledgement quoted under them, and .eml messages from Gmail and Outlook), each with a .json
  giving the fields it corrects, how many of its sentences read like a correction nobody can read, and
  the fields those name
WHEN each is read as intake reads a reply (its own words, then `read_corrections`)
THEN exactly those fields are corrected, with the record's normal form; never a value from the quote;
  questions and thanks correct nothing and are not taken for corrections.
"""
from __future__ import annotations

import email
import email.policy
import json
from pathlib import Path

import pytest

from inbox_worker.extract.bodies import body_text
from inbox_worker.extract.corrections import read_corrections
from inbox_worker.intake.applicant_replies import edit_command
from inbox_worker.program.consent_answers import own_text

FIXTURES = Path(__file__).parent / "fixtures" / "corrections"
REPLIES = sorted([*FIXTURES.glob("*.txt"), *FIXTURES.glob("*.eml")])


def _text(path: Path) -> str:
    if path.suffix == ".eml":
        return body_text(email.message_from_bytes(path.read_bytes(), policy=email.policy.default))
    return path.read_text(encoding="utf-8")


@pytest.mark.parametrize("path", REPLIES, ids=[p.stem for p in REPLIES])
def test_each_reply_corrects_the_fields_its_json_gives(path):
    """The fields read from each fixture reply, and what is left unclear, are the ones its .json gives."""
    expected = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    read = read_corrections(own_text(_text(path)))
    assert read.values() == expected["corrections"]
    assert len(read.unclear) == expected["unclear"]
    assert list(read.named) == expected["named"]


def test_the_fixtures_cover_every_field_a_sentence_corrects():
    """Every common field is corrected by some fixture, and some replies correct nothing at all."""
    seen = set()
    empty = 0
    for path in REPLIES:
        found = json.loads(path.with_suffix(".json").read_text())["corrections"]
        seen |= set(found)
        empty += not found
    assert {"phone", "email", "address", "city", "state", "zip", "library_name", "position", "library_type",
            "role"} <= seen
    assert empty >= 5


def test_the_quoted_acknowledgement_is_never_read():
    """A reply that only quotes our acknowledgement (its "Phone #:" lines and all) corrects nothing."""
    text = _text(FIXTURES / "nothing-but-the-quote.txt")
    assert "Phone #: 307-555-0100" in text
    assert read_corrections(own_text(text)).found == ()


def test_the_ready_command_names_the_one_field_by_the_forms_label():
    """The coordinators' command names the field by the form's label when one is named, else FIELD."""
    assert edit_command("jane@example.org", ("phone",)) == \
        'inbox-worker applications edit jane@example.org --set "Phone #=VALUE"'
    assert edit_command("jane@example.org", ("phone", "zip")) == \
        'inbox-worker applications edit jane@example.org --set "FIELD=VALUE"'
    assert edit_command("jane@example.org", ("role",)).endswith('--set "role=VALUE"')
