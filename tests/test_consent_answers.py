"""Answers to a proposed match are read from the reply's own words, never the quote or the signature.

GIVEN replies as mail programs write them (tests/fixtures/answers/*.eml): Gmail, Apple Mail on
  an iPhone, Outlook with a signature and its From:/Sent: block, clients set to French, German,
  Spanish and Dutch, a top-posted "Original Message", an HTML-only reply, one that quotes and adds
  nothing, one that says yes and no
WHEN each is read as intake reads a reply's text
THEN the answer and the reason are the ones in its .json: yes, no (with their words when they say
  more than the refusal), talk first, or unclear; never what the quoted proposal says.
"""
from __future__ import annotations

import email
import email.policy
import json
from pathlib import Path

import pytest

from inbox_worker.extract.bodies import body_text
from inbox_worker.program.consent_answers import Answer, own_text, read_answer

FIXTURES = Path(__file__).parent / "fixtures" / "answers"
REPLIES = sorted(FIXTURES.glob("*.eml"))


def _text(path: Path) -> str:
    return body_text(email.message_from_bytes(path.read_bytes(), policy=email.policy.default))


@pytest.mark.parametrize("path", REPLIES, ids=[p.stem for p in REPLIES])
def test_each_reply_reads_as_its_expected_answer(path):
    """The answer (and a no's reason) read from each fixture reply is the one its .json gives."""
    expected = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    reading = read_answer(_text(path))
    assert (reading.answer.value, reading.reason) == (expected["answer"], expected["reason"])


def test_the_fixtures_cover_every_answer():
    """Every kind of answer has replies that read as it (so none of them is never checked)."""
    kinds = {json.loads(p.with_suffix(".json").read_text())["answer"] for p in REPLIES}
    assert kinds == {a.value for a in Answer}


@pytest.mark.parametrize(("name", "kept", "left_out"), [
    ("accept-outlook-signature", "I accept and agree", ["Call me any time", "Reply \"no\"", "Branch Manager"]),
    ("rather-not-french-client", "I'd rather not this year", ["a écrit", "Reply \"yes\""]),
    ("talk-first-german-client", "Can we talk first?", ["schrieb", "Reply \"yes\""]),
    ("no-thanks-spanish-client", "no thanks", ["escribió", "Reply \"yes\""]),
    ("questions-dutch-client", "Thank you! I have a few questions", ["schreef", "Reply \"yes\""]),
    ("sounds-great-iphone", "Sounds great", ["Sent from my iPhone", "wrote:"]),
    ("nothing-but-the-quote", "", ["Reply \"yes\"", "wrote:"]),
])
def test_own_words_stop_at_the_quote_header_and_the_signature(name, kept, left_out):
    """The own words keep what the person wrote and leave out the quote header (in its language),
    the quoted proposal and the signature."""
    words = own_text(_text(FIXTURES / f"{name}.eml"))
    assert words.startswith(kept)
    for text in left_out:
        assert text not in words, text


def test_a_huge_reply_is_read_only_so_far():
    """A body far over the reading limit is read from its start only, and gives its answer."""
    text = "Yes, happy to!\n\n" + ("filler words " * 10 + "\n") * 20_000
    assert read_answer(text).answer is Answer.YES
