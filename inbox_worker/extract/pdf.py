"""PDF to lines and fields: fillable (AcroForm) forms and printed ones.

A fillable form keeps its answers in fields, not in the page text: each
filled field goes into `Document.fields` under its name (and under its
tooltip, which is usually the printed label), a ticked box as True, a radio
group as the export value chosen. So that the lines read like the paper
form, a page with fields is laid out again from positioned text: each
value is placed where its box sits, a ticked box as ☒ beside its option and
an empty one as ☐. A printed or flattened PDF is text only. Size, object
and page limits are checked before any page is parsed.
"""
from __future__ import annotations

import io
import re

from inbox_worker.extract.document import MARKED, UNMARKED, Document, Line
from inbox_worker.extract.limits import (
    PDF_MAX_BYTES,
    PDF_MAX_FIELDS,
    PDF_MAX_OBJECTS,
    PDF_MAX_PAGES,
    check_lines,
    check_size,
)
from inbox_worker.extract.pdflayout import printed_pages
from inbox_worker.extract.text import normalise
from inbox_worker.record import RefusedInput, UnreadableInput

_RADIO = 1 << 15
_PUSHBUTTON = 1 << 16
_FONT_SIZE = re.compile(r"([\d.]+)\s+Tf")


def _s(value) -> str:
    """A PDF name or string as text, without the name's slash."""
    if value is None:
        return ""
    if isinstance(value, bytes):
        value = value.decode("latin-1")
    text = str(value)
    return text[1:] if text.startswith("/") else text


def _inherited(obj, key: str, depth: int = 0):
    """A field attribute, looked up through /Parent as the PDF spec inherits it."""
    while obj is not None and depth < 30:
        if key in obj:
            return obj[key]
        obj = obj.get("/Parent")
        obj = obj.get_object() if obj is not None else None
        depth += 1
    return None


def _full_name(widget) -> str:
    parts, obj, depth = [], widget, 0
    while obj is not None and depth < 30:
        if "/T" in obj:
            parts.append(_s(obj["/T"]))
        parent = obj.get("/Parent")
        obj = parent.get_object() if parent is not None else None
        depth += 1
    return ".".join(reversed(parts))


def _on_state(widget) -> str | None:
    """The name a box's 'on' appearance goes by (/Yes, /On, /1, an export value)."""
    ap = widget.get("/AP")
    normal = ap.get_object().get("/N") if ap is not None else None
    if normal is not None and hasattr(normal.get_object(), "keys"):
        for state in normal.get_object():
            if state != "/Off":
                return str(state)
    return None


def _widget_value(widget) -> tuple[str, str | bool, str] | None:
    """(field name, value, kind) for one widget annotation: kind "text", "box" or "radio"."""
    name = _full_name(widget)
    kind = _s(_inherited(widget, "/FT"))
    flags = int(_inherited(widget, "/Ff") or 0)
    value = _inherited(widget, "/V")
    if kind == "Btn":
        if flags & _PUSHBUTTON:
            return None
        state = _s(widget.get("/AS")) if "/AS" in widget else None
        on = _s(_on_state(widget)) or None
        if state is not None:
            checked = state not in ("", "Off")
        else:
            checked = value is not None and _s(value) not in ("", "Off") and (on is None or _s(value) == on)
        return name, checked, ("radio" if flags & _RADIO else "box")
    if kind == "Ch" and isinstance(value, list):
        return name, "; ".join(_s(v) for v in value), "text"
    if kind in ("Tx", "Ch"):
        return name, normalise(_s(value)), "text"
    return None


def _fields(reader) -> dict[str, str | bool]:
    """Every field by full name, plus its short name and tooltip where they differ."""
    try:
        found = reader.get_fields() or {}
    except RecursionError:
        return {}
    if len(found) > PDF_MAX_FIELDS:
        raise RefusedInput(f"the PDF has more than {PDF_MAX_FIELDS:,} form fields")
    out: dict[str, str | bool] = {}
    for name, field in found.items():
        kind, flags = _s(field.get("/FT")), int(field.get("/Ff") or 0)
        value = field.get("/V")
        if kind == "Btn":
            if flags & _PUSHBUTTON:
                continue
            chosen = _s(value) if value is not None else ""
            if flags & _RADIO:
                opts = field.get("/Opt")
                if opts is not None and chosen.isdigit() and int(chosen) < len(opts):
                    chosen = _s(opts[int(chosen)])
                result: str | bool = "" if chosen == "Off" else chosen
            else:
                result = chosen not in ("", "Off")
        elif isinstance(value, list):
            result = "; ".join(_s(v) for v in value)
        elif kind in ("Tx", "Ch"):
            result = normalise(_s(value))
        else:
            continue
        keys = [name, _s(field.get("/T")), normalise(_s(field.get("/TU"))).strip()]
        for key in dict.fromkeys(k for k in keys if k):
            if key not in out or out[key] in ("", False):
                out[key] = result
    return out


def _layout(items: list[tuple[float, float, float, str]]) -> list[str]:
    """Positioned pieces of text (x, y, size, text) to lines, top to bottom, left to right.

    Pieces far apart on one line are split by a tab, as the columns of a
    form row are.
    """
    items = sorted(items, key=lambda it: (-it[1], it[0]))
    rows: list[list[tuple[float, float, float, str]]] = []
    for it in items:
        if rows and abs(rows[-1][0][1] - it[1]) <= max(2.5, it[2] * 0.35):
            rows[-1].append(it)
        else:
            rows.append([it])
    lines = []
    for row in rows:
        row.sort(key=lambda it: it[0])
        text, end = "", None
        for x, _y, size, piece in row:
            if end is not None:
                gap = x - end
                text += "\t" if gap > 2.5 * size else (" " if gap > 0.15 * size and not text.endswith(" ") else "")
            text += piece
            end = x + len(piece) * size * 0.5
        lines.append(text.rstrip())
    return lines


def _widgets(page) -> list:
    """The page's form-field widgets (the boxes a fillable form's answers sit in)."""
    annots = page.get("/Annots")
    widgets = []
    if annots is not None:
        for ref in annots.get_object()[:PDF_MAX_FIELDS]:
            ann = ref.get_object()
            if _s(ann.get("/Subtype")) == "Widget" and "/Rect" in ann:
                widgets.append(ann)
    return widgets


def _notes(page) -> list:
    """The page's typed-on text boxes: what Preview's and Acrobat's Fill & Sign put on a printed form."""
    annots = page.get("/Annots")
    notes = []
    if annots is not None:
        for ref in annots.get_object()[:PDF_MAX_FIELDS]:
            ann = ref.get_object()
            if _s(ann.get("/Subtype")) == "FreeText" and "/Rect" in ann and _s(ann.get("/Contents")).strip():
                notes.append(ann)
    return notes


def _filled_in(page) -> bool:
    """Whether the page carries answers of its own (fields or typed-on text) to lay out with its text."""
    return bool(_widgets(page) or _notes(page))


def _page_lines(page, source: str, words: list | None = None) -> list[str]:
    widgets = _widgets(page)
    notes = _notes(page)
    if not widgets and not notes:
        if words is not None:
            return [normalise(line) for line in words]
        return normalise(page.extract_text() or "").split("\n")
    items: list[tuple[float, float, float, str]] = []

    def visit(text, cm, tm, _font, size):
        if not text or not text.strip():
            return
        x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
        y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
        scale = abs(cm[3] * tm[3]) or 1.0
        size = float(size or 10) * scale
        for i, part in enumerate(normalise(text).split("\n")):
            if part.strip():
                items.append((x, y - i * size * 1.2, size, part.strip()))

    page.extract_text(visitor_text=visit)
    for widget in widgets:
        read = _widget_value(widget)
        if read is None:
            continue
        _name, value, kind = read
        x1, y1, x2, y2 = (float(v) for v in widget["/Rect"])
        x1, x2, y1, y2 = min(x1, x2), max(x1, x2), min(y1, y2), max(y1, y2)
        if kind in ("box", "radio"):
            items.append((x1, y1 + 2, max(y2 - y1, 6), MARKED if value else UNMARKED))
            continue
        if not value:
            continue
        found = _FONT_SIZE.search(_s(_inherited(widget, "/DA")))
        size = float(found.group(1)) if found and float(found.group(1)) > 0 else 10.0
        parts = str(value).split("\n")
        top = y2 - size - 2 if len(parts) > 1 or (y2 - y1) > 2.5 * size else y1 + 2
        for i, part in enumerate(parts):
            if part.strip():
                items.append((x1 + 2, top - i * size * 1.2, size, part.strip()))
    for note in notes:
        x1, y1, x2, y2 = (float(v) for v in note["/Rect"])
        x1, y2 = min(x1, x2), max(y1, y2)
        found = _FONT_SIZE.search(_s(note.get("/DA")))
        size = float(found.group(1)) if found and float(found.group(1)) > 0 else 10.0
        # The text box's first line stands at its top; the line it is typed on is its baseline.
        for i, part in enumerate(normalise(_s(note.get("/Contents")).replace("\r", "\n")).split("\n")):
            if part.strip():
                items.append((x1 + 2, y2 - size - i * size * 1.2, size, part.strip()))
    return _layout(items)


def _open(data: bytes, source: str):
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data), strict=False)
    if reader.is_encrypted:
        try:
            ok = reader.decrypt("")
        except Exception as exc:  # missing crypto support or a broken encryption dictionary
            raise UnreadableInput(f"{source}: the PDF is encrypted and cannot be opened ({exc})") from exc
        if not ok:
            raise UnreadableInput(f"{source}: the PDF is protected by a password; please send it without one")
    size = reader.trailer.get("/Size")
    if size is not None and int(size) > PDF_MAX_OBJECTS:
        raise RefusedInput(f"{source}: the PDF has more than {PDF_MAX_OBJECTS:,} objects; it is too large to read")
    pages = reader.trailer["/Root"].get_object().get("/Pages")
    declared = int(pages.get_object().get("/Count", 0)) if pages is not None else 0
    if declared > PDF_MAX_PAGES:
        raise RefusedInput(f"{source}: the PDF has {declared:,} pages, more than the {PDF_MAX_PAGES} we read; "
                           "an application form is a few pages")
    if len(reader.pages) > PDF_MAX_PAGES:
        raise RefusedInput(f"{source}: the PDF has more than {PDF_MAX_PAGES} pages; an application form is a few pages")
    return reader


def read_pdf(data: bytes, source: str) -> Document:
    """A PDF as a Document: page text as lines (answers in place on fillable forms), and its form fields."""
    if not isinstance(data, (bytes, bytearray)):
        raise UnreadableInput(f"{source}: expected bytes, got {type(data).__name__}")
    data = bytes(data)
    check_size(data, "PDF", PDF_MAX_BYTES)
    if b"%PDF-" not in data[:1024]:
        raise UnreadableInput(f"{source}: this is not a PDF file")
    try:
        from pypdf.errors import LimitReachedError
    except ImportError:  # older pypdf has no such error
        LimitReachedError = RefusedInput
    try:
        reader = _open(data, source)
        fields = _fields(reader)
        lines: list[Line] = []
        # Fillable pages are laid out from their fields; only printed ones need the words' positions.
        words = printed_pages(data, {n for n, page in enumerate(reader.pages) if not _filled_in(page)})
        for n, page in enumerate(reader.pages):
            page_words = words.get(n) if words is not None else None
            lines.extend(Line(t.rstrip(" ")) for t in _page_lines(page, source, page_words))
            check_lines(len(lines), source)
    except UnreadableInput:
        raise
    except LimitReachedError as exc:
        raise RefusedInput(f"{source}: the PDF is over a safety limit ({exc})") from exc
    except RecursionError as exc:
        raise RefusedInput(f"{source}: the PDF is nested too deeply to read") from exc
    except MemoryError as exc:
        raise RefusedInput(f"{source}: the PDF is too large to read") from exc
    except Exception as exc:  # pypdf raises many kinds on broken files; all mean unreadable
        raise UnreadableInput(f"{source}: the PDF cannot be read ({type(exc).__name__}: {exc})") from exc
    while lines and not lines[-1].text:
        lines.pop()
    return Document(source=source, lines=lines, fields=fields)
