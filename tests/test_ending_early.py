"""Ending a relationship early, against the real Dovecot and aiosmtpd.

GIVEN the program's applications (tests/fixtures/program/) and three approved pairs, each of
  whom said yes to a coordinator
WHEN a coordinator ends one introduced pair with `matches end`, another with
  `--no-email`, and the third before its introduction went out
THEN each person of the first pair gets one email of their own saying so, without
  the coordinator's reason, the second pair gets none, the third pair's
  introduction is withdrawn, nobody of it hears anything and its protégé waits
  for a mentor again, no pair gets the check-in questions due later, and the
  coordinators' digest gives the reasons.
"""
from __future__ import annotations

import json
from datetime import datetime

from program_world import COORDINATOR, Year, text_of
from sqlalchemy import select

from inbox_worker.store.models import Application, Event, MentoringRelationship, OutgoingMessage

REASON_ONE = "Mentor changed jobs and has no time this year"
REASON_TWO = "The pair asked to stop after a disagreement"


def test_ending_early_tells_each_person_once_and_keeps_the_reason_for_coordinators(year: Year):
    y = year
    suggested = y.first_suggestions()
    assert len(suggested) >= 3, suggested
    # A dry run first: it says what approving would do, and nothing happens.
    number, protege, mentor = suggested[0]
    dry = y.cli("matches", "approve", protege, mentor, "--now", "2026-01-05T09:55", "--dry-run")
    assert dry.startswith("DRY RUN") and f"approved relationship #{number}" in dry
    with y.app.db.unit_of_work() as s:
        assert s.get(MentoringRelationship, number).state == "suggested"
        assert s.scalars(select(OutgoingMessage).where(
            OutgoingMessage.idempotency_key == f"introduction:{number}")).all() == []
    pairs = {}
    for number, protege, mentor in suggested[:3]:
        y.cli("matches", "approve", protege, mentor, "--now", "2026-01-05T10:00")
        y.agree(number, "2026-01-05T10:00")
        pairs[number] = (protege, mentor)
    first, second, third = pairs
    # The third pair is ended before the worker's next cycle: its introduction has not gone out.
    early = y.cli("matches", "end", str(third), "--reason", "Approved by mistake",
                  "--now", "2026-01-05T10:01")
    assert "not sent after all" in early and "introduction" in early and "not been introduced" in early
    assert "supervisor was told" not in early  # this one named one too, but the notice was withdrawn
    y.cycle(datetime(2026, 1, 5, 10, 5))  # introductions out
    for number in (first, second):
        assert len(y.to("introduction", pairs[number][0])) == 1
    for person in pairs[third]:
        assert y.to("introduction", person) == [] and y.to("relationship_ended", person) == []
    with y.app.db.unit_of_work() as s:
        # The proposals of all three were withdrawn unsent when both said yes by phone: not these.
        withdrawn = s.scalars(select(OutgoingMessage).where(OutgoingMessage.state == "withdrawn",
                                                            OutgoingMessage.template != "proposal")).all()
    assert "introduction" in {row.template for row in withdrawn}
    assert all(row.last_error == f"not sent: relationship {third} ended early" for row in withdrawn)
    with y.app.db.unit_of_work() as s:
        supervisor = s.scalar(select(Application).where(Application.email == pairs[third][0])).record[
            "supervisor_email"]
    # Never introduced, the match is withdrawn: the protégé waits for a mentor again, not this one.
    with y.app.db.unit_of_work() as s:
        assert s.get(MentoringRelationship, third).state == "withdrawn"
    shown = json.loads(y.cli("matches", "suggest", "--json", "--now", "2026-01-05T10:10"))
    waiting = {x["protege"] for x in shown["suggestions"]} | {u["protege"] for u in shown["unmatched"]}
    assert pairs[third][0] in waiting
    assert list(pairs[third]) not in [[x["protege"], x["mentor"]] for x in shown["suggestions"]]
    assert y.cli("people", "show", pairs[third][0]).splitlines()[0].endswith(": waiting")
    listed = y.cli("outbox", "list", "--state", "withdrawn")
    assert "introduction" in listed and f"(not sent: relationship {third} ended early)" in listed
    retried = y.cli("outbox", "retry", *(str(row.id) for row in withdrawn))
    assert retried.count("withdrawn (not sent: relationship") == len(withdrawn)
    # The third protégé named a supervisor: their notice was withdrawn too, unsent.
    assert supervisor and y.to("supervisor_notice", supervisor) == []
    assert "supervisor_notice" in {row.template for row in withdrawn}

    with y.app.db.unit_of_work() as s:
        before = s.get(MentoringRelationship, first).state
    dry = y.cli("matches", "end", str(first), "--reason", REASON_ONE, "--now", "2026-02-10T08:55",
                "--dry-run")
    assert dry.startswith("DRY RUN") and "each of the pair will get an email" in dry
    with y.app.db.unit_of_work() as s:
        assert s.get(MentoringRelationship, first).state == before != "ended_early"
        assert s.scalars(select(Event).where(Event.action == "relationship_ended_early",
                                             Event.subject == f"relationship:{first}")).all() == []
    told = y.cli("matches", "end", str(first), "--reason", REASON_ONE, "--now", "2026-02-10T09:00",
                 "--by", COORDINATOR)
    assert "ended early" in told and "email" in told
    assert "supervisor was told of this match" in told  # this protégé named one, who had the notice
    quiet = y.cli("matches", "end", str(second), "--reason", REASON_TWO, "--no-email",
                  "--now", "2026-02-10T09:05", "--by", COORDINATOR)
    assert "not emailed" in quiet
    y.cycle(datetime(2026, 2, 10, 9, 10))
    y.cycle(datetime(2026, 2, 10, 12, 0))  # a second cycle sends nothing again

    protege, mentor = pairs[first]
    ended = y.mail("relationship_ended")
    assert sorted(tuple(rcpts) for rcpts, _m in ended) == sorted([(protege,), (mentor,)])
    for rcpts, msg in ended:
        assert {a.addr_spec for a in msg["To"].addresses} == set(rcpts)
        assert msg["Cc"] is None
        body = text_of(msg) + msg.get_body(("html",)).get_content()
        assert "ended early on February 10, 2026" in text_of(msg)
        assert "changed jobs" not in body and REASON_ONE not in body
        other = mentor if rcpts == [protege] else protege
        with y.app.db.unit_of_work() as s:
            other_name = s.scalar(select(Application.name).where(Application.email == other))
        assert other_name and other_name in text_of(msg)
    for person in pairs[second]:
        assert y.to("relationship_ended", person) == []
    assert y.cli("people", "show", pairs[first][0]).splitlines()[0].endswith(": relationship ended early")
    assert y.cli("people", "show", pairs[first][1]).splitlines()[0].endswith(": available")  # the mentor

    # Month 4 and beyond: no check-in questions for either pair.
    y.cycle(datetime(2026, 5, 6, 9, 0))
    y.cycle(datetime(2026, 9, 6, 9, 0))
    for person in (*pairs[first], *pairs[second], *pairs[third]):
        assert y.to("assessment_reminder", person) == []
    assert y.to("introduction", pairs[third][0]) == []  # the retry above left it withdrawn

    # The coordinators' digest of that week (sent at its first cycle) has both endings, with the reasons.
    digest = [m for _r, m in y.mail("digest") if "week of Monday 9 February 2026" in m["Subject"]]
    assert len(digest) == 1, [m["Subject"] for _r, m in y.mail("digest")]
    text = " ".join(text_of(digest[0]).split())
    assert REASON_ONE in text and REASON_TWO in text
    with y.app.db.unit_of_work() as s:
        events = {e.subject: e.detail for e in s.scalars(
            select(Event).where(Event.action == "relationship_ended_early"))}
    assert events[f"relationship:{first}"]["participants_told"] is True
    assert events[f"relationship:{second}"]["participants_told"] is False



def test_erasing_a_participant_ends_their_relationship_and_its_mail(year: Year):
    """`forget` on someone in a running relationship ends it: no reminder goes to the erased
    address or names them, and the coordinator is told to tell the other person."""
    y = year
    number, protege, mentor = y.first_suggestions()[0]
    with y.app.db.unit_of_work() as s:
        protege_name = s.scalar(select(Application.name).where(Application.email == protege))
    y.cli("matches", "approve", protege, mentor, "--now", "2026-01-05T10:00")
    y.agree(number, "2026-01-05T10:00")
    y.cycle(datetime(2026, 1, 5, 10, 5))
    assert len(y.to("introduction", protege)) == 1

    out = y.cli("forget", protege, "--yes")
    assert "tell them yourself" in out and mentor in out
    y.cycle(datetime(2026, 5, 6, 9, 0))  # past month 4: the reminders would be due
    with y.app.db.unit_of_work() as s:
        rel = s.get(MentoringRelationship, number)
        assert rel.state == "ended_early"
        queued = s.scalars(select(OutgoingMessage).where(
            OutgoingMessage.idempotency_key.startswith(f"assessment:{number}:"))).all()
    assert queued == []
    assert y.to("assessment_reminder", mentor) == [] and y.to("relationship_ended", mentor) == []
    for r in y.smtp.received:
        assert not any(a.endswith("@erased.invalid") for a in r.recipients)
    assert all(protege_name not in text_of(m) for _r, m in y.mail("digest")[1:])
