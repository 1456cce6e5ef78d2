"""Read-only views of the store for the coordinators' CLI: status, applications, outbox."""
from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime, tzinfo

from sqlalchemy import func, select

from inbox_worker.clock import local_day, utcnow
from inbox_worker.form import RECORD_KEYS, field_label
from inbox_worker.outbound.dashboard import summary_lines
from inbox_worker.outbound.emails import header_text
from inbox_worker.outbound.words import ROLE_LABELS, day_for_people, time_for_people
from inbox_worker.program import standing
from inbox_worker.program.amend import FieldChange, blank_as_none, find_application, shown
from inbox_worker.program.health import last_cycle
from inbox_worker.program.history import program_state
from inbox_worker.store.models import (
    Application,
    IncomingMessage,
    IncomingState,
    MentoringRelationship,
    OutgoingMessage,
    WorkerState,
)


def status_report(app, now: datetime | None = None) -> dict:
    """Where the program stands (the digest's summary, `standing`), then the mailbox and outbox."""
    now = now or utcnow()
    with app.db.unit_of_work() as s:
        figures = standing.standing(s, app.settings, now)
        today = local_day(now, app.settings.program.zone)
        program = {"today": day_for_people(today), "summary": summary_lines(figures, today),
                   "figures": asdict(figures)}
        last = s.get(WorkerState, "last_poll_at")
        cycle = last_cycle(s)
        messages = dict(s.execute(select(IncomingMessage.state, func.count()).group_by(IncomingMessage.state)).all())
        applications = dict(s.execute(select(Application.status, func.count()).group_by(Application.status)).all())
        queue = dict(s.execute(select(OutgoingMessage.state, func.count()).group_by(OutgoingMessage.state)).all())
        review = [
            {"id": m.id, "sender": m.sender, "subject": m.subject, "reason": m.reason, "received_at": m.received_at}
            for m in s.scalars(select(IncomingMessage).where(IncomingMessage.state == IncomingState.REVIEW)
                               .order_by(IncomingMessage.id))
        ]
    return {"program": program, "last_poll_at": last.value if last else None,
            "last_cycle": asdict(cycle) if cycle else None,
            "messages": messages, "applications": applications, "outbox": queue, "review": review}


def list_applications(app, role: str | None = None) -> list[dict]:
    with app.db.unit_of_work() as s:
        q = select(Application).order_by(Application.id.desc())
        if role:
            q = q.where(Application.role == role)
        rels: dict[int, list[MentoringRelationship]] = {}
        for r in s.scalars(select(MentoringRelationship)):
            for who in (r.protege_id, r.mentor_id):
                rels.setdefault(who, []).append(r)
        # `where`: waiting (a mentor: available), suggested, proposed, matched, active, closed, ...
        return [{"id": a.id, "role": a.role, "role_label": ROLE_LABELS.get(a.role or "", "role not given"),
                 "name": a.name, "email": a.email, "status": a.status, "where": program_state(a, rels.get(a.id, [])),
                 "missing": a.missing, "missing_labels": [field_label(k) for k in a.missing], "version": a.version,
                 "updated_at": a.updated_at} for a in s.scalars(q)]


def show_application(app, which: str) -> dict | None:
    """One application: its fields by the form's labels, and every version it had, in plain words."""
    with app.db.unit_of_work() as s:
        a = find_application(s, which)
        if a is None:
            return None
        return {"id": a.id, "email": a.email, "status": a.status, "version": a.version, "record": a.record,
                "fields": [{"label": field_label(k), "value": shown(k, a.record.get(k))} for k in RECORD_KEYS],
                "missing": a.missing, "missing_labels": [field_label(k) for k in a.missing],
                "created_at": a.created_at, "updated_at": a.updated_at,
                "versions": version_history(s, a, app.settings.program.zone)}


def version_history(s, a: Application, zone: tzinfo = UTC) -> list[dict]:
    """Each version: when, from which message or by whom, and what changed from the one before."""
    out, before = [], {}
    for v in a.versions:
        changes = [FieldChange(k, before.get(k), v.record.get(k)) for k in RECORD_KEYS
                   if blank_as_none(before.get(k)) != blank_as_none(v.record.get(k))]
        message = s.get(IncomingMessage, v.incoming_message_id) if v.incoming_message_id else None
        if message is not None:
            source = (f"from the email of {message.sender or 'an unknown sender'} (message {message.id}, "
                      f"subject {header_text(message.subject or '') or '(none)'!r})")
        elif (v.provenance or {}).get("edited_by"):
            source = f"edited by {v.provenance['edited_by']}"
        else:
            source = "from a message no longer kept"
        out.append({"version": v.version, "created_at": v.created_at, "when": time_for_people(v.created_at, zone=zone),
                    "source": source, "incoming_message_id": v.incoming_message_id, "record": v.record,
                    "changed": [c.words() for c in changes] if before else ["first version"]})
        before = v.record
    return out


def list_outbox(app, state: str | None = None) -> list[dict]:
    with app.db.unit_of_work() as s:
        q = select(OutgoingMessage).order_by(OutgoingMessage.id.desc())
        if state:
            q = q.where(OutgoingMessage.state == state)
        return [{"id": o.id, "state": o.state, "template": o.template, "recipients": o.recipients,
                 "subject": o.subject, "attempts": o.attempts, "last_error": o.last_error,
                 "created_at": o.created_at, "sent_at": o.sent_at} for o in s.scalars(q)]
