"""Records: the program's "maintain records of mentoring relationships", as views for the coordinators.

`person_history` gathers everything known about one person (their
application and its versions, their relationships, assessments and answers,
every recorded change and every email to or from them) in time order;
`export_rows` gives the participants and relationships tables that
`inbox-worker export` writes as CSV, each cell through `spreadsheet_cell`.
Read-only.
"""
from __future__ import annotations

from datetime import UTC, date, tzinfo

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from inbox_worker.outbound.words import plain_detail, template_words
from inbox_worker.program.lifecycle import MATCHED_STATES, relationships_of
from inbox_worker.program.overview import relationship_row
from inbox_worker.store.models import (
    ASKING_STATES,
    Application,
    Event,
    IncomingMessage,
    MentoringRelationship,
    OutgoingMessage,
)
from inbox_worker.store.models import RelationshipState as State

PARTICIPANT_COLUMNS = ("id", "role", "name", "email", "library_name", "library_type", "position", "city",
                       "status", "missing", "applied_at", "updated_at", "program_state", "relationships")
RELATIONSHIP_COLUMNS = ("id", "state", "protege_email", "protege_name", "mentor_email", "mentor_name", "score",
                        "suggested_at", "approved_at", "supervisor_notified_at", "introduced_at", "starts_on",
                        "ends_on", "closed_at", "end_reason", "assessments_answered")


def program_state(app: Application, rels: list[MentoringRelationship]) -> str:
    """Where a person stands in the program, in a word or two: waiting (or, for a mentor, available),
    suggested, proposed, matched, active, closed; or incomplete, erased, relationship ended early."""
    if app.status == "erased":
        return "erased"
    states = {r.state for r in rels}
    for held, words in (({State.ACTIVE}, "active"), (set(MATCHED_STATES), "matched"),
                        (set(ASKING_STATES), "proposed"), ({State.SUGGESTED}, "suggested")):
        if states & held:
            return words
    if State.CLOSED in states:
        return "closed"
    if State.ENDED_EARLY in states and app.role == "protege":
        # Not waiting: the engine suggests no one for them again; a coordinator may still pair them.
        # (A mentor's place is free again: they are available.)
        return "relationship ended early"
    if app.status != "received":
        return "incomplete"
    return "waiting" if app.role == "protege" else "available"


def person_history(s: Session, which: str, today: date, zone: tzinfo = UTC) -> dict | None:
    key = which.strip().lower()
    app = s.get(Application, int(key)) if key.isdigit() else s.scalar(
        select(Application).where(Application.email == key))
    if app is None:
        return None
    rels = relationships_of(s, app.id)
    subjects = [f"application:{app.id}", *(f"relationship:{r.id}" for r in rels)]
    timeline = []
    for v in app.versions:
        timeline.append({"at": v.created_at, "what": f"application version {v.version} recorded"})
    for e in s.scalars(select(Event).where(or_(Event.subject.in_(subjects), Event.actor == app.email))):
        detail = {k: v for k, v in e.detail.items() if k != "text"}
        timeline.append({"at": e.at, "what": f"{e.action.replace('_', ' ')} ({e.subject}) by {e.actor}"
                         + (f": {plain_detail(detail)}" if detail else "")})
    for m in s.scalars(select(IncomingMessage).where(IncomingMessage.sender == app.email)):
        timeline.append({"at": m.received_at, "what": f"mail received: {m.subject!r} -> {m.state}"
                         + (f" ({m.reason})" if m.reason else "")})
    for o in s.scalars(select(OutgoingMessage)):
        if app.email in o.recipients:
            timeline.append({"at": o.created_at, "what": f"{template_words(o.template)} queued: {o.subject!r} -> "
                             f"{o.state}"})
    timeline.sort(key=lambda t: t["at"])
    apps = {a.id: a for a in s.scalars(select(Application))}
    return {
        "id": app.id, "email": app.email, "name": app.name, "role": app.role, "status": app.status,
        "program_state": program_state(app, rels), "record": app.record, "missing": app.missing,
        "relationships": [relationship_row(r, apps, today, zone) | {
            "score": r.score,
            "assessments": [{"number": a.number, "due_on": a.due_on, "reminded_at": a.reminded_at,
                             "escalated_at": a.escalated_at, "skipped_at": a.skipped_at,
                             "answers": [{"role": x.role, "from": x.participant, "at": x.received_at,
                                          "text": x.text} for x in a.answers]} for a in r.assessments],
        } for r in rels],
        "timeline": timeline,
    }


def export_rows(s: Session) -> tuple[list[dict], list[dict]]:
    """(participants, relationships) as rows of plain values, ordered by number."""
    apps = {a.id: a for a in s.scalars(select(Application).order_by(Application.id))}
    rels = list(s.scalars(select(MentoringRelationship).order_by(MentoringRelationship.id)))
    participants = []
    for a in apps.values():
        mine = [r for r in rels if a.id in (r.protege_id, r.mentor_id)]
        participants.append({
            "id": a.id, "role": a.role or "", "name": a.name or "", "email": a.email,
            "library_name": a.record.get("library_name") or "", "library_type": a.record.get("library_type") or "",
            "position": a.record.get("position") or "", "city": a.record.get("city") or "", "status": a.status,
            "missing": ";".join(a.missing), "applied_at": a.created_at.isoformat(timespec="minutes"),
            "updated_at": a.updated_at.isoformat(timespec="minutes"), "program_state": program_state(a, mine),
            "relationships": ";".join(str(r.id) for r in mine)})
    relationships = []
    for r in rels:
        p, m = apps[r.protege_id], apps[r.mentor_id]
        answered = sum(1 for a in r.assessments if a.answers)
        relationships.append({
            "id": r.id, "state": r.state, "protege_email": p.email, "protege_name": p.name or "",
            "mentor_email": m.email, "mentor_name": m.name or "",
            "score": "" if r.score is None else f"{r.score:.2f}",
            **{k: _iso(getattr(r, k)) for k in ("suggested_at", "approved_at", "supervisor_notified_at",
                                                "introduced_at", "starts_on", "ends_on", "closed_at")},
            "end_reason": r.end_reason or "", "assessments_answered": f"{answered}/{len(r.assessments)}"})
    return participants, relationships


# A spreadsheet takes a cell beginning with one of these for a formula (or, for tab and CR, may
# drop them and read what follows as one): what applicants typed must stay text.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_cell(value: object) -> str:
    """A value as a CSV cell no spreadsheet runs: one beginning like a formula gets a leading '
    (which spreadsheets read as "this is text", and do not show)."""
    text = "" if value is None else str(value)
    # Some spreadsheets drop leading spaces before they look.
    return "'" + text if text.lstrip(" \u00a0").startswith(_FORMULA_START) else text


def _iso(value) -> str:
    if value is None:
        return ""
    return value.isoformat(timespec="minutes") if hasattr(value, "hour") else value.isoformat()
