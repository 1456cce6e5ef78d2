"""Classify: what kind of mail is this, before anyone reads its content?

Mail that a machine sent (auto-replies, bounces, list and bulk mail, our own
messages coming back) must never be answered automatically (RFC 3834), or
two robots can mail each other forever. Only mail from a person goes on to
extraction, which then decides whether it holds an application or is a
question for the coordinators.

This is a pure function of the message's headers and structure.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from email.message import Message
from enum import StrEnum

from inbox_worker.mail.headers import header, raw_header, sender_address


class Kind(StrEnum):
    """Who wrote a message. Stored as its value in the message's row (`classification`)."""

    PERSON = "person"
    AUTO_REPLY = "auto_reply"
    # A delivery report, or other mail from a mail system.
    BOUNCE = "bounce"
    # A mailing list or a bulk sender.
    LIST = "list"
    # The program's own mail coming back.
    OWN = "own"

AUTO_SUBJECT = re.compile(
    r"^\s*(out of (the )?office|automatic reply|auto(matic)?[- ]?(reply|response)|autoreply|"
    r"auto:|away from (my|the) (desk|office)|on vacation|vacation reply|abwesenheit|r\u00e9ponse automatique)",
    re.IGNORECASE,
)
BOUNCE_SUBJECT = re.compile(
    r"^\s*(undeliver(able|ed)|delivery status notification|mail delivery (failed|failure|subsystem)|"
    r"returned mail|failure notice|delivery (has )?failed)",
    re.IGNORECASE,
)
MACHINE_SENDER = re.compile(r"^(mailer-daemon|postmaster|no-?reply|do-?not-?reply|bounces?)([+@.-]|$)",
                            re.IGNORECASE)


@dataclass(frozen=True)
class Classification:
    kind: Kind
    reason: str

    @property
    def from_person(self) -> bool:
        return self.kind is Kind.PERSON


def is_delivery_report(msg: Message) -> bool:
    """Whether the message's type is multipart/report (RFC 6522), as delivery reports are."""
    raw = raw_header(msg, "Content-Type")
    # Parsing a Content-Type with its parameters is slow; one that does not even say "report"
    # cannot be multipart/report.
    if raw is not None and "report" not in raw.lower():
        return False
    return msg.get_content_type() == "multipart/report"


def classify(msg: Message, own_addresses: frozenset[str] = frozenset()) -> Classification:
    """Say whether a person wrote this message, or which kind of machine did."""
    auto = header(msg, "Auto-Submitted").lower()
    report = is_delivery_report(msg)
    sender = sender_address(msg)
    return_path = header(msg, "Return-Path")
    subject = header(msg, "Subject")
    precedence = header(msg, "Precedence").lower()

    if report or return_path == "<>" or MACHINE_SENDER.match(sender.split("@")[0] or ""):
        return Classification(Kind.BOUNCE, "a delivery report or other mail from a mail system")
    if header(msg, "X-Inbox-Worker") or (sender and sender in own_addresses):
        return Classification(Kind.OWN, "mail sent by the program's own address")
    if auto and auto != "no":
        return Classification(Kind.AUTO_REPLY, f"marked Auto-Submitted: {auto}")
    if precedence in ("auto_reply", "auto-reply"):
        return Classification(Kind.AUTO_REPLY, f"marked Precedence: {precedence}")
    for name in ("X-Autoreply", "X-Autorespond", "X-Auto-Reply", "X-Autoresponse"):
        if header(msg, name):
            return Classification(Kind.AUTO_REPLY, f"carries an {name} header")
    if BOUNCE_SUBJECT.match(subject):
        return Classification(Kind.BOUNCE, "its subject says it is a delivery failure")
    if AUTO_SUBJECT.match(subject):
        return Classification(Kind.AUTO_REPLY, "its subject says it is an automatic reply")
    if precedence in ("bulk", "list", "junk"):
        return Classification(Kind.LIST, f"marked Precedence: {precedence}")
    for name in ("List-Id", "List-Unsubscribe", "List-Post", "X-Mailing-List", "Feedback-ID"):
        if header(msg, name):
            return Classification(Kind.LIST, f"sent through a mailing list or bulk sender ({name})")
    return Classification(Kind.PERSON, "")
