"""Relationships at a glance: every suggestion and relationship, its state, the pair's answers and its next check-in.

What `inbox-worker matches list` prints and `people show` and the digest
say of each relationship: its number (the one every command takes), the
pair, its state in words, its dates, who has answered a proposal and how,
and where its check-ins stand (due, sent, answered, overdue, sent late or
skipped). Read-only; every function takes `today` and the program's time zone,
in which stored instants become days.
"""
from __future__ import annotations

from datetime import UTC, date, tzinfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from inbox_worker.clock import local_day
from inbox_worker.outbound.words import ROLE_LABELS, day_for_people
from inbox_worker.program.lifecycle import state_words
from inbox_worker.store.models import (
    Application,
    Assessment,
    Consent,
    ConsentAnswer,
    MentoringRelationship,
    RelationshipState,
)

PARTIES = ("protege", "mentor")


def checkin_status(a: Assessment, today: date, zone: tzinfo = UTC) -> tuple[str, str]:
    """(a word for scripts, the words for people) of one check-in: due, sent, answered, overdue,
    skipped; sent late says so with its dates."""
    answered = {x.role for x in a.answers}
    if a.skipped_at is not None:
        return "skipped", (f"skipped: it was due {day_for_people(a.due_on, today)}, while the program's mail "
                           f"was not running, and its moment had passed")
    if a.reminded_at is None:
        return "due", f"due {day_for_people(a.due_on, today)}"
    late = (f", late (it was due {day_for_people(a.due_on, today)})" if _late(a, zone) else "")
    sent = f"sent {day_for_people(a.reminded_at, today, zone)}{late}"
    if len(answered) == 2:
        return "answered", f"answered by both ({sent})"
    waiting = " and the ".join(ROLE_LABELS[r] for r in PARTIES if r not in answered)
    if a.escalated_at is not None:
        return "overdue", f"overdue: no answer from the {waiting} ({sent})"
    return "sent", f"{sent}; waiting for the {waiting}"


def next_checkin(rel: MentoringRelationship, today: date, zone: tzinfo = UTC) -> dict | None:
    """The check-in to look at next: the first one not answered by both (skipped ones are passed over)."""
    if rel.state not in (RelationshipState.ACTIVE, RelationshipState.INTRODUCED):
        return None
    for a in rel.assessments:
        status, words = checkin_status(a, today, zone)
        if status not in ("answered", "skipped"):
            return {"number": a.number, "due_on": a.due_on, "status": status, "words": words,
                    "late": _late(a, zone)}
    return None


def _late(a: Assessment, zone: tzinfo = UTC) -> bool:
    # Sent after its day, as the days are counted where the program is.
    return a.reminded_at is not None and local_day(a.reminded_at, zone) > a.due_on


def consent_words(c: Consent, today: date, zone: tzinfo = UTC) -> str:
    """One of the pair's answer to a proposal, as people say it."""
    who = ROLE_LABELS[c.party]
    how = " (by phone, recorded by " + (c.recorded_by or "a coordinator") + ")" if c.by_phone else ""
    if c.answer == ConsentAnswer.ACCEPTED:
        return f"the {who} said yes {day_for_people(c.answered_at, today, zone)}{how}"
    if c.answer == ConsentAnswer.DECLINED:
        return (f"the {who} said no {day_for_people(c.answered_at, today, zone)}{how}"
                + (f": \u201c{c.reason}\u201d" if c.reason else ", giving no reason"))
    if c.talk_requested_at is not None:
        return f"the {who} asked to talk to a coordinator first ({day_for_people(c.talk_requested_at, today, zone)})"
    if c.escalated_at is not None:
        return f"no answer from the {who}, even after the reminder; the coordinators were told"
    if c.reminded_at is not None:
        return f"no answer yet from the {who} (reminded {day_for_people(c.reminded_at, today, zone)})"
    return f"no answer yet from the {who} (asked {day_for_people(c.asked_at, today, zone)})"


def consent_rows(rel: MentoringRelationship, today: date, zone: tzinfo = UTC) -> dict[str, dict]:
    return {c.party: {"answer": c.answer or ("talk first" if c.talk_requested_at else None),
                      "answered_at": c.answered_at, "by_phone": c.by_phone, "recorded_by": c.recorded_by,
                      "reason": c.reason, "asked_at": c.asked_at, "reminded_at": c.reminded_at,
                      "words": consent_words(c, today, zone)} for c in rel.consents}


def relationship_row(rel: MentoringRelationship, apps: dict[int, Application], today: date,
                     zone: tzinfo = UTC) -> dict:
    """One suggestion or relationship, for `matches list` and `people show`."""
    p, m = apps[rel.protege_id], apps[rel.mentor_id]
    row = {"number": rel.id, "state": str(rel.state), "state_words": state_words(rel.state),
           "protege": {"name": p.name, "email": p.email}, "mentor": {"name": m.name, "email": m.email},
           "starts_on": rel.starts_on, "ends_on": rel.ends_on, "end_reason": rel.end_reason,
           "consent": consent_rows(rel, today, zone), "next_checkin": next_checkin(rel, today, zone),
           "checkins": [{"number": a.number, "due_on": a.due_on, "status": checkin_status(a, today, zone)[0],
                         "words": checkin_status(a, today, zone)[1], "late": _late(a, zone)} for a in rel.assessments]}
    if rel.state == RelationshipState.CLOSED and rel.closed_at and rel.ends_on \
            and local_day(rel.closed_at, zone) > rel.ends_on:
        row["closing"] = (f"the end-of-year email went late, {day_for_people(rel.closed_at, today, zone)} "
                          f"(the year ended {day_for_people(rel.ends_on, today)})")
    return row


def relationship_rows(s: Session, today: date, state: str | None = None, zone: tzinfo = UTC) -> list[dict]:
    """Every suggestion and relationship (or those in `state`), by number."""
    apps = {a.id: a for a in s.scalars(select(Application))}
    query = select(MentoringRelationship).order_by(MentoringRelationship.id)
    if state:
        query = query.where(MentoringRelationship.state == state)
    return [relationship_row(r, apps, today, zone) for r in s.scalars(query)]


def row_lines(row: dict, every_checkin: bool = False) -> list[str]:
    """One relationship in a few lines of words: its next check-in and any sent late or skipped (or,
    with `every_checkin`, each of them)."""
    def who(x: dict) -> str:
        return f"{x['name'] or x['email']} <{x['email']}>" if x["name"] else x["email"]

    when = (f", {day_for_people(row['starts_on'])} to {day_for_people(row['ends_on'])}"
            if row["starts_on"] else "")
    lines = [f"#{row['number']:<4} {who(row['protege'])} with mentor {who(row['mentor'])}: "
             f"{row['state_words']}{when}"]
    lines += [f"       {c['words']}" for c in row["consent"].values()]
    if row["end_reason"] and row["state"] not in (RelationshipState.SUGGESTED,):
        lines.append(f"       why it ended: {row['end_reason']}")
    if row["next_checkin"]:
        n = row["next_checkin"]
        lines.append(f"       next check-in: {n['number']}, {n['words']}")
    shown = row["next_checkin"]["number"] if row["next_checkin"] else None
    lines += [f"       check-in {c['number']}: {c['words']}" for c in row["checkins"]
              if every_checkin or ((c["status"] == "skipped" or c["late"]) and c["number"] != shown)]
    if row.get("closing"):
        lines.append(f"       {row['closing']}")
    return lines
