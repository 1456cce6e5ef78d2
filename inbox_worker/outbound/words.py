"""Plain words for what people read: a record's values by the form's labels, days and times as
people write them, and what each email is called.

Every date and time shown to a person goes through `day_for_people` or `time_for_people`.
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, tzinfo
from typing import Any

from inbox_worker.clock import local_time
from inbox_worker.form import CHOICES, RECORD_KEYS, field_label

ROLE_LABELS = {"protege": "protégé", "mentor": "mentor"}


OPTION_LABELS = {o.key: o.label for c in CHOICES for o in c.options}


def plain_value(key: str, value: Any) -> str:
    """A record value in the words an applicant reads: the role and options by their labels, yes for True."""
    if key == "role":
        return ROLE_LABELS.get(value, value)
    if key == "supervisor_support":
        return "yes" if value else "no"
    if isinstance(value, list):
        return "; ".join(OPTION_LABELS.get(v, v) for v in value)
    return str(value)


def fields_read(record: dict, uncertain: Sequence[str] = ()) -> list[dict[str, Any]]:
    """The values read from a form, as label/value pairs an applicant can check; `confirm` marks a doubtful one."""
    out = []
    for key, value in record.items():
        if value in (None, "", []):
            continue
        out.append({"label": field_label(key), "value": plain_value(key, value), "confirm": key in uncertain})
    return out


def plain_detail(detail: dict) -> str:
    """A recorded event's details in words ("version: 2; changed: Name, Phone number"): record keys
    by the form's labels, yes/no for True/False, "none" for a blank, lists joined."""
    return "; ".join(f"{k.replace('_', ' ')}: {_plain_any(v)}" for k, v in detail.items())


def _plain_any(value: Any) -> str:
    if value is None or value == "" or value == []:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(_plain_any(v) for v in value)
    if isinstance(value, dict):
        if {"field", "old", "new"} <= value.keys() and value["field"] in RECORD_KEYS:
            key = value["field"]
            old, new = ("(blank)" if v in (None, "", []) else plain_value(key, v) for v in (value["old"], value["new"]))
            return f"{field_label(key)} {old} → {new}"
        return f"({plain_detail(value)})"
    if isinstance(value, str) and value in RECORD_KEYS:
        return field_label(value)
    return str(value)


def fmt_day(day: date | None) -> str:
    return day.strftime("%B %-d, %Y") if day else ""


def day_for_people(when: date | datetime | None, today: date | None = None, zone: tzinfo = UTC) -> str:
    """A day as the coordinators' digest and report write it: "Monday 2 March", with the year
    when it is not this year's (always, without `today`).

    A datetime is an instant (naive ones are UTC, as stored): its day is the one on the clocks
    of the program's time zone `zone`, so 03:00 UTC on 2 March is "Sunday 1 March" in Denver.
    A date is already a day of the program's (a due date, a start) and is written as it is;
    `today` is the program's today (`clock.local_day(now, zone)`).
    """
    if when is None:
        return ""
    day = local_time(when, zone).date() if isinstance(when, datetime) else when
    words = f"{day:%A} {day.day} {day:%B}"
    return words if today is not None and day.year == today.year else f"{words} {day.year}"


def time_for_people(when: datetime, today: date | None = None, zone: tzinfo = UTC) -> str:
    """ "Monday 2 March at 14:05", on the clocks of the program's time zone `zone`."""
    local = local_time(when, zone)
    return f"{day_for_people(local, today, zone)} at {local:%H:%M}"


# What each email is, for a coordinator reading that one could not be sent.
TEMPLATE_WORDS = {
    "acknowledgement": "acknowledgement of an application", "acknowledgement_update": "updated acknowledgement",
    "review_notice": "notice of mail set aside", "supervisor_notice": "notice to a supervisor",
    "introduction": "introduction of a pair", "assessment_reminder": "check-in questions",
    "assessment_escalation": "notice of an unanswered check-in", "closing": "end-of-year email",
    "relationship_ended": "email saying a relationship ended", "waiting_list_note": "waiting-list note",
    "call_for_mentors": "call for mentors", "digest": "coordinators' digest",
    "command_result": "answer to a reply command", "monthly_report": "monthly report",
    "proposal": "proposal of a match", "proposal_reminder": "reminder of a proposed match",
    "proposal_withdrawn": "note that a proposed match will not go ahead",
    "consent_escalation": "notice of an unanswered proposal", "consent_declined": "notice of a declined match",
}


def template_words(template: str) -> str:
    return TEMPLATE_WORDS.get(template, template.replace("_", " "))
