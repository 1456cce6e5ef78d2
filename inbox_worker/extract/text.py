"""Plain text in, lines out: decoding bytes of unknown charset, and building lines.

Text parts and .txt attachments arrive in UTF-8, UTF-16 from Notepad,
windows-1252 from Outlook, often with no charset or a wrong one. `decode`
tries what the bytes say about themselves before guessing. `LineBuilder` is
shared by the markup readers (HTML, Word, OpenDocument): they feed it runs
of text with their emphasis and it yields `Line`s, one per paragraph.
"""
from __future__ import annotations

import codecs
import re

from inbox_worker.extract.document import Document, Line
from inbox_worker.extract.limits import MAX_INPUT_BYTES, check_lines, check_size, check_text
from inbox_worker.record import UnreadableInput

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# Labels that in practice mean windows-1252: browsers and mail clients have
# long decoded them so, since Windows mail sends 0x80-0x9f (curly quotes,
# dashes) under them.
_WIN1252_ALIASES = {"iso-8859-1", "iso8859-1", "latin-1", "latin1", "l1", "us-ascii", "ascii", "cp819",
                    "iso_8859-1", "windows-1252", "cp1252"}
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f\u200b\ufeff]")
_NEWLINES = re.compile(r"\r\n?|[\x0c\x1c-\x1e\x85\u2028\u2029]")
# Characters that mark or decorate a box rather than say anything; a line's
# emphasis is judged on its other characters.
_NEUTRAL = set(" \t\u00a0\u2610\u2611\u2612\u25a0\u25a1\u00b7\u2022\u25aa\u25cf\u25cb_-:[]()")


def _strict(data: bytes, encoding: str) -> str | None:
    try:
        return data.decode(encoding)
    # Not only UnicodeDecodeError: a sender may name any codec, and some raise plain
    # UnicodeError ("punycode", "idna", "undefined") or ValueError (a NUL in the name).
    except (ValueError, LookupError):
        return None


def _utf16_without_bom(data: bytes) -> str | None:
    """UTF-16 with no BOM shows as a NUL beside nearly every ASCII character."""
    if len(data) < 4 or len(data) % 2:
        return None
    odd, even = data[1::2].count(0), data[0::2].count(0)
    if odd > len(data) // 4 and even == 0:
        return _strict(data, "utf-16-le")
    if even > len(data) // 4 and odd == 0:
        return _strict(data, "utf-16-be")
    return None


def _mostly_latin(text: str) -> bool:
    letters = [ch for ch in text if ch.isalpha()]
    return not letters or sum(ch.isascii() for ch in letters) >= 0.7 * len(letters)


def decode(data: bytes, charset: str | None = None) -> str:
    """Bytes to text: BOM, then the declared charset if it fits, UTF-8, detection, windows-1252."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            text = _strict(data[len(bom):], encoding)
            if text is not None:
                return text
    declared = (charset or "").strip().strip("\"'").lower()
    if declared:
        if declared in _WIN1252_ALIASES and re.search(rb"[\x80-\x9f]", data):
            declared = "windows-1252"
        text = _strict(data, declared)
        if text is not None and "\x00" not in text:
            return text
    for attempt in (_strict(data, "utf-8"), _utf16_without_bom(data)):
        if attempt is not None:
            return attempt
    # Mail to a Wyoming program is English with a few accents: when the
    # windows-1252 reading is mostly plain letters it is the right one, and
    # detection on so little text would only second-guess it.
    western = _strict(data, "windows-1252")
    if western is not None and _mostly_latin(western):
        return western
    try:
        from charset_normalizer import from_bytes

        best = from_bytes(data[:MAX_INPUT_BYTES]).best()
    except Exception:  # a detector failure only means we fall back
        best = None
    if best is not None:
        text = _strict(data, best.encoding)
        if text is not None:
            return text
    return data.decode("windows-1252", "replace")


def normalise(text: str) -> str:
    """One newline convention, no stray control characters or zero-width marks."""
    text = _NEWLINES.sub("\n", text)
    return _CONTROLS.sub("", text)


def read_text(data: bytes, source: str, charset: str | None = None) -> Document:
    """A plain-text part or .txt file as a Document, one Line per line."""
    if not isinstance(data, (bytes, bytearray)):
        raise UnreadableInput(f"{source}: expected bytes, got {type(data).__name__}")
    check_size(bytes(data), "text")
    text = check_text(normalise(decode(bytes(data), charset)), source)
    lines = text.split("\n")
    while lines and not lines[-1].strip():
        lines.pop()
    check_lines(len(lines), source)
    return Document(source=source, lines=[Line(t.rstrip()) for t in lines])


class LineBuilder:
    """Collects runs of text into Lines, judging each line's emphasis from its runs."""

    def __init__(self, what: str, collapse_spaces: bool = False) -> None:
        self.what = what
        self.lines: list[Line] = []
        self._runs: list[tuple[str, bool]] = []
        self._chars = 0
        self._collapse = collapse_spaces

    @property
    def pending(self) -> bool:
        return any(t for t, _ in self._runs)

    def add(self, text: str, emphasis: bool = False) -> None:
        if not text:
            return
        self._chars += len(text)
        if self._chars > 1_000_000:
            check_text("x" * (self._chars), self.what)
        self._runs.append((text, emphasis))

    def current_text(self) -> str:
        return "".join(t for t, _ in self._runs)

    def break_line(self, keep_empty: bool = True) -> None:
        """End the current line; an empty one is kept only when asked (a <br>, an empty paragraph)."""
        if not self.pending and not keep_empty:
            self._runs = []
            return
        text = "".join(t for t, _ in self._runs)
        if self._collapse:
            text = re.sub(r"[ \n\r\f\v]+", " ", text).strip(" ")
        text = text.replace("\u00a0", " ").rstrip()
        if text or keep_empty:
            self.lines.append(Line(text, _emphasised(self._runs)))
            check_lines(len(self.lines), self.what)
        self._runs = []

    def extend(self, lines: list[Line]) -> None:
        self.break_line(keep_empty=False)
        self.lines.extend(lines)
        check_lines(len(self.lines), self.what)

    def finish(self) -> list[Line]:
        self.break_line(keep_empty=False)
        # Trailing blank lines say nothing.
        while self.lines and not self.lines[-1].text:
            self.lines.pop()
        return self.lines


def _emphasised(runs: list[tuple[str, bool]]) -> bool:
    """True when every run that says something is emphasised, and at least one does."""
    # Any whitespace is neutral: the source's own line break before a <b> says nothing.
    saying = [emph for text, emph in runs if any(ch not in _NEUTRAL and not ch.isspace() for ch in text)]
    return bool(saying) and all(saying)


def join_cells(cells: list[list[Line]]) -> list[Line]:
    """A table row as lines: one tab-joined line when each cell is a line, else the cells in turn.

    A form row ("Name: ...", "Phone: ...") reads best on one line; a layout
    table whose cells hold whole paragraphs would be garbled that way.
    """
    filled = [c for c in cells if any(line.text.strip() for line in c)]
    if not filled:
        return []
    if len(filled) == 1 and (len(cells) == 1 or any(sum(1 for line in c if line.text.strip()) > 1 for c in cells)):
        return [line for c in cells for line in c if line.text.strip()]
    if all(sum(1 for line in c if line.text.strip()) <= 1 for c in cells):
        texts, marks = [], []
        for c in cells:
            line = next((line for line in c if line.text.strip()), None)
            texts.append(line.text.strip() if line else "")
            if line:
                marks.append(line.emphasis)
        # One tab is kept after the last filled cell when cells follow it empty: "Yes:<TAB>" is a
        # question's label with its answer cell left blank, not "Yes" typed as the answer.
        joined = "\t".join(texts)
        return [Line(joined.rstrip("\t") + ("\t" if joined.endswith("\t") else ""), bool(marks) and all(marks))]
    return [line for c in cells for line in c]
