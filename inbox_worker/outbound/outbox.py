"""The outbox: mail waits here, in the database, until the SMTP server takes it.

An email is queued in the same transaction as the change that causes it,
under an idempotency key that names its reason ("ack:42"), so it is queued
once however often the cause is processed. `drain` then sends what is due:
a temporary failure (4xx, a network error) is retried later with a growing
wait; a permanent one (5xx) is recorded as failed with the server's words.
Each email is marked sent in its own transaction right after the server
accepts it, which keeps the window for a double send as small as it can be.

The outbox is also where mail is counted against the daily limits: `queue`
leaves out an address that had its day's automatic answers already, and
`drain` sends no more in 24 hours than the daily limit of recipients (below
the mail provider's own, so the account is never suspended); what it holds
back waits, pending, for the next drain.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import bindparam, func, insert, null, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from inbox_worker.mail.outgoing import OutgoingEmail
from inbox_worker.mail.sender import LoginFailure, PermanentFailure, TemporaryFailure
from inbox_worker.store.database import Database
from inbox_worker.store.models import AutoReply, Event, OutgoingMessage, SuppressedAddress

log = logging.getLogger(__name__)

_OUTGOING = OutgoingMessage.__table__
_AUTO_REPLIES = AutoReply.__table__
_QUEUED = select(_OUTGOING.c.id).where(_OUTGOING.c.idempotency_key == bindparam("key"))
# An email under a key not used yet, in one statement, by the database's name: ON CONFLICT is
# each database's own syntax.
_INSERT_NEW_OUTGOING = {
    "sqlite": sqlite.insert(_OUTGOING).on_conflict_do_nothing(index_elements=[_OUTGOING.c.idempotency_key])
    .returning(_OUTGOING.c.id),
    "postgresql": postgresql.insert(_OUTGOING).on_conflict_do_nothing(
        index_elements=[_OUTGOING.c.idempotency_key]).returning(_OUTGOING.c.id),
}
_INSERT_AUTO_REPLY = insert(_AUTO_REPLIES)
_SUPPRESSIONS = SuppressedAddress.__table__
# Why an address may not be mailed: (address, reason, None) where it is undeliverable, and for an
# automatic answer also (address, None, answers in the last day). One statement for both, as
# every acknowledgement of a backlog asks.
_SUPPRESSED = select(_SUPPRESSIONS.c.address, _SUPPRESSIONS.c.reason, null()).where(
    _SUPPRESSIONS.c.address.in_(bindparam("addresses", expanding=True)))
_SUPPRESSED_OR_ANSWERED = _SUPPRESSED.union_all(
    select(_AUTO_REPLIES.c.address, null(), func.count())
    .where(_AUTO_REPLIES.c.address.in_(bindparam("addresses", expanding=True)),
           _AUTO_REPLIES.c.at > bindparam("since"))
    .group_by(_AUTO_REPLIES.c.address))
_PENDING = (select(_OUTGOING.c.id, _OUTGOING.c.recipients, _OUTGOING.c.raw, _OUTGOING.c.attempts,
                   _OUTGOING.c.template)
            .where(_OUTGOING.c.id == bindparam("outgoing_id"), _OUTGOING.c.state == "pending")
            .with_for_update(skip_locked=True))
# What a try changed: its SET clause is the keys of the parameters given.
_UPDATE_OUTGOING = update(_OUTGOING).where(_OUTGOING.c.id == bindparam("outgoing_id"))


def queue(session: Session, *, key: str, template: str, message: OutgoingEmail, now: datetime,
          application_id: int | None = None, incoming_message_id: int | None = None,
          daily_cap: int = 5, not_before: datetime | None = None) -> int | None:
    """Add an email to the outbox unless one with this key is already there: its outbox number.

    Addresses known to be undeliverable are left out, and so is an address
    that already had `daily_cap` automatic answers in the last 24 hours.
    When nobody is left, nothing is queued and the reason is recorded.
    It is sent at the first drain from `not_before` on (default: now).
    """
    # Every message of a backlog comes through here: the statements are built once, above.
    wanted = [a.lower() for a in message.recipients]
    auto_reply = message.auto_submitted == "auto-replied"
    withheld = _withheld(session, wanted, now, daily_cap if auto_reply else None)
    recipients = [a for a in wanted if a not in withheld]
    if withheld:
        if session.execute(_QUEUED, {"key": key}).first() is not None:
            return None  # queued before: what was withheld then was noted then
        session.add(Event(at=now, actor="inbox-worker", action="mail_withheld", subject=key,
                          detail={"withheld": withheld, "template": template}))
        log.warning("outbox: %s not sent to %s", key, "; ".join(f"{a} ({why})" for a, why in withheld.items()))
    if not recipients:
        return None
    # The key is unique: an email already queued under it is left as it is, and nothing is added.
    outgoing_id = session.execute(_INSERT_NEW_OUTGOING[session.get_bind().dialect.name], {
        "idempotency_key": key, "template": template, "recipients": recipients, "auto_reply": auto_reply,
        "subject": message.subject, "message_id": message.message_id,
        "raw": message.raw, "state": "pending", "attempts": 0, "next_attempt_at": not_before or now,
        "application_id": application_id, "incoming_message_id": incoming_message_id, "created_at": now,
    }).scalar()
    if outgoing_id is None:
        return None
    if auto_reply:
        session.execute(_INSERT_AUTO_REPLY, [{"address": a, "at": now, "outgoing_message_id": outgoing_id}
                                             for a in recipients])
    return outgoing_id


def replace_pending(session: Session, key: str, message: OutgoingEmail) -> bool:
    """Put `message` in place of the email queued under `key`, if that one is still waiting to be
    sent (a notice that counts something, counted once more): whether it was replaced."""
    replaced = session.execute(
        update(_OUTGOING).where(_OUTGOING.c.idempotency_key == key, _OUTGOING.c.state == "pending")
        .values(raw=message.raw, subject=message.subject, message_id=message.message_id))
    return replaced.rowcount > 0


def _withheld(session: Session, addresses: list[str], now: datetime, daily_cap: int | None) -> dict[str, str]:
    """Which addresses must not get this email, and why."""
    if not addresses:
        return {}
    if daily_cap is None:
        rows = session.execute(_SUPPRESSED, {"addresses": addresses}).all()
    else:
        rows = session.execute(_SUPPRESSED_OR_ANSWERED,
                               {"addresses": addresses, "since": now - timedelta(days=1)}).all()
    out = {address: "undeliverable: " + reason for address, reason, _count in rows if reason is not None}
    for address, reason, count in rows:
        if reason is None and address not in out and count >= daily_cap:
            out[address] = f"already {daily_cap} automatic answers in 24 hours (a mail loop?)"
    return out


def backoff(attempts: int, base_seconds: int) -> timedelta:
    """Wait before the next try: base, 2x, 4x ... capped at six hours."""
    return timedelta(seconds=min(base_seconds * 2 ** max(0, attempts - 1), 6 * 3600))


@dataclass
class DrainSummary:
    sent: int = 0
    deferred: int = 0
    failed: int = 0
    problems: list[str] = field(default_factory=list)
    # The server could not be reached or refused our login: the rest waits for the next cycle.
    server_down: bool = False
    # Emails due but held back by the daily limit, and the recipients of the last 24 hours.
    held_by_daily_limit: int = 0
    recipients_in_24_hours: int = 0


# The one email the daily limit never holds back: the coordinators' note that it holds mail back.
LIMIT_NOTICE = "limit_notice"


def drain(db: Database, sender, envelope_from: str, now: datetime, *, max_attempts: int,
          retry_base_seconds: int, limit: int = 500, daily_limit: int | None = None) -> DrainSummary:
    """Send every email that is due, up to `daily_limit` recipients in 24 hours; never raises for a
    single email's failure."""
    summary = DrainSummary()
    with db.unit_of_work() as s:
        due = s.scalars(
            select(OutgoingMessage.id)
            .where(OutgoingMessage.state == "pending", OutgoingMessage.next_attempt_at <= now)
            .order_by(OutgoingMessage.id)
            .limit(limit)
        ).all()
    if due:
        # An email queued by a commit that did not wait for the disk (intake's) could be undone
        # by a power cut after it was sent, and then queued and sent again.
        db.make_durable()
        if daily_limit is not None:
            summary.recipients_in_24_hours = _recipients_since(db, now - timedelta(days=1))
    with db.units_of_work() as units:
        for outgoing_id in due:
            if summary.server_down:
                break
            # One unit of work for each email, committed as soon as the server has taken it.
            with units.unit() as conn:
                # Every worker drains the outbox. The row stays locked while it is sent, and a row
                # another worker is sending is skipped (SKIP LOCKED on PostgreSQL; SQLite's single
                # writer does the same), so no email goes out twice.
                row = conn.execute(_PENDING, {"outgoing_id": outgoing_id}).first()
                if row is None:
                    continue
                if (daily_limit is not None and row.template != LIMIT_NOTICE
                        and summary.recipients_in_24_hours + len(row.recipients) > daily_limit):
                    summary.held_by_daily_limit += 1
                    continue
                change = _attempt(row, sender, envelope_from, now, summary, max_attempts=max_attempts,
                                  retry_base_seconds=retry_base_seconds)
                conn.execute(_UPDATE_OUTGOING, {"outgoing_id": outgoing_id} | change)
            log.debug("outbox: email %s marked %s", outgoing_id, change["state"])
    return summary


def _recipients_since(db: Database, since: datetime) -> int:
    """Recipients of the emails sent since then (what a mail provider's daily limit counts)."""
    with db.unit_of_work() as s:
        return sum(len(recipients) for recipients in s.scalars(
            select(OutgoingMessage.recipients).where(OutgoingMessage.state == "sent", OutgoingMessage.sent_at > since)))


def _attempt(row, sender, envelope_from: str, now: datetime, summary: DrainSummary, *,
             max_attempts: int, retry_base_seconds: int) -> dict:
    """Send one email: the changes to its outbox row, and the summary counted."""
    attempts = row.attempts + 1
    log.debug("outbox: email %s being sent", row.id)
    try:
        reply = sender.send(envelope_from, list(row.recipients), row.raw)
    except PermanentFailure as e:
        summary.failed += 1
        summary.problems.append(f"email {row.id} to {', '.join(row.recipients)} refused: {e}")
        log.warning("outbox: email %s refused for good: %s", row.id, e)
        return {"state": "failed", "attempts": attempts, "last_error": str(e)}
    except Exception as e:  # TemporaryFailure, or anything unforeseen: try again later
        if not isinstance(e, TemporaryFailure):
            log.exception("outbox: unexpected error sending email %s", row.id)
        if getattr(e, "code", None) is None or isinstance(e, LoginFailure):
            # The server was unreachable or refused our login: not this email's fault, so
            # it keeps its tries; the rest waits for the next cycle.
            summary.server_down = True
            summary.problems.append(f"mail server unavailable: {e}")
            return {"state": "pending", "attempts": row.attempts, "last_error": str(e)}
        if attempts >= max_attempts:
            summary.failed += 1
            summary.problems.append(f"email {row.id} gave up after {attempts} tries: {e}")
            log.warning("outbox: email %s gave up after %s tries: %s", row.id, attempts, e)
            return {"state": "failed", "attempts": attempts, "last_error": str(e)}
        next_attempt_at = now + backoff(attempts, retry_base_seconds)
        summary.deferred += 1
        log.info("outbox: email %s deferred (%s); next try at %s", row.id, e, next_attempt_at)
        return {"state": "pending", "attempts": attempts, "last_error": str(e),
                "next_attempt_at": next_attempt_at}
    log.debug("outbox: email %s accepted by the server", row.id)
    summary.sent += 1
    summary.recipients_in_24_hours += len(row.recipients)
    return {"state": "sent", "attempts": attempts, "last_error": None, "sent_at": now, "server_reply": reply}


def withdraw(session: Session, keys: list[str], prefixes: list[str], reason: str) -> list[OutgoingMessage]:
    """Stop emails not yet sent (those with one of `keys`, or a key starting with one of
    `prefixes`): their cause is gone. They stay in the outbox as "withdrawn", with the reason."""
    wanted = or_(OutgoingMessage.idempotency_key.in_(keys),
                 *(OutgoingMessage.idempotency_key.startswith(p, autoescape=True) for p in prefixes))
    # A row another worker is sending is locked; this waits for it and then finds it sent.
    rows = session.scalars(select(OutgoingMessage).where(OutgoingMessage.state == "pending", wanted)
                           .with_for_update()).all()
    for row in rows:
        row.state, row.last_error = "withdrawn", reason
    return list(rows)


def retry(session: Session, outgoing_id: int, now: datetime) -> OutgoingMessage | None:
    """Put a failed or deferred email back in the queue to be sent at the next drain.

    A sent email is not sent again, and a withdrawn one stays withdrawn: its cause is gone (an
    introduction to a relationship that ended before it went out).
    """
    row = session.get(OutgoingMessage, outgoing_id)
    if row is None or row.state in ("sent", "withdrawn"):
        return row
    row.state = "pending"
    row.next_attempt_at = now
    row.attempts = 0
    return row
