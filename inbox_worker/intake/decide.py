"""Decide: given what a message is, what should happen to it?

A pure function of the classification, the extraction (or the reason it
failed) and whether the applicant is already known. It says where the
message is filed and which email, if any, answers it; the intake step
carries that out.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from inbox_worker.intake.classify import Classification
from inbox_worker.record import ApplicationRecord, Extraction

Outcome = Literal["application", "ignored", "review"]



@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    # "processed" or "review": which mailbox folder the message goes to.
    filing: Literal["processed", "review"]
    reason: str
    # The email that answers it: a template name, or None for no email.
    template: str | None


def decide(classification: Classification, extraction: Extraction | None, *,
           problem: str | None = None, known_applicant: bool = False) -> Decision:
    if not classification.from_person:
        # RFC 3834: machine mail is never answered; it is filed, not reviewed,
        # so coordinators are not flooded with out-of-office notes.
        return Decision("ignored", "processed", f"not answered: {classification.reason}", None)
    if problem is not None:
        return Decision("review", "review", problem, "review_notice")
    assert extraction is not None
    if extraction.kind == "no_application":
        reason = extraction.reason or "it holds no application form"
        return Decision("review", "review", f"no application found: {reason}", "review_notice")
    template = "acknowledgement_update" if known_applicant else "acknowledgement"
    return Decision("application", "processed", "application read", template)


def merge_records(old: dict, new: ApplicationRecord) -> dict:
    """A resubmission: what the applicant sent now wins; what they left out is kept."""
    merged = dict(old)
    for key, value in new.contract_dict().items():
        if value not in (None, "", []):
            merged[key] = value
    return merged
