"""Message bodies: decoding, format=flowed, and cutting out what is not the applicant's.

A body may carry a forwarded message ("---------- Forwarded message ---------",
"-----Original Message-----", "Begin forwarded message:"), quoted reply
history ("> " lines after "On ... wrote:"), a signature and "Sent from my
iPhone". `split_body` turns one body into the Documents worth reading: the
sender's own words, each forwarded message (with its original sender), and
the quoted history as a last resort.
"""

from __future__ import annotations

import re
from email.message import Message
from email.utils import parseaddr

from inbox_worker.extract.document import Document, Line
from inbox_worker.extract.labels import fold_chars, heading_of, labels_at

FORWARD = re.compile(
    r"^\s*(?:-{2,}\s*(?:forwarded message|original message|message transféré|weitergeleitete nachricht)"
    r"\s*-{2,}"
    r"|begin forwarded message\s*:|-{3,}\s*forwarded by .*)\s*$",
    re.I,
)
HEADER = re.compile(r"^\s*[*>]*\s*(from|date|sent|to|cc|subject|reply-to)\s*[*]*\s*:\s*(.*)$", re.I)
ATTRIBUTION = re.compile(
    r"^\s*(on\s.{0,200}\s(wrote|écrit|schrieb)\s*:?|.{0,120}<[^>]+@[^>]+>\s+wrote\s*:)\s*$", re.I
)
PHONE_SENT = re.compile(
    r"^\s*(sent from my |sent from mail for|get outlook for|sent from yahoo mail|"
    r"sent from my mobile|sent via )",
    re.I,
)
EMAIL = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")


def plain_body(data: bytes, charset: str | None, fmt: object, delsp: object, source: str) -> Document:
    """A text/plain part as a Document, decoded and with format=flowed lines joined."""
    from inbox_worker.extract.text import read_text

    if str(fmt or "").lower() != "flowed":
        return read_text(data, source, charset)
    from inbox_worker.extract.text import decode, normalise

    # The soft break is the trailing space itself, so join before read_text trims lines.
    raw = normalise(decode(bytes(data), charset)).split("\n")
    joined = "\n".join(unflow(raw, str(delsp or "").lower() == "yes"))
    return read_text(joined.encode("utf-8"), source, "utf-8")


def unflow(lines: list[str], delsp: bool) -> list[str]:
    """RFC 3676: a line ending in a space continues on the next one."""
    out: list[str] = []
    buf: str | None = None
    for line in lines:
        if line == "-- ":
            if buf is not None:
                out.append(buf)
                buf = None
            out.append(line)
            continue
        text = line[1:] if line.startswith(" ") else line
        if buf is not None:
            text = buf + text
            buf = None
        if text.endswith(" ") and not text.startswith(">"):
            buf = text[:-1] if delsp else text
        else:
            out.append(text)
    if buf is not None:
        out.append(buf)
    return out


def split_body(doc: Document) -> list[Document]:
    """The body's own words, each forwarded message, and quoted history, as separate Documents."""
    lines = doc.lines
    for i, line in enumerate(lines):
        if FORWARD.match(line.text) or _outlook_header(lines, i):
            start = i if not FORWARD.match(line.text) else i + 1
            sender, body_start = _forward_headers(lines, start)
            if body_start is None:
                continue
            own = Document(doc.source, _own_words(lines[:i]), dict(doc.fields), doc.forwarded_from)
            inner = Document(
                f"{doc.source}: forwarded message", lines[body_start:], {}, sender or doc.forwarded_from
            )
            return [own, *split_body(inner)]
    own_lines = _own_words(lines)
    quoted = _quoted(lines)
    out = [Document(doc.source, own_lines, doc.fields, doc.forwarded_from)]
    if quoted:
        author = _attribution_sender(lines)
        out.append(Document(f"{doc.source} (quoted)", quoted, {}, author or doc.forwarded_from))
    if _answered_in_the_quote(lines):
        # The sender's answers typed between the quoted form's lines: the two read together are theirs.
        out.append(Document(f"{doc.source} (answered in the quote)", _unquoted(lines), doc.fields, doc.forwarded_from))
    return out


# Answers typed under this many quoted lines, with the quote going on after each, make a form answered in place.
INLINE_ANSWERS = 3


def _answered_in_the_quote(lines: list[Line]) -> bool:
    """Whether the sender wrote between the quoted lines (a quoted form answered line by line)."""
    marks = _quote_lines(lines)
    answers, n = 0, 1
    while n < len(lines):
        if marks[n - 1] and not marks[n] and lines[n].text.strip():
            end = n
            while end < len(lines) and not marks[end]:
                end += 1
            answers += end < len(lines)
            n = end
        n += 1
    return answers >= INLINE_ANSWERS


def _unquoted(lines: list[Line]) -> list[Line]:
    """Every line with its "> " markers taken off, without the "On ... wrote:" line."""
    out: list[Line] = []
    skip = 0
    for n, line in enumerate(lines):
        if skip:
            skip -= 1
            continue
        take = _attribution_at(lines, n)
        if take:
            skip = take - 1
            continue
        out.append(Line(re.sub(r"^\s*(?:>\s?)+", "", line.text), line.emphasis))
    return out


def _outlook_header(lines: list[Line], i: int) -> bool:
    """Outlook's reply header: "From:" then "Sent:"/"Date:" and "Subject:" in the next lines."""
    m = HEADER.match(lines[i].text)
    if not m or m.group(1).lower() != "from":
        return False
    following = {
        HEADER.match(ln.text).group(1).lower() for ln in lines[i + 1 : i + 6] if HEADER.match(ln.text)
    }
    return bool(following & {"sent", "date"}) and "subject" in following


def _forward_headers(lines: list[Line], start: int) -> tuple[str | None, int | None]:
    """The forwarded message's sender and where its body starts, after its header block."""
    j = start
    while j < len(lines) and not lines[j].text.strip():
        j += 1
    sender = None
    seen = 0
    last_header = None
    while j < len(lines) and j - start < 20:
        text = lines[j].text
        m = HEADER.match(text)
        if m:
            seen += 1
            last_header = m.group(1).lower()
            if last_header == "from":
                value = m.group(2).replace("*", "").replace("mailto:", "")
                addr = parseaddr(value)[1]
                found = EMAIL.search(addr or value)
                sender = found.group(0).lower() if found else None
            j += 1
            continue
        if text.strip() and last_header in ("to", "cc") and not seen >= 6 and "@" in text and ":" not in text:
            j += 1  # a wrapped list of recipients
            continue
        break
    if seen == 0:
        return None, None
    return sender, j


def _quote_lines(lines: list[Line]) -> list[bool]:
    """Which lines are quoted history: "> " lines, and the pieces a mail program broke off a long
    quoted line without their "> " (Outlook re-wraps a quote at 76 columns and leaves them bare)."""
    marks = [ln.text.lstrip().startswith(">") for ln in lines]
    n = 1
    while n < len(lines):
        if marks[n] or not marks[n - 1]:
            n += 1
            continue
        # A run of bare lines, each broken off the one before, that ends where the quote goes on.
        end = n
        while end < len(lines) and not marks[end] and _broken_off(lines[end - 1].text, lines[end].text):
            end += 1
        if end > n and (end >= len(lines) or marks[end] or not lines[end].text.strip()):
            for k in range(n, end):
                marks[k] = True
        n = max(end, n + 1)
    return marks


def _broken_off(prev: str, text: str) -> bool:
    """`text` is the rest of `prev`, broken because its first word would not fit (72 columns and more)."""
    text = text.strip()
    return bool(text) and (len(prev) >= 60 or len(prev) + 1 + len(text.split()[0]) > 72)


def _attribution_at(lines: list[Line], n: int) -> int:
    """How many lines the "On ... wrote:" line at `n` takes (0: none), when quoted lines follow it."""
    for take in (1, 2):
        text = " ".join(ln.text.strip() for ln in lines[n : n + take])
        if ATTRIBUTION.match(text) and any(ln.text.lstrip().startswith(">") for ln in lines[n + take : n + take + 3]):
            return take
    return 0


def _own_words(lines: list[Line]) -> list[Line]:
    """The lines the sender wrote: no quoted history, no signature, no "Sent from my iPhone"."""
    out: list[Line] = []
    quoted = _quote_lines(lines)
    skip = 0
    for n, line in enumerate(lines):
        text = line.text
        if skip:
            skip -= 1
            continue
        if text.rstrip() == "--" or text == "-- ":
            # A signature runs to the end, unless the form itself follows it.
            if not _form_follows(lines[n + 1 : n + 40]):
                break
            continue
        if quoted[n]:
            continue
        take = _attribution_at(lines, n)
        if take:
            skip = take - 1
            continue
        if PHONE_SENT.match(text):
            continue
        out.append(line)
    return out


def _form_follows(lines: list[Line]) -> bool:
    """A heading of the form, or two labelled lines, among these lines: the form, not a signature."""
    labelled = 0
    for line in lines:
        if heading_of(line.text) is not None:
            return True
        folded = fold_chars(line.text.strip())
        labelled += any(re.match(r"\s*[:\-]", line.text.strip()[end:]) for _, end in labels_at(folded, 0))
        if labelled >= 2:
            return True
    return False


def _quoted(lines: list[Line]) -> list[Line]:
    """The quoted history with its "> " markers taken off, and its broken-off pieces joined back."""
    marks = _quote_lines(lines)
    if sum(marks) < 3:
        return []
    out: list[Line] = []
    for n, ln in enumerate(lines):
        if not marks[n]:
            continue
        if not ln.text.lstrip().startswith(">") and out:
            # A row of columns keeps its cell gap; a sentence gets its space back.
            joiner = "  " if re.search(r"\S {2,}\S|\t", out[-1].text) else " "
            out[-1] = Line(out[-1].text + joiner + ln.text.strip(), out[-1].emphasis)
            continue
        out.append(Line(re.sub(r"^\s*(?:>\s?)+", "", ln.text), ln.emphasis))
    return out


def _attribution_sender(lines: list[Line]) -> str | None:
    for n in range(len(lines)):
        take = _attribution_at(lines, n)
        if take:
            found = EMAIL.search(" ".join(ln.text for ln in lines[n : n + take]))
            return found.group(0).lower() if found else None
    return None


def body_text(msg: Message) -> str:
    """The message's text, where replies to the program's mail are read: the plain part,
    else the HTML part's words."""
    try:
        part = msg.get_body(("plain", "html"))
        if part is None:
            return ""
        content = part.get_content()
    except Exception:  # a broken part is just no text
        return ""
    if part.get_content_type() == "text/html":
        from bs4 import BeautifulSoup

        content = BeautifulSoup(content, "html.parser").get_text("\n")
    return content
