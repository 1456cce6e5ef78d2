"""Schedule: what the program owes its people on a given day, as a pure function of the records and `now`.

The program document sets the calendar: a relationship lasts 12 calendar
months, the coordinators assess it at least twice (by default at months 4
and 8), and a protégé should hear from us within a few months of applying.
This module turns plain snapshots of relationships, proposals and applicants
into a list of things that are due (a reminder, an escalation, a closing, a
waiting-list note, a proposal's reminder, a digest); `jobs` carries them out.
Nothing falls through a time the worker was not running: a check-in that
came due meanwhile is sent late, saying so, or, when its moment has passed
(the next check-in or the end has come), marked skipped; a closing is sent
late. Days are the program's own (`[program] timezone`), and mail due on a
day waits for its `send_hour` there. Nothing here reads the clock or the
database, so "what would happen on 2027-06-01?" is a function call.
"""
from __future__ import annotations

import calendar
import enum
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo

from inbox_worker.clock import local_day, sending_day
from inbox_worker.config import ScheduleSettings
from inbox_worker.store.models import RelationshipState


# ---------------------------------------------------------------- calendar arithmetic
def add_months(day: date, months: int) -> date:
    """The same day `months` calendar months later (the 31st becomes the month's last day)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def assessment_dates(starts_on: date, settings: ScheduleSettings) -> list[date]:
    """When each assessment falls due: the configured months after the start, in order (the
    settings hold two or more, all inside the relationship)."""
    return [add_months(starts_on, m) for m in settings.assessment_months]


def end_date(starts_on: date, settings: ScheduleSettings) -> date:
    """The official end: 12 calendar months after the start (the program document)."""
    return add_months(starts_on, settings.relationship_months)


# ---------------------------------------------------------------- snapshots in
@dataclass(frozen=True)
class AssessmentView:
    number: int
    due_on: date
    reminded_at: datetime | None = None
    escalated_at: datetime | None = None
    # Roles ("protege", "mentor") that have answered this assessment.
    answered: frozenset[str] = frozenset()
    # Its moment passed unsent (the worker was not running).
    skipped: bool = False


@dataclass(frozen=True)
class RelationshipView:
    id: int
    state: str
    starts_on: date | None = None
    ends_on: date | None = None
    assessments: tuple[AssessmentView, ...] = ()


@dataclass(frozen=True)
class ConsentView:
    """One of a proposed pair, asked for their answer."""

    relationship_id: int
    party: str  # protege | mentor
    asked_at: datetime
    reminded_at: datetime | None = None
    escalated_at: datetime | None = None
    answered: bool = False
    # They asked to talk to a coordinator, who is on it: no reminder, no escalation.
    talking: bool = False


@dataclass(frozen=True)
class WaitingProtege:
    application_id: int
    applied_at: datetime
    library_type: str | None = None
    # A waiting-list note already went out (it is sent once).
    noted: bool = False


@dataclass(frozen=True)
class MentorView:
    application_id: int
    library_type: str | None
    # Places left: capacity minus live relationships.
    free: int


# ---------------------------------------------------------------- what is due
class DueKind(enum.StrEnum):
    REMINDER = "reminder"
    # A check-in whose moment passed while the worker was not running: marked, never sent.
    SKIP = "skip"
    ESCALATION = "escalation"
    CLOSING = "closing"
    WAITING_NOTE = "waiting_note"
    CONSENT_REMINDER = "consent_reminder"
    CONSENT_ESCALATION = "consent_escalation"


@dataclass(frozen=True)
class Due:
    """One thing to do. `key` is the outbox idempotency key: the same Due is never done twice."""

    kind: DueKind
    key: str
    subject_id: int
    number: int | None = None
    # For an escalation: who has not answered. For a proposal's reminder: to whom.
    missing: tuple[str, ...] = ()
    # Sent after its day (the worker was not running): the email says so, with its date.
    late: bool = False


ROLES = ("protege", "mentor")


def due_reminders(relationships: list[RelationshipView], now: datetime, zone: tzinfo = UTC,
                  send_hour: int = 0) -> list[Due]:
    """Assessment reminders whose date has come, for relationships under way (or closing now): from
    `send_hour` on their day in `zone`.

    One that came due while the worker was not running is sent late; one whose moment has
    passed (the next check-in is due too, or the relationship has reached its end) is skipped.
    """
    today = sending_day(now, zone, send_hour)
    out = []
    for r in relationships:
        if r.state != RelationshipState.ACTIVE:
            continue
        ordered = sorted(r.assessments, key=lambda a: a.number)
        for a, following in zip(ordered, [*ordered[1:], None], strict=True):
            if a.reminded_at is not None or a.skipped or a.due_on > today:
                continue
            passed = (following is not None and following.due_on <= today) or (
                r.ends_on is not None and r.ends_on <= today)
            if passed:
                out.append(Due(DueKind.SKIP, f"skip:{r.id}:{a.number}", r.id, a.number))
            else:
                out.append(Due(DueKind.REMINDER, f"assessment:{r.id}:{a.number}", r.id, a.number,
                               late=today > a.due_on))
    return out


def has_come(moment: datetime, now: datetime, zone: tzinfo = UTC, send_hour: int = 0) -> bool:
    """`moment` (naive UTC) has passed, and so has `send_hour` on its day in `zone`: what falls due
    in the night waits for the morning, what falls due later in the day goes then."""
    return now >= moment and sending_day(now, zone, send_hour) >= local_day(moment, zone)


def due_consent_reminders(consents: list[ConsentView], now: datetime, settings: ScheduleSettings, *,
                          zone: tzinfo = UTC, send_hour: int = 0) -> list[Due]:
    """One reminder to each of a proposed pair who has not answered `consent_reminder_days` after being asked."""
    wait = timedelta(days=settings.consent_reminder_days)
    return [Due(DueKind.CONSENT_REMINDER, f"proposal-reminder:{c.relationship_id}:{c.party}", c.relationship_id,
                missing=(c.party,))
            for c in consents if not (c.answered or c.talking or c.reminded_at)
            and has_come(c.asked_at + wait, now, zone, send_hour)]


def due_consent_escalations(consents: list[ConsentView], now: datetime, settings: ScheduleSettings, *,
                            zone: tzinfo = UTC, send_hour: int = 0) -> list[Due]:
    """Still no answer `consent_escalation_days` after the reminder: the coordinators are told, once for
    each relationship, naming whoever is silent."""
    wait = timedelta(days=settings.consent_escalation_days)
    silent: dict[int, list[str]] = {}
    for c in consents:
        if c.answered or c.talking or c.escalated_at or c.reminded_at is None or \
                not has_come(c.reminded_at + wait, now, zone, send_hour):
            continue
        silent.setdefault(c.relationship_id, []).append(c.party)
    return [Due(DueKind.CONSENT_ESCALATION, f"consent-escalation:{rel}:{'+'.join(parties)}", rel,
                missing=tuple(parties)) for rel, parties in sorted(silent.items())]


def due_escalations(relationships: list[RelationshipView], now: datetime, settings: ScheduleSettings, *,
                    zone: tzinfo = UTC, send_hour: int = 0) -> list[Due]:
    """Reminders left unanswered `escalation_days` after they went out: the coordinators are told.

    One participant answering is not enough: the escalation names whoever is still silent.
    """
    out = []
    wait = timedelta(days=settings.escalation_days)
    for r in relationships:
        if r.state != RelationshipState.ACTIVE:
            continue
        for a in r.assessments:
            if a.reminded_at is None or a.escalated_at is not None or \
                    not has_come(a.reminded_at + wait, now, zone, send_hour):
                continue
            missing = tuple(role for role in ROLES if role not in a.answered)
            if missing:
                out.append(Due(DueKind.ESCALATION, f"escalation:{r.id}:{a.number}", r.id, a.number, missing))
    return out


def due_closings(relationships: list[RelationshipView], now: datetime, zone: tzinfo = UTC,
                 send_hour: int = 0) -> list[Due]:
    """Relationships that reached their end date (from `send_hour` on it in `zone`): close them and ask
    both people for feedback (late, saying so, when the end came while the worker was not running)."""
    today = sending_day(now, zone, send_hour)
    return [Due(DueKind.CLOSING, f"closing:{r.id}", r.id, late=today > r.ends_on) for r in relationships
            if r.state == RelationshipState.ACTIVE and r.ends_on is not None and r.ends_on <= today]


def due_waiting_notes(waiting: list[WaitingProtege], now: datetime, settings: ScheduleSettings, *,
                      zone: tzinfo = UTC, send_hour: int = 0) -> list[Due]:
    """Protégés waiting longer than `waiting_list_days` without a match: one note each, ever."""
    limit = timedelta(days=settings.waiting_list_days)
    return [Due(DueKind.WAITING_NOTE, f"waiting:{w.application_id}", w.application_id)
            for w in waiting if not w.noted and has_come(w.applied_at + limit, now, zone, send_hour)]


def due(relationships: list[RelationshipView], waiting: list[WaitingProtege], now: datetime,
        settings: ScheduleSettings, consents: list[ConsentView] = (), *, zone: tzinfo = UTC,
        send_hour: int = 0) -> list[Due]:
    """Everything due at `now`, closings first (a closed relationship needs no reminder: its check-ins
    not sent are marked skipped). What falls on a day (a check-in, an end) is due from `send_hour` on
    that day in the program's time zone `zone`; what waits a number of days counts them from the
    moment it began, and if they run out in the night, waits for `send_hour` too."""
    closing = due_closings(relationships, now, zone, send_hour)
    closed = {d.subject_id for d in closing}
    still_open = [r for r in relationships if r.id not in closed]
    skipped = due_reminders([r for r in relationships if r.id in closed], now, zone, send_hour)
    return [*closing, *skipped, *due_reminders(still_open, now, zone, send_hour),
            *due_escalations(still_open, now, settings, zone=zone, send_hour=send_hour),
            *due_consent_reminders(list(consents), now, settings, zone=zone, send_hour=send_hour),
            *due_consent_escalations(list(consents), now, settings, zone=zone, send_hour=send_hour),
            *due_waiting_notes(waiting, now, settings, zone=zone, send_hour=send_hour)]


# ---------------------------------------------------------------- mentors wanted
@dataclass(frozen=True)
class Shortage:
    library_type: str
    waiting: int
    free_places: int

    @property
    def short_by(self) -> int:
        return max(0, self.waiting - self.free_places)


def mentor_shortage(waiting: list[WaitingProtege], mentors: list[MentorView]) -> list[Shortage]:
    """Library types where protégés waiting outnumber mentors' free places (the program pairs like with like)."""
    wanted = Counter(w.library_type or "other" for w in waiting)
    places: Counter[str] = Counter()
    for m in mentors:
        places[m.library_type or "other"] += max(0, m.free)
    out = [Shortage(t, n, places.get(t, 0)) for t, n in sorted(wanted.items())]
    return [s for s in out if s.short_by > 0]


def needs_call_for_mentors(waiting: list[WaitingProtege], mentors: list[MentorView]) -> bool:
    """More protégés waiting than places free among all mentors: time to ask the listserv."""
    return len(waiting) > sum(max(0, m.free) for m in mentors)


# ---------------------------------------------------------------- the digest
def digest_period(now: datetime, settings: ScheduleSettings, zone: tzinfo = UTC,
                  send_hour: int = 0) -> str | None:
    """The digest period `now` falls in ("2026-04-10" daily, "2026-W15" weekly), or None when it is off.

    Days are the program's, in `zone`, and begin for the digest at `send_hour`: a daily digest goes
    out from that hour on. A weekly period begins on `digest_weekday`; before that weekday (and its
    send hour) a week belongs to the one before, so a digest set for Monday is never sent on the
    Sunday before.
    """
    if settings.digest == "off":
        return None
    today = sending_day(now, zone, send_hour)
    if settings.digest == "daily":
        return today.isoformat()
    start = today - timedelta(days=(today.weekday() - settings.digest_weekday) % 7)
    year, week, _ = start.isocalendar()
    return f"{year}-W{week:02d}"


@dataclass
class DigestContents:
    """What a digest shows. Items are dicts ready for the template; `news` counts what changed."""

    period: str
    since: datetime | None
    applications: list[dict] = field(default_factory=list)
    review: list[dict] = field(default_factory=list)
    suggestions: list[dict] = field(default_factory=list)
    # Matches asked of the pair (who has answered), and proposals declined since the last digest.
    proposals: list[dict] = field(default_factory=list)
    unmatched: list[dict] = field(default_factory=list)
    supervisor_notices: list[dict] = field(default_factory=list)
    assessments: list[dict] = field(default_factory=list)
    ending: list[dict] = field(default_factory=list)
    shortage: list[Shortage] = field(default_factory=list)
    failures: list[dict] = field(default_factory=list)
    activity: list[dict] = field(default_factory=list)
    call_for_mentors: bool = False

    def news(self) -> int:
        """Items that are new since the last digest: each carries `new: True` when it is."""
        lists = (self.applications, self.review, self.suggestions, self.proposals, self.supervisor_notices,
                 self.assessments, self.ending, self.failures, self.activity)
        return sum(1 for items in lists for item in items if item.get("new"))


def digest_due(period: str | None, already_sent: bool, contents_news: int) -> bool:
    """Send a digest for this period only once, and only when something happened since the last one."""
    return period is not None and not already_sent and contents_news > 0


def is_new(at: datetime | None, since: datetime | None) -> bool:
    """Did this happen after the last digest (or is there no last digest)?"""
    return at is not None and (since is None or at > since)
