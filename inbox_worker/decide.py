"""Decide: given what a message is, what should happen to it?

A pure function of the classification, the extraction (or the reason it
failed) and whether the applicant is already known. It says where the
message is filed and which email, if any, answers it; the intake step
carries that out.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from .classify import Classification
from .config import ProgramSettings
from .form import CHOICES, field_label
from .record import ApplicationRecord, Extraction

Outcome = Literal["application", "ignored", "review"]

ROLE_LABELS = {"protege": "protégé", "mentor": "mentor"}
OPTION_LABELS = {o.key: o.label for c in CHOICES for o in c.options}


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


def fields_read(record: dict) -> list[dict[str, str]]:
    """The values read from a form, as label/value pairs an applicant can check."""
    out = []
    for key, value in record.items():
        if value in (None, "", []):
            continue
        if key == "role":
            value = ROLE_LABELS.get(value, value)
        elif key == "supervisor_support":
            value = "yes" if value else "no"
        elif isinstance(value, list):
            value = "; ".join(OPTION_LABELS.get(v, v) for v in value)
        out.append({"label": field_label(key), "value": str(value)})
    return out


def acknowledgement_context(program: ProgramSettings, record: dict, missing_keys: list[str],
                            form_attached: bool) -> dict:
    """What the acknowledgement templates are given."""
    role = record.get("role")
    return {
        "program_name": program.name, "program_address": program.mailbox_address,
        "greeting_name": record.get("name") or "applicant", "role": role,
        "role_label": ROLE_LABELS.get(role or "", ""), "fields_read": fields_read(record),
        "missing": [field_label(k) for k in missing_keys], "form_attached": form_attached,
    }


def review_notice_context(program: ProgramSettings, review_folder: str, *, sender: str | None,
                          subject: str | None, received: str, reason: str) -> dict:
    """What the review notice template is given: who wrote, about what, and why it waits."""
    return {
        "program_name": program.name, "program_address": program.mailbox_address,
        "sender": sender or "(unknown sender)", "subject": subject or "(no subject)", "received": received,
        "reason": reason, "reason_short": reason.split(":")[0][:60], "review_folder": review_folder,
    }
