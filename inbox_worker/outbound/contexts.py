"""The program's emails: what each template is given, and one way to put a rendered email in the outbox.

The context functions are pure and decide who may see what, as the program
document asks: a supervisor hears what the program is and what it asks of
the protégé's time, never the protégé's goals; a mentor reads the protégé's
goals only in the introduction, after a coordinator approved the match;
each participant gets their own assessment reminder and closing email, so a
reply never reaches the other person. `queue_mail` renders, builds and
queues in the caller's unit of work.
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from inbox_worker.clock import local_day
from inbox_worker.config import ProgramSettings, Settings
from inbox_worker.form import field_label
from inbox_worker.outbound import outbox
from inbox_worker.outbound.emails import (
    Attachment,
    Envelope,
    InlineImage,
    Templates,
    address_domain,
    build_message,
    header_text,
    message_id_for,
)
from inbox_worker.outbound.words import ROLE_LABELS, day_for_people, fields_read, fmt_day, plain_value, time_for_people

# From the program document, "General Mentoring Guidelines" and the two lists of roles.
GUIDELINES = (
    "Both mentor and protégé must agree to maintain confidentiality regarding their discussions. "
    "Honesty, openness, and trust are important to the success of a mentoring relationship. Both the "
    "mentor and protégé should be able to offer feedback to each other in order to make the relationship "
    "successful. The relationship should be based on constructive dialogue in which the goals of the "
    "protégé can be met. Mentors should be sensitive to the needs of protégés, and protégés should be "
    "willing to accept constructive feedback. Mentors and protégés may meet with the Mentoring "
    "Coordinator(s) throughout the year as needed."
)
MENTOR_ROLES = (
    "Serve as a resource and referral person.",
    "Share experiences and knowledge.",
    "Be an active listener, coach, facilitator, and confidant.",
    "Provide encouragement, support, and advice.",
    "Help the protégé explore and establish career goals.",
    "Be open-minded and willing to serve.",
    "Assist with professional development.",
    "Commit to helping the protégé succeed within their organization.",
    "Facilitate acclimation to the unique Wyoming Libraries dynamics if the protégé is new to the state.",
)
PROTEGE_ROLES = (
    "Be open to working with a mentor.",
    "Be receptive to advice and counsel.",
    "Be willing to learn new skills.",
    "Be committed to carrying out agreed upon goals.",
    "Be honest and open with your mentor.",
    "Be willing to take responsibility for your own learning.",
)
PURPOSE = (
    "The Wyoming Library Association's mentoring program, run by its L.E.A.D. (Leadership Excellence and "
    "Development) Interest Group, pairs library staff with an experienced colleague from another Wyoming "
    "library for twelve months. Mentors supplement the supervisors' efforts: they share experience and "
    "connections and encourage professional growth."
)
TIME_COMMITMENT = (
    "The mentoring relationship lasts twelve calendar months. The pair agree their own rhythm of meetings, "
    "often an hour or so a month, in person, by phone or online, and answer a few short questions from the "
    "coordinators at two check-ins during the year."
)


def acknowledgement_context(program: ProgramSettings, record: dict, missing_keys: list[str],
                            form_attached: bool, uncertain_keys: Sequence[str] = (),
                            changed: Sequence[tuple[str, Any, Any]] = (), by_reply: bool = False,
                            edited: bool = False) -> dict:
    """What the acknowledgement templates are given.

    `uncertain_keys` are the fields read but not beyond doubt (`Extraction.uncertain_fields()`):
    the email asks the applicant to confirm each, by the form's label, with the value read.
    `changed` is what an update changed, as (key, before, now); `by_reply` says it was a
    correction in a reply, not a form sent again; `edited` that a coordinator made the change.
    """
    role = record.get("role")
    confirm = [{"label": field_label(k), "value": plain_value(k, record[k])}
               for k in uncertain_keys if record.get(k) not in (None, "", [])]
    return {
        "program_name": program.name, "program_address": program.mailbox_address,
        "greeting_name": record.get("name") or "applicant", "role": role,
        "role_label": ROLE_LABELS.get(role or "", ""), "fields_read": fields_read(record, uncertain_keys),
        "missing": [field_label(k) for k in missing_keys], "confirm": confirm, "form_attached": form_attached,
        "changed": [{"label": field_label(k), "new": plain_value(k, new),
                     "old": plain_value(k, old) if old not in (None, "", []) else "(not given before)"}
                    for k, old, new in changed],
        "by_reply": by_reply, "edited": edited,
    }


def review_notice_context(program: ProgramSettings, review_folder: str, *, sender: str | None,
                          subject: str | None, received: str, reason: str, command: str = "",
                          number: int | None = None) -> dict:
    """What the review notice template is given: who wrote, about what, why it waits, its number
    in the review queue (`inbox-worker review`) and, for a correction the program could not read,
    the command that applies it by hand."""
    return {
        "program_name": program.name, "program_address": program.mailbox_address,
        # As they came in the message: each shown on one line, as the text it decodes to.
        "sender": header_text(sender or "") or "(unknown sender)",
        "subject": header_text(subject or "") or "(no subject)", "received": received,
        "reason": reason, "reason_short": reason.split(":")[0][:60], "review_folder": review_folder,
        # The command that does by hand what the message asks (a correction the program could not read).
        "command": command,
        # None when the message itself is not in the queue (a notice about an address that bounced).
        "number": number,
    }


def program_day(settings: Settings, when: date | datetime | None) -> date | None:
    """A stored instant (naive UTC) as the day it was in the program's time zone; a day as it is."""
    return local_day(when, settings.program.zone) if isinstance(when, datetime) else when


def base(settings: Settings) -> dict[str, Any]:
    return {"program_name": settings.program.name, "program_address": settings.program.mailbox_address}


def person(record: dict) -> dict[str, str]:
    """What one participant may know of the other: name, library, position, email. No phone, no home."""
    return {"name": record.get("name") or record.get("email") or "participant",
            "library": record.get("library_name") or "", "position": record.get("position") or "",
            "email": record.get("email") or ""}


def held_notice_context(settings: Settings, sender: str, count: int, noticed: int, now: datetime) -> dict:
    """The limit notice about one sender's messages set aside on `now`'s day past the notices' cap."""
    return base(settings) | {"kind": "sender", "sender": sender or "(unknown sender)", "count": count,
                             "noticed": noticed, "day": day_for_people(now, zone=settings.program.zone),
                             "review_folder": settings.imap.review_folder}


def daily_limit_context(settings: Settings, waiting: int, sent: int) -> dict:
    """The limit notice about mail held back by the daily limit of recipients."""
    return base(settings) | {"kind": "daily_limit", "waiting": waiting, "limit_count": sent}


def worker_alert_context(settings: Settings, *, since: datetime, problems: list[str]) -> dict:
    """What the alert about the worker's own trouble is given: since when, and what is wrong."""
    return {**base(settings), "since": time_for_people(since, zone=settings.program.zone), "problems": list(problems)}


# ---------------------------------------------------------------- participants and supervisors
def supervisor_notice_context(settings: Settings, protege: dict, mentor: dict, about: str = "protege") -> dict:
    """For the supervisor of one of the pair (`about`): the program and the time it asks; nothing of
    the protégé's goals or the mentor's strengths."""
    return base(settings) | {
        "supervisor_name": (mentor if about == "mentor" else protege).get("supervisor_name") or "supervisor",
        "about_mentor": about == "mentor",
        "protege_name": person(protege)["name"], "protege_library": protege.get("library_name") or "",
        "mentor_name": person(mentor)["name"], "mentor_library": mentor.get("library_name") or "",
        "purpose": PURPOSE, "time_commitment": TIME_COMMITMENT,
    }


def introduction_context(settings: Settings, relationship_id: int, protege: dict, mentor: dict, *,
                         assessments: list[date], ends_on: date, starts_on: date) -> dict:
    """The introduction to both: who the other is, the protégé's goals, the guidelines and the dates."""
    return base(settings) | {
        "relationship_id": relationship_id, "protege": person(protege), "mentor": person(mentor),
        "goals": protege.get("goals") or "", "strengths": mentor.get("strengths") or "",
        "guidelines": GUIDELINES, "mentor_roles": list(MENTOR_ROLES), "protege_roles": list(PROTEGE_ROLES),
        "starts_on": fmt_day(starts_on), "ends_on": fmt_day(ends_on),
        "assessment_dates": [fmt_day(d) for d in assessments],
    }


def assessment_reminder_context(settings: Settings, *, recipient: dict, other: dict, role: str, number: int,
                                due_on: date, questions: list[str], late: bool = False) -> dict:
    """`late`: it was due while the program's mail was held up, and says so with its date."""
    return base(settings) | {
        "greeting_name": person(recipient)["name"], "other_name": person(other)["name"],
        "role_label": ROLE_LABELS.get(role, role), "number": number, "due_on": fmt_day(due_on),
        "questions": list(questions), "late": late,
    }


def assessment_escalation_context(settings: Settings, *, relationship_id: int, protege: dict, mentor: dict,
                                  number: int, reminded_on: date | datetime, silent: list[str], days: int) -> dict:
    names = {"protege": person(protege)["name"], "mentor": person(mentor)["name"]}
    return base(settings) | {
        "relationship_id": relationship_id, "protege_name": names["protege"], "mentor_name": names["mentor"],
        "number": number, "reminded_on": fmt_day(program_day(settings, reminded_on)), "days": days,
        "silent": [f"{names[r]} ({ROLE_LABELS.get(r, r)})" for r in silent],
    }


def closing_context(settings: Settings, *, recipient: dict, other: dict, role: str, ends_on: date,
                    late: bool = False) -> dict:
    return base(settings) | {
        "greeting_name": person(recipient)["name"], "other_name": person(other)["name"],
        "role_label": ROLE_LABELS.get(role, role), "ends_on": fmt_day(ends_on), "late": late,
    }


def proposal_context(settings: Settings, *, recipient: dict, other: dict, role: str, why: str,
                     asked_on: date | datetime) -> dict:
    """A proposed match, for one of the pair: who the other is (name, position, library: nothing
    else of their form), why it fits, what the year asks, and how to answer."""
    months = settings.schedule.assessment_months
    other_role = "mentor" if role == "protege" else "protege"
    return base(settings) | {
        "greeting_name": person(recipient)["name"], "role_label": ROLE_LABELS.get(role, role),
        "other_role_label": ROLE_LABELS.get(other_role, other_role),
        "other": {k: v for k, v in person(other).items() if k != "email"}, "why": why,
        "months": settings.schedule.relationship_months,
        "checkin_times": {2: "twice", 3: "three times"}.get(len(months), f"{len(months)} times"),
        "checkin_months": " and ".join(str(m) for m in months), "guidelines": GUIDELINES,
        "roles": list(MENTOR_ROLES if role == "mentor" else PROTEGE_ROLES),
        "asked_on": day_for_people(program_day(settings, asked_on)),
    }


def proposal_withdrawn_context(settings: Settings, *, recipient: dict, other: dict) -> dict:
    """Only that the match will not go ahead: not who said no, nor why."""
    return base(settings) | {"greeting_name": person(recipient)["name"], "other_name": person(other)["name"]}


def consent_escalation_context(settings: Settings, *, relationship_id: int, protege: dict, mentor: dict,
                               silent: list[str], asked_on: date | datetime,
                               reminded_on: date | datetime | None) -> dict:
    names = {"protege": person(protege)["name"], "mentor": person(mentor)["name"]}
    return base(settings) | {
        "relationship_id": relationship_id, "protege_name": names["protege"], "mentor_name": names["mentor"],
        "silent": [{"who": f"{names[r]} ({ROLE_LABELS.get(r, r)})", "party": r} for r in silent],
        "asked_on": day_for_people(program_day(settings, asked_on)),
        "reminded_on": day_for_people(program_day(settings, reminded_on)),
    }


def consent_declined_context(settings: Settings, *, relationship_id: int, protege: dict, mentor: dict,
                             party: str, reason: str) -> dict:
    names = {"protege": person(protege)["name"], "mentor": person(mentor)["name"]}
    return base(settings) | {
        "relationship_id": relationship_id, "protege_name": names["protege"], "mentor_name": names["mentor"],
        "who": f"{names[party]} ({ROLE_LABELS.get(party, party)})", "reason": reason,
        "other": f"{names['mentor' if party == 'protege' else 'protege']}",
    }


def relationship_ended_context(settings: Settings, *, recipient: dict, other: dict, role: str,
                               starts_on: date | None, ended_on: date | datetime) -> dict:
    """For each participant of a relationship ended early. The coordinator's reason stays on the
    record: it may be about the other person, and this email goes to both."""
    return base(settings) | {
        "greeting_name": person(recipient)["name"], "other_name": person(other)["name"],
        "role_label": ROLE_LABELS.get(role, role), "starts_on": fmt_day(starts_on),
        "ended_on": fmt_day(program_day(settings, ended_on)),
    }


def waiting_list_note_context(settings: Settings, protege: dict, applied_on: date | datetime) -> dict:
    return base(settings) | {"greeting_name": person(protege)["name"],
                             "applied_on": fmt_day(program_day(settings, applied_on))}


def call_for_mentors_context(settings: Settings, shortage: list[dict], waiting: int, free_places: int) -> dict:
    """The listserv draft: numbers and library types only; no protégé is named."""
    return base(settings) | {
        "listserv_address": settings.schedule.listserv_address, "shortage": shortage,
        "waiting": waiting, "free_places": free_places,
        "mentor_criteria": [
            "knowledge of Wyoming libraries, with current or recent experience working in a Wyoming library",
            "awareness of the needs of a new librarian, and commitment to the protégés and the program",
            "the same level of responsibility as the protégé, or above",
            "willingness to meet the program's time commitment (twelve months)",
        ],
    }


def command_result_context(settings: Settings, *, sender: str, subject: str, done: list[str],
                           refused: list[str], reason: str) -> dict:
    return base(settings) | {"sender": sender, "subject": subject, "done": done, "refused": refused,
                             "reason": reason}


# ---------------------------------------------------------------- queueing
def queue_mail(s: Session, settings: Settings, templates: Templates, *, key: str, template: str,
               context: dict, to: list[str], now: datetime, cc: list[str] = (),
               attachments: list[Attachment] = (), reply_to: str | None = None,
               in_reply_to: str | None = None, references: list[str] = (),
               application_id: int | None = None, inline_images: list[InlineImage] = ()) -> int | None:
    """Render a template and queue it under `key`: its outbox number, or None if that key was
    queued before (or nobody may be sent it)."""
    rendered = templates.render(template, context)
    envelope = Envelope(from_address=settings.smtp.from_address, from_name=settings.smtp.from_name,
                        to=list(to), cc=[a for a in cc if a not in to], in_reply_to=in_reply_to,
                        references=list(references), auto_submitted="auto-generated",
                        # Replies come to the program mailbox, never to the other recipients.
                        reply_to=reply_to or settings.program.mailbox_address)
    message = build_message(rendered, envelope, date=now, zone=settings.program.zone, attachments=list(attachments),
                            inline_images=list(inline_images),
                            message_id=message_id_for(key, address_domain(settings.smtp.from_address)))
    return outbox.queue(s, key=key, template=template, message=message, now=now,
                        application_id=application_id)


# ---------------------------------------------------------------- the coordinators' digest


