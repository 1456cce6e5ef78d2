"""Consent before a match is final, against the real Dovecot and aiosmtpd.

GIVEN the program's applications (tests/fixtures/program/; Jane Ortiz, a mentor, in a version
  of her form that names her supervisor: tests/fixtures/consent/) and the first digest's suggestions
WHEN a coordinator approves a suggestion by its number and the pair answer by replying in their
  own words, or stay silent, or answer a coordinator by phone
THEN each of the pair gets a proposal of their own and nobody is introduced until both said yes
  (then once); a no ends the proposal kindly, the protégé waits again in their place and the pair
  is never suggested again, and the coordinators hear why; silence brings one reminder and then
  the coordinators; an answer by phone is recorded with who took it; a mentor's supervisor hears
  before the introduction.
"""
from __future__ import annotations

import email
import email.policy
import json
import re
from datetime import datetime, timedelta

from program_world import COORDINATOR, FIXTURES, JANUARY_5, SECOND_COORDINATOR, Year, reply, text_of
from sqlalchemy import select

from inbox_worker.program import lifecycle
from inbox_worker.store.models import Application, IncomingMessage, MentoringRelationship

CONSENT = FIXTURES.parent / "consent"
ORTIZ = "jortiz@campbellcountylib.example"
ORTIZ_SUPERVISOR = "pgrant@campbellcountylib.example"


def _state(y: Year, number: int) -> str:
    with y.app.db.unit_of_work() as s:
        return s.get(MentoringRelationship, number).state


def _record(y: Year, address: str) -> dict:
    with y.app.db.unit_of_work() as s:
        return s.scalar(select(Application).where(Application.email == address)).record


def _listed(y: Year, number: int, when: str) -> dict:
    rows = json.loads(y.cli("matches", "list", "--json", "--now", when))
    return next(r for r in rows if r["number"] == number)


def _approved(y: Year) -> tuple[int, str, str]:
    """The first suggestion, approved by the number the digest gives it, and its proposals sent."""
    number, protege, mentor = y.first_suggestions()[0]
    [(_r, digest)] = y.mail("digest")
    assert f"APPROVE {number}" in text_of(digest)
    out = y.cli("matches", "approve", str(number), "--now", "2026-01-05T10:00")
    assert f"approved relationship #{number}" in out and "once both say yes" in out
    y.cycle(JANUARY_5 + timedelta(hours=1, minutes=5))
    return number, protege, mentor


def test_each_is_asked_alone_and_both_yeses_bring_one_introduction(year: Year):
    """After `matches approve N` each of the pair gets their own proposal and nobody is introduced;
    one yes waits for the other; the second yes brings the introduction, once."""
    y = year
    number, protege, mentor = _approved(y)
    assert _state(y, number) == "proposed"
    assert y.mail("introduction") == [] and y.mail("supervisor_notice") == []
    [to_protege], [to_mentor] = y.to("proposal", protege), y.to("proposal", mentor)
    p, m = _record(y, protege), _record(y, mentor)
    for msg, me, other in ((to_protege, protege, m), (to_mentor, mentor, p)):
        assert [a.addr_spec for a in msg["To"].addresses] == [me] and msg["Cc"] is None
        body = " ".join(text_of(msg).split())
        assert other["name"] in body and other["library_name"] in body and other["position"] in body
        # Nothing else of the other's form: not their address, phone, goals or strengths.
        for private in (other["email"], other["phone"], (other.get("goals") or "")[:30],
                        (other.get("strengths") or "")[:30]):
            assert not private or private not in text_of(msg) + msg.get_body(("html",)).get_content()
        assert "maintain confidentiality regarding their discussions" in body
        assert "check in with each of you twice" in body and 'Reply "yes"' in body and 'Reply "no"' in body
        assert "talk to a coordinator first" in body

    y.dovecot.append(y.user, reply(to_protege, protege, "Yes, happy to!"))
    y.cycle(datetime(2026, 1, 6, 9, 0))
    assert _state(y, number) == "awaiting_consent" and y.mail("introduction") == []
    listed = _listed(y, number, "2026-01-06T09:05")
    assert listed["consent"]["protege"]["answer"] == "accepted" and listed["consent"]["mentor"]["answer"] is None
    assert "no answer yet from the mentor" in listed["consent"]["mentor"]["words"]

    y.dovecot.append(y.user, reply(to_mentor, mentor, "Sounds great. I accept and agree to keep our talks "
                                                       "confidential."))
    y.cycle(datetime(2026, 1, 6, 10, 0))
    y.cycle(datetime(2026, 1, 7, 9, 0))
    [(rcpts, intro)] = y.mail("introduction")
    assert sorted(rcpts) == sorted([protege, mentor, COORDINATOR, SECOND_COORDINATOR])
    assert _state(y, number) == "active"
    assert y.mail("review_notice") == []
    # The supervisor the protégé's form names heard before the pair were introduced.
    if p.get("supervisor_email"):
        [notice] = y.to("supervisor_notice", p["supervisor_email"])
        order = [email.message_from_bytes(r.data, policy=email.policy.default)["Message-ID"] for r in y.smtp.received]
        assert order.index(notice["Message-ID"]) < order.index(intro["Message-ID"])


def test_a_no_ends_the_proposal_kindly_and_the_protege_keeps_their_place(year: Year):
    """The mentor says "no, not this year": no introduction; the protégé hears only that the match will
    not go ahead; they wait again ahead of a later applicant; the pair is never suggested again; the
    coordinators are told why, at once (as configured) and in the next digest."""
    y = year
    y.app.settings.schedule.declines_at_once = True
    number, protege, mentor = _approved(y)
    [to_protege], [to_mentor] = y.to("proposal", protege), y.to("proposal", mentor)
    y.dovecot.append(y.user, reply(to_protege, protege, "Yes please!"))
    y.dovecot.append(y.user, reply(to_mentor, mentor, "No, not this year: we are short-staffed until the summer."))
    y.dovecot.append(y.user, (CONSENT / "p9-late-applicant.eml").read_bytes())
    y.cycle(datetime(2026, 1, 6, 12, 0))

    assert _state(y, number) == "declined"
    assert y.mail("introduction") == []
    [note] = y.to("proposal_withdrawn", protege)
    said = text_of(note) + note.get_body(("html",)).get_content()
    assert "will not go ahead" in said and "coordinators will be in touch" in said
    assert "short-staffed" not in said and "said no" not in said and "declined" not in said
    assert y.to("proposal_withdrawn", mentor) == []
    [(rcpts, told)] = y.mail("consent_declined")
    assert sorted(rcpts) == sorted([COORDINATOR, SECOND_COORDINATOR])
    assert "short-staffed until the summer" in text_of(told)

    with y.app.db.unit_of_work() as s:
        waiting = [a.email for a in lifecycle.waiting_proteges(s)]
    assert protege in waiting and "squill@parkcountylib.example" in waiting
    assert waiting.index(protege) < waiting.index("squill@parkcountylib.example")
    for when in ("2026-01-06T12:10", "2026-02-02T09:00"):
        shown = json.loads(y.cli("matches", "suggest", "--json", "--now", when))
        pairs = [(x["protege"], x["mentor"]) for x in shown["suggestions"]]
        pairs += [(x["protege"], x["mentor"]) for x in shown["pending"]]
        assert (protege, mentor) not in pairs
    listed = _listed(y, number, "2026-01-06T12:15")
    assert listed["state"] == "declined" and "short-staffed" in listed["consent"]["mentor"]["words"]

    y.cycle(datetime(2026, 1, 12, 9, 0))
    [digest] = [m for _r, m in y.mail("digest") if "week of Monday 12 January 2026" in m["Subject"]]
    text = " ".join(text_of(digest).split())
    assert "the mentor said no" in text and "short-staffed until the summer" in text
    assert "the protégé waits for a mentor again, in their place" in text


def test_silence_brings_one_reminder_and_then_the_coordinators(year: Year):
    """No answer for 7 days brings each silent person one reminder; 7 days after it the coordinators
    are told. Asking to talk goes to the coordinators at once, linked to the match, and stops the
    reminder for that person."""
    y = year
    number, protege, mentor = _approved(y)
    [to_protege] = y.to("proposal", protege)
    y.dovecot.append(y.user, reply(to_protege, protege, "Can we talk first? I am not sure I have the time."))
    y.cycle(datetime(2026, 1, 6, 9, 0))
    [(rcpts, review)] = y.mail("review_notice")
    assert f"relationship {number}" in text_of(review) and "asks to talk to a coordinator" in text_of(review)
    assert f"inbox-worker matches consent {number} --for protege" in " ".join(text_of(review).split())
    with y.app.db.unit_of_work() as s:
        [row] = s.scalars(select(IncomingMessage).where(IncomingMessage.classification == "consent_answer")).all()
        assert row.state == "review" and f"relationship {number}" in row.reason

    y.cycle(datetime(2026, 1, 12, 9, 0))  # a day short of seven
    assert y.mail("proposal_reminder") == []
    y.cycle(datetime(2026, 1, 12, 10, 5))
    y.cycle(datetime(2026, 1, 13, 9, 0))
    [(rcpts, reminder)] = y.mail("proposal_reminder")
    assert rcpts == [mentor]
    assert "on Monday 5 January 2026 we wrote to ask" in " ".join(text_of(reminder).split())
    assert y.to("proposal_reminder", protege) == []
    assert y.mail("consent_escalation") == []

    y.cycle(datetime(2026, 1, 19, 10, 0))  # a few minutes short of seven days after the reminder
    assert y.mail("consent_escalation") == []
    y.cycle(datetime(2026, 1, 19, 10, 10))
    y.cycle(datetime(2026, 1, 20, 9, 0))
    [(rcpts, escalation)] = y.mail("consent_escalation")
    assert sorted(rcpts) == sorted([COORDINATOR, SECOND_COORDINATOR])
    words = " ".join(text_of(escalation).split())
    assert f"inbox-worker matches consent {number} --for mentor" in words and "(mentor)" in words
    assert "(protégé)" not in words
    assert len(y.mail("proposal_reminder")) == 1 and _state(y, number) == "proposed"
    listed = _listed(y, number, "2026-01-20T09:05")
    assert "even after the reminder" in listed["consent"]["mentor"]["words"]
    assert "asked to talk to a coordinator first" in listed["consent"]["protege"]["words"]


def test_an_answer_given_by_phone_is_recorded_with_who_took_it(year: Year):
    """`matches consent N --for ... --by NAME`: a dry run changes nothing; the real one records the
    answer as given by phone; when both are in, the introduction goes out at the next cycle."""
    y = year
    number, protege, mentor = _approved(y)
    dry = y.cli("matches", "consent", str(number), "--for", "protege", "--by", "Pat Coordinator",
                "--now", "2026-01-06T09:00", "--dry-run")
    assert dry.startswith("DRY RUN") and "the protégé said yes" in dry
    assert _listed(y, number, "2026-01-06T09:01")["consent"]["protege"]["answer"] is None
    out = y.cli("matches", "consent", str(number), "--for", "protege", "--by", "Pat Coordinator",
                "--now", "2026-01-06T09:00")
    assert "Waiting for the mentor" in out
    consent = _listed(y, number, "2026-01-06T09:01")["consent"]["protege"]
    assert (consent["answer"], consent["by_phone"], consent["recorded_by"]) == ("accepted", True, "Pat Coordinator")
    assert "(by phone, recorded by Pat Coordinator)" in y.cli("people", "show", protege)
    out = y.cli("matches", "consent", str(number), "--for", "mentor", "--by", "Pat Coordinator",
                "--now", "2026-01-06T09:30")
    assert "Both have said yes" in out
    y.cycle(datetime(2026, 1, 6, 9, 35))
    assert len(y.mail("introduction")) == 1
    # A late reply by email to the proposal, after the phone call, changes nothing and asks no one.
    [to_mentor] = y.to("proposal", mentor)
    y.dovecot.append(y.user, reply(to_mentor, mentor, "Yes!"))
    y.cycle(datetime(2026, 1, 7, 9, 0))
    assert len(y.mail("introduction")) == 1 and y.mail("review_notice") == []


def test_the_mentors_supervisor_hears_before_the_introduction(year: Year):
    """A mentor whose form names a supervisor: that supervisor gets a notice of their own, about the
    mentor, before the pair are introduced, and the digest lists it."""
    y = year
    for path in sorted(FIXTURES.glob("*.eml")):
        if path.name != "m4-ortiz.eml":
            y.dovecot.append(y.user, path.read_bytes())
    y.dovecot.append(y.user, (CONSENT / "m4-ortiz-names-her-supervisor.eml").read_bytes())
    y.cycle(JANUARY_5)
    assert _record(y, ORTIZ)["supervisor_email"] == ORTIZ_SUPERVISOR
    with y.app.db.unit_of_work() as s:
        ortiz = s.scalar(select(Application).where(Application.email == ORTIZ))
        rel = s.scalar(select(MentoringRelationship).where(MentoringRelationship.mentor_id == ortiz.id))
        number, protege = rel.id, s.get(Application, rel.protege_id).email
    out = y.cli("matches", "approve", str(number), "--now", "2026-01-05T10:00")
    assert f"approved relationship #{number}" in out
    y.cycle(datetime(2026, 1, 5, 10, 5))
    assert y.to("supervisor_notice", ORTIZ_SUPERVISOR) == []  # not before both said yes
    for person in (protege, ORTIZ):
        [proposal] = y.to("proposal", person)
        y.dovecot.append(y.user, reply(proposal, person, "Yes, gladly."))
    y.cycle(datetime(2026, 1, 6, 9, 0))
    [notice] = y.to("supervisor_notice", ORTIZ_SUPERVISOR)
    [intro] = y.to("introduction", ORTIZ)
    order = [email.message_from_bytes(r.data, policy=email.policy.default)["Message-ID"] for r in y.smtp.received]
    assert order.index(notice["Message-ID"]) < order.index(intro["Message-ID"])
    words = " ".join(text_of(notice).split())
    assert words.startswith("Dear Pat Grant") and "application to mentor" in words
    assert notice["Subject"].startswith("Jane Ortiz is joining")
    assert (_record(y, protege).get("goals") or "")[:30] not in words
    y.cycle(datetime(2026, 1, 12, 9, 0))
    [digest] = [m for _r, m in y.mail("digest") if "week of Monday 12 January 2026" in m["Subject"]]
    assert re.search(rf"#{number}: {ORTIZ_SUPERVISOR}, supervisor of Jane Ortiz <{ORTIZ}> \(mentor\): sent",
                     " ".join(text_of(digest).split()))


def test_a_coordinator_who_ends_a_proposed_match_tells_each_only_that_it_will_not_go_ahead(year: Year):
    """`matches end` on a match still asked of the pair withdraws it: each who was asked hears only that
    it will not go ahead (not the reason), and the protégé waits for a mentor again."""
    y = year
    number, protege, mentor = _approved(y)
    out = y.cli("matches", "end", str(number), "--reason", "The mentor's director asked us to wait",
                "--now", "2026-01-06T09:00")
    assert "hears only that it will not go ahead" in out
    y.cycle(datetime(2026, 1, 6, 9, 5))
    assert _state(y, number) == "withdrawn"
    for person in (protege, mentor):
        [note] = y.to("proposal_withdrawn", person)
        assert "will not go ahead" in text_of(note) and "director" not in text_of(note)
    with y.app.db.unit_of_work() as s:
        assert protege in [a.email for a in lifecycle.waiting_proteges(s)]
    assert y.mail("introduction") == []


def test_an_answer_without_a_reference_is_found_by_its_sender_only_when_it_is_plainly_one(year: Year):
    """A fresh email (no In-Reply-To) saying yes from one of a proposed pair counts as their answer;
    a "no" in a reply to their acknowledgement is about the acknowledgement, not the proposal."""
    y = year
    number, protege, mentor = _approved(y)
    fresh = email.message_from_bytes(reply(y.to("proposal", mentor)[0], mentor, "Yes, count me in.", quote=False),
                                     policy=email.policy.default)
    del fresh["In-Reply-To"], fresh["References"]
    [acknowledgement] = y.to("acknowledgement", protege)
    y.dovecot.append(y.user, fresh.as_bytes())
    y.dovecot.append(y.user, reply(acknowledgement, protege, "No, my phone is 307-555-0188."))
    y.cycle(datetime(2026, 1, 6, 9, 0))
    row = _listed(y, number, "2026-01-06T09:05")
    assert row["consent"]["mentor"]["answer"] == "accepted" and row["consent"]["protege"]["answer"] is None
    assert row["state"] == "awaiting_consent"
