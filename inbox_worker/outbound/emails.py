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
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime, formataddr, make_msgid
from pathlib import Path
from typing import Any

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined, select_autoescape

from inbox_worker.mail.outgoing import OutgoingEmail, file_part, recipients_of, text_part, write_email

# Every template the program sends, and what it is for. `preview` and the
# template test go through this table, so a template cannot be forgotten.
TEMPLATES: dict[str, str] = {
    "acknowledgement": "to an applicant: what was read from their form, what is missing, what happens next",
    "acknowledgement_update": "to an applicant who sent their form again: their record was updated",
    "review_notice": "to the coordinators: a message was set aside for a person to read",
    "limit_notice": "to the coordinators, once a day at most: a daily limit held mail back",
    "supervisor_notice": "to a protégé's supervisor, before the introduction: the program and its time asked",
    "introduction": "to a matched protégé and mentor (coordinators in cc): each other, guidelines, dates (.ics)",
    "assessment_reminder": "to each participant at the configured months: short questions answered by reply",
    "assessment_escalation": "to the coordinators: an assessment reminder went unanswered",
    "closing": "to each participant at 12 months: the year is complete; feedback on the program, please",
    "relationship_ended": "to each participant when a coordinator ends their relationship early (no reason given)",
    "waiting_list_note": "to a protégé waiting long for a match: not forgotten",
    "call_for_mentors": "a draft for the listserv, attached to the digest, when protégés outnumber mentors",
    "digest": "to the coordinators, daily or weekly: what happened and what waits for a decision",
    "command_result": "to the coordinators: what a reply command did, or why it was refused",
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


@dataclass
class Attachment:
    filename: str
    content_type: str
    data: bytes


@dataclass
class Envelope:
    """Who a message is from and to, and which message it answers."""

    from_address: str
    from_name: str
    to: list[str]
    cc: list[str] = field(default_factory=list)
    in_reply_to: str | None = None
    references: list[str] = field(default_factory=list)
    auto_submitted: str = "auto-replied"
    # Where replies go, when not to the sender.
    reply_to: str | None = None


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
            subject=one_line(subject),
            text=self.env.get_template(f"{name}/body.txt").render(context),
            html=self.env.get_template(f"{name}/body.html").render(context),
        )


def one_line(text: str) -> str:
    """Fold a header value onto one line: no CR or LF can reach a header."""
    return re.sub(r"[\s\x00]+", " ", text).strip()


def message_id_for(key: str, domain: str) -> str:
    """A new Message-ID of our own domain, naming the email's reason for people reading headers.

    Unique across programs and deployments: the random part, not the key, makes it so
    (two programs both have an "ack:1").
    """
    readable = re.sub(r"[^A-Za-z0-9-]+", "-", key)[:40].strip("-") or "mail"
    return f"<{readable}.{uuid.uuid4().hex}.inbox-worker@{domain}>"




def build_message(rendered: Rendered, envelope: Envelope, *, message_id: str, date: datetime,
                  attachments: list[Attachment] = ()) -> OutgoingEmail:
    """A multipart/alternative email (text and HTML), with attachments if any."""
    to = [one_line(a) for a in envelope.to]
    cc = [one_line(a) for a in envelope.cc]
    headers = [("From", formataddr((one_line(envelope.from_name), envelope.from_address))),
               ("To", ", ".join(to))]
    if cc:
        headers.append(("Cc", ", ".join(cc)))
    if envelope.reply_to:
        headers.append(("Reply-To", one_line(envelope.reply_to)))
    message_id = message_id or make_msgid()
    headers += [("Subject", rendered.subject),
                # Stored times are naive UTC; say so in the header.
                ("Date", format_datetime(date if date.tzinfo else date.replace(tzinfo=UTC))),
                ("Message-ID", message_id)]
    if envelope.in_reply_to:
        chain = [*envelope.references, envelope.in_reply_to]
        headers += [("In-Reply-To", one_line(envelope.in_reply_to)),
                    ("References", " ".join(one_line(r) for r in chain))]
    # RFC 3834: say this mail was sent by a program, so other programs do not answer it.
    headers += [("Auto-Submitted", envelope.auto_submitted), ("X-Auto-Response-Suppress", "All"),
                ("X-Inbox-Worker", "1")]
    raw = write_email(headers, [text_part("plain", rendered.text), text_part("html", rendered.html)],
                      [file_part(a.content_type, a.filename, a.data) for a in attachments],
                      (_boundary(rendered), _boundary(rendered)))
    # A plain address (as the program's own recipients are) is its own recipient: only a value
    # such as `Ann <ann@example.org>` needs the parser of address headers.
    addresses = to + cc
    recipients = addresses if all(valid_address(a) for a in addresses) else recipients_of(addresses)
    return OutgoingEmail(raw=raw, recipients=recipients, subject=rendered.subject,
                         message_id=message_id, auto_submitted=envelope.auto_submitted)


def _boundary(rendered: Rendered) -> str:
    """A MIME boundary no part can contain: random and unguessable.

    Its "=_" cannot appear in quoted-printable or base64; a body written as it is (plain ASCII
    text) is the rendered text, which is checked.
    """
    while True:
        boundary = f"=_inbox-worker_{secrets.token_hex(16)}"
        if boundary not in rendered.text and boundary not in rendered.html:
            return boundary


# One plain address (RFC 5322 dot-atom local part, a dotted domain): nothing a header
# could be smuggled through, and no second recipient.
ADDRESS = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
                     r"@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+")


def valid_address(address: str) -> bool:
    return len(address) <= 254 and ADDRESS.fullmatch(address) is not None


def address_domain(address: str) -> str:
    return address.rpartition("@")[2] or "localhost"
