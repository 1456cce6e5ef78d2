"""Blocks written as an HTML message body, the way Gmail, Outlook and Apple Mail write one."""
from __future__ import annotations

import html
import random
import re

from formgen.blocks import Block, FormRow, Table, Text, to_lines


def _spaces(text: str) -> str:
    """Runs of spaces kept as a mail editor keeps them, with non-breaking spaces."""
    escaped = html.escape(text, quote=False)
    return re.sub(r" {2,}", lambda m: "&nbsp;" * (len(m.group()) - 1) + " ", escaped).replace("\t", "&#9;")


def _inline(t: Text, highlight: bool) -> str:
    body = _spaces(t.text)
    if t.strike:
        return f"<s>{body}</s>"
    if t.bold:
        return f'<span style="background-color:yellow">{body}</span>' if highlight else f"<b>{body}</b>"
    return body


def _table(table: Table, highlight: bool, rng: random.Random) -> str:
    border = ' border="1" cellpadding="4"' if rng.random() < 0.5 else ""
    rows = []
    for row in table.rows:
        cells = []
        for c in row:
            inner = "<br>".join(_inline(t, highlight) for t in c) if c else ("&nbsp;" if rng.random() < 0.5 else "")
            cells.append(f"<td>{inner}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table{border}><tbody>" + "\n".join(rows) + "</tbody></table>"


def _form_row_table(row: FormRow) -> Table:
    values = [[Text(v)] if v else [] for v in row.values]
    labels = [[Text(label)] for label in row.labels]
    return Table([labels, values] if row.labels_at == "above" else [values, labels])


def to_html(blocks: list[Block], rng: random.Random, charset: str = "utf-8") -> str:
    """A whole HTML body: each line a <div> (Gmail), <p> (Outlook), <br>-separated (Apple Mail) or a list item."""
    style = rng.choice(["div", "p", "br", "li"])
    highlight = rng.random() < 0.3
    parts: list[str] = []
    for block in blocks:
        if isinstance(block, Table):
            parts.append(_table(block, highlight, rng))
            continue
        if isinstance(block, FormRow) and block.as_table:
            parts.append(_table(_form_row_table(block), highlight, rng))
            continue
        for t in to_lines([block]) if not isinstance(block, Text) else [block]:
            for line in t.text.split("\n"):
                text = Text(line, t.bold, t.strike)
                if not line and style == "p":
                    parts.append("<p>&nbsp;</p>")
                elif not line:
                    parts.append("<div><br></div>" if style == "div" else "<br>")
                elif style == "div":
                    parts.append(f"<div>{_inline(text, highlight)}</div>")
                elif style == "li":
                    parts.append(f"<li>{_inline(text, highlight)}</li>")
                elif style == "p":
                    parts.append(f'<p class="MsoNormal">{_inline(text, highlight)}</p>')
                else:
                    parts.append(_inline(text, highlight) + "<br>")
    head = f'<head><meta http-equiv="Content-Type" content="text/html; charset={charset}"></head>'
    body = "\n".join(parts)
    if style == "li":
        # A list of the lines people made with their editor's bullet button; blank lines end a list.
        body = "<ul>\n" + body.replace("<br>", "</ul>\n<ul>") + "\n</ul>"
    return f"<html>{head}<body>\n" + body + "\n</body></html>\n"


def html_paragraphs(paragraphs: list[str]) -> str:
    """A few plain paragraphs (a cover note, a signature) as HTML."""
    return "".join(f"<div>{html.escape(p).replace(chr(10), '<br>')}</div><div><br></div>" for p in paragraphs)
