"""OpenDocument text (.odt) to lines and fields.

The content.xml is read directly with a locked-down XML parser (no
entities, no network), after the zip has been measured. Paragraphs,
headings and list items become lines; table rows become one line with cells
split by tabs; ODF's explicit spaces and tabs (text:s, text:tab) are kept
because typed-over forms line values up with them. Form controls
(checkboxes, text boxes) are written in place, a ticked box as ☒, and go
into `Document.fields` by name and label. Struck-through text is dropped; a
paragraph whose words are all bold, highlighted or coloured is emphasised.
"""
from __future__ import annotations

import re

from lxml import etree

from inbox_worker.extract.document import MARKED, UNMARKED, Document, Line
from inbox_worker.extract.limits import check_zip, read_member
from inbox_worker.extract.text import LineBuilder, join_cells
from inbox_worker.record import RefusedInput, UnreadableInput

OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
STYLE = "{urn:oasis:names:tc:opendocument:xmlns:style:1.0}"
FO = "{urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0}"
DRAW = "{urn:oasis:names:tc:opendocument:xmlns:drawing:1.0}"
FORM = "{urn:oasis:names:tc:opendocument:xmlns:form:1.0}"
XML_ID = "{http://www.w3.org/XML/1998/namespace}id"
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False)
_SKIP = {TEXT + "tracked-changes", OFFICE + "annotation", OFFICE + "annotation-end", TEXT + "note",
         TEXT + "placeholder", TEXT + "soft-page-break", TEXT + "bookmark", TEXT + "bookmark-start",
         TEXT + "bookmark-end", OFFICE + "forms", TEXT + "sequence-decls", TEXT + "variable-decls"}
_PLAIN_BACKGROUNDS = {"", "transparent", "#ffffff", "#fff", "none"}
_PLAIN_COLOURS = {"", "#000000", "#000"}


class _Styles:
    def __init__(self, roots) -> None:
        self.by_name: dict[str, tuple[dict[str, bool | None], str | None]] = {}
        for root in roots:
            for st in root.iter(STYLE + "style"):
                name = st.get(STYLE + "name")
                if not name:
                    continue
                props = st.find(STYLE + "text-properties")
                flags: dict[str, bool | None] = {"emph": None, "strike": None, "hidden": None}
                if props is not None:
                    weight = props.get(FO + "font-weight")
                    background = (props.get(FO + "background-color") or "").lower()
                    colour = (props.get(FO + "color") or "").lower()
                    if weight is not None or background or colour:
                        flags["emph"] = (weight in ("bold", "600", "700", "800", "900")
                                         or background not in _PLAIN_BACKGROUNDS or colour not in _PLAIN_COLOURS)
                    line = props.get(STYLE + "text-line-through-style")
                    if line is not None:
                        flags["strike"] = line != "none"
                    if props.get(TEXT + "display") is not None:
                        flags["hidden"] = props.get(TEXT + "display") == "none"
                self.by_name[name] = (flags, st.get(STYLE + "parent-style-name"))

    def flags(self, name: str | None, inherited: dict[str, bool]) -> dict[str, bool]:
        out: dict[str, bool | None] = {}
        depth = 0
        while name and name in self.by_name and depth < 20:
            flags, name = self.by_name[name][0], self.by_name[name][1]
            for k, v in flags.items():
                if out.get(k) is None:
                    out[k] = v
            depth += 1
        return {k: inherited.get(k, False) if out.get(k) is None else bool(out[k])
                for k in ("emph", "strike", "hidden")}


class _Walker:
    def __init__(self, styles: _Styles, controls: dict, source: str) -> None:
        self.styles, self.controls, self.source = styles, controls, source
        self.fields: dict[str, str | bool] = {}

    def blocks(self, parent, b: LineBuilder) -> None:
        for child in parent:
            tag = child.tag
            if tag in (TEXT + "p", TEXT + "h"):
                self.paragraph(child, b)
            elif tag == TABLE + "table":
                b.extend(self.table(child))
            elif tag in _SKIP or not isinstance(tag, str):
                continue
            else:  # lists, list items, sections, frames' text boxes: the same blocks inside
                self.blocks(child, b)

    def table(self, table) -> list[Line]:
        lines: list[Line] = []
        for row in table.iter(TABLE + "table-row"):
            # Only this table's rows; nested tables are read inside their cell.
            if next(row.iterancestors(TABLE + "table")) is not table:
                continue
            cells = []
            for cell in row:
                if cell.tag != TABLE + "table-cell":
                    continue
                sub = LineBuilder(self.source)
                self.blocks(cell, sub)
                cells.append(sub.finish())
            lines.extend(join_cells(cells))
        return lines

    def paragraph(self, p, b: LineBuilder) -> None:
        flags = self.styles.flags(p.get(TEXT + "style-name"), {})
        b.break_line(keep_empty=False)
        after: list = []
        dropped = self.inline(p, b, flags, after)
        b.break_line(keep_empty=not dropped)
        for frame in after:
            self.blocks(frame, b)
            b.break_line(keep_empty=False)

    def _add(self, b: LineBuilder, text: str | None, flags: dict[str, bool]) -> bool:
        if not text:
            return False
        if flags["strike"] or flags["hidden"]:
            return flags["strike"] and bool(text.strip())
        # ODF collapses runs of white space; explicit ones are text:s and text:tab.
        b.add(re.sub(r"[ \t\r\n]+", " ", text), flags["emph"])
        return False

    def inline(self, el, b: LineBuilder, flags: dict[str, bool], after: list) -> bool:
        dropped = self._add(b, el.text, flags)
        for child in el:
            tag = child.tag
            if not isinstance(tag, str) or tag in _SKIP:
                pass
            elif tag == TEXT + "s":
                if not flags["strike"]:
                    b.add(" " * min(int(child.get(TEXT + "c", "1") or 1), 200), flags["emph"])
            elif tag == TEXT + "tab":
                b.add("\t", flags["emph"])
            elif tag == TEXT + "line-break":
                b.break_line()
            elif tag == DRAW + "frame":
                after.extend(child.iter(DRAW + "text-box"))
            elif tag == DRAW + "control":
                self.control(child.get(DRAW + "control"), b, flags)
            else:
                inner = self.styles.flags(child.get(TEXT + "style-name"), flags)
                dropped |= self.inline(child, b, inner, after)
            dropped |= self._add(b, child.tail, flags)
        return dropped

    def control(self, ident: str | None, b: LineBuilder, flags: dict[str, bool]) -> None:
        found = self.controls.get(ident or "")
        if found is None:
            return
        kind, keys, value = found
        self._put(keys, value)
        if kind == "box":
            b.add((MARKED if value else UNMARKED) + " ")
        elif value:
            b.add(str(value), flags["emph"])

    def _put(self, keys, value) -> None:
        for key in keys:
            if key and not (key in self.fields and self.fields[key] not in ("", False) and value in ("", False)):
                self.fields[key] = value


def _controls(root) -> dict[str, tuple[str, list[str], str | bool]]:
    """Form controls by id: (kind, keys, value); the page draws them through draw:control."""
    out = {}
    for el in root.iter(FORM + "checkbox", FORM + "radio", FORM + "text", FORM + "textarea",
                        FORM + "formatted-text"):
        ident = el.get(FORM + "id") or el.get(XML_ID) or ""
        keys = [k for k in (el.get(FORM + "name"), el.get(FORM + "label")) if k]
        if el.tag in (FORM + "checkbox", FORM + "radio"):
            state = el.get(FORM + "current-state") or el.get(FORM + "state") or ""
            selected = el.get(FORM + "current-selected") or el.get(FORM + "selected") or ""
            value: str | bool = state == "checked" or selected == "true"
            kind = "box"
        else:
            value = el.get(FORM + "current-value") or el.get(FORM + "value") or ""
            kind = "text"
        out[ident] = (kind, keys, value)
    return out


def read_odt(data: bytes, source: str) -> Document:
    """An .odt file as a Document: its lines in reading order and its form controls."""
    if not isinstance(data, (bytes, bytearray)):
        raise UnreadableInput(f"{source}: expected bytes, got {type(data).__name__}")
    zf = check_zip(bytes(data), "OpenDocument file")
    names = set(zf.namelist())
    if "content.xml" not in names:
        raise UnreadableInput(f"{source}: this is not an OpenDocument text (it has no content.xml)")
    try:
        content = etree.fromstring(read_member(zf, "content.xml", "OpenDocument file"), _PARSER)
        roots = [content]
        if "styles.xml" in names:
            roots.insert(0, etree.fromstring(read_member(zf, "styles.xml", "OpenDocument file"), _PARSER))
        body = content.find(OFFICE + "body/" + OFFICE + "text")
        if body is None:
            raise UnreadableInput(f"{source}: the OpenDocument file holds no text document")
        walker = _Walker(_Styles(roots), _controls(body), source)
        b = LineBuilder(source)
        walker.blocks(body, b)
        lines = b.finish()
    except UnreadableInput:
        raise
    except RecursionError as exc:
        raise RefusedInput(f"{source}: the OpenDocument file is nested too deeply to read") from exc
    except (etree.XMLSyntaxError, ValueError, TypeError) as exc:
        raise UnreadableInput(f"{source}: the OpenDocument file is damaged ({exc})") from exc
    except Exception as exc:  # whatever else a malformed file provokes, it is unreadable, not a crash
        raise UnreadableInput(f"{source}: the OpenDocument file cannot be read ({type(exc).__name__})") from exc
    return Document(source=source, lines=[Line(ln.text.rstrip(), ln.emphasis) for ln in lines],
                    fields=walker.fields)
