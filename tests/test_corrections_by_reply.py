"""Applicants put their application right by replying, against the real Dovecot and aiosmtpd.

GIVEN four applicants, each acknowledged over real SMTP, who reply to their acknowledgement quoting it
WHEN one replies with a "Phone #:" line, one writes "my phone number is actually (307) 555-0188" (from
  a mail program that names none of our mail: known by their address), one quotes the whole
  acknowledgement and adds nothing, and one writes a correction nobody can read
THEN the first two applications carry the new phone, their previous version kept, each with an
  acknowledgement that shows the change by the form's labels; the quote alone changes nothing and
  gets no answer; the unreadable one goes to review, linked to the application, and the
  coordinators' notice holds the ready `applications edit` command.
"""
from __future__ import annotations

import email
import email.policy
from datetime import timedelta

from intake_world import COORDINATOR, NOW, addressed_to, application, parsed
from program_world import reply
from sqlalchemy import select

from inbox_worker.store.models import Application, IncomingMessage
from inbox_worker.worker import MailSource, run_cycle

LATER = NOW + timedelta(hours=2)
# What intake_world.application(n) gives every applicant, and the phone they correct it to.
OLD_PHONE, NEW_PHONE = "307-555-0121", "(307) 555-0188"


def _address(n: int) -> str:
    return email.message_from_bytes(application(n), policy=email.policy.default)["From"].addresses[0].addr_spec


def _acknowledged(world, applicants: list[int]) -> dict[int, email.message.EmailMessage]:
    """Each applicant's application taken in, and the acknowledgement the SMTP server received for it."""
    dovecot, user, smtp, _settings, app = world
    for n in applicants:
        dovecot.append(user, application(n))
    run_cycle(app, MailSource(), NOW)
    acks = {}
    for n in applicants:
        received = parsed(addressed_to(smtp.received, _address(n)))
        assert len(received) == 1
        acks[n] = received[0]
    return acks


def _application(app, address: str) -> tuple[Application, list[tuple[int, dict, dict]]]:
    with app.db.unit_of_work() as s:
        found = s.scalar(select(Application).where(Application.email == address))
        return found, [(v.version, dict(v.record), dict(v.provenance)) for v in found.versions]


def _text(message: email.message.EmailMessage) -> str:
    return message.get_body(("plain",)).get_content()


def test_corrections_by_reply_change_the_record_and_are_acknowledged_or_set_aside(world):
    """A labelled line and a plain sentence each correct the phone (old version kept, change acknowledged);
    the quote alone changes nothing and is not answered; an unreadable correction reaches the coordinators
    with the ready command."""
    dovecot, user, smtp, _settings, app = world
    acks = _acknowledged(world, [1, 2, 3, 4])
    sent_before = len(smtp.received)

    dovecot.append(user, reply(acks[1], _address(1), f"Hi,\n\nPhone #: {NEW_PHONE}\n\nThanks,\nBea"))
    sentence = email.message_from_bytes(reply(acks[2], _address(2), "Hello, my phone number is actually "
                                              f"{NEW_PHONE}. Sorry about that!"), policy=email.policy.default)
    del sentence["In-Reply-To"], sentence["References"]
    dovecot.append(user, sentence.as_bytes())
    dovecot.append(user, reply(acks[3], _address(3), ""))
    dovecot.append(user, reply(acks[4], _address(4), "Sorry, the phone number on the form is wrong."))
    summary = run_cycle(app, MailSource(), LATER)

    assert summary.problems == []
    for n, how in ((1, "a labelled line in a reply"), (2, "a sentence in a reply")):
        record, versions = _application(app, _address(n))
        assert record.record["phone"] == NEW_PHONE
        assert record.version == 2
        assert [(v, r["phone"]) for v, r, _p in versions] == [(1, OLD_PHONE), (2, NEW_PHONE)]
        provenance = versions[1][2]
        assert provenance["via"] == "a correction by reply"
        assert provenance["fields"]["phone"]["how"] == how
        answers = parsed(addressed_to(smtp.received, _address(n)))
        assert len(answers) == 2, f"applicant {n}: {len(answers)} emails"
        text = _text(answers[1])
        assert "updated" in answers[1]["Subject"]
        assert "the correction in your reply" in text
        assert f"Phone number: {OLD_PHONE} → {NEW_PHONE}" in text
        assert answers[1]["Auto-Submitted"] == "auto-replied"

    record, versions = _application(app, _address(3))
    assert record.version == 1 and record.record["phone"] == OLD_PHONE
    assert len(addressed_to(smtp.received, _address(3))) == 1

    record, versions = _application(app, _address(4))
    assert record.version == 1 and record.record["phone"] == OLD_PHONE
    assert len(addressed_to(smtp.received, _address(4))) == 1
    with app.db.unit_of_work() as s:
        row = s.scalar(select(IncomingMessage).where(IncomingMessage.sender == _address(4),
                                                     IncomingMessage.state == "review"))
        assert row is not None and row.application_id == record.id
        assert row.reason.startswith("a correction the program could not understand")
    notices = parsed(addressed_to(smtp.received, COORDINATOR))
    assert len(notices) == 1
    assert f'inbox-worker applications edit {_address(4)} --set "Phone #=VALUE"' in _text(notices[0])

    # Two answers to applicants and one notice: nothing else went out.
    assert len(smtp.received) == sent_before + 3
    assert summary.poll.outcomes.get("correction") == 2
    assert dovecot.list_folder(user, "INBOX") == {}
