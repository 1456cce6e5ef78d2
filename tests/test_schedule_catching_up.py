"""The schedule's rules for proposals and for time the worker did not run, as pure functions."""
from __future__ import annotations

from datetime import date, datetime

from inbox_worker.config import ScheduleSettings
from inbox_worker.program.schedule import AssessmentView, ConsentView, RelationshipView, due

SETTINGS = ScheduleSettings()
ASKED = datetime(2026, 1, 5, 10, 0)


def active(*assessments: AssessmentView, ends_on=date(2027, 1, 5)) -> RelationshipView:
    return RelationshipView(id=7, state="active", starts_on=date(2026, 1, 5), ends_on=ends_on,
                            assessments=tuple(assessments))


FIRST, SECOND = AssessmentView(1, date(2026, 5, 5)), AssessmentView(2, date(2026, 9, 5))


def test_a_checkin_on_its_day_is_on_time_and_a_day_after_it_is_late():
    """On its day a check-in goes as usual; from the next day it goes marked late."""
    [on_time] = due([active(FIRST, SECOND)], [], datetime(2026, 5, 5, 23, 0), SETTINGS)
    assert (on_time.kind, on_time.key, on_time.late) == ("reminder", "assessment:7:1", False)
    [late] = due([active(FIRST, SECOND)], [], datetime(2026, 5, 6, 0, 5), SETTINGS)
    assert (late.kind, late.late) == ("reminder", True)


def test_a_checkin_whose_next_one_has_come_is_skipped_and_the_next_one_goes():
    """Back after the second check-in's day: the first is skipped, the second goes (on its day, on time)."""
    items = due([active(FIRST, SECOND)], [], datetime(2026, 9, 5, 9, 0), SETTINGS)
    assert [(d.kind, d.key, d.late) for d in items] == [("skip", "skip:7:1", False),
                                                         ("reminder", "assessment:7:2", False)]
    skipped = AssessmentView(1, date(2026, 5, 5), skipped=True)
    assert [d.kind for d in due([active(skipped, SECOND)], [], datetime(2026, 9, 5, 9, 0), SETTINGS)] == ["reminder"]


def test_back_after_the_end_the_closing_goes_late_and_unsent_checkins_are_skipped():
    """Back after the end: the closing (late) comes first, and every check-in not sent is skipped."""
    sent = AssessmentView(1, date(2026, 5, 5), reminded_at=datetime(2026, 5, 5, 9),
                          answered=frozenset({"protege", "mentor"}))
    items = due([active(sent, SECOND)], [], datetime(2027, 1, 8, 9, 0), SETTINGS)
    assert [(d.kind, d.key, d.late) for d in items] == [("closing", "closing:7", True), ("skip", "skip:7:2", False)]
    [closing] = due([active(sent, AssessmentView(2, date(2026, 9, 5), skipped=True))], [],
                    datetime(2027, 1, 5, 9, 0), SETTINGS)
    assert (closing.kind, closing.late) == ("closing", False)


def test_a_proposal_unanswered_for_seven_days_brings_one_reminder():
    """Seven days after the proposal: a reminder to each person still silent; none to one who answered,
    asked to talk, or was reminded already."""
    silent, answered = ConsentView(7, "protege", ASKED), ConsentView(7, "mentor", ASKED, answered=True)
    assert due([], [], datetime(2026, 1, 12, 9, 59), SETTINGS, [silent, answered]) == []
    [reminder] = due([], [], datetime(2026, 1, 12, 10, 0), SETTINGS, [silent, answered])
    assert (reminder.kind, reminder.key, reminder.missing) == ("consent_reminder", "proposal-reminder:7:protege",
                                                               ("protege",))
    talking = ConsentView(7, "protege", ASKED, talking=True)
    reminded = ConsentView(7, "protege", ASKED, reminded_at=datetime(2026, 1, 12, 10))
    assert due([], [], datetime(2026, 1, 13), SETTINGS, [talking]) == []
    assert due([], [], datetime(2026, 1, 13), SETTINGS, [reminded]) == []


def test_the_coordinators_hear_of_silence_once_after_the_configured_wait():
    """The configured days after the reminder, the coordinators are told once, of everyone still silent."""
    settings = ScheduleSettings(consent_reminder_days=3, consent_escalation_days=10)
    reminded = datetime(2026, 1, 8, 10)
    both = [ConsentView(7, "protege", ASKED, reminded_at=reminded), ConsentView(7, "mentor", ASKED,
                                                                               reminded_at=reminded)]
    assert due([], [], datetime(2026, 1, 18, 9, 59), settings, both) == []
    [told] = due([], [], datetime(2026, 1, 18, 10, 0), settings, both)
    assert (told.kind, told.key, told.missing) == ("consent_escalation", "consent-escalation:7:protege+mentor",
                                                   ("protege", "mentor"))
    done = [ConsentView(7, p, ASKED, reminded_at=reminded, escalated_at=datetime(2026, 1, 18)) for p in
            ("protege", "mentor")]
    assert due([], [], datetime(2026, 2, 1), settings, done) == []
