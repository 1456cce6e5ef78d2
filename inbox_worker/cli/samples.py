"""Sample data for `inbox-worker preview` and the template tests: a fictional applicant."""
from __future__ import annotations

from datetime import date, datetime
from types import SimpleNamespace

from inbox_worker.config import Settings
from inbox_worker.outbound import contexts, dashboard
from inbox_worker.outbound.contexts import acknowledgement_context, review_notice_context
from inbox_worker.program import schedule

SAMPLE_RECORD = {
    "role": "protege", "name": "Avery Sample", "phone": "307-555-0100", "address": "100 Example St",
    "city": "Casper", "state": "WY", "zip": "82601", "email": "avery.sample@example.org",
    "library_name": "Natrona County Library", "position": "Library Assistant", "library_type": "public",
    "supervisor_support": True, "supervisor_name": "Jordan Example, Branch Manager",
    "supervisor_email": "jordan.example@example.org", "protege_categories": ["new_to_library"],
    "mentor_categories": [], "goals": "Learn how the statewide catalog works.", "strengths": None,
}

SAMPLE_MENTOR = {
    "role": "mentor", "name": "Morgan Example", "phone": "307-555-0199", "address": "2 Sample Rd",
    "city": "Laramie", "state": "WY", "zip": "82070", "email": "morgan.example@example.org",
    "library_name": "Albany County Public Library", "position": "Library Director", "library_type": "public",
    "supervisor_support": None, "supervisor_name": None, "supervisor_email": None, "protege_categories": [],
    "mentor_categories": ["library_director"], "goals": None,
    "strengths": "Twenty years in Wyoming public libraries; I like helping new staff find their feet.",
}
SAMPLE_START = date(2026, 5, 4)


def _sample_digest(settings: Settings) -> dict:
    today = date(2026, 5, 4)
    contents = schedule.DigestContents(period="2026-W19", since=datetime(2026, 4, 27, 9, 0))
    contents.suggestions = [{"id": 7, "protege": "Avery Sample <avery.sample@example.org>",
                             "mentor": "Morgan Example <morgan.example@example.org>", "fit": "a strong fit (0.71)",
                             "why": "both in public libraries; goals and strengths share \u201ccatalog\u201d; "
                                    "120 days waiting", "library": "public library",
                             "waiting_since": "Sunday 4 January", "applied_at": datetime(2026, 1, 4),
                             "relationship_id": 7, "new": True,
                             "supervisor": "supervisor: support secured (Jordan Example, Branch Manager, "
                                           "jordan.example@example.org); they get a notice before the "
                                           "introduction", "consult_supervisor": False}]
    contents.proposals = [{"relationship_id": 6, "protege": "Riley Sample <riley.sample@example.org>",
                           "mentor": "Morgan Example <morgan.example@example.org>",
                           "status": "proposed Monday 27 April: the protégé said yes Tuesday 28 April; no answer "
                                     "yet from the mentor (asked Monday 27 April)", "new": True, "attention": False}]
    contents.unmatched = [{"protege": "Riley Sample <riley.sample@example.org>", "outnumbered": False,
                           "applied_at": datetime(2026, 2, 1),
                           "reasons": ["no mentor at the protégé's level of responsibility (director) or above"]}]
    contents.applications = [{"id": 12, "name": "Riley Sample", "email": "riley.sample@example.org",
                              "role_label": "protégé", "kind": "new", "missing": ["Phone number"], "new": True}]
    contents.shortage = [schedule.Shortage("school", 2, 0)]
    contents.call_for_mentors = True
    standing = SimpleNamespace(
        today=today, decisions_waiting=1, without_mentor=3, suggested=1, longest_wait_since=date(2026, 1, 4),
        longest_wait_days=120, mentors_with_room=0, free_places=0, under_way=4, starting=1,
        checkins_due_this_week=1, checkins_overdue=0, review_open=2, undelivered=0, proposed=1,
        proposals_unanswered=0)
    said = SimpleNamespace(checkin_answers=0, tracks={}, help=[], feedback=0, would_return=0, quotes=[])
    return dashboard.digest_context(
        settings, contents, standing=standing, outcomes=said, period_words="week of Monday 4 May 2026",
        token="iw1-0123456789abcdef-" + "0" * 32, token_expires="Monday 18 May",  # noqa: S106 - not a secret
        chart=None, explain_reply_commands=False)


def _sample_monthly_report(settings: Settings) -> dict:
    digest = _sample_digest(settings)
    return contexts.base(settings) | {"month": "May 2026", "today": "Friday 1 May 2026",
                                      "summary": digest["summary"], "files": ["program-report-2026-05.html"],
                                      "pdf_problem": ""}


def sample_context(template: str, settings: Settings) -> dict:
    program = settings.program
    if template in ("acknowledgement", "acknowledgement_update"):
        # The phone was left blank, and the town was split from the street by guess, so the applicant
        # is asked for the one and to confirm the other; an update shows what a reply corrected.
        record = SAMPLE_RECORD | {"phone": None}
        changed = [("library_name", "Natrona Cnty Library", "Natrona County Library")]
        return acknowledgement_context(program, record, ["phone"], form_attached=True, uncertain_keys=["city"],
                                       changed=changed if template == "acknowledgement_update" else (),
                                       by_reply=True)
    if template == "review_notice":
        return review_notice_context(program, settings.imap.review_folder, sender="someone@example.org",
                                     subject="Question about the program", received="Tuesday 24 March 2026 at 15:37",
                                     reason="no application found: the message holds no application form", number=41)
    s = settings
    ends = schedule.end_date(SAMPLE_START, s.schedule)
    samples = {
        "supervisor_notice": lambda: contexts.supervisor_notice_context(s, SAMPLE_RECORD, SAMPLE_MENTOR),
        "proposal": lambda: contexts.proposal_context(
            s, recipient=SAMPLE_RECORD, other=SAMPLE_MENTOR, role="protege", asked_on=SAMPLE_START,
            why="The coordinators think this is a good fit: you both work in public libraries and Morgan "
                "Example's experience meets what you hope to work on."),
        "proposal_reminder": lambda: contexts.proposal_context(
            s, recipient=SAMPLE_MENTOR, other=SAMPLE_RECORD, role="mentor", asked_on=SAMPLE_START,
            why="The coordinators think this is a good fit: you both work in public libraries and your "
                "experience meets what Avery Sample hopes to work on."),
        "proposal_withdrawn": lambda: contexts.proposal_withdrawn_context(s, recipient=SAMPLE_RECORD,
                                                                          other=SAMPLE_MENTOR),
        "consent_escalation": lambda: contexts.consent_escalation_context(
            s, relationship_id=7, protege=SAMPLE_RECORD, mentor=SAMPLE_MENTOR, silent=["mentor"],
            asked_on=SAMPLE_START, reminded_on=date(2026, 5, 11)),
        "consent_declined": lambda: contexts.consent_declined_context(
            s, relationship_id=7, protege=SAMPLE_RECORD, mentor=SAMPLE_MENTOR, party="mentor",
            reason="No, not this year: our library is moving building this autumn."),
        "introduction": lambda: contexts.introduction_context(
            s, 7, SAMPLE_RECORD, SAMPLE_MENTOR, assessments=schedule.assessment_dates(SAMPLE_START, s.schedule),
            ends_on=ends, starts_on=SAMPLE_START),
        "assessment_reminder": lambda: contexts.assessment_reminder_context(
            s, recipient=SAMPLE_RECORD, other=SAMPLE_MENTOR, role="protege", number=1,
            due_on=date(2026, 9, 4), questions=s.schedule.assessment_questions),
        "assessment_escalation": lambda: contexts.assessment_escalation_context(
            s, relationship_id=7, protege=SAMPLE_RECORD, mentor=SAMPLE_MENTOR, number=1,
            reminded_on=date(2026, 9, 4), silent=["mentor"], days=s.schedule.escalation_days),
        "closing": lambda: contexts.closing_context(s, recipient=SAMPLE_MENTOR, other=SAMPLE_RECORD,
                                                        role="mentor", ends_on=ends),
        "relationship_ended": lambda: contexts.relationship_ended_context(
            s, recipient=SAMPLE_RECORD, other=SAMPLE_MENTOR, role="protege", starts_on=SAMPLE_START,
            ended_on=date(2026, 8, 14)),
        "waiting_list_note": lambda: contexts.waiting_list_note_context(s, SAMPLE_RECORD, date(2026, 1, 5)),
        "call_for_mentors": lambda: contexts.call_for_mentors_context(
            s, [{"library_type": "school", "waiting": 2, "free_places": 0, "short_by": 2}], 5, 3),
        "digest": lambda: _sample_digest(s),
        "monthly_report": lambda: _sample_monthly_report(s),
        "worker_alert": lambda: contexts.worker_alert_context(
            s, since=datetime(2026, 5, 4, 6, 30), problems=[
                "the mailbox could not be used: could not log in to imap.gmail.com as the program mailbox; "
                "check INBOX_WORKER_IMAP__PASSWORD (for Gmail, an app password, not the account's)"]),
        "limit_notice": lambda: contexts.held_notice_context(
            s, "someone@example.org", 37, s.worker.max_notices_per_sender_per_day, datetime(2026, 3, 24, 15, 37)),
        "command_result": lambda: contexts.command_result_context(
            s, sender="coordinator@example.org", subject="Re: Coordinators' digest, week of Monday 4 May",
            done=["APPROVE 7: Avery Sample and Morgan Example approved; introduction queued"], refused=[],
            reason=""),
    }
    if template in samples:
        return samples[template]()
    raise KeyError(template)
