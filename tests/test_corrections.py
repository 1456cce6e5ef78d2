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
from inbox_worker.intake.applicant_replies import edit_command, read_reply
from inbox_worker.intake.classify import Classification, Kind
from inbox_worker.intake.decide import Caps, Changes, Circumstances, Matched, SenderDay, changes, decide
from inbox_worker.intake.extractor import Reading
from inbox_worker.intake.loops import Answering, OurMail
from inbox_worker.intake.stages import Answer, Notice, Outcome, Tally
from inbox_worker.program.consent_answers import own_text
from inbox_worker.record import ApplicationRecord, Extraction
from inbox_worker.store.models import IncomingState

FIXTURES = Path(__file__).parent / "fixtures" / "corrections"
pytestmark = pytest.mark.fast
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


# ---------------------------------------------------------------- what intake decides about such a reply
ANN = "jane.lund@example.org"
ON_FILE = {"role": "protege", "name": "Jane Lund", "phone": "307-555-0100", "email": ANN, "zip": "82520",
           "library_type": "public"}
CAPS = Caps(answers_per_address=5, notices_per_sender=3, forms_for_others_per_sender=3)
PERSON = Classification(Kind.PERSON, "")
QUOTED_FORM = Reading(Extraction(kind="application", record=ApplicationRecord(**ON_FILE), part="body"))
NO_FORM = Reading(Extraction(kind="no_application", reason="it holds no application form"))
ATTACHED_FORM = Reading(Extraction(kind="application", record=ApplicationRecord(**ON_FILE | {"phone": "1"}),
                                   part="attachment: form.docx"))


def _facts(fixture: str, reading: Reading, **kw) -> Circumstances:
    matched = Matched(7, ANN, dict(ON_FILE), "it answers the program's email to the applicant", "<ack@x>")
    reply = read_reply(matched, (FIXTURES / fixture).read_text(encoding="utf-8"), reading.extraction)
    record = reading.extraction.record
    return Circumstances(ANN, applicant=ANN if record else "", existing=dict(ON_FILE), reply=reply,
                         changes=changes(ON_FILE, record) if record else Changes(), **kw)


DECISIONS = {
    "a correction is applied and acknowledged": (
        "phone-actually.txt", QUOTED_FORM, {},
        (IncomingState.PROCESSED, Outcome.CORRECTION, Answer.UPDATE, Notice.NONE, True)),
    "a correction in a reply where no form was read is applied too": (
        "library-type-is-an.txt", NO_FORM, {},
        (IncomingState.PROCESSED, Outcome.CORRECTION, Answer.UPDATE, Notice.NONE, True)),
    "a correction nobody can read is set aside with a notice": (
        "unclear-phone-wrong.txt", QUOTED_FORM, {},
        (IncomingState.REVIEW, Outcome.REVIEW, None, Notice.EACH, False)),
    "what is understood is applied, and the rest set aside with the command": (
        "partly-unclear.txt", NO_FORM, {},
        (IncomingState.REVIEW, Outcome.CORRECTION, Answer.UPDATE, Notice.EACH, True)),
    "past the answers of the day, a correction is stored and not answered": (
        "phone-label-line.txt", QUOTED_FORM, {"answers_to_applicant": 5},
        (IncomingState.REVIEW, Outcome.REVIEW, None, Notice.EACH, True)),
    "our acknowledgement quoted back with nothing added changes nothing": (
        "nothing-but-the-quote.txt", QUOTED_FORM, {},
        (IncomingState.PROCESSED, Outcome.UNCHANGED, None, Notice.NONE, False)),
    "a question from an applicant goes to a person, linked": (
        "not-a-correction-question.txt", NO_FORM, {},
        (IncomingState.REVIEW, Outcome.REVIEW, None, Notice.EACH, False)),
    "a whole form attached to a reply is a new version, as any form": (
        "not-a-correction-thanks.txt", ATTACHED_FORM, {},
        (IncomingState.PROCESSED, Outcome.UPDATE, Answer.UPDATE, Notice.NONE, False)),
}


@pytest.mark.parametrize("case", sorted(DECISIONS))
def test_what_becomes_of_a_reply_about_an_application(case):
    """Each reply gets the state, outcome, answer and notice its row names; what is stored is the
    reply's corrections only when it corrects something."""
    fixture, reading, extra, want = DECISIONS[case]
    decision = decide(PERSON, reading, None, _facts(fixture, reading, **extra), CAPS)
    state, outcome, answer, notice, by_reply = want
    assert (decision.state, decision.outcome, decision.answer, decision.notice, decision.by_reply) == (
        state, outcome, answer, notice, by_reply), decision.reason
    assert decision.store == (by_reply or outcome is Outcome.UPDATE)
    if decision.state is IncomingState.REVIEW:
        assert decision.linked
    if decision.state is IncomingState.REVIEW and (not by_reply or decision.answer is not None):
        assert decision.linked and decision.command.startswith(f"inbox-worker applications edit {ANN} --set")


def test_a_correction_to_what_is_on_file_changes_nothing():
    """A reply whose corrections match the record (the zip it already has) is recorded and not answered."""
    matched = Matched(7, ANN, dict(ON_FILE), "it comes from the applicant's address")
    reply = read_reply(matched, "My zip code should be 82520.", None)
    decision = decide(PERSON, NO_FORM, None, Circumstances(ANN, existing=dict(ON_FILE), reply=reply), CAPS)
    assert (decision.outcome, decision.answer, decision.store) == (Outcome.UNCHANGED, None, False)


def test_an_auto_responder_answering_again_gets_no_command():
    """The loop rule holds for replies about an application: a second quick answer is a machine's."""
    quick = Answering(OurMail("<ack@x>", "acknowledgement", None), quick=True)
    decision = decide(PERSON, QUOTED_FORM, None, _facts("phone-label-line.txt", QUOTED_FORM, answering=quick,
                                                        today=SenderDay(quick_replies=1)), CAPS)
    assert decision.outcome is Outcome.REVIEW and Tally.MACHINE in decision.tallies
    assert not decision.store and decision.answer is None and decision.command == ""
