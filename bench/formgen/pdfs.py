"""Blocks printed to a PDF, and the form as a fillable PDF with its fields filled in.

A printed PDF is what "Print to PDF" of a filled Word form makes: text at
positions, the blank lines drawn under the values, labels beneath. A
fillable PDF keeps the answers in AcroForm fields whose names are whatever
the person who made the fillable copy chose.
"""
from __future__ import annotations

import io
import os
import random
import textwrap

from formgen import wording as w
from formgen.blocks import Block, FormRow, Gap, Table, to_lines
from formgen.people import Applicant

FONT_FILE = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
PAGE_W, PAGE_H, MARGIN = 612, 792, 54


def _font() -> str:
    """DejaVu Sans where installed (it has the box and tick glyphs), else Helvetica."""
    if os.path.exists(FONT_FILE):
        from reportlab.pdfbase import pdfmetrics
        from reportlab.pdfbase.ttfonts import TTFont

        if "DejaVu" not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(TTFont("DejaVu", FONT_FILE))
        return "DejaVu"
    return "Helvetica"


def has_symbols() -> bool:
    """True when printed PDFs can show ☒, ✓ and the like."""
    return os.path.exists(FONT_FILE)


# Without a font that has them, marks are printed as a person without one types them.
PLAIN_MARKS = str.maketrans({"☒": "[X]", "☐": "[ ]", "☑": "[X]", "✓": "X", "✔": "X", "■": "X", "□": "[ ]", "◦": "o"})


class _Page:
    def __init__(self, canvas, font: str) -> None:
        self.c, self.font, self.y = canvas, font, PAGE_H - MARGIN
        self.plain = font == "Helvetica"

    def text(self, value: str) -> str:
        return value.translate(PLAIN_MARKS) if self.plain else value

    def need(self, height: float) -> None:
        if self.y - height < MARGIN:
            self.c.showPage()
            self.y = PAGE_H - MARGIN

    def line(self, text: str, size: float = 10, x: float = MARGIN) -> None:
        for part in textwrap.wrap(text, int((PAGE_W - 2 * MARGIN) / (size * 0.52))) or [""]:
            self.need(size * 1.4)
            self.c.setFont(self.font, size)
            self.c.drawString(x, self.y, self.text(part))
            self.y -= size * 1.4

    def row(self, row: FormRow) -> None:
        total = sum(row.widths)
        xs, x = [], MARGIN
        for width in row.widths:
            xs.append(x)
            x += (PAGE_W - 2 * MARGIN) * width / total
        self.need(40)
        value_y = self.y - (12 if row.labels_at == "above" else 0)
        label_y = self.y if row.labels_at == "above" else self.y - 14
        for n, (value, label) in enumerate(zip(row.values, row.labels, strict=True)):
            right = xs[n + 1] - 8 if n + 1 < len(xs) else PAGE_W - MARGIN
            self.c.setFont(self.font, 10)
            for k, part in enumerate((value or "").split("\n")):
                self.c.drawString(xs[n] + 2, value_y - k * 11, self.text(part))
            self.c.line(xs[n], value_y - 3, right, value_y - 3)
            self.c.setFont(self.font, 8)
            self.c.drawString(xs[n], label_y if row.labels_at == "above" else label_y - 0, label)
        self.y -= 34

    def table(self, table: Table) -> None:
        """A ruled table, its font made small enough that no word runs past its cell, as Word's autofit does."""
        cols = max(len(r) for r in table.rows)
        col_w = (PAGE_W - 2 * MARGIN) / cols
        longest = max([len(word) for row in table.rows for c in row for t in c for word in t.text.split()] + [1])
        size = max(5.0, min(9.0, (col_w - 6) / (longest * 0.55)))
        per_line = max(int((col_w - 6) / (size * 0.55)), 1)
        for row in table.rows:
            lines = max([sum(len(textwrap.wrap(t.text, per_line, break_long_words=False) or [""])
                             for t in c) for c in row] + [1])
            height = lines * (size + 3) + 6
            self.need(height)
            for j, c in enumerate(row):
                y = self.y - 10
                for t in c:
                    for part in textwrap.wrap(t.text, per_line, break_long_words=False) or [""]:
                        self.c.setFont(self.font, size)
                        self.c.drawString(MARGIN + j * col_w + 3, y, self.text(part))
                        y -= size + 3
                self.c.rect(MARGIN + j * col_w, self.y - height + 4, col_w, height, stroke=1, fill=0)
            self.y -= height


def printed_pdf(blocks: list[Block]) -> bytes:
    """The blocks as a printed PDF (no form fields)."""
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    c = canvas.Canvas(out, pagesize=(PAGE_W, PAGE_H), invariant=1)
    page = _Page(c, _font())
    for block in blocks:
        if isinstance(block, Gap):
            page.y -= 6 * block.lines
        elif isinstance(block, Table):
            page.table(block)
        elif isinstance(block, FormRow) and block.labels_at in ("below", "above"):
            page.row(block)
        else:
            for t in to_lines([block]):
                if not t.strike and t.text.strip():
                    page.line(t.text)
    c.save()
    return out.getvalue()


# ---------------------------------------------------------------- fillable


def _names(scheme: str):
    """How the maker of the fillable copy named its fields."""
    counter = {"text": 0, "box": 0}

    def name(key: str, label: str, box: bool) -> tuple[str, str]:
        plain = label.replace("é", "e").replace("#", "").strip()
        if scheme == "key":
            return key, label
        if scheme == "label":
            return plain.rstrip(":"), ""
        if scheme == "camel":
            words = "".join(part.capitalize() for part in key.split("_"))
            return ("chk" if box else "txt") + words, ""
        kind = "box" if box else "text"
        counter[kind] += 1
        return (f"Check Box{counter[kind]}" if box else f"Text{counter[kind]}"), label

    return name


# A fillable PDF's field values are written here in PDFDocEncoding, as many PDF editors store them.
_STRAIGHT = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "–": "-", "—": "-"})


def _pdf_text(value: str) -> str:
    return value.translate(_STRAIGHT).encode("latin-1", "replace").decode("latin-1")


def fillable_pdf(a: Applicant, rng: random.Random) -> bytes:
    """The form as a fillable PDF with the applicant's answers in its fields."""
    from reportlab.pdfgen import canvas

    scheme = rng.choice(["key", "label", "camel", "generic"])
    name = _names(scheme)
    out = io.BytesIO()
    c = canvas.Canvas(out, pagesize=(PAGE_W, PAGE_H), invariant=1)
    font = "Helvetica"
    form = c.acroForm
    y = PAGE_H - MARGIN
    c.setFont(font, 12)
    c.drawString(MARGIN, y, w.TITLE.replace("’", "'"))
    y -= 30
    for spec in [*w.ROWS, w.SUPERVISOR_ROW]:
        total = sum(width for _, _, width in spec)
        x = MARGIN
        for key, label, width in spec:
            span = (PAGE_W - 2 * MARGIN) * width / total - 8
            value = a.blanks.get(key) or ""
            field, tip = name(key, label, False)
            form.textfield(name=field, tooltip=tip or None, value=_pdf_text(value.replace("\n", ", ")), x=x, y=y - 18,
                           width=span, height=16, fontName="Helvetica", fontSize=9, borderWidth=0)
            c.setFont(font, 8)
            c.drawString(x, y - 28, _pdf_text(label))
            x += span + 8
        y -= 46
        if spec is w.ROWS[-1]:
            c.setFont(font, 9)
            c.drawString(MARGIN, y, w.SUPERVISOR_Q[:100])
            field, tip = name("supervisor_support", "Yes", True)
            c.drawString(MARGIN, y - 16, "Yes:")
            form.checkbox(name=field, tooltip=tip or None, x=MARGIN + 30, y=y - 20, size=12,
                          checked=a.support_yes, buttonStyle="cross")
            y -= 40
    radio = rng.random() < 0.3
    for key, heading, options in (("role", w.ROLE_Q, w.ROLES), ("protege_categories", w.PROTEGE_HEAD,
                                                                 w.PROTEGE_OPTIONS),
                                  ("mentor_categories", w.MENTOR_HEAD, w.MENTOR_OPTIONS)):
        if y < 150:
            c.showPage()
            y = PAGE_H - MARGIN
        c.setFont(font, 10)
        c.drawString(MARGIN, y, heading.replace("é", "e") if font == "Helvetica" else heading)
        y -= 16
        picked = {a.role} if key == "role" else set(a.record[key])
        for opt, label in options:
            if key == "role" and radio:
                form.radio(name="Role" if scheme != "generic" else "Group1", value=opt.capitalize(),
                           selected=opt in picked, x=MARGIN, y=y - 4, size=12, buttonStyle="circle")
            else:
                field, tip = name(opt, label, True)
                form.checkbox(name=field, tooltip=tip or None, x=MARGIN, y=y - 4, size=12, checked=opt in picked,
                              buttonStyle="cross")
            c.drawString(MARGIN + 18, y - 2, _pdf_text(label))
            y -= 16
        y -= 8
    for key, question in (("goals", w.GOALS_Q), ("strengths", w.STRENGTHS_Q)):
        if y < 140:
            c.showPage()
            y = PAGE_H - MARGIN
        c.setFont(font, 9)
        for part in textwrap.wrap(question.replace("é", "e"), 100):
            c.drawString(MARGIN, y, part)
            y -= 12
        field, tip = name(key, question.split(":")[0], False)
        value = " ".join(a.paragraphs) if (key == "goals") == (a.role == "protege") else ""
        form.textfield(name=field, tooltip=tip or None, value=_pdf_text(value), x=MARGIN, y=y - 64,
                       width=PAGE_W - 2 * MARGIN, height=60, fontName="Helvetica", fontSize=9,
                       fieldFlags="multiline", borderWidth=1)
        y -= 80
    c.save()
    return out.getvalue()
