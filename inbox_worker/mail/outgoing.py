"""Outgoing: an email the program sends, written straight to the bytes the outbox keeps.

The email package builds a tree of header objects, parsing each value it is
given, then walks the tree to write it out again; for a backlog's
acknowledgements that was a fifth of the worker's own time. Every email the
program sends has one shape (a text and an HTML body, sometimes files
attached), so it is written here directly:

- a header that is a line of plain ASCII (within SMTP's 998 characters) is
  written as it is; any other (a name with accents, text that looks like
  an encoded word) is folded and encoded by the email package itself, as
  before;
- bodies are quoted-printable UTF-8 (7bit when plain ASCII in short lines),
  attachments base64;
- lines end in CRLF, as on the wire.

A line break in a header value is refused, never written. The tests read
each email back with the email package and compare it, header for header and
part for part, with what went in.
"""
from __future__ import annotations

import base64
import binascii
import email
import functools
import re
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import encode_rfc2231, getaddresses

from inbox_worker.mail.policy import POLICY

# Folded only past SMTP's own limit, so a long subject stays on one line.
WIRE = POLICY.clone(linesep="\r\n", max_line_length=998)
# RFC 2045: a body line of 7bit text is at most this long, or the body is encoded.
_SHORT_LINE = 78
_PLAIN_FILENAME = re.compile(r"[A-Za-z0-9 ._()+-]{1,200}")


@dataclass(frozen=True)
class OutgoingEmail:
    """An email ready for the outbox: its bytes, and what the outbox must know of it."""

    raw: bytes
    recipients: list[str]  # the addresses of To and Cc, in order
    subject: str
    message_id: str
    auto_submitted: str

    def parsed(self) -> EmailMessage:
        """The email as the email package reads it (for previews and tests)."""
        return email.message_from_bytes(self.raw, policy=POLICY)


@dataclass(frozen=True)
class Part:
    """A leaf of the email: its headers (beyond Content-Type) and its encoded body."""

    content_type: str
    headers: list[tuple[str, str]]
    body: bytes


def write_email(headers: list[tuple[str, str]], bodies: list[Part], attachments: list[Part],
                boundaries: tuple[str, str]) -> bytes:
    """Headers, then the bodies as multipart/alternative, inside multipart/mixed when there are
    attachments."""
    alternative, mixed = boundaries
    content = _multipart("alternative", alternative, [_part(p) for p in bodies])
    if attachments:
        content = _multipart("mixed", mixed, [content, *(_part(a) for a in attachments)])
    head = [header_line(name, value) for name, value in headers]
    return b"".join(head) + b"MIME-Version: 1.0\r\n" + content


def recipients_of(addresses: list[str]) -> list[str]:
    """The plain addresses of header values such as `Ann <ann@example.org>`."""
    return [addr for _name, addr in getaddresses(addresses) if addr]


def header_line(name: str, value: str) -> bytes:
    """One header, CRLF-terminated; refused if the value would break out of it."""
    if "\r" in value or "\n" in value or "\0" in value:
        raise ValueError(f"a {name} header cannot hold a line break")
    if value.isascii() and value.isprintable() and "=?" not in value and len(name) + 2 + len(value) <= 998:
        return f"{name}: {value}\r\n".encode("ascii")
    return _folded(name, value)


@functools.lru_cache(maxsize=1024)
def _folded(name: str, value: str) -> bytes:
    # The email package's own folding and RFC 2047 encoding. The same few values (the program's
    # name, a template's subject) come back every time, so they are kept.
    return WIRE.fold_binary(*WIRE.header_store_parse(name, value))


def text_part(subtype: str, text: str) -> Part:
    """A text body in UTF-8: 7bit when it is plain ASCII in short lines, else quoted-printable.

    Line ends of any kind become CRLF, and the body ends with one, as the email package writes it.
    """
    lines = text.encode("utf-8").splitlines()
    if all(len(line) <= _SHORT_LINE for line in lines) and text.isascii():
        cte, body = "7bit", b"\r\n".join(lines) + b"\r\n"
    else:
        # binascii's encoder keeps the text's own line breaks (LF here) and breaks long lines
        # with soft line breaks in the same style; both then become CRLF.
        encoded = binascii.b2a_qp(b"\n".join(lines) + b"\n", quotetabs=False, istext=True, header=False)
        cte, body = "quoted-printable", encoded.replace(b"\n", b"\r\n")
    return Part(f'text/{subtype}; charset="utf-8"', [("Content-Transfer-Encoding", cte)], body)


def file_part(content_type: str, filename: str, data: bytes) -> Part:
    """An attached file, base64 in lines of 76."""
    if _PLAIN_FILENAME.fullmatch(filename):
        disposition = f'attachment; filename="{filename}"'
    else:
        disposition = f"attachment; filename*={encode_rfc2231(filename, 'utf-8')}"
    return Part(content_type, [("Content-Transfer-Encoding", "base64"), ("Content-Disposition", disposition)],
                base64.encodebytes(data).replace(b"\n", b"\r\n"))


def _part(part: Part) -> bytes:
    head = [header_line("Content-Type", part.content_type)]
    head += [header_line(name, value) for name, value in part.headers]
    return b"".join(head) + b"\r\n" + part.body


def _multipart(subtype: str, boundary: str, parts: list[bytes]) -> bytes:
    """A multipart's Content-Type and body; each part already holds its own headers."""
    delimiter = b"--" + boundary.encode("ascii")
    out = [f'Content-Type: multipart/{subtype}; boundary="{boundary}"\r\n\r\n'.encode("ascii")]
    for i, part in enumerate(parts):
        # The line break before a delimiter belongs to the delimiter, not to the part before it.
        out += [b"\r\n" if i else b"", delimiter, b"\r\n", part]
    out += [b"\r\n", delimiter, b"--\r\n"]
    return b"".join(out)
