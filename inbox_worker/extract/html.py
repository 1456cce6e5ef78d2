"""HTML to lines: mail bodies, pages saved from Word, and web forms saved with their answers.

The layout people see is what they meant, so block elements and <br> end
lines, table rows become one line with cells split by tabs, and text set in
bold or a highlight colour marks the line as emphasised (some applicants
mark their choice that way). Struck-out and hidden text is dropped, as the
applicant deleted or hid it. A saved web form keeps its answers in
<input>/<textarea>/<select> rather than in text: those are collected into
`Document.fields` by name, id and label, and also written into the lines
where they sit, a ticked box as ☒ and an empty one as ☐.
"""
from __future__ import annotations

import re

from lxml import etree
from lxml import html as lxml_html

from inbox_worker.extract.document import MARKED, UNMARKED, Document, Line
from inbox_worker.extract.limits import check_size, check_text
from inbox_worker.extract.text import LineBuilder, decode, join_cells, normalise
from inbox_worker.record import UnreadableInput

_BLOCK = {"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol", "dl", "dt", "dd", "blockquote",
          "pre", "address", "section", "article", "header", "footer", "nav", "aside", "form", "fieldset",
          "legend", "center", "hr", "main", "figure", "figcaption", "details", "summary", "caption", "tr",
          "body", "html"}
_SKIP = {"script", "style", "head", "title", "template", "noscript", "button", "iframe", "object", "svg",
         "xml", "meta", "link"}
_EMPHASIS_TAGS = {"b", "strong", "mark"}
_STRUCK_TAGS = {"s", "strike", "del"}
_TEXT_INPUTS = {"", "text", "email", "tel", "number", "date", "url", "search", "month", "week", "time",
                "datetime-local"}
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_:.-]+)""", re.I)
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>")
_PLAIN_BACKGROUNDS = {"", "transparent", "white", "#fff", "#ffffff", "none", "inherit", "initial", "window",
                      "auto", "unset", "rgb(255,255,255)", "rgb(255, 255, 255)"}

# Word's symbol fonts draw boxes with ordinary letters: "þ" in Wingdings is a
# ticked box. Shared with the Word reader, which sees the same codes as w:sym.
SYMBOL_BOXES = {
    "wingdings": {0xFE: MARKED, 0xFD: MARKED, 0x78: MARKED, 0xFC: MARKED, 0xFB: MARKED,
                  0xA8: UNMARKED, 0x6F: UNMARKED, 0x71: UNMARKED, 0x72: UNMARKED, 0x6E: "\u25a0"},
    "wingdings 2": {0x52: MARKED, 0x54: MARKED, 0x53: MARKED, 0x51: MARKED, 0x50: MARKED, 0x4F: MARKED,
                    0xA3: UNMARKED, 0x2A: UNMARKED, 0xA2: UNMARKED},
}


def symbol_box(font: str, code: int) -> str | None:
    """The box glyph for a character in a Word symbol font, or None if it is no box."""
    table = SYMBOL_BOXES.get(font.strip().strip("\"'").lower())
    if table is None:
        return None
    return table.get(code & 0xFF)


def _style(el) -> dict[str, str]:
    out = {}
    for decl in (el.get("style") or "").split(";"):
        if ":" in decl:
            k, v = decl.split(":", 1)
            out[k.strip().lower()] = v.strip().lower()
    return out


def _clean_label(text: str) -> str:
    text = re.sub(r"\s+", " ", text.replace("\u00a0", " ")).strip()
    text = text.strip("\u2610\u2611\u2612 \t")
    return text.rstrip(":*").strip()[:200]


class _Walker:
    """One pass over the tree; `self.b` is the builder of the cell or body being written."""

    def __init__(self, root, source: str) -> None:
        self.source = source
        self.fields: dict[str, str | bool] = {}
        self.b = LineBuilder(source, collapse_spaces=True)
        self.labels: dict[str, str] = {}
        self.name_counts: dict[str, int] = {}
        for label in root.iter("label"):
            target = label.get("for")
            if target:
                self.labels[target] = _clean_label(label.text_content())
        for inp in root.iter("input"):
            name = inp.get("name")
            if name and (inp.get("type") or "").lower() == "checkbox":
                self.name_counts[name] = self.name_counts.get(name, 0) + 1
        self._pending: list[tuple[int, list[str], bool]] = []

    # -- fields
    def _put(self, keys: list[str], value: str | bool) -> None:
        for key in keys:
            key = key.strip()
            if not key:
                continue
            if key in self.fields and self.fields[key] not in ("", False) and value in ("", False):
                continue  # an empty duplicate must not hide an answer
            self.fields[key] = value

    def _label_for(self, el) -> str:
        ident = el.get("id")
        if ident and self.labels.get(ident):
            return self.labels[ident]
        for anc in el.iterancestors("label"):
            own = _clean_label(anc.text_content())
            if own:
                return own
        return ""

    def _preceding(self) -> str:
        text = re.split(r"[\t\u2610\u2611\u2612]", self.b.current_text().replace("\u00a0", " "))[-1]
        return _clean_label(text)

    def _break(self, keep_empty: bool) -> None:
        # A box with no <label> is named by the words after it on its line.
        if self._pending:
            text = self.b.current_text()
            for start, keys, checked in self._pending:
                after = re.split(r"[\u2610\u2611\u2612\t]", text[start:], maxsplit=1)[0]
                label = _clean_label(after)
                self._put(keys + ([label] if label else []), checked)
            self._pending = []
        self.b.break_line(keep_empty=keep_empty)

    def control(self, el, tag: str, emph: bool) -> None:
        name, ident = el.get("name") or "", el.get("id") or ""
        if tag == "input":
            kind = (el.get("type") or "").lower()
            if kind in ("checkbox", "radio"):
                checked = el.get("checked") is not None
                label = self._label_for(el)
                keys = [ident] if ident else []
                if kind == "radio":
                    value = el.get("value") or ""
                    if checked and name:
                        self._put([name], label or (value if value != "on" else ""))
                elif name and self.name_counts.get(name, 0) <= 1:
                    keys.append(name)
                elif name and el.get("value"):
                    keys.append(f"{name}={el.get('value')}")
                self.b.add((MARKED if checked else UNMARKED) + " ")
                if label:
                    self._put([*keys, label], checked)
                else:
                    self._pending.append((len(self.b.current_text()), keys, checked))
                return
            if kind not in _TEXT_INPUTS:
                return
            value = el.get("value") or ""
            self._put([name, ident, self._label_for(el) or self._preceding()], value)
            if value:
                self.b.add(" " + value + " ", emph)
            return
        if tag == "textarea":
            value = normalise(el.text_content() or "").strip("\n")
            self._put([name, ident, self._label_for(el) or self._preceding()], value)
            if value:
                self._break(keep_empty=False)
                for part in value.split("\n"):
                    self.b.add(part, emph)
                    self._break(keep_empty=True)
            return
        # <select>: only what was chosen is on the page.
        chosen = [o for o in el.iter("option") if o.get("selected") is not None]
        value = "; ".join(_clean_label(o.text_content()) or (o.get("value") or "") for o in chosen)
        self._put([name, ident, self._label_for(el) or self._preceding()], value)
        if value:
            self.b.add(" " + value + " ", emph)

    # -- text
    def walk(self, el, emph: bool = False, font: str = "") -> None:
        tag = el.tag if isinstance(el.tag, str) else ""
        if not tag:  # comments, processing instructions: only their tail is text
            return
        tag = tag.lower()
        if tag in _SKIP:
            return
        style = _style(el)
        if style.get("display") == "none" or style.get("visibility") == "hidden" or "mso-hide" in style:
            return
        if tag in _STRUCK_TAGS or "line-through" in style.get("text-decoration", "") \
                or "line-through" in style.get("text-decoration-line", ""):
            return
        if tag in ("input", "textarea", "select"):
            self.control(el, tag, emph)
            return
        emph = emph or tag in _EMPHASIS_TAGS or self._styled(style)
        font = style.get("mso-symbol-font-family") or style.get("font-family") or el.get("face") or font
        if tag == "br":
            self._break(keep_empty=True)
            return
        if tag == "table":
            self._table(el, emph, font)
            return
        block = tag in _BLOCK
        if block:
            self._break(keep_empty=False)
        self._text(el.text, emph, font)
        for child in el:
            self.walk(child, emph, font)
            self._text(child.tail, emph, font)
        if block:
            self._break(keep_empty=False)

    def _styled(self, style: dict[str, str]) -> bool:
        weight = style.get("font-weight", "")
        if weight in ("bold", "bolder") or weight[:1] in ("6", "7", "8", "9"):
            return True
        if style.get("mso-highlight", "none") not in ("none", "auto"):
            return True
        background = style.get("background-color", style.get("background", ""))
        return background.split(" ")[0] not in _PLAIN_BACKGROUNDS

    def _text(self, text: str | None, emph: bool, font: str) -> None:
        if not text:
            return
        if "wingdings" in font:
            name = "wingdings 2" if "2" in font else "wingdings"
            text = "".join(symbol_box(name, ord(ch)) or ch for ch in text)
        self.b.add(text, emph)

    def _table(self, table, emph: bool, font: str) -> None:
        self._break(keep_empty=False)
        for row in _rows(table):
            cells = []
            for cell in row:
                if not isinstance(cell.tag, str) or cell.tag.lower() not in ("td", "th"):
                    continue
                outer, self.b = self.b, LineBuilder(self.source, collapse_spaces=True)
                try:
                    self._text(cell.text, emph, font)
                    for child in cell:
                        self.walk(child, emph, font)
                        self._text(child.tail, emph, font)
                    self._break(keep_empty=False)
                    cells.append(self.b.finish())
                finally:
                    self.b = outer
            self.b.extend(join_cells(cells))


def _rows(table):
    """The table's own rows, not those of tables nested in its cells."""
    for child in table:
        tag = child.tag.lower() if isinstance(child.tag, str) else ""
        if tag == "tr":
            yield child
        elif tag in ("thead", "tbody", "tfoot"):
            yield from (r for r in child if isinstance(r.tag, str) and r.tag.lower() == "tr")


def _as_text(data: bytes | str, charset: str | None) -> str:
    if isinstance(data, str):
        return data
    if not charset:
        found = _META_CHARSET.search(data[:4096])
        charset = found.group(1).decode("ascii", "replace") if found else None
    return decode(data, charset)


def read_html(data: bytes | str, source: str, charset: str | None = None) -> Document:
    """An HTML part or file as a Document: lines as the page shows them, plus any web-form answers."""
    if not isinstance(data, (bytes, bytearray, str)):
        raise UnreadableInput(f"{source}: expected HTML, got {type(data).__name__}")
    check_size(data.encode("utf-8") if isinstance(data, str) else bytes(data), "HTML")
    text = check_text(_XML_DECL.sub("", _as_text(bytes(data) if not isinstance(data, str) else data, charset)),
                      source)
    text = text.replace("\x00", "")
    if not text.strip():
        return Document(source=source)
    try:
        parser = lxml_html.HTMLParser(recover=True, no_network=True, remove_comments=False,
                                      remove_pis=True, huge_tree=False)
        root = lxml_html.document_fromstring(text, parser=parser)
    except (etree.ParserError, etree.XMLSyntaxError, ValueError) as exc:
        raise UnreadableInput(f"{source}: the HTML cannot be read ({exc})") from exc
    walker = _Walker(root, source)
    try:
        walker.walk(root)
    except RecursionError as exc:
        raise UnreadableInput(f"{source}: the HTML is nested too deeply to read") from exc
    walker._break(keep_empty=False)
    lines = walker.b.finish()
    # Blank lines in a row are layout, not content: keep one.
    out: list[Line] = []
    for line in lines:
        if line.text or (out and out[-1].text):
            out.append(line)
    return Document(source=source, lines=out, fields=walker.fields)
