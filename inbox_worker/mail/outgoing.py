"""Outgoing: an email the program sends, built by the email package and kept as the bytes the outbox sends.

`write_email` is the one place an outgoing email's headers are set, and no
value given to it can add a header or a line:

- every header value passes through `header_text`: encoded words are decoded
  (again and again, as long as decoding still changes it), control
  characters (CR, LF, NUL, the rest of C0 and C1, the Unicode line and
  paragraph separators) become spaces, and anything still shaped like an
  encoded word is broken up, so nothing the email package decodes later can
  hold a line break;
- message ids copied from incoming mail into In-Reply-To and References are
  kept only when they match RFC 5322's msg-id grammar, and dropped otherwise;
- addresses are set as `Address` objects, which refuse anything but one
  address; the email package (`EmailMessage`, `policy.SMTP`) refuses CR and
  LF in what it is given, and folds and encodes the rest;
- last, the header block written is read back and must hold exactly the
  headers set, in order, or the email is refused.

Python's email package before 3.11.10 and 3.12.5 (CVE-2024-6923) decodes an
encoded CR/LF in a value it is given and writes it out as a line break, and
checks nothing it generates: which is why values are cleaned here first, and
the result checked after.
"""
from __future__ import annotations

import email
import email.policy
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import getaddresses

# Message ids are written as they are (`_set_ids`); every other header is folded by policy.SMTP.
POLICY = email.policy.SMTP.clone(refold_source="none")
AUTO_SUBMITTED = frozenset({"auto-replied", "auto-generated"})
# Decoding an encoded word that holds another: beyond this many rounds it is text made to unfold
# again and again, and what is left is broken up rather than decoded further.
_DECODING_ROUNDS = 4
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
# RFC 5322 3.6.4: msg-id = "<" id-left "@" id-right ">", without the obsolete forms.
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]"
_DOT_ATOM = rf"{_ATEXT}+(?:\.{_ATEXT}+)*"
_NO_FOLD_LITERAL = r"\[[\x21-\x5a\x5e-\x7e]*\]"
MSG_ID = re.compile(rf"<{_DOT_ATOM}@(?:{_DOT_ATOM}|{_NO_FOLD_LITERAL})>")
# Longer ids are not ones mail programs make; a header of them would be a hostile one.
_MAX_ID_LENGTH = 250
# References keeps the nearest ids of the chain.
_MAX_REFERENCES = 20
_UNSTRUCTURED = POLICY.header_factory


@dataclass
class Attachment:
    """A file sent with an email (its name is cleaned like any header value)."""

    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class InlineImage:
    """An image the HTML body shows in place (`<img src="cid:CID" alt="ALT">`), not an attachment."""

    cid: str
    content_type: str
    data: bytes
    # What the image shows, in words: the template puts it in the img tag's alt.
    alt: str


@dataclass
class Envelope:
    """Who a message is from and to, and which message it answers."""

    from_address: str
    from_name: str
    to: list[str]
    cc: list[str] = field(default_factory=list)
    # The incoming message's Message-ID and References, as they came: checked here.
    in_reply_to: str | None = None
    references: list[str] = field(default_factory=list)
    auto_submitted: str = "auto-replied"
    # Where replies go, when not to the sender.
    reply_to: str | None = None


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
        return email.message_from_bytes(self.raw, policy=email.policy.default)


def header_text(value: str) -> str:
    """A header value from outside as one line of plain text that no reader decodes into more."""
    text = value
    for _ in range(_DECODING_ROUNDS):
        cleaned = " ".join(_CONTROL.sub(" ", _decoded(text)).split())
        if cleaned == text:
            break
        text = cleaned
    # Left over: text that looks like an encoded word without being one, or one nested too deep.
    return text.replace("=?", "= ?")


def _decoded(text: str) -> str:
    # Decoded as the email package decodes a value it is given, so what it will read is what is cleaned.
    try:
        return str(_UNSTRUCTURED("subject", text))
    except Exception:  # a value it cannot read is kept as it is, and cleaned as text
        return text


def valid_message_id(value: str | None) -> str | None:
    """`value` as one RFC 5322 msg-id, or None when it is not one."""
    if not value:
        return None
    text = header_text(value)
    return text if len(text) <= _MAX_ID_LENGTH and MSG_ID.fullmatch(text) else None


def valid_message_ids(values: Iterable[str]) -> list[str]:
    """The msg-ids among `values` (each may hold several, as a References header does), in order,
    once each; anything else is dropped."""
    found = [token for value in values if value for token in header_text(value).split()]
    return list(dict.fromkeys(t for t in found if len(t) <= _MAX_ID_LENGTH and MSG_ID.fullmatch(t)))


def write_email(envelope: Envelope, *, subject: str, text: str, html: str, message_id: str,
                date: datetime, zone: tzinfo = UTC, attachments: Sequence[Attachment] = (),
                inline_images: Sequence[InlineImage] = ()) -> OutgoingEmail:
    """A multipart/alternative email (text and HTML), inside multipart/mixed with attachments if any.

    With `inline_images` the HTML part becomes multipart/related: the HTML, then each image it
    names by `cid:` (RFC 2387), so mail programs show them in place; the text part stays whole.
    """
    own_id = valid_message_id(message_id)
    if own_id is None or own_id != message_id:
        raise ValueError(f"{message_id!r} is not a Message-ID")
    if envelope.auto_submitted not in AUTO_SUBMITTED:
        raise ValueError(f"Auto-Submitted cannot be {envelope.auto_submitted!r}")
    to = [_address(a) for a in envelope.to]
    cc = [_address(a) for a in envelope.cc]
    if not to:
        raise ValueError("an email needs at least one recipient")
    answered = valid_message_id(envelope.in_reply_to)
    chain = valid_message_ids([*envelope.references, answered or ""])[-_MAX_REFERENCES:]
    subject = header_text(subject)

    msg = EmailMessage(policy=POLICY)
    msg["From"] = Address(header_text(envelope.from_name), addr_spec=envelope.from_address)
    msg["To"] = to
    if cc:
        msg["Cc"] = cc
    if envelope.reply_to:
        msg["Reply-To"] = _address(envelope.reply_to)
    msg["Subject"] = subject
    # Stored times are naive UTC; the header shows the program's own clock and its offset
    # (-0700 in Denver in winter), as a person's mail program there would write it.
    msg["Date"] = (date if date.tzinfo else date.replace(tzinfo=UTC)).astimezone(zone)
    _set_ids(msg, "Message-ID", [own_id])
    if answered:
        _set_ids(msg, "In-Reply-To", [answered])
    if chain:
        _set_ids(msg, "References", chain)
    # RFC 3834: say this mail was sent by a program, so other programs do not answer it.
    msg["Auto-Submitted"] = envelope.auto_submitted
    msg["X-Auto-Response-Suppress"] = "All"
    msg["X-Inbox-Worker"] = "1"
    names = [name for name, _value in msg.raw_items()]
    msg.set_content(text, cte=_transfer_encoding(text))
    msg.add_alternative(html, subtype="html", cte=_transfer_encoding(html))
    if inline_images:
        html_part = msg.get_payload()[1]
        for image in inline_images:
            maintype, _, subtype = image.content_type.partition("/")
            cid = valid_message_id(f"<{image.cid}>")
            if cid is None:
                raise ValueError(f"{image.cid!r} cannot name an image (a Content-ID is shaped like a msg-id)")
            html_part.add_related(image.data, maintype=maintype, subtype=subtype, cid=cid,
                                  disposition="inline", filename=f"{image.cid.partition('@')[0]}.{subtype}")
    for a in attachments:
        maintype, _, subtype = a.content_type.partition("/")
        msg.add_attachment(a.data, maintype=maintype, subtype=subtype, filename=header_text(a.filename))
    raw = msg.as_bytes()
    _check_header_block(raw, [*names, "MIME-Version", "Content-Type"])
    return OutgoingEmail(raw=raw, recipients=[a.addr_spec for a in to + cc], subject=subject,
                         message_id=own_id, auto_submitted=envelope.auto_submitted)


def _address(value: str) -> Address:
    """One recipient, `ann@example.org` or `Ann <ann@example.org>`; anything else is refused."""
    pairs = getaddresses([value])
    if len(pairs) != 1 or not pairs[0][1]:
        raise ValueError(f"{value!r} is not one address")
    name, addr = pairs[0]
    # Address refuses an addr_spec that is not one address, whole.
    return Address(header_text(name), addr_spec=addr)


def _set_ids(msg: EmailMessage, name: str, ids: list[str]) -> None:
    # A msg-id must never be an encoded word (RFC 2047 5), and the email package encodes one too long
    # for a line of 78 in order to fold it; so checked ids are written as they are, the first beside
    # the header's name (where readers expect it) and each other on a line of its own.
    assert all(MSG_ID.fullmatch(i) for i in ids)
    msg.set_raw(name, "\n ".join(ids))


def _transfer_encoding(text: str) -> str | None:
    # Plain ASCII: the email package picks 7bit, or an encoding when lines are too long. Anything
    # else is quoted-printable, so the email never needs a server that takes 8-bit mail.
    return None if text.isascii() else "quoted-printable"


def _check_header_block(raw: bytes, names: list[str]) -> None:
    """Refuse the email unless its header block holds exactly the headers set, in order, each a
    line of its own or folded onto continuation lines."""
    block = raw.split(b"\r\n\r\n", 1)[0]
    written = []
    for line in block.split(b"\r\n"):
        if b"\r" in line or b"\n" in line or not line:
            raise ValueError("an outgoing email's header held a stray line break")
        if line[:1] not in (b" ", b"\t"):
            written.append(line.split(b":", 1)[0].decode("ascii", "replace"))
    if written != names:
        raise ValueError(f"an outgoing email's headers came out as {written}, not {names}")
