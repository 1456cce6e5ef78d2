"""From a raw message (or a bare attachment) to an Extraction.

The message is walked part by part with the standard library's `email`:
bodies are decoded whatever their charset, attachments are read by what
their bytes are (not what they claim to be), forwarded messages, inline or
attached, are read as coming from their original sender. Every Document is
read for the form (or, failing a form, as a letter of application), each
one on its own so a broken attachment cannot sink a good body; the document
with the surest reading wins. No filled form and no letter of application
anywhere means no application.
"""

from __future__ import annotations

import binascii
import email
import email.policy
import os
import re
from dataclasses import dataclass, field
from email.message import Message
from email.parser import BytesFeedParser, BytesParser
from email.utils import parseaddr, parsedate_to_datetime

from pydantic import ValidationError

from inbox_worker.extract import bodies
from inbox_worker.extract.document import Document
from inbox_worker.extract.limits import MAX_MIME_DEPTH, MAX_MIME_PARTS
from inbox_worker.extract.named import read_fields
from inbox_worker.extract.places import split_blanks
from inbox_worker.extract.prose import read_letter
from inbox_worker.extract.reading import FormReading
from inbox_worker.extract.textform import read_form
from inbox_worker.form import RECORD_KEYS
from inbox_worker.record import ApplicationRecord, Extraction, RefusedInput, UnreadableInput


@dataclass
class Walk:
    """What walking one message gathered: its documents and the trouble met on the way."""

    documents: list[Document] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    parts: int = 0
    # The original sender of an inline forward in the top-level body, for its attachments.
    forwarded_from: str | None = None


def extract_path(path: str | os.PathLike) -> Extraction:
    """An .eml message, or a bare .docx/.pdf/.odt/.txt/.html file, read for an application."""
    try:
        with open(path, "rb") as fh:
            data = fh.read(64 * 1024 * 1024 + 1)
    except OSError as exc:
        raise UnreadableInput(f"cannot read {path}: {exc.strerror or exc}") from exc
    name = os.path.basename(str(path))
    kind = _sniff(data, name)
    if kind == "eml" or (kind == "text" and name.lower().endswith(".eml")):
        return extract_message(data)
    if kind in (None, "doc"):
        what = "an old binary Word (.doc) file" if kind == "doc" else "not a format this program reads"
        raise UnreadableInput(
            f"{name}: {what}; send the form as .docx, .pdf, .odt, .txt or in the message body"
        )
    doc = _read_file(data, kind, name, f"file: {name}", None)
    extraction = _decide([doc], [], None)
    extraction.part = doc.source if extraction.kind == "application" else None
    return extraction


def extract_message(raw: bytes) -> Extraction:
    """One message as received, read for an application."""
    return extract_parsed(parse_message(raw))


def extract_parsed(msg: Message) -> Extraction:
    """One message already parsed by `parse_message`, read for an application."""
    meta = _meta(msg)
    auto = _automatic(msg)
    if auto:
        return Extraction(kind="no_application", reason=auto, **meta)
    walk = Walk()
    _walk(msg, walk, depth=0, forwarded_from=None, top=True)
    return _decide(walk.documents, walk.problems, walk.forwarded_from, meta)


# ---------------------------------------------------------------- parsing


# `email.message_from_bytes` copies the whole message into a StringIO (four bytes a character)
# before feeding its parser: a 35 MB message peaked at 270 MB. Feeding the parser in pieces
# gives the same Message in little more than the message's own size.
PARSE_CHUNK = 64 * 1024


def parse_bytes(raw: bytes, policy: email.policy.Policy = email.policy.default) -> Message:
    """`raw` parsed exactly as `email.message_from_bytes(raw, policy=policy)` would, in bounded memory."""
    parser = BytesFeedParser(policy=policy)
    view = memoryview(raw)
    for start in range(0, len(view), PARSE_CHUNK):
        parser.feed(view[start:start + PARSE_CHUNK].tobytes())
    return parser.close()


def _parse_header_block(block: bytes, policy: email.policy.Policy) -> Message:
    # headersonly: a multipart's parts are not looked for, so its boundary (a pattern compiled
    # afresh for every message, a third of a millisecond) is never needed.
    return BytesParser(policy=policy).parsebytes(block, headersonly=True)


def parse_message(raw: bytes, *, headers_only: bool = False) -> Message:
    """The message parsed leniently; UnreadableInput when it is not an email at all.
    `headers_only`: `raw` is a header block, parsed with no body."""
    if not isinstance(raw, (bytes, bytearray)):
        raise UnreadableInput("expected the message as bytes")
    parse = _parse_header_block if headers_only else parse_bytes
    try:
        msg = parse(raw, email.policy.default)
        list(msg.keys())
    except Exception:  # malformed beyond what the modern parser tolerates
        msg = parse(raw, email.policy.compat32)
    if not list(msg.keys()):
        raise UnreadableInput("this is not an email message: it has no headers")
    return msg


# The first empty line ends the header block.
_HEADER_END = re.compile(rb"\r?\n\r?\n")


def parse_headers(raw: bytes) -> Message:
    """Only the message's headers, parsed as `parse_message` parses them, with no body.

    Who sent a message and what kind it is need only its headers. Parsing the
    whole of it splits every line of every attachment: for a message read in a
    reading process that is done there, once. Only the header block is parsed,
    so a large message's body is not copied either.
    """
    if not isinstance(raw, (bytes, bytearray)):
        raise UnreadableInput("expected the message as bytes")
    end = _HEADER_END.search(raw)
    return parse_message(raw[:end.end()] if end else raw, headers_only=True)


def _header(msg: Message, name: str) -> str:
    try:
        value = msg.get(name)
        return str(value).strip() if value is not None else ""
    except Exception:  # an undecodable header is as good as absent
        try:
            return str(msg.get_all(name, [""])[0])
        except Exception:
            return ""


def _meta(msg: Message) -> dict:
    sender = parseaddr(_header(msg, "From"))[1].lower() or None
    received = None
    date = _header(msg, "Date")
    if date:
        try:
            received = parsedate_to_datetime(date).isoformat()
        except (TypeError, ValueError, IndexError):
            received = None
    return {"message_id": _header(msg, "Message-ID") or None, "sender": sender, "received": received}


def _automatic(msg: Message) -> str:
    """Why the message is an automatic one (auto-reply, bounce), or ""."""
    auto = _header(msg, "Auto-Submitted").lower()
    if auto and not auto.startswith("no"):
        return f"automatic message (Auto-Submitted: {auto}), not an application"
    if msg.get_content_type() == "multipart/report":
        return "delivery or read report, not an application"
    if _header(msg, "X-Autoreply") or _header(msg, "X-Autorespond"):
        return "automatic reply, not an application"
    if _header(msg, "Precedence").lower() in ("auto_reply", "auto-reply"):
        return "automatic reply, not an application"
    sender = parseaddr(_header(msg, "From"))[1].lower()
    if sender.split("@")[0] in ("mailer-daemon", "postmaster"):
        return "bounce from a mail server, not an application"
    return ""


# ---------------------------------------------------------------- walking parts


def _walk(part: Message, walk: Walk, depth: int, forwarded_from: str | None, top: bool) -> None:
    walk.parts += 1
    if walk.parts > MAX_MIME_PARTS:
        if walk.parts == MAX_MIME_PARTS + 1:
            walk.problems.append(f"the message has more than {MAX_MIME_PARTS} parts; the rest was not read")
        return
    if depth > MAX_MIME_DEPTH:
        walk.problems.append(f"the message nests parts more than {MAX_MIME_DEPTH} deep; the rest was not read")
        return
    ctype = part.get_content_type()
    if part.is_multipart():
        try:
            children = part.get_payload()
        except Exception:
            children = []
        if ctype == "message/rfc822" or (isinstance(children, list) and ctype.startswith("message/")):
            for inner in children if isinstance(children, list) else []:
                sender = parseaddr(_header(inner, "From"))[1].lower() or forwarded_from
                _walk(inner, walk, depth + 1, sender, top=False)
            return
        for child in children if isinstance(children, list) else []:
            if isinstance(child, Message):
                _walk(child, walk, depth + 1, forwarded_from, top)
        return
    try:
        _leaf(part, walk, depth, forwarded_from, top)
    except (UnreadableInput, RefusedInput) as exc:
        walk.problems.append(f"{_name(part) or ctype}: {exc}")
    except Exception as exc:  # one bad part must not sink the others
        walk.problems.append(f"{_name(part) or ctype}: could not be read ({type(exc).__name__})")


def _name(part: Message) -> str | None:
    try:
        name = part.get_filename()
    except Exception:
        name = None
    if not name:
        try:
            name = part.get_param("name")
            if isinstance(name, tuple):
                name = email.utils.collapse_rfc2231_value(name)
        except Exception:
            name = None
    return str(name) if name else None


def _payload(part: Message) -> bytes:
    raw = part.get_payload()
    if isinstance(raw, str) and part.get("Content-Transfer-Encoding", "").strip().lower() == "base64":
        # Decoded in one step: the email package splits a base64 body into lines and joins them
        # again first, holding several copies of a 25 MB attachment at once.
        try:
            return binascii.a2b_base64(raw.encode("ascii", "ignore"))
        except (binascii.Error, ValueError):
            pass  # broken base64: the email package's forgiving decoder below does what it can
    try:
        data = part.get_payload(decode=True)
    except Exception:
        data = None
    if data is None:
        data = raw.encode("utf-8", "replace") if isinstance(raw, str) else b""
    return data


def _leaf(part: Message, walk: Walk, depth: int, forwarded_from: str | None, top: bool) -> None:
    ctype = part.get_content_type()
    name = _name(part)
    try:
        disposition = (part.get_content_disposition() or "").lower()
    except Exception:
        disposition = ""
    if ctype.startswith(("image/", "audio/", "video/")):
        return  # never read, so never decoded: a 25 MB photo costs nothing here
    data = _payload(part)
    if not data.strip():
        return
    charset = None
    try:
        charset = part.get_content_charset()
    except Exception:
        charset = None
    is_body = ctype in ("text/plain", "text/html") and not name and disposition != "attachment"
    if is_body:
        label = "body" if forwarded_from is None or top else "forwarded message"
        if ctype == "text/html":
            doc = _read_file(data, "html", None, f"{label} (html)", charset)
        else:
            doc = bodies.plain_body(data, charset, part.get_param("format"), part.get_param("delsp"), label)
        doc.forwarded_from = forwarded_from
        for piece in bodies.split_body(doc):
            if top and piece.forwarded_from and walk.forwarded_from is None and forwarded_from is None:
                walk.forwarded_from = piece.forwarded_from
            walk.documents.append(piece)
        return
    kind = _sniff(data, name)
    if kind == "eml" or ctype == "message/rfc822":
        inner = parse_message(data)
        sender = parseaddr(_header(inner, "From"))[1].lower() or forwarded_from
        _walk(inner, walk, depth + 1, sender, top=False)
        return
    if kind in (None, "doc"):
        if name:
            walk.problems.append(f"{name}: not a format this program reads")
        return
    source = f"attachment: {name}" if name else f"attachment ({ctype})"
    doc = _read_file(data, kind, name, source, charset)
    doc.forwarded_from = doc.forwarded_from or forwarded_from
    if kind in ("text", "html"):
        walk.documents.extend(bodies.split_body(doc))
    else:
        walk.documents.append(doc)


def _sniff(data: bytes, name: str | None) -> str | None:
    from inbox_worker.extract.sniff import sniff

    return sniff(data, name)


def _read_file(data: bytes, kind: str, name: str | None, source: str, charset: str | None) -> Document:
    if kind == "docx":
        from inbox_worker.extract.docx import read_docx

        return read_docx(data, source)
    if kind == "pdf":
        from inbox_worker.extract.pdf import read_pdf

        return read_pdf(data, source)
    if kind == "odt":
        from inbox_worker.extract.odt import read_odt

        return read_odt(data, source)
    if kind == "html":
        from inbox_worker.extract.html import read_html

        return read_html(data, source, charset)
    from inbox_worker.extract.text import read_text

    return read_text(data, source, charset)


# ---------------------------------------------------------------- choosing


def read_document(doc: Document) -> FormReading:
    """Everything one document gives: its text read as a form, and its named fields; else a letter."""
    reading = read_form(doc)
    if not doc.fields and not reading.looks_like_application():
        letter = read_letter(doc)
        if letter is not None:
            return letter
    if doc.fields:
        named = read_fields(doc.fields, doc.source)
        reading = reading.without_guesses_for(named.blank - set(named.readings))
        reading = named.merged(reading) if named.readings else reading
        reading.evidence += named.evidence
        split_blanks(reading)
    return reading


def _decide(
    docs: list[Document], problems: list[str], forwarded_from: str | None, meta: dict | None = None
) -> Extraction:
    meta = dict(meta or {})
    best: tuple[tuple, Document, FormReading] | None = None
    for n, doc in enumerate(docs):
        try:
            reading = read_document(doc)
        except Exception as exc:  # a reader bug on one document must not sink the message
            problems.append(f"{doc.source}: could not be read as a form ({type(exc).__name__})")
            continue
        quoted = doc.source.endswith("(quoted)")
        rank = (reading.looks_like_application(), not quoted, round(reading.score(), 3), -n)
        if best is None or rank > best[0]:
            best = (rank, doc, reading)
    if best is None or not best[0][0]:
        why = "no filled-in application form found"
        if best is not None and best[2].evidence >= 6:
            why = "the application form in it was not filled in"
        if problems:
            why += " (" + "; ".join(problems[:3]) + ")"
        return Extraction(kind="no_application", reason=why, **meta)
    _, doc, reading = best
    values = reading.values()
    record = _record(values)
    if doc.forwarded_from:
        meta["sender"] = doc.forwarded_from
    elif forwarded_from and doc.source.startswith("attachment"):
        meta["sender"] = forwarded_from
    readings = {k: r for k, r in reading.readings.items() if k in values and k in RECORD_KEYS}
    return Extraction(kind="application", record=record, readings=readings, part=doc.source, **meta)


def _record(values: dict) -> ApplicationRecord:
    data = {k: v for k, v in values.items() if k in RECORD_KEYS}
    try:
        return ApplicationRecord(**data)
    except ValidationError:
        # A value of the wrong shape is dropped rather than failing the whole record.
        return ApplicationRecord(**{k: v for k, v in data.items() if _fits(k, v)})


def _fits(key: str, value: object) -> bool:
    try:
        ApplicationRecord(**{key: value})
    except ValidationError:
        return False
    return True
