"""The program's rule on supervisors, where a coordinator decides, against the real Dovecot and aiosmtpd.

GIVEN the program's applications (tests/fixtures/program/), two of the suggested
  protégés' forms changed to say their supervisor's support is not secured, or
  left blank with a supervisor named
WHEN a coordinator approves one by replying to the digest and the other from the
  command line
THEN the confirmation email and the command's output each remind them that the
  program asks for the supervisor to be consulted before the match is final.
"""
from __future__ import annotations

import re
from datetime import datetime

from program_world import COORDINATOR, PASS, Year, reply, text_of
from sqlalchemy import select

from inbox_worker.store.models import Application


def test_approving_where_the_supervisor_must_be_consulted_says_so(year: Year):
    y = year
    suggested = y.first_suggestions()
    [(_rcpts, digest)] = y.mail("digest")
    token = re.search(r"Token: (iw1-\S+)", text_of(digest)).group(1)
    with y.app.db.unit_of_work() as s:
        named = [x for x in suggested
                 if s.scalar(select(Application).where(Application.email == x[1])).record["supervisor_email"]]
        assert len(named) >= 2, suggested
        (by_reply, p1, _m1), (_by_command, p2, m2) = named[:2]
        for protege, support in ((p1, False), (p2, None)):
            app = s.scalar(select(Application).where(Application.email == protege))
            app.record = {**app.record, "supervisor_support": support}

    y.dovecot.append(y.user, reply(digest, COORDINATOR, f"APPROVE {by_reply}",
                                   to=f"program+{token}@example.org",
                                   headers={"Authentication-Results": PASS}))
    y.cycle(datetime(2026, 1, 5, 10, 0))
    [(_rcpts, confirmation)] = y.mail("command_result")
    assert f"APPROVE {by_reply}" in text_of(confirmation)
    assert "note: supervisor: support NOT secured" in text_of(confirmation)
    assert "consulted before the match is final" in text_of(confirmation)

    out = y.cli("matches", "approve", p2, m2, "--now", "2026-01-05T10:30")
    assert "note: supervisor: support question left blank, supervisor named" in out
    assert "consulted before the match is final" in out


def test_a_supervisors_answer_to_the_notice_reaches_a_coordinator_as_such(year: Year):
    """The supervisor replies to the notice about a match: the coordinators are told that is what
    it is and which relationship it is about, and nothing is read from it as a form."""
    y = year
    number, protege, mentor = y.first_suggestions()[0]
    with y.app.db.unit_of_work() as s:
        record = s.scalar(select(Application).where(Application.email == protege)).record
        supervisor = record["supervisor_email"]
    assert supervisor
    y.cli("matches", "approve", protege, mentor, "--now", "2026-01-05T10:00")
    y.agree(number, "2026-01-05T10:00")
    y.cycle(datetime(2026, 1, 5, 10, 5))
    [notice] = y.to("supervisor_notice", supervisor)

    y.dovecot.append(y.user, reply(notice, supervisor, "I have concerns about this; please call me."))
    y.cycle(datetime(2026, 1, 6, 9, 0))
    [review] = [m for _r, m in y.mail("review_notice")]
    assert f"the protégé's supervisor answered the notice about relationship {number}" in text_of(review)
    with y.app.db.unit_of_work() as s:
        applications = s.scalars(select(Application.email)).all()
    assert supervisor not in applications
