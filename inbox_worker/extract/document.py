"""What a format reader hands to the form reader.

Each source format (a message body, a .docx, a .pdf, ...) has one reader
that turns its bytes into a `Document`: the text as lines, in reading order,
plus any named form fields the file carries (AcroForm fields, Word content
controls). The form reader then works on Documents alone, so it never needs
to know which program wrote the file.
"""
from __future__ import annotations

from dataclasses import dataclass, field

# How readers write a box whose state they know from the file itself
# (a checkbox content control, a ticked AcroForm box, a Word checkbox symbol).
MARKED = "\u2612"  # ☒
UNMARKED = "\u2610"  # ☐


@dataclass
class Line:
    """One line or paragraph of text.

    `emphasis` is true when the whole visible text of the line is bold,
    highlighted or otherwise set apart from its neighbours by formatting:
    some people mark their choice that way instead of ticking a box.
    """

    text: str
    emphasis: bool = False


@dataclass
class Document:
    """The readable content of one source: a body, an attachment or a forwarded message."""

    # Where it came from, for the record and for people: "body", "attachment: form.docx", ...
    source: str
    lines: list[Line] = field(default_factory=list)
    # Named form fields: name (or tooltip) -> text, or bool for a checkbox.
    fields: dict[str, str | bool] = field(default_factory=dict)
    # The original sender when this document is a forwarded message.
    forwarded_from: str | None = None

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)

    @classmethod
    def from_text(cls, source: str, text: str) -> Document:
        return cls(source=source, lines=[Line(t) for t in text.splitlines()])
