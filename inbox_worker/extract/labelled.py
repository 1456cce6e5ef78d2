""" "Label: value" lines, in the applicant's own order and words.

A labelled line gives its value beside the label, or on the next line when
the label stands alone ("Goals:" and the paragraphs under it). A free-text
answer runs on over the lines that carry it, and an address may run on to a
line with its town ("Lander, WY 82520"); nothing else is taken from a line
that is not labelled.
"""

from __future__ import annotations

import re

from inbox_worker import form
from inbox_worker.extract.choices import decide_marks, find_options, option_entries, support_answer
from inbox_worker.extract.labels import CATEGORIES, PLACE, SUPPORT, heading_of, is_prose
from inbox_worker.extract.layout import MULTILINE, Layout
from inbox_worker.extract.normalize import fold_text
from inbox_worker.extract.places import split_place
from inbox_worker.extract.reading import FormReading
from inbox_worker.extract.wishes import wished_role

HOW = "a labelled line"
LIST_LABELS = ("role", "protege_categories", "mentor_categories", CATEGORIES)
SIGN_OFF = re.compile(
    r"^(thanks|thank you|many thanks|regards|best|best regards|kind regards|warm regards|sincerely|cheers|"
    r"respectfully|take care|all the best|thx)\b",
    re.I,
)
CLOSING = re.compile(
    r"\b(thank|thanks|look forward|appreciate|regards|hearing from you|let me know|questions|"
    r"attached|sincerely|cheers)\b",
    re.I,
)


def read_labelled(layout: Layout, used: set[int], reading: FormReading) -> set[int]:
    """Read every labelled line not already read; return the lines used (labels and values)."""
    rows = layout.rows
    taken: set[int] = set()
    for i, found in sorted(layout.labelled.items()):
        if i in used or i in taken:
            continue
        taken.add(i)
        reading.evidence += 1
        key, value = found.key, found.value
        emphasis = rows[i].emphasis
        if key in MULTILINE:
            text, lines = continued(layout, i, value, key)
            taken.update(lines)
            reading.put(key, fold_text(text), 0.9, HOW)
            continue
        if not value.strip() and not found.pairs:
            j = _next_value_line(layout, i, key, used | taken)
            if j is None:
                continue
            value = rows[j].text.strip()
            emphasis = rows[j].emphasis
            taken.add(j)
        elif key == "address" and all(not v.strip() for _, v in found.pairs):
            j = _place_line(layout, i, used | taken)
            if j is not None and UNIT_LINE.match(rows[j].text.strip()):
                # "Suite 4" on a line of its own is the street's, and the town may follow it.
                value = f"{value.strip()} {rows[j].text.strip()}"
                taken.add(j)
                j = _place_line(layout, j, used | taken)
            if j is not None and not UNIT_LINE.match(rows[j].text.strip()):
                value = f"{value.strip()}\n{rows[j].text.strip()}"
                taken.add(j)
        elif key in LIST_LABELS and not found.pairs:
            more = _option_lines(layout, i, used | taken)
            value = "; ".join([value, *(rows[j].text.strip() for j in more)])
            taken.update(more)
        for k, v in [(key, value), *found.pairs]:
            put_labelled(k, v, reading, emphasis)
    return taken


def _next_value_line(layout: Layout, i: int, key: str, used: set[int]) -> int | None:
    """The line under a label written alone ("Name:" then the name), if it is a value."""
    rows = layout.rows
    j = i + 1
    if j < len(rows) and rows[j].empty:
        j += 1
    if j >= len(rows) or rows[j].blank or j in layout.label_rows or j in layout.labelled or j in used:
        return None
    if is_prose(rows[j].text):
        return None
    if key not in form.TEXT_FIELD_BY_KEY:
        # A choice answered on the next line, not the printed list of options under the question.
        k = j + 1
        if (k < len(rows) and not rows[k].blank and heading_of(rows[k].text) is None
                and k not in layout.labelled and k not in layout.label_rows):
            return None
    return j


def _option_lines(layout: Layout, i: int, used: set[int]) -> list[int]:
    """The lines after a list of options that carry on with more options ("...; Library supervisor")."""
    out = []
    j = i + 1
    rows = layout.rows
    while j < len(rows) and not rows[j].blank and j not in layout.labelled and j not in layout.label_rows:
        text = rows[j].text
        hits = find_options(text)
        if j in used or heading_of(text) or sum(h.end - h.start for h in hits) < 0.5 * len(text.strip()):
            break
        out.append(j)
        j += 1
    return out


# The second line of a street address: the suite, apartment, unit or room.
UNIT_LINE = re.compile(r"(?:suite|ste\.?|apt\.?|apartment|unit|room|rm\.?|bldg\.?|building|floor|fl\.?|#)\s*#?\s*"
                       r"[\w-]{1,8}\.?$", re.I)


def _place_line(layout: Layout, i: int, used: set[int]) -> int | None:
    """The line after an address that holds its town, state and zip ("Lander, WY 82520") or its suite."""
    j = i + 1
    rows = layout.rows
    if j >= len(rows) or j in layout.labelled or j in layout.label_rows or j in used or rows[j].blank:
        return None
    text = rows[j].text.strip()
    return j if UNIT_LINE.match(text) or split_place(text) is not None else None


def continued(layout: Layout, i: int, value: str, key: str) -> tuple[str, set[int]]:
    """A free-text answer and the lines that carry it on, up to a blank line after some text."""
    rows = layout.rows
    parts = [value.strip()] if value.strip() else []
    taken: set[int] = set()
    j = i + 1
    while j < len(rows) and j - i < 60:
        row = rows[j]
        if row.blank:
            if parts and not _answer_goes_on(layout, j, key):
                break
            j += 1
            continue
        other = layout.labelled.get(j)
        if j in layout.label_rows or heading_of(row.text) or (other is not None and other.key != key):
            break
        if parts and len(row.text) < 40 and SIGN_OFF.match(row.text.strip()):
            break  # "Best regards," and the signature under it are not the answer
        parts.append(row.text.strip())
        taken.add(j)
        j += 1
    return " ".join(parts), taken


def _answer_goes_on(layout: Layout, j: int, key: str) -> bool:
    """After a blank line, another paragraph of the same answer (a long sentence, not a closing)."""
    rows = layout.rows
    k = j
    while k < len(rows) and rows[k].blank and k - j < 2:
        k += 1
    if k >= len(rows) or rows[k].blank:
        return False
    text = rows[k].text.strip()
    other = layout.labelled.get(k)
    return (
        len(text) >= 40
        and not CLOSING.search(text)
        and (other is None or other.key == key)
        and heading_of(text) is None
        and not is_prose(text)
    )


def put_labelled(key: str, value: str, reading: FormReading, emphasis: bool, how: str = HOW) -> None:
    """One labelled value into the reading, read the way its key asks."""
    value = value.strip()
    if key == SUPPORT:
        reading.put(SUPPORT, support_answer(value), 0.9, how)
    elif key == "role":
        # An answer in words ("I'd like a mentor") names the role by what the writer wants.
        wished = wished_role(value)
        chosen = [wished] if wished else decide_marks(option_entries([value], ("role",), [emphasis]), free=True)
        if len(chosen) == 1:
            reading.put("role", chosen[0], 0.9, how)
    elif key in ("protege_categories", "mentor_categories", CATEGORIES):
        kinds = ("protege_categories", "mentor_categories") if key == CATEGORIES else (key,)
        chosen = decide_marks(option_entries([value], kinds, [emphasis]), free=True)
        put_categories(reading, chosen, 0.85, how)
    elif key == PLACE:
        place = split_place(value)
        if place is not None:
            for k, v in place.items():
                reading.put(k, v, 0.9, how)
    elif key in form.TEXT_FIELD_BY_KEY:
        reading.put(key, value, 0.95, how)


def put_categories(reading: FormReading, chosen: list[str], confidence: float, how: str, certain: bool = True) -> None:
    """Chosen options of either category list, added to what the reading already holds."""
    for choice in (form.PROTEGE_CATEGORIES, form.MENTOR_CATEGORIES):
        keys = {o.key for o in choice.options}
        picked = [k for k in chosen if k in keys]
        if picked:
            old = reading.readings.get(choice.key)
            merged = sorted(set(picked) | set(old.value if old and isinstance(old.value, list) else []))
            reading.readings.pop(choice.key, None)
            reading.put(choice.key, merged, confidence, how, certain)
