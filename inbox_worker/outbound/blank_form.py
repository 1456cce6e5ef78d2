"""The program's application form, written out as a fillable Word file, PDF or plain text.

`inbox-worker form --format docx|pdf|txt` hands applicants a form whose
blanks are named by record key, so a filled-in copy reads back without any
guessing: in Word each blank is a plain-text content control and each box a
checkbox content control, tagged with its key; in the PDF each blank is an
AcroForm text field named by its key (its tooltip the printed label) and
each box a checkbox named by its option. Wording and order come from
`form.py` alone. `fill_form` fills a generated form the way an applicant's
editor would, for tests.
"""
from __future__ import annotations

import io
import textwrap
import zipfile
from xml.sax.saxutils import escape

from inbox_worker import form

_STAMP = (2026, 1, 1, 0, 0, 0)
W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
W14_NS = "http://schemas.microsoft.com/office/word/2010/wordml"
_NS = f'xmlns:w="{W_NS}" xmlns:w14="{W14_NS}"'
_PLACEHOLDER = "Click or tap here to enter text."
SUPERVISOR_KEY = "supervisor_support"


def _options() -> list[tuple[str, tuple[form.Option, ...], bool]]:
    return [(c.heading, c.options, c.multiple) for c in form.CHOICES]


# ---------------------------------------------------------------- Word
def _text_sdt(key: str, label: str, multiline: bool = False) -> str:
    multi = ' w:multiLine="1"' if multiline else ""
    return (
        f'<w:sdt {_NS}><w:sdtPr><w:alias w:val="{escape(label, {chr(34): "&quot;"})}"/><w:tag w:val="{key}"/>'
        f'<w:showingPlcHdr/><w:text{multi}/></w:sdtPr><w:sdtContent><w:r><w:rPr><w:color w:val="808080"/>'
        f"</w:rPr><w:t>{_PLACEHOLDER}</w:t></w:r></w:sdtContent></w:sdt>"
    )


def _box_sdt(key: str, label: str) -> str:
    return (
        f'<w:sdt {_NS}><w:sdtPr><w:alias w:val="{escape(label, {chr(34): "&quot;"})}"/><w:tag w:val="{key}"/>'
        '<w14:checkbox><w14:checked w14:val="0"/><w14:checkedState w14:val="2612" w14:font="MS Gothic"/>'
        '<w14:uncheckedState w14:val="2610" w14:font="MS Gothic"/></w14:checkbox></w:sdtPr><w:sdtContent>'
        '<w:r><w:rPr><w:rFonts w:ascii="MS Gothic" w:eastAsia="MS Gothic" w:hAnsi="MS Gothic" w:hint="eastAsia"/>'
        "</w:rPr><w:t>\u2610</w:t></w:r></w:sdtContent></w:sdt>"
    )


def _docx() -> bytes:
    from docx import Document
    from docx.oxml import parse_xml
    from docx.shared import Pt

    doc = Document()
    doc.core_properties.author = "Wyoming Library Association"
    doc.core_properties.title = form.TITLE
    doc.add_paragraph().add_run(form.TITLE).bold = True
    doc.add_paragraph(form.OPEN_TO)
    doc.add_paragraph().add_run(form.APPLICANT_INFORMATION).bold = True

    def blanks_row(keys: tuple[str, ...]) -> None:
        table = doc.add_table(rows=2, cols=len(keys))
        for i, key in enumerate(keys):
            label = form.TEXT_FIELD_BY_KEY[key].label
            cell_p = table.cell(0, i).paragraphs[0]
            cell_p._p.append(parse_xml(_text_sdt(key, label)))
            # A bottom border on the answer cell draws the form's blank line.
            tc_pr = table.cell(0, i)._tc.get_or_add_tcPr()
            tc_pr.append(parse_xml(f'<w:tcBorders {_NS}><w:bottom w:val="single" w:sz="6" w:space="0" '
                                   'w:color="000000"/></w:tcBorders>'))
            run = table.cell(1, i).paragraphs[0].add_run(label)
            run.font.size = Pt(8)
        doc.add_paragraph()

    for row in form.FORM_ROWS:
        blanks_row(row)
    doc.add_paragraph(form.SKIP_NOTE).runs[0].font.size = Pt(8)
    doc.add_paragraph(form.SUPERVISOR_QUESTION)
    yes = doc.add_paragraph("Yes: ")
    yes._p.append(parse_xml(_box_sdt(SUPERVISOR_KEY, "Yes")))
    doc.add_paragraph(form.IF_YES)
    blanks_row(form.SUPERVISOR_ROW)
    for heading, options, _multiple in _options():
        doc.add_paragraph().add_run(heading).bold = True
        for option in options:
            p = doc.add_paragraph()
            p._p.append(parse_xml(_box_sdt(option.key, option.label)))
            p.add_run(" " + option.label)
    for key in ("goals", "strengths"):
        doc.add_paragraph(form.TEXT_FIELD_BY_KEY[key].label)
        p = doc.add_paragraph()
        p._p.append(parse_xml(_text_sdt(key, form.field_label(key), multiline=True)))
    doc.add_paragraph(form.SUBMIT)
    doc.add_paragraph(form.PROGRAM_INBOX)
    buf = io.BytesIO()
    doc.save(buf)
    return _stable_zip(buf.getvalue())


def _stable_zip(data: bytes, replace: dict[str, bytes] | None = None) -> bytes:
    """The same zip with fixed timestamps (and some members replaced), so output is reproducible."""
    src = zipfile.ZipFile(io.BytesIO(data))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            member = zipfile.ZipInfo(info.filename, date_time=_STAMP)
            member.compress_type = zipfile.ZIP_DEFLATED
            member.external_attr = 0o644 << 16
            out.writestr(member, (replace or {}).get(info.filename, src.read(info.filename)))
    return buf.getvalue()


def _fill_docx(data: bytes, values: dict) -> bytes:
    from lxml import etree

    w, w14 = f"{{{W_NS}}}", f"{{{W14_NS}}}"
    src = zipfile.ZipFile(io.BytesIO(data))
    root = etree.fromstring(src.read("word/document.xml"))
    wanted = _wanted(values)
    for sdt in root.iter(w + "sdt"):
        tag = sdt.find(f"{w}sdtPr/{w}tag")
        key = tag.get(w + "val") if tag is not None else None
        if key not in wanted:
            continue
        pr, content = sdt.find(w + "sdtPr"), sdt.find(w + "sdtContent")
        value = wanted[key]
        if pr.find(w14 + "checkbox") is not None:
            pr.find(f"{w14}checkbox/{w14}checked").set(w14 + "val", "1" if value else "0")
            content.find(f".//{w}t").text = "\u2612" if value else "\u2610"
            continue
        placeholder = pr.find(w + "showingPlcHdr")
        if placeholder is not None:
            pr.remove(placeholder)
        for child in list(content):
            content.remove(child)
        run = etree.SubElement(content, w + "r")
        for i, part in enumerate(str(value).split("\n")):
            if i:
                etree.SubElement(run, w + "br")
            t = etree.SubElement(run, w + "t")
            t.text = part
            t.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
    xml = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
    return _stable_zip(data, {"word/document.xml": xml})


def _wanted(values: dict) -> dict[str, str | bool]:
    """A record's values as the form's blanks and boxes: key -> text, or option key -> ticked."""
    out: dict[str, str | bool] = {}
    for key, value in values.items():
        if key == "role":
            for option in form.ROLE.options:
                out[option.key] = value == option.key
        elif key in form.LIST_KEYS:
            choice = next(c for c in form.CHOICES if c.key == key)
            for option in choice.options:
                out[option.key] = option.key in (value or [])
        elif key == SUPERVISOR_KEY:
            out[key] = bool(value)
        elif value is not None:
            out[key] = str(value)
    return out


# ---------------------------------------------------------------- PDF
def _pdf() -> bytes:
    from reportlab import rl_config

    rl_config.invariant = 1
    from reportlab.lib.pagesizes import letter
    from reportlab.lib.utils import simpleSplit
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=letter, invariant=1)
    c.setTitle(form.TITLE)
    width, height = letter
    margin = 54
    y = height - margin

    def room(needed: float) -> None:
        nonlocal y
        if y - needed < margin:
            c.showPage()
            y = height - margin

    def say(text: str, size: float = 9.5, font: str = "Helvetica") -> None:
        nonlocal y
        for line in simpleSplit(text, font, size, width - 2 * margin):
            room(size + 4)
            c.setFont(font, size)
            c.drawString(margin, y, line)
            y -= size + 3.5

    def blanks_row(keys: tuple[str, ...]) -> None:
        nonlocal y
        room(40)
        y -= 16
        w = (width - 2 * margin - 10 * (len(keys) - 1)) / len(keys)
        for i, key in enumerate(keys):
            label = form.TEXT_FIELD_BY_KEY[key].label
            x = margin + i * (w + 10)
            c.acroForm.textfield(name=key, tooltip=label, x=x, y=y - 3, width=w, height=15, borderWidth=0,
                                 fontSize=9, value="", fillColor=None)
            c.line(x, y - 4, x + w, y - 4)
            c.setFont("Helvetica", 7.5)
            c.drawString(x, y - 13, label)
        y -= 24

    say(form.TITLE, 13, "Helvetica-Bold")
    say(form.OPEN_TO)
    say(form.APPLICANT_INFORMATION, 10, "Helvetica-Bold")
    for row in form.FORM_ROWS:
        blanks_row(row)
    say(form.SKIP_NOTE, 8)
    say(form.SUPERVISOR_QUESTION)
    room(16)
    c.setFont("Helvetica", 9.5)
    c.drawString(margin, y, "Yes:")
    c.acroForm.checkbox(name=SUPERVISOR_KEY, tooltip="Yes", x=margin + 26, y=y - 2, size=10, checked=False,
                        buttonStyle="cross")
    y -= 16
    say(form.IF_YES)
    blanks_row(form.SUPERVISOR_ROW)
    for heading, options, _multiple in _options():
        room(14 * (len(options) + 1) + 4)
        say(heading, 10, "Helvetica-Bold")
        for option in options:
            c.acroForm.checkbox(name=option.key, tooltip=option.label, x=margin + 8, y=y - 2, size=10,
                                checked=False, buttonStyle="cross")
            c.setFont("Helvetica", 9.5)
            c.drawString(margin + 24, y, option.label)
            y -= 14
        y -= 4
    for key in ("goals", "strengths"):
        room(100)
        say(form.TEXT_FIELD_BY_KEY[key].label)
        y -= 62
        c.acroForm.textfield(name=key, tooltip=form.field_label(key), x=margin, y=y, width=width - 2 * margin,
                             height=58, borderWidth=1, fontSize=9, fieldFlags="multiline", value="")
        y -= 14
    say(form.SUBMIT)
    say(form.PROGRAM_INBOX, 9.5, "Helvetica-Bold")
    c.showPage()
    c.save()
    return buf.getvalue()


def _fill_pdf(data: bytes, values: dict) -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    wanted = {}
    for key, value in _wanted(values).items():
        if isinstance(value, bool):
            if value:
                wanted[key] = "/Yes"
        else:
            wanted[key] = value
    for page in writer.pages:
        writer.update_page_form_field_values(page, wanted, auto_regenerate=False)
    writer.set_need_appearances_writer(True)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


# ---------------------------------------------------------------- text
def _txt() -> str:
    out = [form.TITLE, "", form.OPEN_TO, "", form.APPLICANT_INFORMATION, ""]

    def blanks_row(keys: tuple[str, ...]) -> None:
        labels = [form.TEXT_FIELD_BY_KEY[k].label for k in keys]
        widths = [max(len(label), 18) + 2 for label in labels]
        out.append("     ".join("_" * w for w in widths))
        out.append("     ".join(label.ljust(w) for label, w in zip(labels, widths, strict=True)).rstrip())
        out.append("")

    for row in form.FORM_ROWS:
        blanks_row(row)
    out += [*textwrap.wrap(form.SKIP_NOTE, 90), "", form.SUPERVISOR_QUESTION, "Yes: [ ]", "", form.IF_YES, ""]
    blanks_row(form.SUPERVISOR_ROW)
    for heading, options, _multiple in _options():
        out += [heading] + [f"[ ] {o.label}" for o in options] + [""]
    for key in ("goals", "strengths"):
        out += textwrap.wrap(form.TEXT_FIELD_BY_KEY[key].label, 90) + ["_" * 86] * 3 + [""]
    out += [form.SUBMIT, form.PROGRAM_INBOX, ""]
    return "\n".join(out)


def write_form(fmt: str) -> bytes:
    """The blank application form as a .docx, .pdf or .txt file's bytes."""
    if fmt == "docx":
        return _docx()
    if fmt == "pdf":
        return _pdf()
    if fmt == "txt":
        return _txt().encode("utf-8")
    raise ValueError(f"unknown form format {fmt!r}; choose docx, pdf or txt")


def fill_form(fmt: str, values: dict) -> bytes:
    """A generated form filled with a record's values (record keys), as an applicant's editor would."""
    blank = write_form(fmt)
    if fmt == "docx":
        return _fill_docx(blank, values)
    if fmt == "pdf":
        return _fill_pdf(blank, values)
    raise ValueError(f"fill_form supports docx and pdf, not {fmt!r}")
