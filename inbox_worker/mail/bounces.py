"""Read delivery status notifications (RFC 3464): which of our emails bounced, and for whom.

A bounce is never answered (that is how mail loops start); instead a hard
failure (status 5.x.x) for mail we sent marks the address undeliverable,
so nothing more is sent to it automatically, and the coordinators are told.
Pure functions of the parsed message.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from email.message import Message

ADDRESS = re.compile(r"[^\s<>;]+@[^\s<>;]+")
MESSAGE_ID = re.compile(r"<[^<>\s]+@[^<>\s]+>")


@dataclass(frozen=True)
class FailedRecipient:
    address: str
    status: str
    diagnostic: str

    @property
    def permanent(self) -> bool:
        return self.status.startswith("5")


def failed_recipients(msg: Message) -> list[FailedRecipient]:
    """The recipients a delivery report says failed, from its message/delivery-status part."""
    out = []
    for part in _walk(msg):
        if part.get_content_type() != "message/delivery-status":
            continue
        for block in _status_blocks(part):
            action = block.get("action", "").lower()
            recipient = block.get("final-recipient") or block.get("original-recipient") or ""
            found = ADDRESS.search(recipient.split(";", 1)[-1])
            if action == "failed" and found:
                out.append(FailedRecipient(found.group(0).strip().lower(), block.get("status", "5.0.0"),
                                           block.get("diagnostic-code", "")[:500]))
    return out


def bounced_message_ids(msg: Message) -> list[str]:
    """Message-IDs of the original message a report quotes (its headers part, or the whole message)."""
    ids = []
    for part in _walk(msg):
        if part.get_content_type() in ("text/rfc822-headers", "message/rfc822"):
            text = _text_of(part)
            for line in text.splitlines():
                if line.lower().startswith("message-id:"):
                    ids += MESSAGE_ID.findall(line)
    return ids


def _walk(msg: Message, limit: int = 50):
    try:
        for i, part in enumerate(msg.walk()):
            if i >= limit:
                return
            yield part
    except Exception:  # a broken report is just a report we cannot read
        return


def _text_of(part: Message) -> str:
    payload = part.get_payload()
    if isinstance(payload, list):  # message/rfc822 parsed into a message
        return "\n".join(f"{k}: {v}" for inner in payload for k, v in inner.items())
    raw = part.get_payload(decode=True) or b""
    return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)


def _status_blocks(part: Message) -> list[dict[str, str]]:
    """The per-recipient field groups of a delivery-status part, keys lower case."""
    payload = part.get_payload()
    if isinstance(payload, list):  # the email package parses each group into a header block
        return [{k.lower(): str(v) for k, v in block.items()} for block in payload]
    text = _text_of(part)
    blocks = []
    for chunk in re.split(r"\r?\n\s*\r?\n", text):
        fields = {}
        for line in chunk.splitlines():
            name, sep, value = line.partition(":")
            if sep:
                fields[name.strip().lower()] = value.strip()
        if fields:
            blocks.append(fields)
    return blocks
