"""The emails intake queues: an applicant's acknowledgement, and what the coordinators hear.

Each is rendered from its template and queued in the outbox inside the message's own unit of
work, under a key that names its reason, so it is queued once however often the message is
processed. The coordinators hear of a message set aside in a review notice; past the day's cap
of notices about one sender, in one notice of the day that counts the rest (`count_held`), sent
when the day is over; and once a day when the daily limit holds mail back (`tell_daily_limit`).
"""
from __future__ import annotations

import functools
import logging
from collections.abc import Sequence
from datetime import datetime, time, timedelta

from sqlalchemy.orm import Session

from inbox_worker.config import Settings
from inbox_worker.intake.decide import Changes
from inbox_worker.intake.stages import Answer
from inbox_worker.outbound import outbox
from inbox_worker.outbound.blank_form import write_form
from inbox_worker.outbound.contexts import (
    acknowledgement_context,
    daily_limit_context,
    held_notice_context,
    review_notice_context,
)
from inbox_worker.outbound.emails import (
    Attachment,
    Envelope,
    Rendered,
    Templates,
    address_domain,
    build_message,
    message_id_for,
)
from inbox_worker.outbound.words import time_for_people
from inbox_worker.store.models import Application

log = logging.getLogger(__name__)


def acknowledge(s: Session, settings: Settings, templates: Templates, *, row_id: int, app: Application,
                answer: Answer, their_id: str, their_references: list[str], now: datetime,
                uncertain: Sequence[str] = (), changes: Changes | None = None, by_reply: bool = False) -> None:
    """The applicant's acknowledgement (or update note), as a reply to their message; it asks them to
    confirm the `uncertain` fields, read from this message but not beyond doubt, and an update note
    shows what `changes` changed (before and now, by the form's labels)."""
    attachments = blank_form() if app.missing else []
    changed = [] if changes is None or answer is not Answer.UPDATE else [
        (k, changes.changed[k][0] if k in changes.changed else None, app.record.get(k)) for k in changes.keys]
    context = acknowledgement_context(settings.program, app.record, app.missing, bool(attachments),
                                      uncertain_keys=uncertain, changed=changed, by_reply=by_reply)
    key = f"ack:{row_id}"
    # The ids are passed as they arrived: the envelope decides which are fit to repeat.
    envelope = Envelope(from_address=settings.smtp.from_address, from_name=settings.smtp.from_name, to=[app.email],
                        in_reply_to=their_id or None, references=their_references)
    message = build_message(templates.render(answer, context), envelope, date=now, zone=settings.program.zone,
                            attachments=attachments,
                            message_id=_message_id(key, settings))
    outbox.queue(s, key=key, template=answer, message=message, now=now, application_id=app.id,
                 incoming_message_id=row_id, daily_cap=settings.worker.max_replies_per_address_per_day)


def review_notice(s: Session, settings: Settings, templates: Templates, *, row_id: int, sender: str | None,
                  subject: str | None, received: datetime, reason: str, now: datetime,
                  key: str | None = None, command: str = "") -> None:
    """Tell the coordinators a message was set aside for them, and why (and, for a correction the
    program could not read, the `command` that applies it by hand)."""
    context = review_notice_context(settings.program, settings.imap.review_folder, sender=sender, subject=subject,
                                    received=time_for_people(received, zone=settings.program.zone), reason=reason,
                                    command=command,
                                    number=row_id if key is None else None)
    _to_coordinators(s, settings, templates.render("review_notice", context), key or f"review:{row_id}",
                     "review_notice", now, incoming_message_id=row_id)


def count_held(s: Session, settings: Settings, templates: Templates, *, sender: str, count: int, noticed: int,
               now: datetime) -> None:
    """Count one more of the sender's messages set aside today without a notice of its own, in
    the day's one notice about them, which goes when the day is over and says how many."""
    rendered = templates.render("limit_notice", held_notice_context(settings, sender, count, noticed, now))
    key = f"limit:sender:{sender}:{now.date().isoformat()}"
    message = _coordinators_email(settings, rendered, key, now)
    if message is not None and not outbox.replace_pending(s, key, message):
        outbox.queue(s, key=key, template="limit_notice", message=message, now=now,
                     not_before=datetime.combine(now.date() + timedelta(days=1), time()))


def tell_daily_limit(s: Session, settings: Settings, templates: Templates, *, waiting: int, sent: int,
                     now: datetime) -> None:
    """Once a day at most: the daily limit of recipients holds `waiting` emails back."""
    key = f"limit:daily:{now.date().isoformat()}"
    _to_coordinators(s, settings, templates.render("limit_notice", daily_limit_context(settings, waiting, sent)),
                     key, "limit_notice", now)


def _to_coordinators(s: Session, settings: Settings, rendered: Rendered, key: str, template: str, now: datetime,
                     incoming_message_id: int | None = None) -> None:
    message = _coordinators_email(settings, rendered, key, now)
    if message is not None:
        outbox.queue(s, key=key, template=template, message=message, now=now, incoming_message_id=incoming_message_id)


def _coordinators_email(settings: Settings, rendered: Rendered, key: str, now: datetime):
    coordinators = settings.program.coordinators
    if not coordinators:
        log.warning("intake: %s not sent: no coordinators are configured to tell ([program] coordinators)", key)
        return None
    envelope = Envelope(from_address=settings.smtp.from_address, from_name=settings.smtp.from_name,
                        to=list(coordinators), auto_submitted="auto-generated")
    return build_message(rendered, envelope, date=now, zone=settings.program.zone,
                         message_id=_message_id(key, settings))


def _message_id(key: str, settings: Settings) -> str:
    return message_id_for(key, address_domain(settings.smtp.from_address))


def blank_form() -> list[Attachment]:
    """The program's form, attached when an acknowledgement asks for missing fields."""
    return [Attachment("WLA-mentoring-application.docx",
                       "application/vnd.openxmlformats-officedocument.wordprocessingml.document", _blank_form_docx())]


@functools.cache
def _blank_form_docx() -> bytes:
    # The same bytes every time, and building them takes a tenth of a second: once a process is enough.
    return write_form("docx")
