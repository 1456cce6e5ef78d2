"""A printed PDF page laid out again from where its text and ruled cells stand.

A printed form's meaning is in where its words stand: a value sits above its
label, in its label's column, or in the table cell beside it. The page's text
stream keeps neither (it is in whatever order the program that printed it
drew), so a printed page is read from positions, with PDFium (`pypdfium2`):
its text runs with their boxes, and its drawn lines and rectangles. Where
ruled lines make a grid, each row of cells becomes one line with its cells
split by tabs, a cell's text in reading order; the other text is set out
line by line, each run at the text column of its place on the page.
"""

from __future__ import annotations

import itertools
import re

# A text run (x0, x1, top, bottom, text), top and bottom measured down from the page's top edge.
Run = tuple[float, float, float, float, str]
# A ruled edge: (x0, y0, x1, y1), measured the same way.
Edge = tuple[float, float, float, float]

MAX_RUNS = 20_000
MAX_PATHS = 5_000
THIN = 2.5  # points: a drawn line, not a box
_UNMAPPED_GLYPH = re.compile(r"\(cid:\d+\)|[\ufffd\uf0b7\uf0a7]")


def printed_pages(data: bytes, wanted: set[int]) -> dict[int, list[str]] | None:
    """The lines of each wanted page (by index), or None when PDFium cannot read the file."""
    if not wanted:
        return {}
    try:
        import pypdfium2 as pdfium
        import pypdfium2.raw as pdfium_c

        out: dict[int, list[str]] = {}
        pdf = pdfium.PdfDocument(data)
        try:
            for n in sorted(wanted):
                if n >= len(pdf):
                    continue
                page = pdf[n]
                height = page.get_height()
                runs = _runs(page.get_textpage(), height)
                paths = page.get_objects(filter=(pdfium_c.FPDF_PAGEOBJ_PATH,), max_depth=2)
                edges = [_edge(p.get_bounds(), height) for _, p in zip(range(MAX_PATHS), paths, strict=False)]
                items, rest = _table_rows([e for e in edges if e is not None], runs)
                items += _run_lines(rest)
                out[n] = [text for _, text in sorted(items, key=lambda item: item[0])]
        finally:
            pdf.close()
        return out
    except Exception:  # PDFium refuses damaged files in many ways; the text stream is read instead
        return None


def _runs(textpage, height: float) -> list[Run]:
    """The page's words with their boxes: characters joined until a space, a line's end or a gap."""
    count = min(textpage.count_chars(), MAX_RUNS * 8)
    text = textpage.get_text_range(0, count) if count else ""
    out: list[Run] = []
    word: list[str] = []
    box: list[float] = []
    last_right = None

    def flush() -> None:
        if word and box:
            out.append((box[0], box[1], height - box[3], height - box[2], _UNMAPPED_GLYPH.sub("\u00b7", "".join(word))))
        word.clear()
        box.clear()

    for i in range(min(count, len(text))):
        ch = text[i]
        if ch.isspace():
            flush()
            last_right = None
            continue
        left, bottom, right, top = textpage.get_charbox(i, loose=True)
        size = max(top - bottom, 1.0)
        if word and (last_right is None or left - last_right > 0.25 * size or abs(bottom - box[2]) > 0.5 * size):
            flush()
        if not word:
            box[:] = [left, right, bottom, top]
        else:
            box[1], box[2], box[3] = max(box[1], right), min(box[2], bottom), max(box[3], top)
        word.append(ch)
        last_right = right
        if len(out) >= MAX_RUNS:
            break
    flush()
    return out


def _edge(bounds: tuple[float, float, float, float], height: float) -> Edge | None:
    """A drawn line's extent, or None for a shape that is neither a line nor a box's side."""
    left, bottom, right, top = bounds
    if right - left < 1 and top - bottom < 1:
        return None
    return left, height - top, right, height - bottom


def _grid(edges: list[Edge]) -> list[tuple[float, float, list[float]]]:
    """Rows of ruled cells: (top, bottom, the x positions of the rules between cells)."""
    horizontals, verticals = [], []
    for x0, y0, x1, y1 in edges:
        if y1 - y0 <= THIN and x1 - x0 > THIN:
            horizontals.append(((y0 + y1) / 2, x0, x1))
        elif x1 - x0 <= THIN and y1 - y0 > THIN:
            verticals.append(((x0 + x1) / 2, y0, y1))
        elif x1 - x0 > THIN and y1 - y0 > THIN:  # a box: its four sides
            horizontals += [(y0, x0, x1), (y1, x0, x1)]
            verticals += [(x0, y0, y1), (x1, y0, y1)]
    rules = sorted({round(y) for y, _, _ in horizontals})
    rows = []
    for top, bottom in itertools.pairwise(rules):
        xs = sorted({round(x) for x, y0, y1 in verticals if y0 <= top + THIN and y1 >= bottom - THIN})
        if len(xs) >= 2 and bottom - top > 4:
            rows.append((top, bottom, [float(x) for x in xs]))
    return rows


def _table_rows(edges: list[Edge], runs: list[Run]) -> tuple[list[tuple[float, str]], list[Run]]:
    """One tab-joined line for each ruled row, and the runs outside every cell.

    A run belongs to the cell its left edge and its middle stand in, even when it runs on past
    the cell's right edge (text is not always wrapped where a cell ends).
    """
    taken: set[int] = set()
    items: list[tuple[float, str]] = []
    for top, bottom, xs in _grid(edges)[:400]:
        texts = []
        for left, right in itertools.pairwise(xs):
            inside = [n for n, r in enumerate(runs) if n not in taken and left - 1 <= r[0] < right
                      and top <= (r[2] + r[3]) / 2 < bottom]
            taken.update(inside)
            ordered = sorted(inside, key=lambda n: (round(runs[n][2]), runs[n][0]))
            texts.append(" ".join(runs[n][4] for n in ordered))
        if any(texts):
            joined = "\t".join(texts)
            # One tab is kept after the last filled cell when cells follow it empty.
            items.append((top, joined.rstrip("\t") + ("\t" if joined.endswith("\t") else "")))
    return items, [r for n, r in enumerate(runs) if n not in taken]


def _run_lines(runs: list[Run]) -> list[tuple[float, str]]:
    """Runs to lines, top to bottom, each run at the text column of its place on the page.

    Runs on one baseline make a line; a run stands at the column its left edge is at (in
    average character widths), so a value and its label that share a column on the page share
    one in the text, and a wide gap on the page is a wide gap in the line.
    """
    if not runs:
        return []
    widths = sorted((r[1] - r[0]) / len(r[4]) for r in runs if r[4] and r[1] > r[0])
    char = max(widths[len(widths) // 2] if widths else 5.0, 1.0)
    margin = min(r[0] for r in runs)
    rows: list[list[Run]] = []
    for run in sorted(runs, key=lambda r: (r[2], r[0])):
        height = max(run[3] - run[2], 1.0)
        if rows and abs(rows[-1][0][2] - run[2]) <= max(2.0, height * 0.3):
            rows[-1].append(run)
        else:
            rows.append([run])
    for row in rows:
        row.sort(key=lambda r: r[0])
    lines = []
    for top, row, left in _columns(rows, char, margin):
        text, end = "", None
        for x0, x1, _top, _bottom, piece in row:
            column = round((x0 - left) / char)
            if end is not None:
                text += " " if x0 - end <= 1.2 * char else " " * max(2, column - len(text))
            else:
                text = " " * min(column, 60)
            text += piece
            end = x1
        lines.append((top, text))
    return lines


COLUMN_ROWS = 4  # rows of "Label: value" beside a second column before the page counts as two columns


def _columns(rows: list[list[Run]], char: float, margin: float) -> list[tuple[float, list[Run], float]]:
    """Each row as (top, runs, left margin); a page set in two columns gives its left column's rows first.

    A form set in two columns ("Name: ..." down the left, the choices down the right) shares its
    baselines across the gutter, so its rows mix both columns. The gutter is a line down the page
    that no run crosses, with "Label: value" pairs whole on its left in at least COLUMN_ROWS rows
    and no label on its left whose value stands across it; of such lines, the one down the most
    rows. Rows of a printed form's labels and values (no colons) and tables are never split.
    """
    out = [(row[0][2], row, margin) for row in rows]
    gutters = sorted({round((a[1] + b[0]) / 2) for row in rows for a, b in itertools.pairwise(row)
                      if b[0] - a[1] >= 3 * char})
    best: tuple[int, float, list[int]] | None = None
    for gx in gutters:
        stretch = _longest_run([n for n, row in enumerate(rows) if not _crossed(row, gx, char)])
        if (len(stretch) >= COLUMN_ROWS and (best is None or len(stretch) > best[0])
                and _two_columns([rows[n] for n in stretch], gx)):
            best = (len(stretch), gx, stretch)
    if best is None:
        return out
    _, gx, stretch = best
    first, last = stretch[0], stretch[-1]
    lefts = [(rows[n][0][2], [r for r in rows[n] if r[1] <= gx], margin) for n in stretch]
    right_margin = min(r[0] for n in stretch for r in rows[n] if r[0] >= gx)
    # The right column's rows follow the left column's last row, in their own order.
    end = rows[last][0][2]
    rights = [(end + 0.001 * (k + 1), [r for r in rows[n] if r[0] >= gx], right_margin) for k, n in enumerate(stretch)]
    return out[:first] + [item for item in lefts + rights if item[1]] + _columns(rows[last + 1 :], char, margin)


def _crossed(row: list[Run], gx: float, char: float) -> bool:
    """Whether a row's text runs across gx: a word over it, or words a space apart either side."""
    return any(r[0] < gx < r[1] for r in row) or any(
        a[1] <= gx <= b[0] and b[0] - a[1] < 2 * char for a, b in itertools.pairwise(row))


def _two_columns(rows: list[list[Run]], gx: float) -> bool:
    """Whether the rows read as two columns either side of gx (see `_columns`)."""
    pairs = both = 0
    for row in rows:
        left = [r for r in row if r[1] <= gx]
        right = [r for r in row if r[0] >= gx]
        labelled = [k for k, r in enumerate(left) if r[4].endswith(":")]
        if labelled and labelled[-1] == len(left) - 1 and right:
            return False  # a label on the left whose value stands across the gutter
        pairs += bool(labelled and len(left) > labelled[0] + 1)
        both += bool(left and right)
    return pairs >= COLUMN_ROWS and both >= COLUMN_ROWS


def _longest_run(numbers: list[int]) -> list[int]:
    """The longest stretch of consecutive numbers."""
    best: list[int] = []
    current: list[int] = []
    for n in numbers:
        current = [*current, n] if current and n == current[-1] + 1 else [n]
        if len(current) > len(best):
            best = current
    return best
