"""Reading an incoming message's headers: a header's text, the sender's address.

Helpers shared by everything that looks at mail as it arrived (classification,
replies, bounces). A malformed header never raises here: it reads as empty.
"""
from __future__ import annotations

import re
from email.message import Message
from email.utils import getaddresses


def header(msg: Message, name: str) -> str:
    """A header's value as text, '' when missing or unreadable."""
    try:
        value = msg.get(name)
    except Exception:  # a malformed header must not stop classification
        return ""
    return "" if value is None else str(value).strip()


def raw_header(msg: Message, name: str) -> str | None:
    """The first `name` header's text as it arrived, unparsed; None when it is missing, or was
    not read from mail (a header set by code)."""
    name = name.lower()
    for key, value in msg.raw_items():
        if key.lower() == name:
            return value if isinstance(value, str) else None
    return None


def raw_headers(msg: Message, name: str) -> list[str]:
    """Every `name` header's text as it arrived, unparsed and unfolded, topmost first."""
    name = name.lower()
    return [" ".join(str(value).split()) for key, value in msg.raw_items() if key.lower() == name]


# A From of the everyday shape, `Some Name <local@domain>` or `local@domain`, in ASCII, with a
# name of words alone (encoded words for names in other scripts are words too) and nothing the
# address grammar treats specially (quotes, comments, groups, lists, routes): its address can be
# read off as it is. The email package's parser of address headers takes a tenth of a
# millisecond for each new one; every other From still goes through it.
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_PLAIN_ADDRESS = rf"{_ATOM}(?:\.{_ATOM})*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*"
_PLAIN_FROM = re.compile(rf"[A-Za-z0-9!#$%&'*+/=?^_`{{|}}~.\s-]*<({_PLAIN_ADDRESS})>|({_PLAIN_ADDRESS})")


def sender_address(msg: Message) -> str:
    """The From address, lower case ('' when there is none or it cannot be read)."""
    raw = raw_header(msg, "From")
    plain = _PLAIN_FROM.fullmatch(raw.strip()) if raw is not None else None
    address = (plain.group(1) or plain.group(2)) if plain is not None else ""
    # The parser decodes an encoded word even inside an address.
    if address and "=?" not in address:
        return address.lower()
    return parsed_sender_address(msg)


def parsed_sender_address(msg: Message) -> str:
    """`sender_address` through the email package's parser, whatever the From looks like."""
    try:
        pairs = getaddresses([header(msg, "From")])
    except Exception:
        return ""
    for _name, addr in pairs:
        if "@" in addr:
            return addr.strip().lower()
    return ""
