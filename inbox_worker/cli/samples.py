"""Sample data for `inbox-worker preview` and the template tests: a fictional applicant."""
from __future__ import annotations

from datetime import date, datetime

from inbox_worker.config import Settings
from inbox_worker.outbound import contexts
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
    contents = schedule.DigestContents(period="2026-W19", since=datetime(2026, 4, 27, 9, 0))
    contents.suggestions = [{"id": 7, "protege": "Avery Sample <avery.sample@example.org>",
                             "mentor": "Morgan Example <morgan.example@example.org>", "score": "0.71",
                             "why": ["rules passed: different employers; mentor at or above the protégé's level",
                                     "score: library type 1.00, goals 0.42"], "new": True,
                             "supervisor": "supervisor: support secured (Jordan Example, Branch Manager, "
                                           "jordan.example@example.org); they get a notice when the match is "
                                           "approved", "consult_supervisor": False}]
    contents.unmatched = [{"protege": "riley.sample@example.org",
                           "reasons": ["no mentor at or above level 'director'"]}]
    contents.applications = [{"id": 12, "name": "Riley Sample", "email": "riley.sample@example.org",
                              "role_label": "protégé", "kind": "new", "missing": ["Phone number"], "new": True}]
    contents.shortage = [schedule.Shortage("school", 2, 0)]
    contents.call_for_mentors = True
    return contexts.digest_context(settings, contents, token="iw1-0123456789abcdef-" + "0" * 32,
                                       token_expires="2026-05-18")  # noqa: S106 - a date, not a secret


def sample_context(template: str, settings: Settings) -> dict:
    program = settings.program
    if template in ("acknowledgement", "acknowledgement_update"):
        # The town was split from the street by guess, so the applicant is asked to confirm it.
        return acknowledgement_context(program, SAMPLE_RECORD, ["phone"], form_attached=True, uncertain_keys=["city"])
    if template == "review_notice":
        return review_notice_context(program, settings.imap.review_folder, sender="someone@example.org",
                                     subject="Question about the program", received="2026-03-24 15:37",
                                     reason="no application found: the message holds no application form")
    s = settings
    ends = schedule.end_date(SAMPLE_START, s.schedule)
    samples = {
        "supervisor_notice": lambda: contexts.supervisor_notice_context(s, SAMPLE_RECORD, SAMPLE_MENTOR),
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
        "command_result": lambda: contexts.command_result_context(
            s, sender="coordinator@example.org", subject="Re: Coordinators' digest 2026-W19",
            done=["APPROVE 7: Avery Sample and Morgan Example approved; introduction queued"], refused=[],
            reason=""),
    }
    if template in samples:
        return samples[template]()
    raise KeyError(template)
