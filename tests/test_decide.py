"""What becomes of a message, as a table: the pure middle of intake (`decide`, `loops`).

Each row gives a message's kind, what was read from it and what the database knew, and says
what must become of it: its state, its answer, what the coordinators hear, what is counted.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from inbox_worker.extract.message import parse_headers
from inbox_worker.intake.classify import Classification, Kind
from inbox_worker.intake.decide import Caps, Changes, Circumstances, SenderDay, changes, decide, details
from inbox_worker.intake.extractor import Reading
from inbox_worker.intake.loops import Answering, OurMail, answering, arrival, quotes
from inbox_worker.intake.stages import Answer, Notice, Outcome, Tally
from inbox_worker.record import ApplicationRecord, Extraction
from inbox_worker.store.models import IncomingState

pytestmark = pytest.mark.fast

CAPS = Caps(answers_per_address=5, notices_per_sender=3, forms_for_others_per_sender=3)
PERSON = Classification(Kind.PERSON, "")
ANN = "ann@example.org"
RECORD = ApplicationRecord(role="protege", name="Ann Example", email=ANN, phone="307-555-0100")
APPLICATION = Reading(Extraction(kind="application", record=RECORD))
QUESTION = Reading(Extraction(kind="no_application", reason="it holds no application form"))
SENT = datetime(2026, 4, 10, 9, 0)
OUR_ACK = OurMail("<ack-1@example.org>", "acknowledgement", SENT)
QUICK = Answering(OUR_ACK, quick=True)
SLOW = Answering(OUR_ACK, quick=False)


def facts(**kw) -> Circumstances:
    return Circumstances(**({"sender": ANN, "applicant": ANN} | kw))


CASES = {
    "machine mail is never answered": (
        Classification(Kind.AUTO_REPLY, "marked Auto-Submitted: auto-replied"), None, facts(),
        (IncomingState.IGNORED, Outcome.IGNORED, None, Notice.NONE, ())),
    "a new application is acknowledged": (
        PERSON, APPLICATION, facts(changes=changes(None, RECORD)),
        (IncomingState.PROCESSED, Outcome.APPLICATION, Answer.ACKNOWLEDGEMENT, Notice.NONE, ())),
    "a change to a known application is acknowledged as an update": (
        PERSON, APPLICATION, facts(existing={"phone": "307-555-0199"}, changes=changes({"phone": "307-555-0199"},
                                                                                          RECORD)),
        (IncomingState.PROCESSED, Outcome.UPDATE, Answer.UPDATE, Notice.NONE, ())),
    "the same form again is recorded and not answered": (
        PERSON, APPLICATION, facts(existing=RECORD.contract_dict(), changes=Changes()),
        (IncomingState.PROCESSED, Outcome.UNCHANGED, None, Notice.NONE, ())),
    "a quick reply to our mail that changes nothing is not answered, and counted": (
        PERSON, APPLICATION, facts(existing=RECORD.contract_dict(), answering=QUICK),
        (IncomingState.PROCESSED, Outcome.UNCHANGED, None, Notice.NONE, (Tally.QUICK_REPLY,))),
    "a second quick reply in a week is a machine's: set aside once, with a notice": (
        PERSON, APPLICATION, facts(answering=QUICK, today=SenderDay(quick_replies=1)),
        (IncomingState.REVIEW, Outcome.REVIEW, None, Notice.EACH, (Tally.QUICK_REPLY, Tally.MACHINE, Tally.NOTICE))),
    "a slow reply is a person's": (
        PERSON, APPLICATION, facts(answering=SLOW, today=SenderDay(quick_replies=1),
                                   existing={"phone": "1"}, changes=changes({"phone": "1"}, RECORD)),
        (IncomingState.PROCESSED, Outcome.UPDATE, Answer.UPDATE, Notice.NONE, ())),
    "a machine's later mail is set aside without a notice": (
        PERSON, APPLICATION, facts(today=SenderDay(machine=True)),
        (IncomingState.REVIEW, Outcome.REVIEW, None, Notice.NONE, ())),
    "a question is set aside with a notice": (
        PERSON, QUESTION, facts(applicant=""),
        (IncomingState.REVIEW, Outcome.REVIEW, None, Notice.EACH, (Tally.NOTICE,))),
    "past the sender's notices of the day, a question is counted in the day's one": (
        PERSON, QUESTION, facts(applicant="", today=SenderDay(notices=3)),
        (IncomingState.REVIEW, Outcome.REVIEW, None, Notice.COUNTED, (Tally.NOTICE_HELD,))),
    "a form for a colleague is answered, and counted": (
        PERSON, APPLICATION, facts(sender="boss@example.org", changes=changes(None, RECORD)),
        (IncomingState.PROCESSED, Outcome.APPLICATION, Answer.ACKNOWLEDGEMENT, Notice.NONE, (Tally.FORM_FOR_OTHER,))),
    "past the forms for others of the day, a form is held for a coordinator": (
        PERSON, APPLICATION, facts(sender="boss@example.org", today=SenderDay(forms_for_others=3)),
        (IncomingState.REVIEW, Outcome.REVIEW, None, Notice.EACH, (Tally.FORM_HELD, Tally.NOTICE))),
    "past the answers of the day to the address, the change is recorded, not answered": (
        PERSON, APPLICATION, facts(existing={"phone": "1"}, changes=changes({"phone": "1"}, RECORD),
                                   answers_to_applicant=5),
        (IncomingState.REVIEW, Outcome.REVIEW, None, Notice.EACH, (Tally.NOTICE,))),
    "a message that could not be read is set aside with a notice": (
        PERSON, None, facts(applicant=""),
        (IncomingState.REVIEW, Outcome.REVIEW, None, Notice.EACH, (Tally.NOTICE,))),
}


# The cases whose application is stored (new or changed), answered or not.
STORED = {"a new application is acknowledged", "a change to a known application is acknowledged as an update",
          "a slow reply is a person's", "a form for a colleague is answered, and counted",
          "past the answers of the day to the address, the change is recorded, not answered"}


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_decision_for_each_kind_of_message(case):
    """Each row of the table gets the state, answer, notice and tallies it names."""
    classification, reading, circumstances, want = CASES[case]
    problem = "reading it took longer than the 30 seconds allowed" if reading is None and \
        classification.from_person else None
    decision = decide(classification, reading, problem, circumstances, CAPS)
    state, outcome, answer, notice, tallies = want
    assert (decision.state, decision.outcome, decision.answer, decision.notice, decision.tallies) == (
        state, outcome, answer, notice, tallies), decision.reason
    assert decision.reason
    assert decision.store == (case in STORED)


def test_what_changed_is_a_value():
    """An update's changes name the fields added and changed, and leave out what was sent blank."""
    old = {"name": "Ann Example", "phone": "307-555-0199", "city": "Casper"}
    got = changes(old, ApplicationRecord(name="Ann Example", phone="307-555-0100", zip="82601"))
    assert got.added == {"zip": "82601"} and got.changed == {"phone": ("307-555-0199", "307-555-0100")}
    assert got.keys == ["phone", "zip"] and not got.nothing
    assert changes(old, ApplicationRecord(name="Ann Example")).nothing


def test_a_reason_names_the_attachments_and_how_the_message_is_broken():
    """mail-parser's attachments and defects are told to the coordinators in plain words."""
    reading = Reading(None, "x", attachments=(("form.doc", "application/msword"), ("", "image/png")),
                      defects=("CloseBoundaryNotFoundDefect", "SomethingElseDefect"))
    assert details(reading) == ("; attached: form.doc, (no name); the message is damaged: the message is cut "
                                "short (a part's closing boundary is missing)")


ACK = (Path(__file__).parent / "fixtures" / "intake" / "01-protege-inline.eml").read_text()



def test_a_reply_quoting_our_email_is_found_with_or_without_quote_marks():
    """Our email's longer lines found in the reply, with "> " in front or not, is a quote of it;
    a reply that quotes a few words of it, or nothing, is not."""
    ours = "\n".join(line for line in ACK.splitlines() if len(line) > 10)
    assert quotes("Thanks!\n\n" + "\n".join(f"> {line}" for line in ours.splitlines()), ours)
    assert quotes("Thanks!\n\n" + ours.replace("\n", "\n\n"), ours)
    assert not quotes("Thanks! About my Goals: I want to learn to plan story times", ours)
    assert not quotes("", ours)


FIXTURES = Path(__file__).parent / "fixtures"


def headers_of(name: str):
    return parse_headers((FIXTURES / name).read_bytes())


def test_when_a_message_came_is_read_from_its_received_chain_else_its_date():
    """The last hop of the received chain says when a message came (naive UTC); without one, the
    Date its sender's program wrote does."""
    assert arrival(headers_of("applications/079-odt-typed-form.eml")) == datetime(2026, 3, 20, 15, 47)
    # No Received header: Wed, 01 Apr 2026 10:00:00 -0700.
    assert arrival(headers_of("intake/01-protege-inline.eml")) == datetime(2026, 4, 1, 17, 0)


def test_an_answer_within_minutes_is_quick_either_way_round():
    """Within five minutes of our email, by either clock, is quick; an hour later is not; a reply
    that names none of ours and quotes none of ours answers nothing of ours."""
    came = datetime(2026, 4, 1, 17, 0)  # the fixture's Date
    reply = headers_of("intake/01-protege-inline.eml")

    def ours(sent: datetime) -> list[OurMail]:
        return [OurMail("<a@x>", "acknowledgement", sent)]

    assert answering(ours(came - timedelta(minutes=2)), [], "", reply, SENT).quick
    assert answering(ours(came + timedelta(seconds=30)), [], "", reply, SENT).quick
    assert not answering(ours(came - timedelta(hours=1)), [], "", reply, SENT).quick
    assert answering([], [OurMail("<b@x>", "acknowledgement", came, ACK)], "nothing quoted", reply, SENT) is None
