"""Values of the printed form's rows, read from where the layout puts them.

The printed form sets its blanks side by side (Name | Phone #; Address |
City | State | Zip Code; ...), each label under its line. Copied into an
email, a Word file or a PDF, the labels may stay below their values, move
above them, stand each on a line of their own (text copied from the PDF), or
alternate with the values (label, value, label, value); mail programs add
blank lines and break long lines. The labels are always the form's, and
always in the form's order, so each run of labels of one printed row is a
group, and its values are the cells of the lines right before it or right
after it. Which of the two is decided once for the document, by how well
the values fit their blanks either way (a phone number in Phone, an email
address in Email, a state in State).
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

from inbox_worker import form
from inbox_worker.extract.fit import plausibility
from inbox_worker.extract.labels import is_prose
from inbox_worker.extract.layout import Layout
from inbox_worker.extract.lines import Cell, Row
from inbox_worker.extract.reading import FormReading

PRINTED_ROWS = (*form.FORM_ROWS, form.SUPERVISOR_ROW)
ROW_OF = {k: n for n, row in enumerate(PRINTED_ROWS) for k in row}
ORDER = {k: n for n, k in enumerate(k for row in PRINTED_ROWS for k in row)}
MAX_BLOCK = 3
# The supervisor question's "Yes: ___" line: the form's own words and a mark, never a row's value.
SUPPORT_LINE = re.compile(r"^\W{0,4}\s*yes\b", re.I)

@dataclass
class Group:
    """Labels of one printed row, in order, on one or more consecutive lines."""

    keys: list[str]
    first: int
    last: int
    # Each label's columns, when the whole group stands on one line.
    columns: list[tuple[str, int, int]] | None
    # A label ended with a colon: its value follows it.
    colon: bool


def read_rows(layout: Layout, used: set[int], reading: FormReading) -> set[int]:
    """Read every row's values, before or after its labels as the document shows; return the lines used."""
    groups = find_groups(layout)
    if not groups:
        return set()
    free = _value_lines(layout, used, groups)
    results = []
    for direction in ("before", "after"):
        total, assigned = 0.0, []
        for group in groups:
            way = "after" if group.colon else direction
            block, values, confidence = _nearest_fit(layout.rows, group, _block(layout.rows, group, way, free), way)
            total += sum(plausibility(k, v) for k, v in values.items())
            assigned.append((values, confidence, block))
        results.append((total, direction == "before", assigned))
    _, _, assigned = max(results, key=lambda r: (r[0], r[1]))
    taken: set[int] = set()
    for group, (values, confidence, block) in zip(groups, assigned, strict=True):
        for key, value in values.items():
            reading.put(key, value, confidence, how="the form's row")
        for key, value in _printed_on_blanks(layout.rows, group, block).items():
            if key not in values:
                reading.put(key, value, 0.7, how="printed on the form's blank line")
        if values:
            taken.update(block)
    reading.evidence += len(groups)
    return taken


def find_groups(layout: Layout) -> list[Group]:
    """Runs of label lines (blank and underscore lines between them allowed) that continue one printed row."""
    out: list[Group] = []
    current: Group | None = None
    for i, row in enumerate(layout.rows):
        labels = layout.label_rows.get(i)
        if labels is None:
            if current is not None and not row.blank:
                out.append(current)
                current = None
            continue
        keys = [k for k, _, _ in labels]
        colon = any(":" in row.text[a:b] for _, a, b in labels)
        if (current is not None and ROW_OF[keys[0]] == ROW_OF[current.keys[-1]]
                and ORDER[keys[0]] > ORDER[current.keys[-1]] and not colon and not current.colon):
            current.keys += keys
            current.last = i
            current.columns = None
            continue
        if current is not None:
            out.append(current)
        if len({ROW_OF[k] for k in keys}) > 1:
            current = None
            continue
        current = Group(keys, i, i, labels if len(labels) > 1 else None, colon)
    if current is not None:
        out.append(current)
    return out


def _value_lines(layout: Layout, used: set[int], groups: list[Group]) -> set[int]:
    """Lines that may hold a row's values: not labels, headings, labelled lines, the form's own words."""
    in_groups = {i for g in groups for i in range(g.first, g.last + 1)}
    headings = {i for s in layout.sections for i in range(s.start, s.end + 1)}
    out = set()
    for i, row in enumerate(layout.rows):
        if i in used or i in in_groups or i in headings or i in layout.labelled or i in layout.label_rows:
            continue
        if row.blank or is_prose(row.text) or len(row.text) > 300 or SUPPORT_LINE.match(row.text):
            continue
        out.add(i)
    return out


def _nearest_fit(rows: list[Row], group: Group, block: list[int], way: str) -> tuple[list[int], dict, float]:
    """The values from the lines nearest the labels, taking a farther line only when it fits better.

    A value line broken in two needs both lines; a cover note typed right above the form's first
    row does not belong to it.
    """
    best: tuple[float, list[int], dict, float] | None = None
    for take in range(1, len(block) + 1):
        lines = block[-take:] if way == "before" else block[:take]
        values, confidence = assign(group, [rows[i] for i in lines])
        score = sum(plausibility(k, v) for k, v in values.items())
        if best is None or score > best[0]:
            best = (score, lines, values, confidence)
    if best is None:
        return [], {}, 0.0
    return best[1], best[2], best[3]


def _printed_on_blanks(rows: list[Row], group: Group, block: list[int]) -> dict[str, str]:
    """Words the form prints on its blank lines next to a row ("____  WY  ____"), for blanks left empty.

    Only a word that fits its blank beyond doubt (a state, a zip) is taken.
    """
    near = range(max(0, min([group.first, *block]) - 3), min(len(rows), max([group.last, *block]) + 4))
    out: dict[str, str] = {}
    for j in near:
        text = rows[j].text
        if text.count("_") < 10 or j in block:
            continue
        for word in re.findall(r"(?<![\w@])[A-Za-z]{2}(?![\w@])", text.replace("_", " ")):
            for key in group.keys:
                if plausibility(key, word) >= 2.0:
                    out.setdefault(key, word)
    return out


def _block(rows: list[Row], group: Group, way: str, free: set[int]) -> list[int]:
    """The value lines right before (or after) a group, past blank and underscore lines; nearest first kept last."""
    step = -1 if way == "before" else 1
    j = group.first - 1 if way == "before" else group.last + 1
    skipped = 0
    while 0 <= j < len(rows) and rows[j].blank and skipped < 8:
        j += step
        skipped += 1
    block: list[int] = []
    while 0 <= j < len(rows) and j in free and len(block) < MAX_BLOCK:
        if _blank_line_with_print(rows[j]):
            if block:
                break
            j += step
            continue
        block.append(j)
        j += step
        # Underscores close a block: they are the blank line the value was typed on (or above).
        if 0 <= j < len(rows) and (rows[j].empty or rows[j].underscores or _blank_line_with_print(rows[j])):
            break
    return sorted(block)


def _blank_line_with_print(row: Row) -> bool:
    """The form's blank lines with a printed word between them ("______  WY  ______"), nothing typed."""
    return row.text.count("_") >= 20 and len(re.sub(r"[_\s]", "", row.text)) <= 3


# ---------------------------------------------------------------- fitting values to blanks


def assign(group: Group, lines: list[Row]) -> tuple[dict[str, str], float]:
    """The group's values from its lines: by column, by order, or by what each value looks like."""
    keys = group.keys
    if not lines:
        return {}, 0.0
    if len(keys) == 1:
        text = "\n".join(" ".join(c.text for c in r.cells) for r in lines)
        return ({keys[0]: text} if text.strip() else {}), 0.85
    cells = _cells(lines)
    if group.columns and len(lines) == 1 and "\t" not in lines[0].raw and len(cells) != len(keys):
        # The columns say where each value stands. Only when a value plainly does not fit the blank
        # its column gives (an email address in a name) do the values' own looks decide.
        columns = by_column(group.columns, lines[0].cells)
        # A value running on across the next label's column: a mail program folded the row's gaps.
        across = any(c.start < start < c.end - 1 for c in lines[0].cells for _, start, _ in group.columns[1:])
        if across or any(plausibility(k, v) < 0 for k, v in columns.items()):
            ordered = _fit_in_order(keys, _split_to_fit(keys, [c for c in cells if c])) if cells else {}
            if _fit(ordered) > _fit(columns):
                return ordered, 0.75
        return columns, 0.8
    if len(cells) == len(keys):
        return {k: c for k, c in zip(keys, cells, strict=True) if c}, 0.85
    cells = [c for c in cells if c]
    if not cells:
        return {}, 0.0
    if len(cells) == len(keys):
        return dict(zip(keys, cells, strict=True)), 0.85
    if len(cells) < len(keys):
        return _fit_in_order(keys, _split_to_fit(keys, cells)), 0.75
    return _merge_to_fit(keys, cells), 0.7


def _fit(values: dict[str, str]) -> float:
    return sum(plausibility(k, v) for k, v in values.items())


def _cells(lines: list[Row]) -> list[str]:
    out: list[str] = []
    for row in lines:
        if "\t" in row.raw:
            # Tab stops keep a cell's place: an empty cell before a value is an empty blank.
            out += [c.strip(" _") for c in row.raw.rstrip("\t ").split("\t")]
        else:
            out += [c.text for c in row.cells]
    return out


def by_column(columns: list[tuple[str, int, int]], cells: list[Cell]) -> dict[str, str]:
    """Each cell to the label whose column it overlaps most (the printed form's alignment)."""
    out: dict[str, list[str]] = {}
    for cell in cells:
        best, best_overlap = None, None
        for n, (key, start, _) in enumerate(columns):
            end = columns[n + 1][1] if n + 1 < len(columns) else 10**6
            overlap = min(cell.end, end) - max(cell.start, start)
            if best_overlap is None or overlap > best_overlap:
                best, best_overlap = key, overlap
        if best is not None:
            out.setdefault(best, []).append(cell.text)
    return {k: " ".join(v) for k, v in out.items()}


def _fit_in_order(keys: list[str], cells: list[str]) -> dict[str, str]:
    """Fewer cells than labels, in order: the placement where the values best fit their blanks."""
    best: tuple[float, dict[str, str]] | None = None
    for places in itertools.combinations(range(len(keys)), len(cells)):
        values = {keys[p]: c for p, c in zip(places, cells, strict=True)}
        score = sum(plausibility(k, v) for k, v in values.items())
        if best is None or score > best[0]:
            best = (score, values)
    return best[1] if best else {}


def _split_to_fit(keys: list[str], cells: list[str]) -> list[str]:
    """Fewer cells than labels: a cell that holds two values with one space between, split where they fit.

    "WYOMING 82925", "jdoe@example.net Sheridan County Library", "Reference Librarian Public" (a mail
    program that folds the gaps of a printed row to single spaces). Of splits that fit equally well,
    the one nearest the cell's end: the last blank of a row is the shortest answer more often.
    """
    def score(candidate: list[str]) -> float:
        values = _fit_in_order(keys, candidate)
        return sum(plausibility(k, v) for k, v in values.items())

    best, best_score = cells, score(cells)
    if len(cells) >= len(keys):
        return best
    for n, cell in enumerate(cells):
        spaces = [m.start() for m in re.finditer(" ", cell)][-MAX_SPLITS:]
        for at in reversed(spaces):
            candidate = [*cells[:n], cell[:at], cell[at + 1 :], *cells[n + 1 :]]
            if (s := score(candidate)) > best_score + 1.0:
                best, best_score = candidate, s
    return best


# Places a cell is tried split at, from its end: a row's value is seldom longer.
MAX_SPLITS = 12


def _merge_to_fit(keys: list[str], cells: list[str]) -> dict[str, str]:
    """More cells than labels (a value broken by a gap or a line): the joins where the values fit best."""
    if len(cells) > 10:
        return {}
    best: tuple[float, dict[str, str]] | None = None
    for cuts in itertools.combinations(range(1, len(cells)), len(keys) - 1):
        bounds = [0, *cuts, len(cells)]
        values = {k: " ".join(cells[a:b]) for k, a, b in zip(keys, bounds, bounds[1:], strict=False)}
        score = sum(plausibility(k, v) for k, v in values.items())
        if best is None or score > best[0]:
            best = (score, values)
    return best[1] if best else {}
