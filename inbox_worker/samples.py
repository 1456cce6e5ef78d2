"""Sample data for `inbox-worker preview` and the template tests: a fictional applicant."""
from __future__ import annotations

from .config import Settings
from .decide import acknowledgement_context, review_notice_context

SAMPLE_RECORD = {
    "role": "protege", "name": "Avery Sample", "phone": "307-555-0100", "address": "100 Example St",
    "city": "Casper", "state": "WY", "zip": "82601", "email": "avery.sample@example.org",
    "library_name": "Natrona County Library", "position": "Library Assistant", "library_type": "public",
    "supervisor_support": True, "supervisor_name": "Jordan Example, Branch Manager",
    "supervisor_email": "jordan.example@example.org", "protege_categories": ["new_to_library"],
    "mentor_categories": [], "goals": "Learn how the statewide catalog works.", "strengths": None,
}


def sample_context(template: str, settings: Settings) -> dict:
    program = settings.program
    if template in ("acknowledgement", "acknowledgement_update"):
        return acknowledgement_context(program, SAMPLE_RECORD, ["phone"], form_attached=True)
    if template == "review_notice":
        return review_notice_context(program, settings.imap.review_folder, sender="someone@example.org",
                                     subject="Question about the program", received="2026-03-24 15:37",
                                     reason="no application found: the message holds no application form")
    raise KeyError(template)
