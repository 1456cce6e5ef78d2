"""A whole program year against the real Dovecot and aiosmtpd.

GIVEN 6 mentors and 8 protégés applying by email (tests/fixtures/program/):
  Amy Lowe and mentor Dana Whitfield both work at Natrona County Library,
  mentor Lou Evans is library staff (below several protégés' level), and
  Hal Young, a new director, has one director-level mentor, at his own library system
WHEN the worker runs cycles at chosen dates across the year, a coordinator
  answers the digest by email and uses the command line, participants answer
  some assessment reminders, and forged approvals arrive
THEN suggestions keep the hard rules and explain themselves, Hal is left
  unmatched with the reason, approvals ask each of the pair by email and, once
  both said yes, notify supervisors then introduce both people once,
  reminders come at months 4 and 8 and escalate when unanswered,
  answers are recorded, relationships close at 12 months with a feedback
  request, each digest period gets at most one digest with the right contents,
  and every forged approval is refused and reported.
"""
from __future__ import annotations

import email
import email.policy
import json
import re
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

from program_world import (
    AMY,
    BEN,
    CARA,
    COORDINATOR,
    DANA,
    FIXTURES,
    GIA,
    HAL,
    LOU,
    PASS,
    PROGRAM,
    SECOND_COORDINATOR,
    apps_by_id,
    mentor_of,
    reply,
    text_of,
)
from sqlalchemy import select
from typer.testing import CliRunner

from inbox_worker.cli.main import app as cli_app
from inbox_worker.matching.engine import employer_key, level_of
from inbox_worker.store.models import (
    Application,
    AssessmentAnswer,
    DigestSent,
    Event,
    IncomingMessage,
    MentoringRelationship,
)


def test_a_program_year_from_applications_to_closing(year):
    """Fourteen applications become matches, introductions, check-ins and closings, each mail once."""
    y = year
    for path in sorted(FIXTURES.glob("*.eml")):
        y.dovecot.append(y.user, path.read_bytes())

    # ---- January 5 (a Monday): applications read; the first digest suggests matches.
    t0 = datetime(2026, 1, 5, 9, 0)
    summary = y.cycle(t0)
    assert summary.poll.applications == 14
    with y.app.db.unit_of_work() as s:
        apps = {a.email: a for a in s.scalars(select(Application))}
        assert Counter(a.role for a in apps.values()) == {"mentor": 6, "protege": 8}
        assert all(a.status == "received" for a in apps.values()), {a.email: a.missing for a in apps.values()}
        suggested = s.scalars(select(MentoringRelationship).where(MentoringRelationship.state == "suggested")).all()
        pairs = {(apps_by_id(apps)[r.protege_id], apps_by_id(apps)[r.mentor_id]): r for r in suggested}
    assert len(pairs) == 6
    for (p, m), rel in pairs.items():
        # Hard rules: never the same employer, mentor at the protégé's level or above.
        assert employer_key(apps[p].record["library_name"]) != employer_key(apps[m].record["library_name"])
        assert level_of(apps[m].record) >= level_of(apps[p].record)
        # Each suggestion explains itself: rules passed, score by part, the runner-up.
        assert rel.explanation["rules_passed"] and rel.explanation["score"]["parts"]
        assert "runner_up" in rel.explanation
    assert (AMY, DANA) not in pairs
    assert not [p for p, _m in pairs if p == HAL]
    assert all(level_of(apps[p].record) == 0 for p, m in pairs if m == LOU)

    digests = y.mail("digest")
    assert len(digests) == 1
    rcpts, digest = digests[0]
    assert set(rcpts) == {COORDINATOR, SECOND_COORDINATOR}
    body = text_of(digest)
    flat = " ".join(body.split())
    # It opens with where the program stands.
    assert flat.startswith("WLA Mentoring Program: where the program stands on Monday 5 January 2026")
    assert "Protégés waiting for a mentor: 8 (6 with a suggested match)" in flat
    for rel in pairs.values():
        assert f"APPROVE {rel.id}" in body and f"REJECT {rel.id}" in body
    assert "NEW AND UPDATED APPLICATIONS" in body and flat.count(", new; complete") == 14
    # Each suggestion says what the protégé's form says of their supervisor.
    assert flat.count("supervisor: support secured (") == sum(
        1 for p, _m in pairs if apps[p].record["supervisor_support"] is True)
    assert flat.count("supervisor: question skipped") == sum(
        1 for p, _m in pairs if apps[p].record["supervisor_support"] is None)
    assert "tbaker@sheridan2.example); they get a notice before the introduction" in flat
    unmatched = flat.split("PROTÉGÉS NO MENTOR COULD BE SUGGESTED FOR")[1].split("MENTOR SHORTAGE")[0]
    assert HAL in unmatched and "same employer" in unmatched and "Sweetwater County Library System" in unmatched
    token = re.search(r"Token: (iw1-\S+)", body).group(1)
    assert token in digest["Reply-To"]
    attachments = {p.get_filename(): p.get_content() for p in digest.iter_attachments()}
    assert "call for mentors" in attachments["call-for-mentors.txt"].lower()
    assert "MENTOR SHORTAGE BY LIBRARY TYPE" in body

    # The command line shows the same engine's view: Hal unmatched, and why.
    shown = json.loads(y.cli("matches", "suggest", "--json", "--now", "2026-01-05T09:30"))
    hal = next(u for u in shown["unmatched"] if u["protege"] == HAL)
    assert any("same employer" in r for r in hal["reasons"])

    # ---- Replies to the digest: three forgeries, the genuine reply, then a replay.
    ids = {p: rel.id for (p, _m), rel in pairs.items()}
    cara, ben, amy, gia = ids[CARA], ids[BEN], ids[AMY], ids[GIA]
    forged_sender = reply(digest, "someone@elsewhere.example", f"APPROVE {cara}")
    forged_token = reply(digest, COORDINATOR, f"APPROVE {cara}\nToken: iw1-0123456789abcdef-{'f' * 32}",
                         quote=False, headers={"Authentication-Results": PASS})
    spoofed = reply(digest, COORDINATOR, f"APPROVE {cara}", headers={
        "Authentication-Results": f"mx.example.org; dkim=fail header.d=wla.example; spf=fail "
                                  f"smtp.mailfrom={COORDINATOR}"})
    # Not quoting the digest: its token travels in the address the reply goes to, and only there.
    genuine = reply(digest, COORDINATOR, f"APPROVE {cara}\nAPPROVE {ben}\nREJECT {amy} not a good fit",
                    to=f"program+{token}@example.org", quote=False, headers={"Authentication-Results": PASS})
    replay = reply(digest, SECOND_COORDINATOR, f"APPROVE {gia}", headers={"Authentication-Results": PASS})
    for raw in (forged_sender, forged_token, spoofed, genuine, replay):
        y.dovecot.append(y.user, raw)
    t1 = t0 + timedelta(hours=1)
    y.cycle(t1)

    # Approved: each of the pair is asked in an email of their own; nobody is introduced yet.
    assert y.relationship(CARA).state == "proposed"
    assert y.relationship(BEN).state == "proposed"
    assert y.mail("introduction") == [] and y.mail("supervisor_notice") == []
    asked = [p for (p, _m) in pairs if p in (CARA, BEN)] + [m for (p, m) in pairs if p in (CARA, BEN)]
    for person in asked:
        [proposal] = y.to("proposal", person)
        assert {a.addr_spec for a in proposal["To"].addresses} == {person}
        y.dovecot.append(y.user, reply(proposal, person, "Yes, happy to!"))
    y.cycle(t1 + timedelta(minutes=30))
    assert y.relationship(CARA).state == "introduced"
    assert y.relationship(BEN).state == "introduced"
    assert y.relationship(AMY).state in ("rejected", "suggested")  # a new suggestion may follow later
    with y.app.db.unit_of_work() as s:
        assert s.get(MentoringRelationship, amy).state == "rejected"
        assert s.get(MentoringRelationship, gia).state == "suggested"
        refusals = s.scalars(select(Event).where(Event.action == "command_refused").order_by(Event.id)).all()
        reasons = [e.detail["reason"] for e in refusals]
        states = Counter(m.state for m in s.scalars(select(IncomingMessage).where(
            IncomingMessage.classification == "coordinator_command")))
    assert len(reasons) == 4
    assert "not a configured coordinator" in reasons[0]
    assert "not one this program signed" in reasons[1]
    assert "could not confirm the sender" in reasons[2]
    assert "already used" in reasons[3]
    assert states == {"review": 4, "processed": 1}
    results = y.mail("command_result")
    assert len(results) == 5 and all(set(r) == {COORDINATOR, SECOND_COORDINATOR} for r, _m in results)
    confirmation = next(text_of(m) for _r, m in results if "Done:" in text_of(m))
    assert f"APPROVE {cara}" in confirmation and f"REJECT {amy}" in confirmation
    assert y.to("command_result", "someone@elsewhere.example") == []

    # Supervisors heard first, with no goals; then both were introduced, once, coordinators in cc.
    for protege, supervisor in ((CARA, "tbaker@sheridan2.example"), (BEN, "mlopez@lccc.example")):
        notices = y.to("supervisor_notice", supervisor)
        assert len(notices) == 1
        notice = text_of(notices[0]) + notices[0].get_body(("html",)).get_content()
        goals = apps[protege].record["goals"]
        assert goals[:40] not in notice and "information literacy" not in notice.lower()
        intros = y.to("introduction", protege)
        assert len(intros) == 1
        order = [m["Message-ID"] for r in y.smtp.received
                 for m in [email.message_from_bytes(r.data, policy=email.policy.default)]]
        assert order.index(notices[0]["Message-ID"]) < order.index(intros[0]["Message-ID"])
        intro = intros[0]
        mentor = next(m for (p, m) in pairs if p == protege)
        assert {a.addr_spec for a in intro["To"].addresses} == {protege, mentor}
        assert {a.addr_spec for a in intro["Cc"].addresses} == {COORDINATOR, SECOND_COORDINATOR}
        assert goals[:40] in text_of(intro)
        assert "confidentiality" in text_of(intro) and "Serve as a resource and referral person" in text_of(intro)
        ics = next(p for p in intro.iter_attachments() if p.get_filename() == "mentoring-year.ics")
        cal = ics.get_payload(decode=True).decode()
        assert "DTSTART;VALUE=DATE:20260505" in cal and "DTSTART;VALUE=DATE:20260905" in cal
        assert "DTSTART;VALUE=DATE:20270105" in cal and "\r\n" in cal
    assert y.to("supervisor_notice", "dreyes@natronacounty.example") == []  # Amy was rejected

    # ---- January 6: a coordinator approves Gia and Lou from the command line.
    t2 = datetime(2026, 1, 6, 9, 0)
    out = y.cli("matches", "approve", GIA, LOU, "--now", t2.isoformat(), "--by", COORDINATOR)
    assert f"approved relationship #{gia}" in out
    y.agree(gia, t2.isoformat())  # both said yes when the coordinator called them
    y.cycle(t2)
    assert len(y.to("introduction", GIA)) == 1
    # A coordinator's own choice still meets the hard rules: Amy and Dana share an employer.
    refused = CliRunner().invoke(cli_app, ["matches", "approve", AMY, DANA, "--now", t2.isoformat(),
                                           "--config", str(y.config)])
    assert refused.exit_code == 1
    assert "cannot be paired" in refused.output and "same employer" in refused.output
    assert "Traceback" not in refused.output
    assert len(y.mail("supervisor_notice")) == 2  # Gia named no supervisor
    assert y.relationship(CARA).state == "active" and y.relationship(BEN).state == "active"

    # ---- January 12 (Monday): one digest for the week, however many cycles run.
    y.cycle(datetime(2026, 1, 12, 9, 0))
    y.cycle(datetime(2026, 1, 12, 15, 0))
    week3 = [m for _r, m in y.mail("digest") if "week of Monday 12 January 2026" in m["Subject"]]
    assert len(week3) == 1
    decisions = " ".join(text_of(week3[0]).split())
    assert f"approved match #{cara}" in decisions and "a reply to the digest from" in decisions
    assert "was refused" in decisions
    assert "SUPERVISOR NOTICES" in decisions
    assert y.relationship(GIA).state == "active"

    # ---- January 19: nothing happened since the last digest, so none is sent.
    y.cycle(datetime(2026, 1, 19, 9, 0))
    assert not [m for _r, m in y.mail("digest") if "week of Monday 19 January" in m["Subject"]]

    # ---- April 6: protégés waiting 90 days hear they are not forgotten, once.
    y.cycle(datetime(2026, 4, 6, 9, 0))
    y.cycle(datetime(2026, 4, 7, 9, 0))
    assert len(y.to("waiting_list_note", HAL)) == 1
    assert y.to("waiting_list_note", CARA) == []

    # ---- Month 4: nothing the day before; reminders on the day, to each person separately.
    y.cycle(datetime(2026, 5, 4, 9, 0))
    assert y.mail("assessment_reminder") == []
    y.cycle(datetime(2026, 5, 5, 9, 0))
    cara_rel, ben_rel = y.relationship(CARA), y.relationship(BEN)
    cara_mentor, ben_mentor = mentor_of(y, cara_rel), mentor_of(y, ben_rel)
    for person in (CARA, cara_mentor, BEN, ben_mentor):
        got = y.to("assessment_reminder", person)
        assert len(got) == 1
        assert {a.addr_spec for a in got[0]["To"].addresses} == {person}
        assert got[0]["Reply-To"] == PROGRAM
    assert y.to("assessment_reminder", GIA) == []  # Gia started a day later
    assert len(y.mail("assessment_reminder")) == 4
    y.cycle(datetime(2026, 5, 6, 9, 0))
    assert len(y.to("assessment_reminder", GIA)) == 1 and len(y.to("assessment_reminder", LOU)) == 1

    # Answers by reply: both of Cara's pair, only Ben himself.
    for person in (CARA, cara_mentor, BEN):
        reminder = y.to("assessment_reminder", person)[0]
        y.dovecot.append(y.user, reply(reminder, person, f"1. Twice a month.\n2. yes\n3. All good ({person})."))
    y.cycle(datetime(2026, 5, 8, 9, 0))
    with y.app.db.unit_of_work() as s:
        answers = s.scalars(select(AssessmentAnswer)).all()
        assert sorted((a.participant, a.role) for a in answers) == sorted(
            [(CARA, "protege"), (cara_mentor, "mentor"), (BEN, "protege")])
        assert all("Twice a month" in a.text and "> " not in a.text for a in answers)
    assert y.to("review_notice", COORDINATOR) == []

    # Escalation after 14 days without an answer: Ben's mentor on the 19th, Gia's pair on the 20th.
    y.cycle(datetime(2026, 5, 18, 9, 0))
    assert y.mail("assessment_escalation") == []
    y.cycle(datetime(2026, 5, 19, 9, 0))
    escalations = y.mail("assessment_escalation")
    assert len(escalations) == 1
    assert "(mentor)" in escalations[0][1]["Subject"] and "(protégé)" not in escalations[0][1]["Subject"]
    assert f"relationship {ben_rel.id}" in text_of(escalations[0][1])
    y.cycle(datetime(2026, 5, 20, 9, 0))
    assert len(y.mail("assessment_escalation")) == 2
    # The week's digest went out on Monday the 18th, before the escalation; the next one reports it.
    may = [m for _r, m in y.mail("digest") if "week of Monday 18 May 2026" in m["Subject"]]
    assert len(may) == 1 and "waiting for the mentor" in " ".join(text_of(may[0]).split())
    y.cycle(datetime(2026, 5, 25, 9, 0))
    late_may = [m for _r, m in y.mail("digest") if "week of Monday 25 May 2026" in m["Subject"]]
    assert len(late_may) == 1 and "overdue, no answer from the mentor" in " ".join(text_of(late_may[0]).split())

    # ---- Month 8: the second reminders.
    y.cycle(datetime(2026, 9, 6, 9, 0))
    assert len(y.mail("assessment_reminder")) == 12

    # ---- Twelve months: closed, with a feedback request to each person; Gia's pair a day later.
    y.cycle(datetime(2027, 1, 5, 9, 0))
    assert y.relationship(CARA).state == "closed" and y.relationship(BEN).state == "closed"
    assert y.relationship(GIA).state == "active"
    for person in (CARA, cara_mentor, BEN, ben_mentor):
        assert len(y.to("closing", person)) == 1
    y.cycle(datetime(2027, 1, 6, 9, 0))
    y.cycle(datetime(2027, 1, 6, 12, 0))
    assert y.relationship(GIA).state == "closed"
    assert len(y.mail("closing")) == 6
    # January 5, 2027 is a Tuesday: the week of Monday the 4th has the digest that reports the closings.
    closing_digest = [m for _r, m in y.mail("digest") if "week of Monday 4 January 2027" in m["Subject"]]
    assert len(closing_digest) == 1
    assert "feedback requested from both" in " ".join(text_of(closing_digest[0]).split())

    # Across the year: every introduction once, every digest period once, and on record.
    assert Counter(len(y.to("introduction", p)) for p in (CARA, BEN, GIA)) == {1: 3}
    periods = [re.search(r"digest, (.+?)(:|$)", m["Subject"]).group(1) for _r, m in y.mail("digest")]
    assert len(periods) == len(set(periods)) >= 5
    assert all(re.fullmatch(r"week of Monday \d{1,2} [A-Z][a-z]+ \d{4}", p) for p in periods), periods
    with y.app.db.unit_of_work() as s:
        assert len(s.scalars(select(DigestSent.period)).all()) == len(periods)
        actors = {e.actor for e in s.scalars(select(Event).where(Event.action == "match_approved"))}
    assert actors == {f"{COORDINATOR} (by email)", COORDINATOR}

    # The records: one person's whole history, and the CSV export.
    history = y.cli("people", "show", CARA)
    assert "relationship" in history and "check-in 1" in history and "closed" in history
    out_dir = Path(y.settings.program.raw_store_dir).parent / "export"
    y.cli("export", "--format", "csv", "--output", str(out_dir))
    rows = (out_dir / "relationships.csv").read_text().splitlines()
    assert rows[0].startswith("id,state,protege_email") and sum(",closed," in r for r in rows) == 3
