"""Read the application form from a Document's lines, however it was filled in.

People fill the form in many ways: values typed over the underscore rows
with the printed labels beneath, "Label: value" lines in their own order and
words, the form pasted into a message, a table flattened to "Label<TAB>value"
lines; boxes ticked with X, ✓, ☒, [x], bold text, or by deleting the options
they did not want. `read_form` tries each reading on the whole document and
keeps, for every field, the surest value it found. A value it cannot place
with confidence is left out rather than guessed.
"""

from __future__ import annotations

import functools
import itertools
import re
from dataclasses import dataclass

from inbox_worker import form
from inbox_worker.extract import normalize
from inbox_worker.extract.choices import decide_marks, option_entries, support_answer
from inbox_worker.extract.document import Document
from inbox_worker.extract.labels import (
    CATEGORIES,
    PLACE,
    SUPPORT,
    Heading,
    find_options,
    fold_chars,
    heading_of,
    is_prose,
    key_for,
    label_table,
    labels_at,
    row_label_regex,
)
from inbox_worker.extract.normalize import fold_key, fold_text
from inbox_worker.extract.reading import FormReading

# Bounds that keep reading time linear and small on hostile input.
MAX_LINES = 5000
MAX_LINE = 2000
MAX_CHARS = 200_000

ROW_KEYS = {k for row in (*form.FORM_ROWS, form.SUPERVISOR_ROW) for k in row}
MULTILINE = {f.key for f in form.TEXT_FIELDS if f.multiline}
PRINTED = {f.key: fold_key(f.label) for f in form.TEXT_FIELDS}
CHOICE_KINDS = ("role", "protege_categories", "mentor_categories")
BULLET = re.compile(r"^\s*(?:[-*\u2022\u00b7>]+|\d{1,2}[.)])\s+")
# After a label: a colon, a spaced dash (also at the end of the line: "GOALS -" with the answer below),
# a question mark ("Supervisor support? Yes"), a tab or a wide gap; "St.:" keeps its abbreviation dot.
SEPARATOR = re.compile(
    r"\.?\s*(?:\([^)]{0,60}\))?\s*#?\s*(?:\?\s*[:=\-]?|[:=|\t\uff1a]|\s-(?=\s|$)|\s{2,})\s*"
)
# Words people put around a label without changing what it asks for: "Do you have your supervisor's
# support?", "Supervisor's name and title:".
LEAD_WORDS = re.compile(
    r"(?:(?:do|does|did|has|have|is|was|what(?:\s+is)?|please\s+(?:list|enter|give|provide)|your|my|best|"
    r"preferred|primary|work|home)\s+)"
    r"(?:(?:you|your|my|the|applicant\s+s|have|has|got|received|secured|obtained|full|work|current)\s+)*"
)
QUALIFIERS = {"and", "or", "title", "position", "name", "number", "no", "address", "of", "your", "current",
              "work", "cell", "home", "full", "s", "the", "here", "please", "job", "to", "reach", "you", "at",
              "contact", "best", "preferred", "i", "me"}


@dataclass
class Row:
    """A prepared line: text with tabs and odd spaces made plain, and its emphasis."""

    text: str
    emphasis: bool
    raw: str

    @property
    def blank(self) -> bool:
        return not self.text.strip(" _\t")


@dataclass
class Section:
    """A form heading found in the text: where it starts, ends, and what follows it on its last line."""

    heading: Heading
    start: int
    end: int
    rest: str


def read_form(doc: Document) -> FormReading:
    """Every field this document's text gives, with how sure each reading is."""
    rows = _prepare(doc)
    reading = FormReading(doc.source)
    sections = _sections(rows)
    label_rows = {i: labels for i, r in enumerate(rows) if (labels := _label_row(r.text))}
    reading.evidence += len(sections) + len(label_rows)
    stops = {s.start for s in sections} | set(label_rows)
    # "Label: value" lines first, so the row reader never takes their values for a row's.
    stops |= _read_label_values(rows, label_rows, reading)
    _read_label_rows(rows, label_rows, stops, reading)
    _read_choices(rows, sections, stops, reading)
    _read_support(rows, sections, reading)
    _read_free_text(rows, sections, stops, reading)
    return reading


# ---------------------------------------------------------------- preparing lines


def _prepare(doc: Document) -> list[Row]:
    rows: list[Row] = []
    total = 0
    for line in doc.lines[:MAX_LINES]:
        raw = line.text[:MAX_LINE]
        total += len(raw)
        if total > MAX_CHARS:
            break
        for piece in raw.replace("\r", "\n").split("\n"):
            text = re.sub(r"[\u00a0\u2007\u202f\u2002\u2003\u2009]", " ", piece)
            # Invisible characters, including the variation selectors of emoji marks ("\u2714\ufe0f").
            text = re.sub(r"[\u200b\u200c\u200d\ufeff\u00ad\ufe0e\ufe0f]", "", text)
            rows.append(Row(_expand_tabs(text).rstrip(), bool(line.emphasis), text))
    return rows


def _expand_tabs(text: str) -> str:
    """Tabs as spaces to the next stop, never fewer than two, so a tab always separates cells."""
    if "\t" not in text:
        return text
    out: list[str] = []
    col = 0
    for ch in text:
        if ch == "\t":
            n = 8 - col % 8
            if n < 2:
                n += 8
            out.append(" " * n)
            col += n
        else:
            out.append(ch)
            col += 1
    return "".join(out)


def _sections(rows: list[Row]) -> list[Section]:
    """The form's headings, each with its wrapped continuation lines consumed."""
    out: list[Section] = []
    i = 0
    while i < len(rows):
        heading = heading_of(rows[i].text) if not rows[i].blank else None
        if heading is None:
            i += 1
            continue
        full = fold_key(heading.text)
        said = fold_key(rows[i].text)
        end = i
        # A hard-wrapped heading continues while the lines so far are still the heading's start.
        while (
            full.startswith(said)
            and len(said) < len(full)
            and end + 1 < len(rows)
            and not rows[end + 1].blank
        ):
            nxt = fold_key(rows[end + 1].text)
            joined = f"{said} {nxt}"
            if full.startswith(joined) or joined.startswith(full):
                said = joined
                end += 1
            else:
                break
        rest = _after_heading(" ".join(r.text for r in rows[i : end + 1]), heading)
        out.append(Section(heading, i, end, rest))
        i = end + 1
    return out


def _after_heading(text: str, heading: Heading) -> str:
    """What follows the heading's own words on its last line (an answer written beside it)."""
    words = fold_key(heading.text).split()
    if not words:
        return ""
    folded = fold_chars(text)
    tail = r"\s*".join(re.escape(w) for w in words[-3:])
    matches = list(re.finditer(r"(?<![a-z0-9])" + tail + r"(?![a-z0-9])", folded))
    found = matches[-1] if matches else None
    if found is None:
        if fold_key(text) in fold_key(heading.text):
            return ""
        # Only the heading's start was written ("Position you are applying for: Mentor").
        for start in heading.starts:
            m = re.search(r"\s*".join(re.escape(w) for w in start.split()), folded)
            if m:
                return text[m.end() :].strip(" :?.\t")
        return ""
    return text[found.end() :].strip(" :?.\t")


# ---------------------------------------------------------------- label rows


def _label_row(text: str) -> list[tuple[str, int, int]] | None:
    """A line that is nothing but printed labels: [(key, start column, end column)]."""
    if not text.strip() or len(text) > 300:
        return None
    # Every line is asked this, and most lines are the form's own, the same in every application.
    found = _label_row_cached(text)
    return None if found is None else list(found)


@functools.lru_cache(maxsize=8192)
def _label_row_cached(text: str) -> tuple[tuple[str, int, int], ...] | None:
    found = _find_label_row(text)
    return None if found is None else tuple(found)


def _find_label_row(text: str) -> list[tuple[str, int, int]] | None:
    # "· Library supervisor" is an option of the form, though its words are also labels.
    if any(hit.end - hit.start >= len(text.strip()) // 2 for hit in find_options(text)):
        return None
    folded = fold_chars(text)
    regex = row_label_regex()
    pos = 0
    out: list[tuple[str, int, int]] = []
    while True:
        while pos < len(folded) and folded[pos] in " #":
            pos += 1
        if pos >= len(folded):
            break
        m = regex.match(folded, pos)
        if not m:
            return None
        key = key_for(m.group(1))
        if key not in ROW_KEYS:
            return None
        out.append((key, m.start(), m.end()))
        pos = m.end()
    keys = [k for k, _, _ in out]
    if not out or len(set(keys)) != len(keys):
        return None
    # "Library type: State" and "Library Type    State library" are a label and its value: labels in a
    # row stand apart as far as the row's widest gap, and single-spaced ones must be the printed labels.
    wide = "\t" in text or "  " in text.strip()
    for (_, _, end), (_, start, _) in itertools.pairwise(out):
        gap = text[end:start].replace(":", "").replace("#", "")
        if (":" in text[end:start] and len(gap) < 2) or (wide and len(gap) < 2):
            return None
    if len(out) > 1 and not wide and any(fold_key(text[a:b]) != PRINTED[k] for k, a, b in out):
        return None
    # "Name  Margo" is a label and a value, not a row: every cell must be a label.
    return out


def _cells(text: str) -> list[tuple[int, int, str]]:
    """Cells of a value line: runs of text split by two or more spaces or underscores."""
    out = []
    for m in re.finditer(r"(?:(?! {2}|_{2}).)+", text):
        value = m.group(0).strip(" _")
        if value:
            start = m.start() + (len(m.group(0)) - len(m.group(0).lstrip(" _")))
            out.append((start, start + len(value), value))
    return out


def _value_line(
    rows: list[Row], i: int, step: int, label_rows: dict, stops: set[int], width: int
) -> str | None:
    """The text holding a label row's values, `step` = -1 above it or +1 below; None if blank."""
    j = i + step
    blanks = 0
    while 0 <= j < len(rows) and rows[j].blank and "_" not in rows[j].text and blanks < 2:
        j += step
        blanks += 1
    if not _is_value_text(rows, j, label_rows, stops):
        return None
    text = rows[j].raw
    # A row of values wrapped by a mail program: the line before it is its start.
    if (
        step < 0
        and blanks == 0
        and _is_value_text(rows, j - 1, label_rows, stops)
        and (len(_cells(rows[j].text)) + len(_cells(rows[j - 1].text)) <= width or len(rows[j].text) < 25)
    ):
        text = rows[j - 1].raw + "\t" + text if "\t" in rows[j - 1].raw else rows[j - 1].raw + "     " + text
    return text


def _is_value_text(rows: list[Row], j: int, label_rows: dict, stops: set[int]) -> bool:
    if not 0 <= j < len(rows) or j in label_rows or j in stops or (rows[j].blank and "_" not in rows[j].text):
        return False
    text = rows[j].text
    if is_prose(text) or _label_value_start(text) or len(text) > 400:
        return False
    # "Your current position School Librarian": a label of the form and its value on one line.
    folded = fold_chars(text.strip())
    return not any(
        PRINTED.get(key) == " ".join(folded[:end].split()) and len(PRINTED[key].split()) > 1
        for key, end in labels_at(folded, 0)
    )


def _assign(labels: list[tuple[str, int, int]], text: str, one_line: bool) -> tuple[dict[str, str], float]:
    """Values of a line given its labels: by order when counts agree, by column, or by what they look like."""
    keys = [k for k, _, _ in labels]
    if "\t" in text:
        # Tab stops say nothing about columns: cells go by order, with gaps placed where they fit.
        cells = [c.strip(" _") for c in text.strip("\r\n").split("\t")]
        while len(cells) > len(keys) and not cells[-1]:
            cells.pop()
        if len(cells) == len(keys):
            return {k: v for k, v in zip(keys, cells, strict=True) if v}, 0.9
        if len(cells) < len(keys):
            return _fit_in_order(keys, cells), 0.75
    cells_at = _cells(_expand_tabs(text))
    if not cells_at:
        return {}, 0.0
    if len(cells_at) == len(keys):
        return {k: c[2] for k, c in zip(keys, cells_at, strict=True)}, 0.9
    if one_line and len(keys) > 1:
        out: dict[str, list[str]] = {}
        for start, end, value in cells_at:
            best, best_overlap = None, -1
            for n, (key, lstart, _) in enumerate(labels):
                lend = labels[n + 1][1] if n + 1 < len(labels) else 10**6
                overlap = min(end, lend) - max(start, lstart)
                if overlap > best_overlap:
                    best, best_overlap = key, overlap
            if best is not None:
                out.setdefault(best, []).append(value)
        return {k: " ".join(v) for k, v in out.items()}, 0.8
    if len(cells_at) < len(keys):
        return _fit_in_order(keys, [c[2] for c in cells_at]), 0.75
    return _assign_by_kind(keys, " ".join(c[2] for c in cells_at)), 0.7


def _fit_in_order(keys: list[str], cells: list[str]) -> dict[str, str]:
    """Fewer cells than labels, in order: the placement where the values best fit their blanks."""
    if len(keys) > 8:
        return {}
    best: tuple[int, dict[str, str]] | None = None
    for places in itertools.combinations(range(len(keys)), len(cells)):
        values = {keys[p]: c for p, c in zip(places, cells, strict=True) if c}
        score = _plausibility(values)
        if best is None or score > best[0]:
            best = (score, values)
    return best[1] if best else {}


KIND_PATTERNS = {
    "email": r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+",
    "supervisor_email": r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+",
    "zip": r"\d{5}(?:-\d{4})?",
    "state": r"[A-Za-z]{2}\.?|Wyoming|Wyo\.?",
    "phone": r"\+?[\d(][\d().\s-]{6,}\d(?:\s*(?:x|ext\.?)\s*\d+)?",
}


def _assign_by_kind(keys: list[str], text: str) -> dict[str, str]:
    """Split one run of words among fields by peeling recognisable values off its ends."""
    out: dict[str, str] = {}
    rest = text.strip()
    for key in reversed(keys):
        if key not in KIND_PATTERNS:
            continue
        m = re.search(r"(?:^|\s)(" + KIND_PATTERNS[key] + r")\s*$", rest)
        if m is None:
            m = re.match(r"^\s*(" + KIND_PATTERNS[key] + r")(?:\s|$)", rest)
            if m is None:
                continue
            out[key] = m.group(1)
            rest = rest[m.end() :].strip()
        else:
            out[key] = m.group(1)
            rest = rest[: m.start()].strip()
    untyped = [k for k in keys if k not in out]
    if len(untyped) == 1 and rest:
        out[untyped[0]] = rest
    return out


def _read_label_rows(rows: list[Row], label_rows: dict, stops: set[int], reading: FormReading) -> None:
    groups = _group_rows(rows, label_rows)
    best: tuple[int, list[tuple[dict[str, str], float]]] | None = None
    for step in (-1, 1):
        found = []
        score = 0
        for first, last, labels, one_line in groups:
            text = _value_line(rows, first if step < 0 else last, step, label_rows, stops, len(labels))
            if text is None:
                continue
            values, conf = _assign(labels, text, one_line)
            found.append((values, conf))
            score += _plausibility(values)
        if best is None or score > best[0]:
            best = (score, found)
    for values, conf in best[1] if best else []:
        for key, value in values.items():
            reading.put(key, value, conf)


def _group_rows(rows: list[Row], label_rows: dict) -> list[tuple[int, int, list, bool]]:
    """Label rows, with single labels on lines of their own (a PDF's text) gathered into one row."""
    out: list[tuple[int, int, list, bool]] = []
    for i in sorted(label_rows):
        labels = label_rows[i]
        if out and len(labels) == 1 and len(out[-1][2]) >= 1 and not out[-1][3]:
            first, last, prev, _ = out[-1]
            if all(rows[k].blank and "_" not in rows[k].text for k in range(last + 1, i)) and i - last <= 8:
                out[-1] = (first, i, [*prev, *labels], False)
                continue
        out.append((i, i, list(labels), len(labels) > 1))
    return out


def _plausibility(values: dict[str, str]) -> int:
    """How well values fit their blanks: an address in Email or a name in Zip scores low."""
    score = 0
    for key, value in values.items():
        value = value.strip(" _")
        if key == "state":
            score += 2 if normalize.state(value) else -2
        elif key in KIND_PATTERNS:
            score += 2 if re.fullmatch(KIND_PATTERNS[key], value) else -2
        elif "@" in value or re.fullmatch(r"[\d\s().+-]{5,}", value):
            score -= 2
        else:
            score += 1
    return score


# ---------------------------------------------------------------- "Label: value" lines


def _label_value_start(text: str) -> tuple[str, str, bool] | None:
    """(key, value, separated) when a line starts with a known label; value "" for a label alone."""
    body = BULLET.sub("", text, count=1) if BULLET.match(text) else text
    stripped = body.strip()
    if not stripped or len(stripped) > MAX_LINE:
        return None
    folded = fold_chars(stripped)
    found = labels_at(folded, 0)
    lead = LEAD_WORDS.match(folded) if not found else None
    if lead:
        found = labels_at(folded, lead.end())
    for key, end in found:
        after = stripped[end:]
        sep = SEPARATOR.match(after)
        asked = sep is not None and "?" in sep.group()
        # A question alone on its line is the printed question, answered below it.
        question_alone = asked and not after[sep.end() :].strip()
        if sep is not None and (not lead or asked or ":" in sep.group()) and not question_alone:
            return key, after[sep.end() :], True
        # A few words of the applicant's own before the colon: "Strengths and experience:",
        # "Supervisor's name and title:" (for one-line fields only words that qualify the label).
        more = re.match(r"([^:?\uff1a]{1,40}?)\s*[:?\uff1a]\s*", after)
        if more and not re.search(r"[\d@]", more.group(1)) and len(more.group(1).split()) <= 4:
            words = set(fold_chars(more.group(1)).split())
            if words and words <= QUALIFIERS:
                return key, after[more.end() :], True
            others = {key_for(m.group(1)) for m in label_table()[0].finditer(fold_chars(more.group(1)))}
            if key in MULTILINE and others <= {key}:
                return key, after[more.end() :], True
        if re.fullmatch(r"\s*(?:\([^)]{0,60}\))?\s*[?:]?\s*", after):
            return key, "", False
    return None


def _read_label_values(rows: list[Row], label_rows: dict, reading: FormReading) -> set[int]:
    """Read "Label: value" lines; return the indexes of the lines that were labels or their values."""
    used: set[int] = set()
    for i, row in enumerate(rows):
        if i in label_rows or row.blank or i in used:
            continue
        found = _label_value_start(row.text)
        if found is None:
            continue
        key, value, separated = found
        if not separated and key in ROW_KEYS:
            continue  # a printed row label: the row reader places its value
        used.add(i)
        reading.evidence += 1
        if key in MULTILINE:
            value, taken = _continued(rows, i, value, label_rows)
            used.update(taken)
            reading.put(key, fold_text(value), 0.9)
            continue
        value = value.strip()
        if not value:
            j = _next_value_line(rows, i, label_rows, key)
            if j is None:
                continue
            value = rows[j].text.strip()
            used.add(j)
        for k, v in _split_more_labels(key, value):
            _put_labelled(k, v, reading, row.emphasis)
    return used


def _next_value_line(rows: list[Row], i: int, label_rows: dict, key: str) -> int | None:
    """The line under a label written alone ("Name:" then the name), if it is a value."""
    j = i + 1
    if j < len(rows) and rows[j].blank and "_" not in rows[j].text:
        j += 1
    if j >= len(rows) or rows[j].blank or j in label_rows:
        return None
    text = rows[j].text
    if _label_value_start(text) is not None or is_prose(text):
        return None
    if key not in form.TEXT_FIELD_BY_KEY:
        # A choice answered on the next line, not the printed list of options under the question.
        k = j + 1
        if (
            k < len(rows)
            and not rows[k].blank
            and heading_of(rows[k].text) is None
            and _label_value_start(rows[k].text) is None
        ):
            return None
    return j


def _continued(rows: list[Row], i: int, value: str, label_rows: dict) -> tuple[str, set[int]]:
    """A free-text answer and the lines that carry it on, up to a blank line after some text."""
    parts = [value.strip()] if value.strip() else []
    taken: set[int] = set()
    j = i + 1
    while j < len(rows) and j - i < 60:
        row = rows[j]
        if row.blank:
            if parts and not _answer_goes_on(rows, j):
                break
            j += 1
            continue
        if j in label_rows or _label_value_start(row.text) or heading_of(row.text):
            break
        if parts and len(row.text) < 40 and SIGN_OFF.match(row.text.strip()):
            break  # "Best regards," and the signature under it are not the answer
        parts.append(row.text.strip())
        taken.add(j)
        j += 1
    return " ".join(parts), taken


CLOSING = re.compile(
    r"\b(thank|thanks|look forward|appreciate|regards|hearing from you|let me know|questions|"
    r"attached|sincerely|cheers)\b",
    re.I,
)


def _answer_goes_on(rows: list[Row], j: int) -> bool:
    """After a blank line, another paragraph of the same answer (a long sentence, not a closing)."""
    k = j
    while k < len(rows) and rows[k].blank and k - j < 2:
        k += 1
    if k >= len(rows) or rows[k].blank:
        return False
    text = rows[k].text.strip()
    return (
        len(text) >= 40
        and not CLOSING.search(text)
        and _label_value_start(text) is None
        and heading_of(text) is None
        and not is_prose(text)
    )


def _split_more_labels(key: str, value: str) -> list[tuple[str, str]]:
    """ "City: Cheyenne  State: WY  Zip: 82001" on one line: each label takes its own value."""
    regex, _ = label_table()
    folded = fold_chars(value)
    out: list[tuple[str, str]] = []
    current, start = key, 0
    for m in regex.finditer(folded):
        if m.start() == 0:
            continue
        sep = re.match(r"\s*#?\s*[:|]", value[m.end() :])
        if sep is None and re.search(r"\s{2}$", value[: m.start()]):
            # Table cells joined on one line ("Name  Zoë Ruiz  Phone #  307-555-0176"): a known label
            # standing alone between cell gaps starts the next cell.
            sep = re.match(r"\s{2,}(?=\S)", value[m.end() :])
        nxt = key_for(m.group(1))
        if sep is None or nxt is None or nxt in MULTILINE:
            continue
        out.append((current, value[start : m.start()]))
        current, start = nxt, m.end() + sep.end()
    out.append((current, value[start:]))
    return out


def _put_labelled(key: str, value: str, reading: FormReading, emphasis: bool) -> None:
    value = value.strip()
    if key == SUPPORT:
        reading.put(SUPPORT, support_answer(value), 0.9)
    elif key == "role":
        chosen = decide_marks(option_entries([value], ("role",), [emphasis]), free=True)
        if len(chosen) == 1:
            reading.put("role", chosen[0], 0.9)
    elif key in ("protege_categories", "mentor_categories", CATEGORIES):
        kinds = ("protege_categories", "mentor_categories") if key == CATEGORIES else (key,)
        chosen = decide_marks(option_entries([value], kinds, [emphasis]), free=True)
        _put_categories(reading, chosen, 0.85)
    elif key == PLACE:
        for k, v in split_place(value).items():
            reading.put(k, v, 0.9)
    elif key == "address" and (parts := split_address(value)):
        for k, v in parts.items():
            reading.put(k, v, 0.9 if k == "address" else 0.85)
    elif key in form.TEXT_FIELD_BY_KEY:
        reading.put(key, value, 0.95)


PLACE_RE = re.compile(
    r"^(?P<city>[^,\d]{2,40}?)\s*,?\s+(?P<state>[A-Za-z][A-Za-z .]{1,13}?)\.?\s*,?\s*"
    r"(?P<zip>\d{5}(?:\s*-\s*\d{4})?)?\s*$"
)


def split_place(value: str) -> dict[str, str]:
    """ "Sundance, WY 82729" as city, state and zip; nothing when the state is no state."""
    m = PLACE_RE.match(value.strip())
    if m is None or normalize.state(m.group("state")) is None:
        return {}
    out = {"city": m.group("city").strip(" ,"), "state": m.group("state")}
    if m.group("zip"):
        out["zip"] = m.group("zip")
    return out


def split_address(value: str) -> dict[str, str]:
    """ "3566 Buffalo Ridge Rd, Casper, WY 82601": the street line, then the place after its comma."""
    if "," not in value or not re.search(r"\d{5}(?:-\d{4})?\s*$", value):
        return {}
    # The place is the shortest tail that reads as "City, ST 12345": the street may hold commas of its
    # own ("Apt 3B, 211 E 2nd St, Casper, WY 82601").
    cuts = [i for i, ch in enumerate(value) if ch == ","]
    for cut in reversed(cuts):
        street, place = value[:cut].strip(), value[cut + 1 :].strip()
        parts = split_place(place)
        if street and parts and "zip" in parts and parts.get("city"):
            return {"address": street, **parts}
    return {}


def _put_categories(reading: FormReading, chosen: list[str], confidence: float) -> None:
    for choice in (form.PROTEGE_CATEGORIES, form.MENTOR_CATEGORIES):
        keys = {o.key for o in choice.options}
        picked = [k for k in chosen if k in keys]
        if picked:
            old = reading.readings.get(choice.key)
            merged = sorted(set(picked) | set(old.value if old and isinstance(old.value, list) else []))
            reading.readings.pop(choice.key, None)
            reading.put(choice.key, merged, confidence)


# ---------------------------------------------------------------- boxes


def _region(
    rows: list[Row], section: Section, sections: list[Section], stops: set[int], limit: int = 40
) -> list[int]:
    """Line indexes from after a heading to the next heading or labelled line."""
    later = [s.start for s in sections if s.start > section.end]
    end = min([*later, len(rows), section.end + 1 + limit])
    out = []
    for j in range(section.end + 1, end):
        if j in stops:
            break
        out.append(j)
    return out


def _read_choices(rows: list[Row], sections: list[Section], stops: set[int], reading: FormReading) -> None:
    seen_section = False
    for section in sections:
        kind = section.heading.kind
        if kind not in CHOICE_KINDS:
            continue
        seen_section = True
        region = _region(rows, section, sections, stops, 25)
        texts = [section.rest] + [rows[j].text for j in region]
        emph = [False] + [rows[j].emphasis for j in region]
        entries = option_entries(texts, (kind,), emph)
        if not entries:
            continue
        reading.evidence += 1
        total = len(next(c for c in form.CHOICES if c.key == kind).options)
        chosen = decide_marks(entries, free=False, total=total)
        if kind == "role":
            if len(chosen) == 1:
                reading.put("role", chosen[0], 0.9)
        else:
            _put_categories(reading, chosen, 0.9)
    if not seen_section:
        _read_loose_boxes(rows, stops, reading)


def _read_loose_boxes(rows: list[Row], stops: set[int], reading: FormReading) -> None:
    """Ticked options on lines of their own when the headings were left out."""
    roles: list[str] = []
    cats: list[str] = []
    for j, row in enumerate(rows):
        if j in stops or row.blank or len(row.text) > 120:
            continue
        entries = option_entries([row.text], CHOICE_KINDS, [False])
        if len(entries) != 1 or not entries[0].clear_mark:
            continue
        (roles if entries[0].choice == "role" else cats).append(entries[0].key)
    if len(set(roles)) == 1:
        reading.put("role", roles[0], 0.75)
    _put_categories(reading, cats, 0.75)


def _read_support(rows: list[Row], sections: list[Section], reading: FormReading) -> None:
    for section in sections:
        if section.heading.kind != "support":
            continue
        reading.evidence += 1
        candidates = [section.rest] if section.rest else []
        j = section.end + 1
        while j < len(rows) and len(candidates) < 4:
            if heading_of(rows[j].text) is not None:
                break
            if not rows[j].blank or "_" in rows[j].text:
                candidates.append(rows[j].text)
            j += 1
        for text in candidates:
            answer = support_answer(text, require_word=True)
            if answer is not None:
                reading.put(SUPPORT, answer, 0.9)
                return
        return
    for row in rows:
        if re.match(r"^\s*\W{0,4}\s*yes\s*:\s*\S", row.text, re.I):
            answer = support_answer(row.text, require_word=True)
            if answer is not None:
                reading.put(SUPPORT, answer, 0.7)
                return


# ---------------------------------------------------------------- free text

SIGN_OFF = re.compile(
    r"^(thanks|thank you|many thanks|regards|best|best regards|kind regards|warm regards|sincerely|cheers|"
    r"respectfully|take care|all the best|thx)\b",
    re.I,
)


def _read_free_text(rows: list[Row], sections: list[Section], stops: set[int], reading: FormReading) -> None:
    for section in sections:
        kind = section.heading.kind
        if kind not in ("goals", "strengths"):
            continue
        region = _region(rows, section, sections, stops, 80)
        lines = [section.rest] + [rows[j].text for j in region]
        text = _answer_text(lines)
        if text:
            reading.put(kind, text, 0.85)


def _answer_text(lines: list[str]) -> str | None:
    """Paragraphs of an answer, without the form's underscores or a trailing sign-off."""
    paragraphs: list[list[str]] = [[]]
    for line in lines:
        text = line.strip()
        if not text.strip("_ ") or set(text) <= set("_-=* "):
            if paragraphs[-1]:
                paragraphs.append([])
            continue
        paragraphs[-1].append(text)
    paragraphs = [p for p in paragraphs if p]
    while paragraphs and _is_sign_off(paragraphs[-1]):
        paragraphs.pop()
    return fold_text(" ".join(" ".join(p) for p in paragraphs))


def _is_sign_off(paragraph: list[str]) -> bool:
    if len(paragraph) > 4 or any(len(t) > 45 for t in paragraph):
        return False
    if SIGN_OFF.match(paragraph[0]):
        return True
    # A name alone: a few capitalised words, no sentence.
    words = " ".join(paragraph).split()
    return (
        len(words) <= 4
        and all(w[:1].isupper() for w in words if w[:1].isalpha())
        and not any(w.endswith(".") and len(w) > 3 for w in words)
    )
