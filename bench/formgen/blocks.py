"""A filled form as blocks, before it is written into any format.

A layout (`layouts.py`) says what a person typed and where: lines of text
(some bold or struck through), blank lines, rows of the printed form
(values over underscore lines, their labels beside them) and tables. A
writer (`formats.py`) turns the blocks into a message body, a Word file, a
PDF and so on; `to_text` here writes them as plain text, the way a mail
program or Notepad shows them.
"""
from __future__ import annotations

import random
import textwrap
from dataclasses import dataclass, field


@dataclass
class Text:
    """One line or paragraph."""

    text: str
    bold: bool = False
    strike: bool = False


@dataclass
class Gap:
    """Blank lines."""

    lines: int = 1


@dataclass
class FormRow:
    """One row of the printed form: blanks side by side, each with its label.

    `labels_at` is where the labels stand: "below" (as printed), "above",
    "own_lines" (each label on a line of its own under the values, as text
    copied from the PDF comes out), or "interleaved" (label, then its value,
    field after field). `fill` is how the values meet the blank lines:
    "under" (an underscore line below the values), "over" (typed into the
    underscores) or "none" (the underscores deleted).
    """

    values: list[str | None]
    labels: list[str]
    widths: list[int]
    labels_at: str = "below"
    fill: str = "under"
    tabs: bool = False
    gap: int = 0
    label_gaps: list[int] = field(default_factory=list)
    as_table: bool = False


@dataclass
class Table:
    """A table of cells; each cell holds lines of text (a cell may be empty)."""

    rows: list[list[list[Text]]]
    header: bool = False


Block = Text | Gap | FormRow | Table


def cell(*texts: str | Text) -> list[Text]:
    return [t if isinstance(t, Text) else Text(t) for t in texts if t is not None]


# ---------------------------------------------------------------- plain text


def _row_text(row: FormRow) -> list[str]:
    """A form row as the lines a plain-text copy of it shows."""
    values = [(v or "") for v in row.values]
    multi = [v.split("\n") for v in values]
    first = [m[0] for m in multi]
    extra = [m[1:] for m in multi]

    def columns(cells: list[str], pad: str, underline: bool) -> str:
        if row.tabs:
            parts = [(c + pad * 4) if underline and row.fill == "over" else c for c in cells]
            return "\t".join(parts).rstrip()
        out = ""
        target = 0
        for c, width in zip(cells, row.widths, strict=True):
            if out and not out.endswith("  "):
                out += "  "
            out = out.ljust(target)
            piece = c
            if underline and row.fill == "over":
                piece = c + pad * max(2, width - len(c) - 2)
            out += piece
            target = len(out) if len(out) > target + width else target + width
        return out.rstrip()

    underscores = columns(["" for _ in first], "_", False)
    if row.fill != "none":
        underscores = "  ".join("_" * (w - 2) for w in row.widths) if not row.tabs else "\t".join(
            "_" * (w - 2) for w in row.widths)
    lines: list[str] = []
    if row.labels_at == "beside":
        # Typed after the label where the cursor fell: with a colon, or after a space or two.
        colon = row.gap % 2 == 0
        pairs = [(f"{label}: {value}" if colon else f"{label}  {value}") if value else label + (":" if colon else "")
                 for label, value in zip(row.labels, first, strict=True)]
        lines.append(("\t" if row.tabs else "     ").join(pairs))
        lines.extend(e for more in extra for e in more)
        return lines
    if row.labels_at == "interleaved":
        for label, value, more in zip(row.labels, first, extra, strict=True):
            lines.append(label)
            lines.append(value + ("_" * 6 if row.fill == "over" else ""))
            lines.extend(more)
            lines.extend([""] * row.gap)
        return lines
    value_line = columns(first, "_", True)
    label_line = columns(row.labels, " ", False)
    if row.labels_at == "above":
        lines.append(label_line)
        lines.extend([""] * row.gap)
        lines.append(value_line)
        lines.extend(" " * 0 + e for more in extra for e in more)
        if row.fill == "under":
            lines.append(underscores)
        return lines
    lines.append(value_line)
    lines.extend(e for more in extra for e in more)
    if row.fill == "under":
        lines.append(underscores)
    lines.extend([""] * row.gap)
    if row.labels_at == "own_lines":
        gaps = row.label_gaps or [0] * len(row.labels)
        for label, g in zip(row.labels, gaps, strict=True):
            lines.append(label)
            lines.extend([""] * g)
        return lines
    lines.append(label_line)
    return lines


def _table_text(table: Table, rng: random.Random | None) -> list[str]:
    """A table pasted as text: cells split by tabs, a cell of several lines written out in turn."""
    lines: list[str] = []
    for row in table.rows:
        if all(len(c) <= 1 for c in row):
            lines.append("\t".join(c[0].text if c else "" for c in row).rstrip("\t"))
        else:
            for c in row:
                lines.extend(t.text for t in c)
    return lines


def to_lines(blocks: list[Block], rng: random.Random | None = None) -> list[Text]:
    """Every block as lines of text, keeping each line's bold and strike."""
    out: list[Text] = []
    for block in blocks:
        if isinstance(block, Text):
            for part in block.text.split("\n"):
                out.append(Text(part, block.bold, block.strike))
        elif isinstance(block, Gap):
            out.extend(Text("") for _ in range(block.lines))
        elif isinstance(block, FormRow):
            out.extend(Text(t) for t in _row_text(block))
        else:
            out.extend(Text(t) for t in _table_text(block, rng))
    return out


def to_text(blocks: list[Block], width: int | None = None) -> str:
    """The blocks as plain text; struck lines left out; hard-wrapped at `width` as a mail program does."""
    lines = [t.text for t in to_lines(blocks) if not t.strike]
    if width:
        lines = wrap_lines(lines, width)
    return "\n".join(lines) + "\n"


def wrap_lines(lines: list[str], width: int) -> list[str]:
    """Outlook's and Thunderbird's hard wrap: a line longer than `width` breaks at its last space before it."""
    out: list[str] = []
    for line in lines:
        if len(line) <= width:
            out.append(line)
            continue
        wrapped = textwrap.wrap(line.expandtabs(8) if "\t" in line else line, width=width, break_long_words=False,
                                break_on_hyphens=False, drop_whitespace=True, replace_whitespace=False)
        out.extend(wrapped or [line])
    return out
