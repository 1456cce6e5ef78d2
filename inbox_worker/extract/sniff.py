"""Tell what kind of file some bytes are, from the bytes themselves.

Mail clients and people name and label attachments carelessly: a Word file
called "application.pdf", a form saved as "form.htm" that is really plain
text, a MIME type of application/octet-stream for everything. So the kind
is decided by content (zip members, magic numbers, markup, header lines),
and the filename only breaks a tie between two text kinds.
"""
from __future__ import annotations

import re

_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .doc (and .xls, .msg): not supported
_ODT_MIMETYPE = b"mimetypeapplication/vnd.oasis.opendocument.text"
_HTML_START = re.compile(rb"^\s*(<!--.*?-->\s*)*<(!doctype\s+html|html|head|body|meta|div|p|table|span|br|font)\b",
                         re.I | re.S)
_HTML_ANYWHERE = re.compile(rb"<html[\s>]|<!doctype\s+html|xmlns:w=|<body[\s>]", re.I)
_HEADER_LINE = re.compile(r"^[!-9;-~]+:[ \t]?.*$")
_MAIL_HEADERS = {"from", "to", "subject", "date", "message-id", "received", "mime-version", "return-path",
                 "delivered-to", "content-type", "reply-to", "cc", "x-mailer", "content-transfer-encoding"}
_TEXT_SUFFIX = {".htm": "html", ".html": "html", ".eml": "eml", ".txt": "text"}


def _suffix(filename: str | None) -> str | None:
    if not filename:
        return None
    name = filename.lower().strip().strip('"')
    for suffix, kind in _TEXT_SUFFIX.items():
        if name.endswith(suffix):
            return kind
    return None


def _head_text(data: bytes) -> str | None:
    """The first few kilobytes as text, or None when they are not text at all."""
    head = data[:8192]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = head[2:8192 - (len(head) % 2)].decode("utf-16-le" if head[0] == 0xFF else "utf-16-be", "replace")
    elif len(head) >= 4 and head[1::2].count(0) > len(head) // 3:
        text = head[: len(head) - len(head) % 2].decode("utf-16-le", "replace")
    elif len(head) >= 4 and head[0::2].count(0) > len(head) // 3:
        text = head[: len(head) - len(head) % 2].decode("utf-16-be", "replace")
    else:
        # A stray NUL (in a header, say) does not make text binary: the mail parser reads such a
        # message, so the sniffer must too. Binary files have NULs everywhere.
        if head.count(0) > max(2, len(head) // 200):
            return None
        text = head.replace(b"\x00", b" ").decode("utf-8", "replace")
    if not text:
        return ""
    printable = sum(1 for ch in text if ch.isprintable() or ch in "\t\r\n\f")
    # A few odd bytes are a wrong guess at the charset; many are a binary file.
    return text if printable >= 0.95 * len(text) else None


def _looks_like_mail(text: str) -> bool:
    seen = set()
    for line in text.lstrip("\ufeff").splitlines()[:60]:
        if not line.strip():
            break
        if line[0] in " \t":
            continue  # folded header continuation
        if not _HEADER_LINE.match(line):
            return False
        seen.add(line.split(":", 1)[0].lower())
    return len(seen & _MAIL_HEADERS) >= 2 and bool(seen & {"from", "received", "message-id", "return-path"})


def sniff(data: bytes, filename: str | None = None) -> str | None:
    """The kind of `data`: "docx", "pdf", "odt", "html", "text", "eml", "doc" (unsupported), or None."""
    if not data:
        return None
    if data.startswith(b"PK"):
        # The member names sit in the zip's directory as plain bytes, so the
        # kind is known without opening (and paying for) the archive.
        if data[30:30 + len(_ODT_MIMETYPE)] == _ODT_MIMETYPE:
            return "odt"
        if b"word/document.xml" in data:
            return "docx"
        if b"application/vnd.oasis.opendocument.text" in data[:4096] and b"content.xml" in data:
            return "odt"
        return None
    if data.startswith(_OLE2):
        return "doc"
    if b"%PDF-" in data[:1024]:
        return "pdf"
    if data.lstrip()[:5].lower() == b"{\\rtf":
        return None
    # A mail header block makes it mail, whatever bytes follow: the worker reads such a message
    # with the mail parser, which takes NULs in its stride, so `parse` must read it the same way.
    block = re.split(rb"\r?\n\r?\n", data[:8192], maxsplit=1)[0]
    if block.count(0) <= len(block) // 20 and _looks_like_mail(block.replace(b"\x00", b" ").decode("utf-8", "replace")):
        return "eml"
    text = _head_text(data)
    if text is None:
        return None
    head = text.encode("utf-8", "replace")
    hint = _suffix(filename)
    if _HTML_START.match(head):
        return "html"
    # Mail headers come first, so a message with an HTML part is still mail.
    if _looks_like_mail(text):
        return "eml"
    if _HTML_ANYWHERE.search(head[:4096]):
        return "html"
    if hint == "html" and re.search(r"<(p|div|br|table|span|b|i|font)\b", text, re.I):
        return "html"
    if hint == "eml" and re.match(r"\s*[A-Za-z-]+:", text):
        return "eml"
    return "text"
