"""Relationships at a glance, against the real Dovecot and aiosmtpd.

GIVEN the program's applications (tests/fixtures/program/) and the first digest's suggestions
WHEN a coordinator lists the suggestions as JSON, approves one by the number the digest gives it,
  both say yes, and the year goes on to its first check-in
THEN `matches suggest --json` lists the undecided suggestions with their numbers, `matches approve N`
  works on the digest's number, `matches list --json` shows each relationship's state and next
  check-in (due, sent, overdue, answered), `applications list` says where each person is, and
  `status` leads with the program before the mailbox.
"""
from __future__ import annotations

import json
import re
from datetime import datetime

from program_world import HAL, Year, reply, text_of


def _row(y: Year, number: int, when: str) -> dict:
    return next(r for r in json.loads(y.cli("matches", "list", "--json", "--now", when)) if r["number"] == number)


def test_numbers_states_and_next_checkins(year: Year):
    """Every command takes the digest's number; the list shows each relationship's state and its
    next check-in as the year goes on."""
    y = year
    suggested = y.first_suggestions()
    [(_r, digest)] = y.mail("digest")
    numbers = [int(n) for n in re.findall(r"Reply with: +APPROVE (\d+)", text_of(digest))]
    assert sorted(numbers) == sorted(n for n, _p, _m in suggested)

    shown = json.loads(y.cli("matches", "suggest", "--json", "--now", "2026-01-05T09:30"))
    assert shown["suggestions"] == []  # everyone who could be matched already has a suggestion
    pending = {p["relationship"]: p for p in shown["pending"]}
    assert sorted(pending) == sorted(numbers)
    number, protege, mentor = suggested[0]
    assert (pending[number]["protege"], pending[number]["mentor"]) == (protege, mentor)

    listed = json.loads(y.cli("matches", "list", "--json", "--now", "2026-01-05T09:30"))
    assert [r["number"] for r in listed] == sorted(numbers)
    assert {r["state"] for r in listed} == {"suggested"} and all(r["next_checkin"] is None for r in listed)
    only = json.loads(y.cli("matches", "list", "--state", "suggested", "--json"))
    assert len(only) == len(listed)
    assert "no suggestions or relationships in state active" in y.cli("matches", "list", "--state", "active")

    y.cli("matches", "approve", str(number), "--now", "2026-01-05T10:00")
    assert _row(y, number, "2026-01-05T10:01")["state"] == "proposed"
    y.cli("matches", "reject", str(numbers[-1]), "--reason", "not this one", "--now", "2026-01-05T10:01")
    assert _row(y, numbers[-1], "2026-01-05T10:02")["state"] == "rejected"
    y.cycle(datetime(2026, 1, 5, 10, 5))
    for person in (protege, mentor):
        [proposal] = y.to("proposal", person)
        y.dovecot.append(y.user, reply(proposal, person, "Yes, happy to!"))
    y.cycle(datetime(2026, 1, 5, 11, 0))
    assert _row(y, number, "2026-01-05T11:05")["state"] == "introduced"
    y.cycle(datetime(2026, 1, 5, 11, 30))  # the introduction went out: under way

    row = _row(y, number, "2026-01-05T11:35")
    assert (row["state"], row["starts_on"], row["ends_on"]) == ("active", "2026-01-05", "2027-01-05")
    assert row["next_checkin"] | {"words": ""} == {"number": 1, "due_on": "2026-05-05", "status": "due",
                                                    "late": False, "words": ""}
    text = y.cli("matches", "list", "--now", "2026-01-05T11:35")
    assert f"#{number}" in text and "under way, Monday 5 January 2026 to Tuesday 5 January 2027" in text
    assert "next check-in: 1, due Tuesday 5 May" in text

    y.cycle(datetime(2026, 5, 5, 9, 0))
    assert _row(y, number, "2026-05-05T09:05")["next_checkin"]["status"] == "sent"
    y.cycle(datetime(2026, 5, 19, 9, 30))
    row = _row(y, number, "2026-05-19T09:35")
    assert row["next_checkin"]["status"] == "overdue"
    assert "overdue: no answer from the protégé and the mentor" in row["next_checkin"]["words"]
    for person in (protege, mentor):
        [reminder] = y.to("assessment_reminder", person)
        y.dovecot.append(y.user, reply(reminder, person, "1. Twice a month.\n2. yes\n3. All good."))
    y.cycle(datetime(2026, 5, 20, 9, 0))
    row = _row(y, number, "2026-05-20T09:05")
    assert row["checkins"][0]["status"] == "answered"
    assert (row["next_checkin"]["number"], row["next_checkin"]["status"]) == (2, "due")

    where = {re.search(r"\S+@\S+", line).group(0): line.split()[-1]
             for line in y.cli("applications", "list").splitlines() if line.startswith("#")}
    assert where[protege] == "active" and where[mentor] == "active" and where[HAL] == "waiting"
    assert set(where.values()) <= {"active", "suggested", "waiting", "available"}
    assert "received" not in where.values()

    status = y.cli("status", "--now", "2026-05-20T09:10").splitlines()
    assert status[0] == "WLA Mentoring Program on Wednesday 20 May 2026:"
    assert status[1].split(":")[0].strip() == "Decisions waiting for you"
    assert any(line.strip().startswith("Protégés waiting for a mentor:") for line in status[:8])
    assert any(line.strip() == "Pairs under way:                 1" for line in status[:9])
    labels = [line.split(":")[0] for line in status]
    assert labels.index("settings") > labels.index("  Email not delivered")
    assert labels.index("messages") > labels.index("database")
