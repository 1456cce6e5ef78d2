"""Mail loops and floods stop on their own, against the real Dovecot and aiosmtpd.

GIVEN a sender or an address that would make the program mail without end
WHEN the worker runs
THEN it stops: a cap per address per day, and hard bounces of our own mail
mark the address undeliverable and tell the coordinators.
"""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from intake_world import COORDINATOR, NOW, addressed_to, parsed
from sqlalchemy import func, select

from inbox_worker.store.models import AutoReply, Event, OutgoingMessage, SuppressedAddress
from inbox_worker.worker import MailSource, run_cycle

FIXTURES = Path(__file__).parent / "fixtures" / "intake"
APPLICANT = "rokafor@campbellcounty.example"


def copy_of(name: str, n: int) -> bytes:
    """The fixture with a Message-ID of its own, as a resend would have."""
    raw = (FIXTURES / name).read_bytes()
    return raw.replace(b"<intake-01@campbellcounty.example>", f"<intake-01-{n}@campbellcounty.example>".encode())


def test_answers_to_one_address_are_capped_per_day(world):
    """Eight applications from one address in a day get five answers; the rest are withheld and noted."""
    dovecot, user, smtp, settings, app = world
    cap = settings.worker.max_replies_per_address_per_day
    for n in range(8):
        dovecot.append(user, copy_of("01-protege-inline.eml", n))

    run_cycle(app, MailSource(), NOW)

    assert len(addressed_to(smtp.received, APPLICANT)) == cap
    with app.db.unit_of_work() as s:
        withheld = s.scalars(select(Event).where(Event.action == "mail_withheld")).all()
        assert len(withheld) == 8 - cap
    # The next day the address may be answered again.
    dovecot.append(user, copy_of("01-protege-inline.eml", 99))
    run_cycle(app, MailSource(), NOW + timedelta(days=1, minutes=1))
    assert len(addressed_to(smtp.received, APPLICANT)) == cap + 1
    # The cycle's daily clean-up kept only the last day's counts: the new answer's.
    with app.db.unit_of_work() as s:
        assert [(r.address, r.at) for r in s.scalars(select(AutoReply))] == [
            (APPLICANT, NOW + timedelta(days=1, minutes=1))]


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

    dovecot.append(user, copy_of("01-protege-inline.eml", 2))
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
