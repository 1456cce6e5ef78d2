"""The schedule's rules as pure functions: snapshots and `now` in, what is due out."""
from __future__ import annotations

from datetime import date, datetime

import pytest

from inbox_worker.config import ScheduleSettings
from inbox_worker.program.schedule import (
    AssessmentView,
    DigestContents,
    MentorView,
    RelationshipView,
    WaitingProtege,
    add_months,
    assessment_dates,
    digest_due,
    digest_period,
    due,
    end_date,
    mentor_shortage,
    needs_call_for_mentors,
)

SETTINGS = ScheduleSettings()
START = date(2026, 1, 31)


def active(assessments=(), ends_on=date(2027, 1, 31), state="active") -> RelationshipView:
    return RelationshipView(id=7, state=state, starts_on=START, ends_on=ends_on, assessments=tuple(assessments))


@pytest.mark.parametrize(("day", "months", "expected"), [
    (date(2026, 1, 31), 1, date(2026, 2, 28)),
    (date(2028, 1, 31), 1, date(2028, 2, 29)),
    (date(2026, 11, 15), 4, date(2027, 3, 15)),
    (date(2026, 5, 5), 12, date(2027, 5, 5)),
])
def test_add_months_keeps_the_day_or_takes_the_months_last(day, months, expected):
    """Calendar months, as the program counts them: the 31st falls back to the month's last day."""
    assert add_months(day, months) == expected


def test_assessments_at_the_configured_months_and_the_end_at_twelve():
    """Defaults 4 and 8 months; the configured months in order, each once (a month at or past
    the end is refused by the settings: tests/test_config.py)."""
    assert assessment_dates(date(2026, 1, 5), SETTINGS) == [date(2026, 5, 5), date(2026, 9, 5)]
    assert assessment_dates(date(2026, 1, 5), ScheduleSettings(assessment_months=[8, 3, 8])) == [
        date(2026, 4, 5), date(2026, 9, 5)]
    assert end_date(date(2026, 1, 5), SETTINGS) == date(2027, 1, 5)


def test_a_reminder_is_due_on_its_day_not_before_and_only_once():
    """The day before: nothing; on the day: one reminder; once sent: nothing again."""
    a = AssessmentView(1, date(2026, 5, 31))
    assert due([active([a])], [], datetime(2026, 5, 30, 23, 59), SETTINGS) == []
    [reminder] = due([active([a])], [], datetime(2026, 5, 31, 0, 0), SETTINGS)
    assert (reminder.kind, reminder.key, reminder.number) == ("reminder", "assessment:7:1", 1)
    sent = AssessmentView(1, date(2026, 5, 31), reminded_at=datetime(2026, 5, 31, 9))
    assert [d.kind for d in due([active([sent])], [], datetime(2026, 6, 1), SETTINGS)] == []


def test_no_reminder_for_a_relationship_not_under_way():
    """A suggestion, an ended or closed relationship gets no reminders."""
    a = AssessmentView(1, date(2026, 5, 31))
    for state in ("introduced", "ended_early", "closed"):
        assert due([active([a], state=state)], [], datetime(2026, 6, 1), SETTINGS) == []


def test_escalation_after_the_configured_days_names_who_is_silent():
    """14 days after the reminder, whoever has not answered is named; both answering means none."""
    reminded = datetime(2026, 5, 31, 9)
    one = AssessmentView(1, date(2026, 5, 31), reminded_at=reminded, answered=frozenset({"protege"}))
    assert due([active([one])], [], datetime(2026, 6, 14, 8, 59), SETTINGS) == []
    [esc] = due([active([one])], [], datetime(2026, 6, 14, 9, 0), SETTINGS)
    assert (esc.kind, esc.key, esc.missing) == ("escalation", "escalation:7:1", ("mentor",))
    both = AssessmentView(1, date(2026, 5, 31), reminded_at=reminded, answered=frozenset({"protege", "mentor"}))
    assert due([active([both])], [], datetime(2026, 7, 1), SETTINGS) == []
    done = AssessmentView(1, date(2026, 5, 31), reminded_at=reminded, escalated_at=datetime(2026, 6, 14))
    assert due([active([done])], [], datetime(2026, 7, 1), SETTINGS) == []


def test_closing_on_the_end_date_comes_first_and_stops_the_rest():
    """At twelve months the relationship closes; an unanswered check-in does not escalate too."""
    late = AssessmentView(2, date(2026, 9, 30), reminded_at=datetime(2026, 9, 30))
    rel = active([late], ends_on=date(2027, 1, 31))
    assert [d.kind for d in due([rel], [], datetime(2027, 1, 30), SETTINGS)] == ["escalation"]
    assert [d.kind for d in due([rel], [], datetime(2027, 1, 31), SETTINGS)] == ["closing"]


def test_waiting_list_note_after_the_configured_days_once():
    """A protégé waiting 90 days gets one note; a noted one gets none."""
    applied = datetime(2026, 1, 1, 9)
    w = WaitingProtege(3, applied, "public")
    assert due([], [w], datetime(2026, 3, 31, 8), SETTINGS) == []
    [note] = due([], [w], datetime(2026, 4, 1, 9), SETTINGS)
    assert (note.kind, note.key) == ("waiting_note", "waiting:3")
    assert due([], [WaitingProtege(3, applied, "public", noted=True)], datetime(2026, 6, 1), SETTINGS) == []


def test_mentor_shortage_by_library_type_and_the_call_for_mentors():
    """Shortage is counted per library type; the call goes out when protégés outnumber free places."""
    waiting = [WaitingProtege(1, datetime(2026, 1, 1), "school"), WaitingProtege(2, datetime(2026, 1, 1), "school"),
               WaitingProtege(3, datetime(2026, 1, 1), "public")]
    mentors = [MentorView(10, "public", 1), MentorView(11, "school", 1), MentorView(12, "academic", 0)]
    shortage = mentor_shortage(waiting, mentors)
    assert [(s.library_type, s.waiting, s.free_places, s.short_by) for s in shortage] == [("school", 2, 1, 1)]
    assert needs_call_for_mentors(waiting, mentors)
    assert not needs_call_for_mentors(waiting[:2], mentors)


@pytest.mark.parametrize(("now", "digest", "weekday", "expected"), [
    (datetime(2026, 4, 10, 9), "daily", 0, "2026-04-10"),
    (datetime(2026, 4, 13, 0, 1), "weekly", 0, "2026-W16"),   # a Monday
    (datetime(2026, 4, 12, 23, 59), "weekly", 0, "2026-W15"),  # the Sunday before
    (datetime(2026, 4, 14, 9), "weekly", 2, "2026-W15"),      # Tuesday, before a Wednesday digest day
    (datetime(2026, 4, 15, 9), "weekly", 2, "2026-W16"),
    (datetime(2026, 4, 15, 9), "off", 0, None),
])
def test_digest_periods(now, digest, weekday, expected):
    """Daily periods are dates; weekly ones begin on the configured weekday."""
    assert digest_period(now, ScheduleSettings(digest=digest, digest_weekday=weekday)) == expected


def test_a_digest_only_when_something_happened_and_once_per_period():
    """No news: no digest. Already sent this period: no digest. Otherwise one."""
    quiet = DigestContents(period="2026-W16", since=datetime(2026, 4, 6))
    quiet.suggestions.append({"id": 1, "new": False})
    assert quiet.news() == 0 and not digest_due("2026-W16", False, quiet.news())
    quiet.applications.append({"id": 5, "new": True})
    assert digest_due("2026-W16", False, quiet.news())
    assert not digest_due("2026-W16", True, quiet.news())
    assert not digest_due(None, False, quiet.news())
