"""Blocks written as a Word (.docx) or OpenDocument (.odt) file, as an applicant's editor saves them."""
from __future__ import annotations

import io
import random
import re
import zipfile
from datetime import datetime

from formgen.blocks import Block, FormRow, Table, Text, to_lines

BULLET_CHARS = ("· ", "• ", "- ", "o ", "◦ ")


def _form_row_table(row: FormRow) -> Table:
    values = [[Text(v)] if v else [] for v in row.values]
    labels = [[Text(label)] for label in row.labels]
    return Table([labels, values] if row.labels_at == "above" else [values, labels])


def to_docx(blocks: list[Block], rng: random.Random) -> bytes:
    """A Word file: lines as paragraphs (options sometimes as a real bulleted list), tables as tables."""
    from docx import Document
    from docx.enum.text import WD_COLOR_INDEX

    doc = Document()
    highlight = rng.random() < 0.3
    real_bullets = rng.random() < 0.4

    def run(paragraph, t: Text) -> None:
        r = paragraph.add_run(t.text)
        if t.bold and highlight:
            r.font.highlight_color = WD_COLOR_INDEX.YELLOW
        elif t.bold:
            r.bold = True
        if t.strike:
            r.font.strike = True

    def table(tb: Table) -> None:
        cols = max(len(r) for r in tb.rows)
        grid = doc.add_table(rows=len(tb.rows), cols=cols)
        if rng.random() < 0.6:
            grid.style = "Table Grid"
        for i, row in enumerate(tb.rows):
            for j, c in enumerate(row):
                target = grid.cell(i, j)
                for n, t in enumerate(c):
                    paragraph = target.paragraphs[0] if n == 0 else target.add_paragraph()
                    run(paragraph, t)

    for block in blocks:
        if isinstance(block, Table):
            table(block)
        elif isinstance(block, FormRow) and block.as_table:
            table(_form_row_table(block))
            doc.add_paragraph()
        elif isinstance(block, Text):
            for line in block.text.split("\n"):
                text = Text(line, block.bold, block.strike)
                stripped = next((line[len(b):] for b in BULLET_CHARS if line.startswith(b)), None)
                if real_bullets and stripped is not None:
                    run(doc.add_paragraph(style="List Bullet"), Text(stripped, block.bold, block.strike))
                else:
                    run(doc.add_paragraph(), text)
        else:
            for t in to_lines([block]):
                doc.add_paragraph(t.text)
    doc.core_properties.created = doc.core_properties.modified = datetime(2026, 1, 5, 8, 0)
    out = io.BytesIO()
    doc.save(out)
    return _stable(out.getvalue())


def to_odt(blocks: list[Block], rng: random.Random) -> bytes:
    """An OpenDocument text: paragraphs with explicit spaces and tabs, tables as tables."""
    from odf.opendocument import OpenDocumentText
    from odf.style import Style, TextProperties
    from odf.table import Table as OTable
    from odf.table import TableCell, TableColumn, TableRow
    from odf.text import P, Span

    doc = OpenDocumentText()
    bold = Style(name="Chosen", family="text")
    bold.addElement(TextProperties(fontweight="bold"))
    strike = Style(name="Struck", family="text")
    strike.addElement(TextProperties(textlinethroughstyle="solid"))
    doc.automaticstyles.addElement(bold)
    doc.automaticstyles.addElement(strike)

    def paragraph(t: Text) -> P:
        from odf import teletype

        p = P()
        if t.bold or t.strike:
            span = Span(stylename=bold if t.bold else strike)
            teletype.addTextToElement(span, t.text)
            p.addElement(span)
        else:
            teletype.addTextToElement(p, t.text)
        return p

    def table(tb: Table) -> OTable:
        cols = max(len(r) for r in tb.rows)
        grid = OTable()
        grid.addElement(TableColumn(numbercolumnsrepeated=cols))
        for row in tb.rows:
            tr = TableRow()
            for j in range(cols):
                tc = TableCell()
                for t in row[j] if j < len(row) else []:
                    tc.addElement(paragraph(t))
                if not (j < len(row) and row[j]):
                    tc.addElement(P())
                tr.addElement(tc)
            grid.addElement(tr)
        return grid

    for block in blocks:
        if isinstance(block, Table):
            doc.text.addElement(table(block))
        elif isinstance(block, FormRow) and block.as_table:
            doc.text.addElement(table(_form_row_table(block)))
        else:
            for t in to_lines([block]):
                doc.text.addElement(paragraph(t))
    out = io.BytesIO()
    doc.save(out)
    return _stable(out.getvalue())


def _stable(data: bytes) -> bytes:
    """The same zip with fixed timestamps and no creation dates inside, so a seed always gives the same bytes."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "meta.xml":
                body = re.sub(rb"<meta:(creation-date|generator|document-statistic)[^>]*>[^<]*(</meta:\1>)?", b"", body)
            fixed = zipfile.ZipInfo(info.filename, (2026, 1, 5, 8, 0, 0))
            fixed.compress_type = zipfile.ZIP_STORED if info.filename == "mimetype" else zipfile.ZIP_DEFLATED
            dst.writestr(fixed, body)
    return out.getvalue()
