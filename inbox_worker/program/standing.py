"""Where the program stands: the figures the digest opens with, the chart's numbers and the report's lists.

Read-only. `standing` counts what a coordinator looks at first (decisions
waiting, protégés waiting and for how long, mentors with room, pairs under
way, check-ins due and overdue, mail to read, email not delivered);
`history` gives the last twelve months and the pipeline today for the
chart; `waiting_by_type` and `relationships` are the report's lists. Every
function takes `today` (or `now`), so "where did we stand on 1 June?" is a
call like any other.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from inbox_worker.clock import local_day
from inbox_worker.config import Settings
from inbox_worker.outbound.chart import ProgramChart
from inbox_worker.program import lifecycle
from inbox_worker.store.models import (
    ASKING_STATES,
    Application,
    Consent,
    IncomingMessage,
    IncomingState,
    MentoringRelationship,
    OutgoingMessage,
)
from inbox_worker.store.models import RelationshipState as State

# Where a protégé is in the program, in the order they walk it.
WAITING, SUGGESTED, PROPOSED, UNDER_WAY, CLOSED = "waiting", "suggested", "proposed", "under way", "closed"
STAGES = (WAITING, SUGGESTED, PROPOSED, UNDER_WAY, CLOSED)
# Not yet matched: the waiting list, the report's and the summary's.
WITHOUT_MENTOR = (WAITING, SUGGESTED, PROPOSED)
# The chart's pipeline: a match asked of the pair is drawn with the suggestions, both not yet under way.
CHART_STAGES = ((WAITING, (WAITING,)), ("suggested or proposed", (SUGGESTED, PROPOSED)), (UNDER_WAY, (UNDER_WAY,)),
                (CLOSED, (CLOSED,)))
# A relationship that ran its course or was ended: it no longer holds anyone.
FINISHED_STATES = (State.CLOSED, State.ENDED_EARLY)
# Relationships that began (both said yes), whatever became of them later.
STARTED_STATES = (*lifecycle.MATCHED_STATES, *FINISHED_STATES)


@dataclass(frozen=True)
class Protege:
    id: int
    name: str
    email: str
    library: str
    library_type: str | None
    applied_at: datetime
    stage: str


@dataclass(frozen=True)
class Standing:
    """The few numbers a coordinator reads first."""

    today: date
    decisions_waiting: int
    # Protégés without a mentor: with no suggestion yet, with one waiting for a decision, and with a
    # match proposed to the pair, waiting for their answers.
    waiting: int
    suggested: int
    longest_wait_since: date | None
    mentors_with_room: int
    free_places: int
    under_way: int
    # Approved, but the introduction has not gone out yet.
    starting: int
    checkins_due_this_week: int
    checkins_overdue: int
    review_open: int
    undelivered: int
    proposed: int = 0
    # Proposals still unanswered after their reminder (the coordinators were told).
    proposals_unanswered: int = 0

    @property
    def without_mentor(self) -> int:
        return self.waiting + self.suggested + self.proposed

    @property
    def longest_wait_days(self) -> int:
        return (self.today - self.longest_wait_since).days if self.longest_wait_since else 0


@dataclass
class Figures:
    """Everything the digest's summary and chart, and the report, are made from."""

    standing: Standing
    chart: ProgramChart
    proteges: list[Protege] = field(default_factory=list)


def proteges(s: Session) -> list[Protege]:
    """Every protégé with a complete application, and their stage (erased and incomplete ones are not
    in the pipeline). The same rule as `lifecycle.waiting_proteges`: a live suggestion or an approved
    match takes a protégé off the waiting list."""
    states: dict[int, set[str]] = {}
    for protege_id, state in s.execute(select(MentoringRelationship.protege_id, MentoringRelationship.state)):
        states.setdefault(protege_id, set()).add(state)
    out = []
    for a in s.scalars(select(Application).where(Application.role == "protege", Application.status == "received")
                       .order_by(Application.created_at, Application.id)):
        mine = states.get(a.id, set())
        stage = (UNDER_WAY if mine & set(lifecycle.MATCHED_STATES) else PROPOSED if mine & set(ASKING_STATES)
                 else SUGGESTED if State.SUGGESTED in mine else CLOSED if mine & set(FINISHED_STATES) else WAITING)
        out.append(Protege(a.id, a.name or a.email, a.email, a.record.get("library_name") or "",
                           a.record.get("library_type"), a.created_at, stage))
    return out


def standing(s: Session, settings: Settings, now: datetime, people: list[Protege] | None = None) -> Standing:
    """The summary at `now`, its days those of the program's time zone."""
    zone = settings.program.zone
    today = local_day(now, zone)
    people = proteges(s) if people is None else people
    stages = Counter(p.stage for p in people)
    without = [p.applied_at for p in people if p.stage in WITHOUT_MENTOR]
    live = lifecycle.active_counts(s)
    room = [lifecycle.capacity(settings, m) - live.get(m.email, 0) for m in lifecycle.mentors(s)]
    rel_states = dict(s.execute(select(MentoringRelationship.state, func.count())
                                .group_by(MentoringRelationship.state)).all())
    due, overdue = checkins(s, today)
    unanswered = s.scalar(select(func.count(func.distinct(Consent.relationship_id))).join(MentoringRelationship).where(
        MentoringRelationship.state.in_(ASKING_STATES), Consent.answer.is_(None), Consent.escalated_at.is_not(None)))
    return Standing(
        today=today, decisions_waiting=rel_states.get(State.SUGGESTED, 0), waiting=stages[WAITING],
        suggested=stages[SUGGESTED], longest_wait_since=local_day(min(without), zone) if without else None,
        mentors_with_room=sum(1 for n in room if n > 0), free_places=sum(n for n in room if n > 0),
        under_way=rel_states.get(State.ACTIVE, 0),
        starting=sum(rel_states.get(x, 0) for x in (State.APPROVED, State.SUPERVISOR_NOTIFIED, State.INTRODUCED)),
        proposed=stages[PROPOSED], proposals_unanswered=unanswered or 0,
        checkins_due_this_week=due, checkins_overdue=overdue,
        review_open=s.scalar(select(func.count()).select_from(IncomingMessage)
                             .where(IncomingMessage.state == IncomingState.REVIEW)) or 0,
        undelivered=s.scalar(select(func.count()).select_from(OutgoingMessage)
                             .where(OutgoingMessage.state == "failed")) or 0,
    )


def checkins(s: Session, today: date) -> tuple[int, int]:
    """(check-ins falling due in the seven days from today, check-ins overdue) of pairs under way.

    Overdue: the reminder went out, nobody answered in time and the coordinators were told, and
    still one of the pair has not answered.
    """
    due = overdue = 0
    week_end = today + timedelta(days=7)
    for rel in s.scalars(select(MentoringRelationship).where(MentoringRelationship.state == State.ACTIVE)):
        for a in rel.assessments:
            answered = {x.role for x in a.answers}
            if len(answered) == 2 or a.skipped_at is not None:
                continue
            if a.escalated_at is not None:
                overdue += 1
            elif today <= a.due_on < week_end:
                due += 1
    return due, overdue


# ---------------------------------------------------------------- twelve months
def months_back(today: date, count: int = 12) -> list[date]:
    """The first day of each of the last `count` months, this month last."""
    out = []
    year, month = today.year, today.month
    for _ in range(count):
        out.append(date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return out[::-1]


def _month_end(first: date, today: date) -> date:
    following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return min(following - timedelta(days=1), today)


def history(s: Session, now: datetime, people: list[Protege], zone: tzinfo = UTC) -> ProgramChart:
    """The chart's numbers: twelve months of applications and pairs, and the pipeline today."""
    today = local_day(now, zone)
    months = months_back(today)
    index = {(m.year, m.month): i for i, m in enumerate(months)}
    applied = {"protege": [0] * 12, "mentor": [0] * 12}
    for role, created in s.execute(select(Application.role, Application.created_at)
                                   .where(Application.created_at >= datetime.combine(months[0], datetime.min.time()))):
        i = index.get((created.year, created.month))
        if i is not None and role in applied:
            applied[role][i] += 1
    started, active = [0] * 12, [0] * 12
    ends = [_month_end(m, today) for m in months]
    for starts_on, closed_at in s.execute(select(MentoringRelationship.starts_on, MentoringRelationship.closed_at)
                                          .where(MentoringRelationship.state.in_(STARTED_STATES))):
        if starts_on is None:
            continue
        i = index.get((starts_on.year, starts_on.month))
        if i is not None:
            started[i] += 1
        for k, end in enumerate(ends):
            if starts_on <= end and (closed_at is None or closed_at.date() > end):
                active[k] += 1
    stages = Counter(p.stage for p in people)
    return ProgramChart(
        months=[m.strftime("%b") for m in months], proteges=applied["protege"], mentors=applied["mentor"],
        pairs_started=started, active_pairs=active, pipeline=[(label, sum(stages[x] for x in parts))
                                                                   for label, parts in CHART_STAGES])


def figures(s: Session, settings: Settings, now: datetime) -> Figures:
    """The summary, the chart's numbers and the protégés, read once."""
    people = proteges(s)
    return Figures(standing(s, settings, now, people), history(s, now, people, settings.program.zone), people)


# ---------------------------------------------------------------- the report's lists
def waiting_by_type(people: list[Protege]) -> list[tuple[str | None, list[Protege]]]:
    """Protégés without a mentor, grouped by library type (most waiting first), longest waiting first."""
    groups: dict[str | None, list[Protege]] = {}
    for p in people:
        if p.stage in WITHOUT_MENTOR:
            groups.setdefault(p.library_type, []).append(p)
    return sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0] or "~"))


@dataclass(frozen=True)
class CheckIn:
    number: int
    due_on: date
    # What each of the pair said of the relationship, by role ("protege", "mentor"); a role that
    # has not answered is not there.
    answers: dict[str, str]
    reminded: bool
    overdue: bool
    # Sent after its day, or never (its moment passed while nothing ran).
    late: bool = False
    skipped: bool = False


@dataclass(frozen=True)
class Pair:
    id: int
    state: str
    protege: str
    protege_library: str
    mentor: str
    mentor_library: str
    starts_on: date | None
    ends_on: date | None
    closed_at: datetime | None
    end_reason: str | None
    checkins: list[CheckIn]


def relationships(s: Session, questions: list[str], zone: tzinfo = UTC) -> list[Pair]:
    """Every relationship that began, under way first, each with its check-ins and what each of the pair
    said of it (in a word: on track, partly, ...; their own words stay with the coordinators)."""
    from inbox_worker.program.outcomes import numbered_answers, question_numbers, yes_or_no

    needs = question_numbers(questions).needs
    apps = {a.id: a for a in s.scalars(select(Application))}
    out = []
    for r in s.scalars(select(MentoringRelationship).where(MentoringRelationship.state.in_(STARTED_STATES))
                       .order_by(MentoringRelationship.starts_on, MentoringRelationship.id)):
        p, m = apps[r.protege_id], apps[r.mentor_id]
        checkins = []
        for a in r.assessments:
            said = {x.role: yes_or_no(numbered_answers(x.text, questions).get(needs)).value if needs else "answered"
                    for x in a.answers}
            checkins.append(CheckIn(a.number, a.due_on, said, a.reminded_at is not None,
                                    a.escalated_at is not None and len(said) < 2,
                                    late=a.reminded_at is not None and local_day(a.reminded_at, zone) > a.due_on,
                                    skipped=a.skipped_at is not None))
        out.append(Pair(r.id, r.state, p.name or p.email, p.record.get("library_name") or "", m.name or m.email,
                        m.record.get("library_name") or "", r.starts_on, r.ends_on, r.closed_at, r.end_reason,
                        checkins))
    order = {state: i for i, state in enumerate((*lifecycle.MATCHED_STATES[::-1], *FINISHED_STATES))}
    return sorted(out, key=lambda x: (order.get(x.state, 9), x.starts_on or date.min, x.id))
