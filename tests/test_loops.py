"""Mail loops and floods stop on their own, against the real Dovecot and aiosmtpd.

GIVEN a sender or an address that would make the program mail without end (an auto-responder
that ignores RFC 3834, a sender of a hundred questions, a sender of forms for a hundred other
people, a day of more mail than the provider allows)
WHEN the worker runs, for several rounds and days
THEN it stops: changes nothing, answers nothing; caps hold the rest back, and the coordinators
hear once, in plain words. Hard bounces of our own mail stop further mail to the address.
"""
from __future__ import annotations

import email.policy
import re
from datetime import timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

import pytest
from intake_world import COORDINATOR, NOW, addressed_to, application, parsed
from sqlalchemy import func, select

from inbox_worker.store.models import AutoReply, Event, IncomingMessage, OutgoingMessage, SuppressedAddress
from inbox_worker.worker import MailSource, run_cycle

FIXTURES = Path(__file__).parent / "fixtures" / "intake"
APPLICANT = "rokafor@campbellcounty.example"
QUESTIONS = 100


def copy_of(name: str, n: int, *, phone: bool = False) -> bytes:
    """The fixture with a Message-ID of its own, as a resend would have; with `phone`, a new phone
    number too, so the resend changes the record."""
    raw = (FIXTURES / name).read_bytes()
    raw = raw.replace(b"<intake-01@campbellcounty.example>", f"<intake-01-{n}@campbellcounty.example>".encode())
    return raw.replace(b"307-555-0121", f"307-555-02{n:02d}".encode()) if phone else raw


def auto_reply_to(received, *, headers: bool, minutes: float = 0.5, extra: str = "") -> bytes:
    """What an auto-responder that ignores RFC 3834 sends back: no Auto-Submitted, the whole
    email quoted; with `headers`, In-Reply-To and References name it, else only the quote does."""
    ours = email.message_from_bytes(received.data, policy=email.policy.default)
    reply = EmailMessage()
    reply["From"] = f"Rosalind Okafor <{APPLICANT}>"
    reply["To"] = ours["From"]
    reply["Subject"] = f"Re: {ours['Subject']}"
    reply["Date"] = format_datetime(ours["Date"].datetime + timedelta(minutes=minutes))
    reply["Message-ID"] = make_msgid(domain="campbellcounty.example")
    if headers:
        reply["In-Reply-To"] = ours["Message-ID"]
        reply["References"] = ours["Message-ID"]
    quoted = "\n".join(f"> {line}" for line in ours.get_body(("plain",)).get_content().splitlines())
    reply.set_content(f"Thank you for your message. I read my mail every morning.{extra}\n\n"
                      f"On {ours['Date']}, {ours['From']} wrote:\n{quoted}\n")
    return reply.as_bytes()


@pytest.mark.parametrize("headers", [True, False], ids=["naming-our-mail", "only-quoting-it"])
def test_an_auto_responder_that_quotes_every_acknowledgement_gets_at_most_two(world, headers):
    """An applicant's auto-responder without RFC 3834 headers answers each of our emails within a
    minute, quoting it: over eight rounds in four days, at most two emails reach it in all."""
    dovecot, user, smtp, _settings, app = world
    dovecot.append(user, (FIXTURES / "01-protege-inline.eml").read_bytes())
    answered = 0
    for round_ in range(8):
        now = NOW + timedelta(days=round_ // 2, minutes=2 * round_)
        run_cycle(app, MailSource(), now)
        to_it = addressed_to(smtp.received, APPLICANT)
        for ours in to_it[answered:]:
            dovecot.append(user, auto_reply_to(ours, headers=headers))
        answered = len(to_it)
    assert 1 <= len(addressed_to(smtp.received, APPLICANT)) <= 2
    with app.db.unit_of_work() as s:
        rows = s.scalars(select(IncomingMessage).order_by(IncomingMessage.id)).all()
    assert len(rows) >= 2 and all(r.filed_to for r in rows)
    assert {r.state for r in rows[1:]} <= {"processed", "review"}


def test_a_sender_that_answers_within_minutes_each_time_is_a_machine_set_aside_once(world):
    """A sender who answers each of our emails within a minute, each time with something new,
    is recognised as a machine at its second quick answer: set aside with one notice, and its
    later mail set aside without answers or notices."""
    dovecot, user, smtp, _settings, app = world
    dovecot.append(user, (FIXTURES / "01-protege-inline.eml").read_bytes())
    answered = 0
    for round_ in range(6):
        run_cycle(app, MailSource(), NOW + timedelta(minutes=3 * round_))
        to_it = addressed_to(smtp.received, APPLICANT)
        for ours in to_it[answered:]:
            dovecot.append(user, auto_reply_to(ours, headers=True, extra=f"\n\nPhone: 307-555-03{round_:02d}"))
        answered = len(to_it)
        if round_ >= 3 and answered == len(addressed_to(smtp.received, APPLICANT)):
            dovecot.append(user, copy_of("01-protege-inline.eml", 50 + round_, phone=True))
    assert len(addressed_to(smtp.received, APPLICANT)) == 2
    notices = parsed(addressed_to(smtp.received, COORDINATOR))
    machine = [n for n in notices if "looks like a machine" in n.get_body(("plain",)).get_content()]
    assert len(machine) == 1 and len(notices) == 1
    with app.db.unit_of_work() as s:
        later = s.scalars(select(IncomingMessage).where(IncomingMessage.reason.like("%answers the program's mail "
                                                                                     "automatically%"))).all()
    assert later and all(r.state == "review" and r.filed_to for r in later)


def test_answers_to_one_address_are_capped_per_day(world):
    """Eight changed applications from one address in a day get five answers; the rest are
    recorded, not answered, and set aside for the coordinators; the next day it is answered again."""
    dovecot, user, smtp, settings, app = world
    cap = settings.worker.max_replies_per_address_per_day
    for n in range(8):
        dovecot.append(user, copy_of("01-protege-inline.eml", n, phone=True))

    run_cycle(app, MailSource(), NOW)

    assert len(addressed_to(smtp.received, APPLICANT)) == cap
    with app.db.unit_of_work() as s:
        held = s.scalars(select(IncomingMessage).where(IncomingMessage.state == "review")).all()
        assert len(held) == 8 - cap
        assert all("already had 5 automatic answers" in r.reason and r.application_id for r in held)
    # The next day the address may be answered again.
    dovecot.append(user, copy_of("01-protege-inline.eml", 99, phone=True))
    run_cycle(app, MailSource(), NOW + timedelta(days=1, minutes=1))
    assert len(addressed_to(smtp.received, APPLICANT)) == cap + 1
    # The cycle's daily clean-up kept only the last day's counts: the new answer's.
    with app.db.unit_of_work() as s:
        assert [(r.address, r.at) for r in s.scalars(select(AutoReply))] == [
            (APPLICANT, NOW + timedelta(days=1, minutes=1))]


def test_an_application_sent_again_unchanged_is_recorded_and_not_acknowledged(world):
    """The same form sent again (a new Message-ID, nothing new in it) is recorded against the
    application, with no new version and no second acknowledgement."""
    dovecot, user, smtp, _settings, app = world
    dovecot.append(user, copy_of("01-protege-inline.eml", 1))
    run_cycle(app, MailSource(), NOW)
    dovecot.append(user, copy_of("01-protege-inline.eml", 2))
    summary = run_cycle(app, MailSource(), NOW + timedelta(hours=1))
    assert (summary.poll.unchanged, summary.poll.updates) == (1, 0)
    assert len(addressed_to(smtp.received, APPLICANT)) == 1
    with app.db.unit_of_work() as s:
        second = s.scalars(select(IncomingMessage).order_by(IncomingMessage.id.desc())).first()
        assert second.state == "processed" and second.application_id is not None
        assert "nothing new" in second.reason
        assert s.scalar(select(func.count()).select_from(Event).where(
            Event.action == "application_sent_unchanged")) == 1


def question(n: int) -> bytes:
    raw = (FIXTURES / "12-question.eml").read_bytes()
    return (raw.replace(b"<intake-12@hotsprings.example>", f"<question-{n}@hotsprings.example>".encode())
            .replace(b"part-time staff?", f"part-time staff? (question {n})".encode()))


def test_a_hundred_questions_from_one_sender_give_the_coordinators_at_most_five_emails(world):
    """100 questions from one sender in a day: a notice for each of the first three, and one more,
    the next morning, counting the other 97; all 100 are in the review folder."""
    dovecot, user, smtp, settings, app = world
    with dovecot.client(user) as c:
        c.multiappend("INBOX", [question(n) for n in range(QUESTIONS)])
    run_cycle(app, MailSource(), NOW)
    run_cycle(app, MailSource(), NOW + timedelta(hours=20))

    to_coordinators = parsed(addressed_to(smtp.received, COORDINATOR))
    assert len(to_coordinators) <= 5
    counted = [m for m in to_coordinators if "more messages from fdunn@hotsprings.example" in m["Subject"]]
    assert len(counted) == 1
    text = counted[0].get_body(("plain",)).get_content()
    held = QUESTIONS - settings.worker.max_notices_per_sender_per_day
    assert f"sent {held} more messages" in " ".join(text.split())
    assert len(dovecot.list_folder(user, settings.imap.review_folder)) == QUESTIONS


def forms_for_others(n: int) -> bytes:
    """The n-th applicant's form, sent by one colleague who is not them."""
    return re.sub(rb"(?m)^From: .*$", b"From: Busy Colleague <busy@colleague.example>", application(n), count=1)


def test_a_hundred_forms_for_other_people_give_those_people_at_most_ten_emails(world):
    """100 applications from one sender naming 100 other addresses: three are answered, the
    rest held for a coordinator (who hears at most five times), and nobody else is mailed."""
    dovecot, user, smtp, settings, app = world
    with dovecot.client(user) as c:
        c.multiappend("INBOX", [forms_for_others(n) for n in range(100)])
    run_cycle(app, MailSource(), NOW)
    run_cycle(app, MailSource(), NOW + timedelta(hours=20))

    to_others = [r for r in smtp.received if COORDINATOR not in r.recipients]
    assert len(to_others) <= 10
    assert len(to_others) == settings.worker.max_forms_for_others_per_sender_per_day
    assert not any("busy@colleague.example" in r.recipients for r in smtp.received)
    assert len(addressed_to(smtp.received, COORDINATOR)) <= 5
    with app.db.unit_of_work() as s:
        held = s.scalars(select(IncomingMessage).where(IncomingMessage.state == "review")).all()
        assert len(held) == 100 - len(to_others)
        assert all("held for a coordinator" in r.reason for r in held)


def test_the_daily_limit_of_recipients_holds_mail_back_and_tells_the_coordinators_once(world):
    """With room for five recipients a day, eight applicants: five are answered, three wait; the
    coordinators hear once that day, however many cycles run; the next day the three go out."""
    dovecot, user, smtp, settings, app = world
    settings.worker.max_recipients_per_day = 5
    for n in range(8):
        dovecot.append(user, application(n))
    run_cycle(app, MailSource(), NOW)
    assert len(smtp.received) == 5
    for minutes in (5, 10, 15):
        summary = run_cycle(app, MailSource(), NOW + timedelta(minutes=minutes))
        assert summary.drain.held_by_daily_limit == 3
    notices = parsed(addressed_to(smtp.received, COORDINATOR))
    assert len(notices) == 1 and "limit" in notices[0]["Subject"]
    assert "3 more emails wait" in " ".join(notices[0].get_body(("plain",)).get_content().split())
    run_cycle(app, MailSource(), NOW + timedelta(days=1, minutes=1))
    assert len([r for r in smtp.received if COORDINATOR not in r.recipients]) == 8


def test_a_hard_bounce_of_our_mail_stops_further_mail_and_tells_the_coordinators(world):
    """A DSN for our acknowledgement marks the address undeliverable; nothing more goes to it."""
    dovecot, user, smtp, _settings, app = world
    dovecot.append(user, (FIXTURES / "01-protege-inline.eml").read_bytes())
    run_cycle(app, MailSource(), NOW)
    ack = parsed(addressed_to(smtp.received, APPLICANT))[0]

    dsn = (FIXTURES / "dsn-for-our-mail.eml.template").read_text()
    dsn = dsn.replace("{address}", APPLICANT).replace("{original_message_id}", ack["Message-ID"])
    dovecot.append(user, dsn.encode())
    run_cycle(app, MailSource(), NOW + timedelta(minutes=5))

    with app.db.unit_of_work() as s:
        assert s.get(SuppressedAddress, APPLICANT) is not None
    notices = parsed(addressed_to(smtp.received, COORDINATOR))
    assert any(APPLICANT in n.get_body(("plain",)).get_content() for n in notices)
    assert addressed_to(smtp.received, "mailer-daemon@googlemail.example") == []

    dovecot.append(user, copy_of("01-protege-inline.eml", 2, phone=True))
    run_cycle(app, MailSource(), NOW + timedelta(hours=1))
    assert len(addressed_to(smtp.received, APPLICANT)) == 1


def test_a_bounce_of_mail_we_did_not_send_changes_nothing(world):
    """A delivery report about someone else's message suppresses no address and answers nobody."""
    dovecot, user, smtp, _settings, app = world
    dsn = (FIXTURES / "dsn-for-our-mail.eml.template").read_text()
    dsn = dsn.replace("{address}", APPLICANT).replace("{original_message_id}", "<not-ours@elsewhere.example>")
    dovecot.append(user, dsn.encode())
    run_cycle(app, MailSource(), NOW)
    with app.db.unit_of_work() as s:
        assert s.scalars(select(SuppressedAddress)).all() == []
    assert smtp.received == []


def test_an_address_marked_undeliverable_in_the_same_transaction_is_not_mailed(world):
    """An email queued right after its address was marked undeliverable, in one unit of work
    (as a bounce is recorded and then answered), is not queued for that address."""
    from inbox_worker.outbound import outbox
    from inbox_worker.outbound.emails import Envelope, Rendered, build_message

    _dovecot, _user, _smtp, _settings, app = world
    message = build_message(Rendered("Hello", "hello", "<p>hello</p>"),
                            Envelope("program@example.org", "Program", [APPLICANT]),
                            message_id="<hello@example.org>", date=NOW)
    with app.db.unit_of_work() as s:
        s.add(SuppressedAddress(address=APPLICANT, reason="it bounced", at=NOW))
        assert outbox.queue(s, key="hello", template="review_notice", message=message, now=NOW) is None
        withheld = s.scalars(select(Event).where(Event.action == "mail_withheld")).one()
    assert withheld.detail["withheld"][APPLICANT].startswith("undeliverable")


def test_an_email_is_queued_once_under_its_key(world):
    """Queued again under the same key, in a later unit of work, nothing more is added: not
    the email, not a day's answer to its address, not a note of what was withheld."""
    from inbox_worker.outbound import outbox
    from inbox_worker.outbound.emails import Envelope, Rendered, build_message

    _dovecot, _user, _smtp, _settings, app = world
    message = build_message(Rendered("Hello", "hello", "<p>hello</p>"),
                            Envelope("program@example.org", "Program", [APPLICANT]),
                            message_id="<hello@example.org>", date=NOW)
    with app.db.unit_of_work() as s:
        first = outbox.queue(s, key="hello", template="acknowledgement", message=message, now=NOW)
    with app.db.unit_of_work() as s:
        again = outbox.queue(s, key="hello", template="acknowledgement", message=message, now=NOW)
        s.add(SuppressedAddress(address=APPLICANT, reason="it bounced", at=NOW))
        withheld_again = outbox.queue(s, key="hello", template="acknowledgement", message=message, now=NOW)
    with app.db.unit_of_work() as s:
        rows = s.scalars(select(OutgoingMessage.id).where(OutgoingMessage.idempotency_key == "hello")).all()
        answers = s.scalar(select(func.count()).select_from(AutoReply))
        notes = s.scalars(select(Event).where(Event.action == "mail_withheld")).all()
    assert first is not None and rows == [first]
    assert again is None and withheld_again is None
    assert answers == 1 and notes == []
