"""A document's lines made ready for reading the form: plain spaces, columns, and lines a mail program broke.

Mail programs and editors leave their marks on text: tabs and odd spaces
between columns, zero-width characters inside words, and long lines broken
at 72 or 76 columns (Outlook, Thunderbird). `prepare` gives every line its
columns (`Row.cells`: runs of text split by two or more spaces, a tab or a
run of underscores) and joins back a line that was broken only because it
was long, so that a value or a row of values is whole again.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from inbox_worker.extract.document import Document

# Bounds that keep reading time linear and small on hostile input.
MAX_LINES = 5000
MAX_LINE = 2000
MAX_CHARS = 200_000

_ODD_SPACES = re.compile(r"[\u00a0\u2007\u202f\u2002\u2003\u2009\u3000]")
# Invisible characters, including the variation selectors of emoji marks ("\u2714\ufe0f").
_INVISIBLE = re.compile(r"[\u200b\u200c\u200d\u2060\ufeff\u00ad\ufe0e\ufe0f]")
_CELL = re.compile(r"(?:(?! {2}|_{2}).)+")


@dataclass(frozen=True)
class Cell:
    """A run of text in a line, between column gaps: its columns and its text without underscores."""

    start: int
    end: int
    text: str


@dataclass
class Row:
    """A prepared line: text with tabs as spaces, the raw text (tabs kept), and its emphasis."""

    text: str
    emphasis: bool
    raw: str
    cells: list[Cell] = field(default_factory=list)

    @property
    def blank(self) -> bool:
        return not self.text.strip(" _\t")

    @property
    def underscores(self) -> bool:
        """Only the form's blank lines (underscores), nothing typed."""
        return "_" in self.text and not self.text.strip(" _\t")

    @property
    def empty(self) -> bool:
        return not self.text.strip()


def prepare(doc: Document, stands_alone: Callable[[str], bool] = lambda text: False,
            complete: Callable[[str], bool] = lambda text: False) -> list[Row]:
    """The document's lines, cleaned, split into cells, with lines broken by a mail program joined.

    `stands_alone` says which lines begin something of their own (a row of labels, a heading), so
    they are never taken for the rest of the line before them; `complete` which lines never run on
    (a row of labels is never broken in the middle of a word).
    """
    texts: list[tuple[str, bool]] = []
    total = 0
    for line in doc.lines[:MAX_LINES]:
        raw = line.text[:MAX_LINE]
        total += len(raw)
        if total > MAX_CHARS:
            break
        for piece in raw.replace("\r", "\n").split("\n"):
            text = _INVISIBLE.sub("", _ODD_SPACES.sub(" ", piece))
            texts.append((text.rstrip(" "), bool(line.emphasis)))
    texts = _unwrapped(texts, stands_alone, complete)
    return [make_row(text, emphasis) for text, emphasis in texts]


def make_row(raw: str, emphasis: bool = False) -> Row:
    text = expand_tabs(raw).rstrip()
    return Row(text, emphasis, raw, cells_of(text))


def expand_tabs(text: str) -> str:
    """Tabs as spaces to the next stop, never fewer than two, so a tab always separates cells."""
    if "\t" not in text:
        return text
    out: list[str] = []
    col = 0
    for ch in text:
        if ch == "\t":
            n = 8 - col % 8
            if n < 2:
                n += 8
            out.append(" " * n)
            col += n
        else:
            out.append(ch)
            col += 1
    return "".join(out)


def cells_of(text: str) -> list[Cell]:
    """Cells of a line: runs of text split by two or more spaces or underscores."""
    out = []
    for m in _CELL.finditer(text):
        value = m.group(0).strip(" _")
        if value:
            start = m.start() + (len(m.group(0)) - len(m.group(0).lstrip(" _")))
            out.append(Cell(start, start + len(value), value))
    return out


# ---------------------------------------------------------------- lines a mail program broke


def wrap_width(texts: list[str]) -> int | None:
    """The width a mail program broke this text at, when it did: most long lines end just short of it.

    A text broken at 76 columns has many lines of 60 to 76 characters and
    none longer, except runs of underscores (which have no space to break
    at). A text that was not broken has long paragraphs as single lines.
    """
    lengths = [len(t) for t in texts if t.strip() and " " in t.strip()]
    if len(lengths) < 6:
        return None
    longest = max(lengths)
    if longest > 100 or longest < 60:
        return None
    near = sum(1 for n in lengths if n >= longest - 14)
    return longest if near >= 4 else None


def _unwrapped(texts: list[tuple[str, bool]], stands_alone: Callable[[str], bool],
               complete: Callable[[str], bool]) -> list[tuple[str, bool]]:
    """Join each line a mail program broke because it was long to the piece it carried over.

    Where the whole text shows a width it was broken at, a line is joined to the next when the
    next one's first word would not have fitted; elsewhere only a long line followed by one that
    starts in lower case, which no label or new paragraph does.
    """
    width = wrap_width([t for t, _ in texts])
    out: list[tuple[str, bool]] = []
    i = 0
    while i < len(texts):
        text, emphasis = texts[i]
        last = text
        while (i + 1 < len(texts) and _was_broken(last, texts[i + 1][0], width) and not complete(last)
               and not stands_alone(texts[i + 1][0])):
            nxt = last = texts[i + 1][0]
            # A row of columns keeps its cell gap; a sentence gets its space back.
            joiner = "  " if re.search(r"\S {2,}\S|\t", text) else " "
            text = text + joiner + nxt.strip()
            i += 1
        out.append((text, emphasis))
        i += 1
    return out


_STARTS_STRUCTURE = re.compile(
    r"^\s*(?:[-*\u2022\u00b7>\u25a0\u25a1\u2610\u2611\u2612\[(]|[xX]\s|\d{1,2}[.)]\s|_{3,}|[^:]{1,40}:(?:\s|$))"
)


def _was_broken(text: str, nxt: str, width: int | None) -> bool:
    """True when `text` ends where it does only because the next word would not fit."""
    if not text.strip() or not nxt.strip() or text.strip(" _") == "":
        return False
    if _STARTS_STRUCTURE.match(nxt) or (nxt.strip().endswith(":") and len(nxt.strip()) < 40):
        return False
    if nxt.startswith((" ", "\t")):
        return False
    first = nxt.strip().split()[0]
    if width is None:
        return len(text) >= 60 and first[:1].islower() and first.isalpha()
    return len(text) + 1 + len(first) > width
