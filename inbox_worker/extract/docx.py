"""Word (.docx) to lines and fields.

The body is walked as Word lays it out: paragraphs and tables in document
order (a table row becomes one line, cells split by tabs), text boxes after
the paragraph that anchors them. What the applicant removed stays removed:
tracked deletions and struck-through text (a deleted option) are dropped,
insertions kept. Boxes come in several kinds and all end up as ☒/☐ in the
text: checkbox content controls, legacy form checkboxes, and Wingdings
symbols. Content controls and legacy form fields also go into
`Document.fields` under their tag, title or name. A paragraph whose words
are all bold, highlighted, shaded or coloured is marked as emphasised.
"""
from __future__ import annotations

import io
import re

from lxml import etree

from inbox_worker.extract.document import MARKED, UNMARKED, Document, Line
from inbox_worker.extract.html import symbol_box
from inbox_worker.extract.limits import check_zip, read_member
from inbox_worker.extract.text import LineBuilder, join_cells
from inbox_worker.record import RefusedInput, UnreadableInput

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
W14 = "{http://schemas.microsoft.com/office/word/2010/wordml}"
MC = "{http://schemas.openxmlformats.org/markup-compatibility/2006}"
_OFF = {"0", "false", "off", "none"}
_PLAIN_FILLS = {"", "auto", "ffffff", "none"}
_PLAIN_COLOURS = {"", "auto", "000000"}
_CONTAINERS = {W + "ins", W + "moveTo", W + "hyperlink", W + "smartTag", W + "customXml", W + "fldSimple",
               W + "bdo", W + "dir"}
_DROPPED = {W + "del", W + "moveFrom", W + "pPr", W + "rPr", W + "sdtPr", W + "sdtEndPr"}
_SAFE_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, remove_blank_text=False)


def _on(el, attr: str = W + "val") -> bool:
    """A Word toggle property: present means on unless its value says off."""
    return el is not None and (el.get(attr) or "true").lower() not in _OFF


def _val(el, name: str) -> str | None:
    child = el.find(name) if el is not None else None
    return None if child is None else (child.get(W + "val") or "")


class _Style:
    """What a run or paragraph style contributes: each flag True, False or None (not set)."""

    def __init__(self, rpr, ppr=None, based_on: str | None = None) -> None:
        self.based_on = based_on
        self.flags = _run_flags(rpr)
        if ppr is not None and (ppr.find(W + "shd") is not None) and _shaded(ppr.find(W + "shd")):
            self.flags["shade"] = True


def _shaded(shd) -> bool:
    fill = (shd.get(W + "fill") or "").lower()
    return fill not in _PLAIN_FILLS


def _run_flags(rpr) -> dict[str, bool | None]:
    flags: dict[str, bool | None] = {k: None for k in ("bold", "strike", "hidden", "shade", "colour")}
    if rpr is None:
        return flags
    for name, key in ((W + "b", "bold"), (W + "strike", "strike"), (W + "dstrike", "strike"),
                      (W + "vanish", "hidden")):
        el = rpr.find(name)
        if el is not None:
            flags[key] = bool(flags[key]) or _on(el)
    highlight = rpr.find(W + "highlight")
    shd = rpr.find(W + "shd")
    if highlight is not None or shd is not None:
        flags["shade"] = (highlight is not None and (highlight.get(W + "val") or "none").lower() != "none") or (
            shd is not None and _shaded(shd))
    colour = rpr.find(W + "color")
    if colour is not None:
        theme = (colour.get(W + "themeColor") or "").lower()
        flags["colour"] = (colour.get(W + "val") or "auto").lower() not in _PLAIN_COLOURS and theme not in (
            "text1", "dark1")
    return flags


class _Styles:
    def __init__(self, root) -> None:
        self.by_id: dict[str, _Style] = {}
        self.default_para: str | None = None
        if root is None:
            return
        for st in root.iter(W + "style"):
            sid = st.get(W + "styleId")
            if not sid:
                continue
            self.by_id[sid] = _Style(st.find(W + "rPr"), st.find(W + "pPr"), _val(st, W + "basedOn"))
            if st.get(W + "type") == "paragraph" and _on(st, W + "default") and st.get(W + "default"):
                self.default_para = sid

    def flags(self, style_id: str | None) -> dict[str, bool | None]:
        """A style's flags with those it inherits; the chain is cut short against loops."""
        out: dict[str, bool | None] = {}
        seen = 0
        while style_id and style_id in self.by_id and seen < 20:
            style = self.by_id[style_id]
            for k, v in style.flags.items():
                if out.get(k) is None:
                    out[k] = v
            style_id, seen = style.based_on, seen + 1
        return out


def _merge(*layers: dict[str, bool | None]) -> dict[str, bool]:
    """The nearest layer that sets a flag wins (direct formatting, then run style, then paragraph style)."""
    out = {}
    for key in ("bold", "strike", "hidden", "shade", "colour"):
        value = None
        for layer in layers:
            if layer.get(key) is not None:
                value = layer[key]
                break
        out[key] = bool(value)
    return out


def _plain_text(el) -> str:
    """The visible text under an element, for a content control's value."""
    parts: list[str] = []
    for node in el.iter(W + "t", W + "tab", W + "br", W + "cr", W + "p"):
        if any(a.tag in (W + "del", W + "moveFrom") for a in node.iterancestors()):
            continue
        if node.tag == W + "t":
            parts.append(node.text or "")
        elif node.tag == W + "tab":
            parts.append("\t")
        elif node.tag == W + "p":
            if parts:
                parts.append("\n")
        else:
            parts.append("\n")
    return "".join(parts).strip("\n")


class _Walker:
    def __init__(self, styles: _Styles, source: str) -> None:
        self.styles = styles
        self.source = source
        self.fields: dict[str, str | bool] = {}
        # Legacy form fields open in one run and close in a later one: a stack of [name, text or None].
        self.fld: list[list] = []

    def _put(self, keys, value) -> None:
        for key in keys:
            if key and not (key in self.fields and self.fields[key] not in ("", False) and value in ("", False)):
                self.fields[key] = value

    # -- blocks
    def blocks(self, parent, b: LineBuilder) -> None:
        for child in parent:
            tag = child.tag
            if tag == W + "p":
                self.paragraph(child, b)
            elif tag == W + "tbl":
                b.extend(self.table(child))
            elif tag == W + "sdt":
                self.block_sdt(child, b)
            elif tag == W + "customXml":
                self.blocks(child, b)

    def block_sdt(self, sdt, b: LineBuilder) -> None:
        pr, content = sdt.find(W + "sdtPr"), sdt.find(W + "sdtContent")
        if content is None:
            return
        keys = self._sdt_keys(pr)
        if pr is not None and pr.find(W14 + "checkbox") is not None:
            checked = self._sdt_checked(pr)
            self._put(keys, checked)
            b.add(MARKED if checked else UNMARKED)
            b.break_line()
            return
        placeholder = pr is not None and pr.find(W + "showingPlcHdr") is not None
        self._put(keys, "" if placeholder else _plain_text(content))
        if not placeholder:
            self.blocks(content, b)

    def table(self, tbl) -> list[Line]:
        lines: list[Line] = []
        for row in self._children(tbl, W + "tr"):
            cells = []
            for cell in self._children(row, W + "tc"):
                sub = LineBuilder(self.source)
                self.blocks(cell, sub)
                cells.append(sub.finish())
            lines.extend(join_cells(cells))
        return lines

    def _children(self, parent, tag: str):
        """Rows of a table or cells of a row, looking through content controls and custom XML around them."""
        for child in parent:
            if child.tag == tag:
                yield child
            elif child.tag in (W + "sdt", W + "customXml"):
                inner = child.find(W + "sdtContent") if child.tag == W + "sdt" else child
                if inner is not None:
                    yield from self._children(inner, tag)

    # -- paragraphs
    def paragraph(self, p, b: LineBuilder) -> None:
        ppr = p.find(W + "pPr")
        pstyle = _val(ppr, W + "pStyle") or self.styles.default_para
        base = self.styles.flags(pstyle)
        if ppr is not None and ppr.find(W + "shd") is not None and _shaded(ppr.find(W + "shd")):
            base = {**base, "shade": True}
        b.break_line(keep_empty=False)
        after: list = []
        dropped = self.inline(p, b, base, after)
        # A paragraph left empty by struck-out text was an option deleted, not a blank line.
        b.break_line(keep_empty=not dropped)
        for box in after:
            self.blocks(box, b)
            b.break_line(keep_empty=False)

    def inline(self, parent, b: LineBuilder, base, after: list) -> bool:
        dropped = False
        for child in parent:
            tag = child.tag
            if tag == W + "r":
                dropped |= self.run(child, b, base, after)
            elif tag in _CONTAINERS:
                dropped |= self.inline(child, b, base, after)
            elif tag == W + "sdt":
                dropped |= self.inline_sdt(child, b, base, after)
            elif tag in _DROPPED:
                dropped |= tag in (W + "del", W + "moveFrom")
        return dropped

    def inline_sdt(self, sdt, b: LineBuilder, base, after: list) -> bool:
        pr, content = sdt.find(W + "sdtPr"), sdt.find(W + "sdtContent")
        keys = self._sdt_keys(pr)
        if pr is not None and pr.find(W14 + "checkbox") is not None:
            checked = self._sdt_checked(pr)
            self._put(keys, checked)
            b.add(MARKED if checked else UNMARKED)
            return False
        if content is None:
            return False
        if pr is not None and pr.find(W + "showingPlcHdr") is not None:
            self._put(keys, "")
            return False
        self._put(keys, _plain_text(content))
        return self.inline(content, b, base, after)

    @staticmethod
    def _sdt_keys(pr) -> list[str]:
        if pr is None:
            return []
        return [v for v in (_val(pr, W + "tag"), _val(pr, W + "alias")) if v]

    @staticmethod
    def _sdt_checked(pr) -> bool:
        el = pr.find(W14 + "checkbox/" + W14 + "checked")
        return el is not None and _on(el, W14 + "val")

    def run(self, r, b: LineBuilder, base, after: list) -> bool:
        rpr = r.find(W + "rPr")
        flags = _merge(_run_flags(rpr), self.styles.flags(_val(rpr, W + "rStyle")), base)
        # Inside a form field's instructions nothing shows; the result shows.
        hidden = flags["hidden"] or (self.fld and self.fld[-1][2] == "instr")
        emph = flags["bold"] or flags["shade"] or flags["colour"]
        dropped = False
        for node in r:
            tag = node.tag
            if tag == W + "fldChar":
                self._fld_char(node, b)
                continue
            if tag in (W + "drawing", W + "pict", MC + "AlternateContent", W + "object"):
                after.extend(t for t in node.iter(W + "txbxContent")
                             if not any(a.tag == MC + "Fallback" for a in t.iterancestors()))
                continue
            text = self._run_text(node)
            if text is None or hidden:
                continue
            if flags["strike"]:
                dropped = dropped or bool(text.strip())
                continue
            if text == "\n":
                b.break_line()
                continue
            b.add(text, emph)
            if self.fld and self.fld[-1][2] == "result":
                self.fld[-1][1] += text
        return dropped

    @staticmethod
    def _run_text(node) -> str | None:
        tag = node.tag
        if tag == W + "t":
            return node.text or ""
        if tag in (W + "tab", W + "ptab"):
            return "\t"
        if tag in (W + "br", W + "cr"):
            return "\n"
        if tag == W + "noBreakHyphen":
            return "-"
        if tag == W + "sym":
            font = node.get(W + "font") or ""
            try:
                code = int(node.get(W + "char") or "0", 16)
            except ValueError:
                return None
            box = symbol_box(font, code)
            if box:
                return box
            if font.lower() == "symbol" and code & 0xFF == 0xB7:
                return "\u00b7"
            return None
        return None

    def _fld_char(self, node, b: LineBuilder) -> None:
        kind = node.get(W + "fldCharType")
        if kind == "begin":
            ff = node.find(W + "ffData")
            name = _val(ff, W + "name") if ff is not None else None
            box = ff.find(W + "checkBox") if ff is not None else None
            if box is not None:
                state = box.find(W + "checked")
                if state is None:
                    state = box.find(W + "default")
                checked = _on(state) if state is not None else False
                self._put([name], checked)
                b.add(MARKED if checked else UNMARKED)
            dropdown = ff.find(W + "ddList") if ff is not None else None
            if dropdown is not None:
                entries = [e.get(W + "val") or "" for e in dropdown.findall(W + "listEntry")]
                pick = _val(dropdown, W + "result") or _val(dropdown, W + "default") or "0"
                chosen = entries[int(pick)] if pick.isdigit() and int(pick) < len(entries) else ""
                self._put([name], chosen)
                b.add(chosen)
            text_field = ff is not None and ff.find(W + "textInput") is not None
            self.fld.append([name if text_field else None, "", "instr"])
            if len(self.fld) > 50:
                raise UnreadableInput(f"{self.source}: the Word file's fields are nested too deeply")
        elif kind == "separate" and self.fld:
            self.fld[-1][2] = "result"
        elif kind == "end" and self.fld:
            name, text, _ = self.fld.pop()
            if name:
                self._put([name], text.strip())


def _body(data: bytes, source: str):
    """The document body and styles: through python-docx, or straight from the XML for .docm/.dotx."""
    try:
        import docx

        document = docx.Document(io.BytesIO(data))
        return document.element.body, document.styles.element
    except (ValueError, KeyError) as exc:
        # python-docx refuses macro-enabled and template content types whose body is the same XML.
        zf = check_zip(data, "Word file")
        names = set(zf.namelist())
        if "word/document.xml" not in names:
            raise UnreadableInput(f"{source}: this is not a Word document ({exc})") from exc
        root = etree.fromstring(read_member(zf, "word/document.xml", "Word file"), _SAFE_PARSER)
        styles = None
        if "word/styles.xml" in names:
            styles = etree.fromstring(read_member(zf, "word/styles.xml", "Word file"), _SAFE_PARSER)
        body = root.find(W + "body")
        if body is None:
            raise UnreadableInput(f"{source}: the Word file has no body") from exc
        return body, styles


def read_docx(data: bytes, source: str) -> Document:
    """A .docx file as a Document: its lines in reading order and its content controls and form fields."""
    if not isinstance(data, (bytes, bytearray)):
        raise UnreadableInput(f"{source}: expected bytes, got {type(data).__name__}")
    data = bytes(data)
    check_zip(data, "Word file")
    try:
        body, styles_root = _body(data, source)
        walker = _Walker(_Styles(styles_root), source)
        b = LineBuilder(source)
        walker.blocks(body, b)
        lines = b.finish()
    except UnreadableInput:
        raise
    except RecursionError as exc:
        raise RefusedInput(f"{source}: the Word file is nested too deeply to read") from exc
    except MemoryError as exc:
        raise RefusedInput(f"{source}: the Word file is too large to read") from exc
    except Exception as exc:  # python-docx and lxml raise many kinds; all mean a broken file
        raise UnreadableInput(f"{source}: the Word file cannot be read ({type(exc).__name__}: {exc})") from exc
    return Document(source=source, lines=[Line(re.sub(r"[ \u00a0]+$", "", ln.text), ln.emphasis)
                                          for ln in lines], fields=walker.fields)
