"""Nothing falls through a time the worker was not running, against the real Dovecot and aiosmtpd.

GIVEN a pair introduced on 5 January 2026 (check-ins due 5 May and 5 September, the end on
  5 January 2027), whose first check-in went out on its day
WHEN the worker does not run from late August until 10 September (across the second check-in),
  or until 8 January 2027 (across the second check-in and the end)
THEN the second check-in is sent late, saying it was due on 5 September; or, its moment having
  passed, it is marked skipped and never sent, and the end-of-year email goes late; `matches list`,
  `people show` and the coordinators' digest say which.
"""
from __future__ import annotations

import json
from datetime import datetime

from program_world import Year, text_of


def _introduced(y: Year) -> tuple[int, str, str]:
    """The first suggestion approved, both saying yes, introduced on 5 January; the first check-in sent
    on its day; then the worker stops after its run of 20 August."""
    number, protege, mentor = y.first_suggestions()[0]
    y.cli("matches", "approve", str(number), "--now", "2026-01-05T10:00")
    y.agree(number, "2026-01-05T10:00")
    y.cycle(datetime(2026, 1, 5, 10, 5))
    y.cycle(datetime(2026, 5, 5, 9, 0))
    assert len(y.to("assessment_reminder", protege)) == 1
    y.cycle(datetime(2026, 8, 20, 9, 0))
    return number, protege, mentor


def _row(y: Year, number: int, when: str) -> dict:
    return next(r for r in json.loads(y.cli("matches", "list", "--json", "--now", when)) if r["number"] == number)


def _digest(y: Year, week: str) -> str:
    [digest] = [m for _r, m in y.mail("digest") if f"week of Monday {week}" in m["Subject"]]
    return " ".join(text_of(digest).split())


def test_a_checkin_due_while_nothing_ran_goes_late_and_says_so(year: Year):
    """Back on 10 September, the check-in due on 5 September goes to each of the pair, saying it was due
    then and comes late; the list, the person's story and the digest say it went late."""
    y = year
    number, protege, mentor = _introduced(y)
    y.cycle(datetime(2026, 9, 10, 9, 0))
    for person in (protege, mentor):
        reminders = y.to("assessment_reminder", person)
        assert len(reminders) == 2
        words = " ".join(text_of(reminders[1]).split())
        assert "These questions were due on September 5, 2026; we are sorry they come late" in words
        assert "check-in 2" in words
    row = _row(y, number, "2026-09-10T09:05")
    second = row["checkins"][1]
    assert (second["status"], second["late"]) == ("sent", True)
    assert "late (it was due Saturday 5 September)" in second["words"]
    # The first check-in, unanswered, is still the one to look at; the late one is listed too.
    assert row["next_checkin"]["number"] == 1
    assert "late (it was due Saturday 5 September" in y.cli("matches", "list", "--now", "2026-09-10T09:05")
    assert "late (it was due Saturday 5 September" in y.cli("people", "show", protege)
    y.cycle(datetime(2026, 9, 14, 9, 0))
    assert "check-in 2 due Saturday 5 September: reminder sent Thursday 10 September (late: it was due " \
           "Saturday 5 September)" in _digest(y, "7 September 2026")


def test_a_checkin_whose_moment_passed_is_skipped_and_the_closing_goes_late(year: Year):
    """Back on 8 January 2027, after the end: the second check-in is marked skipped, not sent; the
    end-of-year email goes late; the list, the person's story and the digest say so."""
    y = year
    number, protege, mentor = _introduced(y)
    y.cycle(datetime(2027, 1, 8, 9, 0))
    for person in (protege, mentor):
        assert len(y.to("assessment_reminder", person)) == 1
        [closing] = y.to("closing", person)
        assert "this email comes late" in " ".join(text_of(closing).split())
    row = _row(y, number, "2027-01-08T09:05")
    assert row["state"] == "closed" and row["checkins"][1]["status"] == "skipped"
    assert "its moment had passed" in row["checkins"][1]["words"]
    assert "the end-of-year email went late" in row["closing"]
    shown = y.cli("people", "show", mentor)
    assert "check-in 2: skipped: it was due Saturday 5 September" in shown
    # The digest of that week went out with that run, after the closing and the skip were done.
    digest = _digest(y, "4 January 2027")
    assert "check-in 2 due Saturday 5 September 2026: skipped" in digest
    assert "was skipped: it came due while the program's mail was not running" in digest
    assert "the end-of-year email went late" in digest
