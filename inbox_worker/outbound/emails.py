"""Render: the one place that knows each email template and turns it into a message.

Each email is a folder under `templates/` holding `subject.txt`,
`body.txt` and `body.html` (the warehouse layout). A coordinator may point
`program.templates_dir` at a folder of overrides: a file there replaces the
bundled file of the same path. Rendering is strict (an unknown variable is an
error, not an empty string) and HTML is autoescaped, so nothing an applicant
typed can change a message's structure.
"""
from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from email.utils import make_msgid
from pathlib import Path
from typing import Any

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined, select_autoescape

from inbox_worker.mail.outgoing import Attachment, Envelope, InlineImage, OutgoingEmail, header_text, write_email

__all__ = ["TEMPLATES", "Attachment", "Envelope", "InlineImage", "Rendered", "Templates", "address_domain",
           "build_message", "header_text", "message_id_for", "valid_address"]

# Every template the program sends, and what it is for. `preview` and the
# template test go through this table, so a template cannot be forgotten.
TEMPLATES: dict[str, str] = {
    "acknowledgement": "to an applicant: what was read from their form, what is missing, what happens next",
    "acknowledgement_update": "to an applicant whose record was updated (they sent their form again, or a "
                              "coordinator corrected it): what is on file now",
    "review_notice": "to the coordinators: a message was set aside for a person to read",
    "proposal": "to each of a proposed pair: who the other is, why it fits, what the year asks; reply yes or no",
    "proposal_reminder": "to one of a proposed pair who has not answered after a few days: the proposal again",
    "proposal_withdrawn": "to one of a proposed pair when the match will not go ahead (not who said no, nor why)",
    "consent_escalation": "to the coordinators: one of a proposed pair has not answered, even after the reminder",
    "consent_declined": "to the coordinators, at once if they asked: one of a proposed pair said no, and why",
    "limit_notice": "to the coordinators, once a day at most: a daily limit held mail back",
    "supervisor_notice": "to the supervisor a participant named, before the introduction: the program and its time",
    "introduction": "to a matched protégé and mentor (coordinators in cc): each other, guidelines, dates (.ics)",
    "assessment_reminder": "to each participant at the configured months: short questions answered by reply",
    "assessment_escalation": "to the coordinators: an assessment reminder went unanswered",
    "closing": "to each participant at 12 months: the year is complete; feedback on the program, please",
    "relationship_ended": "to each participant when a coordinator ends their relationship early (no reason given)",
    "waiting_list_note": "to a protégé waiting long for a match: not forgotten",
    "call_for_mentors": "a draft for the listserv, attached to the digest, when protégés outnumber mentors",
    "digest": "to the coordinators, daily or weekly: what happened and what waits for a decision",
    "command_result": "to the coordinators: what a reply command did, or why it was refused",
    "monthly_report": "to the coordinators, monthly: the program's report attached, as `inbox-worker report` makes it",
    "worker_alert": "to the operator or the coordinators, once per incident: the worker itself is in trouble",
}


def bundled_templates_dir() -> Path:
    """The templates shipped with the program (inside the package when installed from a wheel)."""
    package = Path(__file__).resolve().parent.parent
    # In a wheel the folder is the package's own `templates`; in a checkout it is the top-level one.
    for candidate in (package / "templates", package.parent / "templates"):
        if (candidate / "acknowledgement").is_dir():
            return candidate
    raise FileNotFoundError("the bundled email templates are missing; reinstall inbox-worker")


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


class Templates:
    def __init__(self, override_dir: str | Path | None = None):
        loaders = []
        if override_dir:
            loaders.append(FileSystemLoader(str(override_dir)))
        loaders.append(FileSystemLoader(str(bundled_templates_dir())))
        self.env = Environment(
            loader=ChoiceLoader(loaders),
            undefined=StrictUndefined,
            autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
            keep_trailing_newline=True,
            trim_blocks=True,
            lstrip_blocks=True,
            # Asked at every render, whether a file changed cost a stat of each template file
            # for every email; `refresh` asks once a cycle instead.
            auto_reload=False,
        )

    def refresh(self) -> None:
        """Forget every template whose file changed since it was read (a coordinator edited an
        override), so the next email reads it again. The worker calls this at every cycle."""
        if self.env.cache is None:
            return
        for key, template in list(self.env.cache.items()):
            if not template.is_up_to_date:
                del self.env.cache[key]

    def render(self, name: str, context: dict[str, Any]) -> Rendered:
        if name not in TEMPLATES:
            raise KeyError(f"no email template named {name!r}; the templates are: {', '.join(TEMPLATES)}")
        subject = self.env.get_template(f"{name}/subject.txt").render(context)
        return Rendered(
            # Names and subjects from incoming mail reach subjects: one line of plain text, always.
            subject=header_text(subject),
            text=self.env.get_template(f"{name}/body.txt").render(context),
            html=self.env.get_template(f"{name}/body.html").render(context),
        )


def message_id_for(key: str, domain: str) -> str:
    """A new Message-ID of our own domain, naming the email's reason for people reading headers.

    Unique across programs and deployments: the random part, not the key, makes it so
    (two programs both have an "ack:1").
    """
    readable = re.sub(r"[^A-Za-z0-9-]+", "-", key)[:40].strip("-") or "mail"
    return f"<{readable}.{uuid.uuid4().hex}.inbox-worker@{domain}>"


def build_message(rendered: Rendered, envelope: Envelope, *, message_id: str, date: datetime,
                  zone: tzinfo = UTC, attachments: list[Attachment] = (),
                  inline_images: list[InlineImage] = ()) -> OutgoingEmail:
    """A multipart/alternative email (text and HTML), with attachments if any, and with images the
    HTML shows in place (`inline_images`, named by `cid:`).

    Every header value, the envelope's and the subject, is set by `write_email`, which cleans
    and checks it; `envelope.in_reply_to` and `references` may be the incoming message's
    values as they came.
    """
    return write_email(envelope, subject=rendered.subject, text=rendered.text, html=rendered.html,
                       message_id=message_id or make_msgid(), date=date, zone=zone, attachments=attachments,
                       inline_images=inline_images)


# One plain address (RFC 5322 dot-atom local part, a dotted domain): nothing a header
# could be smuggled through, and no second recipient.
ADDRESS = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
                     r"@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+")


def valid_address(address: str) -> bool:
    return len(address) <= 254 and ADDRESS.fullmatch(address) is not None


def address_domain(address: str) -> str:
    return address.rpartition("@")[2] or "localhost"
