"""The form's lists of boxes and its supervisor question, read where the form puts them.

Under each heading (Position you are applying for; Protégés; Mentors) the
options follow, one a line or several on one line; a mark on an option's
line belongs to that option (`choices.option_entries` reads which). When
the headings were left out, ticked options on lines of their own still
count, but a role read that way is said to be uncertain. The supervisor
question is answered by a "Yes" marked on the lines after it.
"""

from __future__ import annotations

import re

from inbox_worker import form
from inbox_worker.extract.choices import decide_marks, mark_of, option_entries, support_answer
from inbox_worker.extract.labelled import put_categories
from inbox_worker.extract.labels import SUPPORT, heading_of
from inbox_worker.extract.layout import Layout, Section
from inbox_worker.extract.wishes import wished_role

CHOICE_KINDS = ("role", "protege_categories", "mentor_categories")
HOW = "the form's boxes"
TOTALS = {c.key: len(c.options) for c in form.CHOICES}


def region(layout: Layout, section: Section, stops: set[int], limit: int) -> list[int]:
    """Line indexes from after a heading to the next heading or labelled line."""
    end = min(layout.next_section_after(section.end), len(layout.rows), section.end + 1 + limit)
    out = []
    for j in range(section.end + 1, end):
        if j in stops:
            break
        out.append(j)
    return out


def read_boxes(layout: Layout, stops: set[int], reading) -> None:
    """The role and the categories, from the options under their headings (or loose, without them)."""
    rows = layout.rows
    seen = False
    for section in layout.sections:
        kind = section.kind
        if kind not in CHOICE_KINDS:
            continue
        seen = True
        wished = wished_role(section.rest) if kind == "role" and section.rest else None
        if wished:  # "Position you are applying for: I'd like a mentor"
            reading.evidence += 1
            reading.put("role", wished, 0.9, HOW)
            continue
        lines = region(layout, section, stops, 25)
        texts = [section.rest] + [rows[j].text for j in lines]
        emphasis = [False] + [rows[j].emphasis for j in lines]
        entries = option_entries(texts, (kind,), emphasis)
        if not entries:
            continue
        reading.evidence += 1
        chosen = decide_marks(entries, free=False, total=TOTALS[kind])
        if kind == "role":
            if len(chosen) == 1:
                joined = any(e.joined for e in entries if e.key == chosen[0])
                reading.put("role", chosen[0], 0.9, HOW, certain=not joined)
            elif len(chosen) == 2 and (named := _role_written_again(texts)):
                reading.put("role", named, 0.85, HOW, certain=False)
        else:
            put_categories(reading, chosen, 0.9, HOW)
    if not seen:
        _read_loose_boxes(layout, stops, reading)


ROLE_WORDS = {"protege": re.compile(r"\b(?:prot[eé]g[eé]e?|mentee)\b", re.I), "mentor": re.compile(r"\bmentor\b", re.I)}


def _role_written_again(texts: list[str]) -> str | None:
    """With both role boxes marked, the role the applicant also wrote out ("[x] Mentor <- mentor"), else None.

    Each option's own text names its role once; a role named more often than the other was
    written again by hand, beside a box or after the question.
    """
    counts = {role: sum(len(regex.findall(t)) for t in texts) for role, regex in ROLE_WORDS.items()}
    if counts["protege"] == counts["mentor"]:
        return None
    return max(counts, key=counts.__getitem__)


def _read_loose_boxes(layout: Layout, stops: set[int], reading) -> None:
    """Ticked options on lines of their own when the headings were left out."""
    roles: list[str] = []
    cats: list[str] = []
    for j, row in enumerate(layout.rows):
        if j in stops or row.blank or len(row.text) > 120:
            continue
        entries = option_entries([row.text], CHOICE_KINDS, [False])
        if len(entries) != 1 or not entries[0].clear_mark:
            continue
        (roles if entries[0].choice == "role" else cats).append(entries[0].key)
    if len(set(roles)) == 1:
        reading.put("role", roles[0], 0.75, "a ticked box without its question", certain=False)
    put_categories(reading, cats, 0.75, "ticked boxes without their heading")


def read_support(layout: Layout, reading) -> None:
    """The supervisor question's answer: a Yes marked on the lines after it."""
    rows = layout.rows
    for section in layout.sections:
        if section.kind != "support":
            continue
        reading.evidence += 1
        candidates = [section.rest] if section.rest else []
        j = section.end + 1
        while j < len(rows) and len(candidates) < 4:
            if heading_of(rows[j].text) is not None:
                break
            if not rows[j].blank or "_" in rows[j].text:
                raw = rows[j].raw
                candidates.append(raw if raw.endswith("\t") and raw.count("\t") == 1 else raw.replace("\t", "  "))
            j += 1
        if section.rest and mark_of(section.rest) == "clear" and not re.search(r"[A-Za-z]{2}", section.rest):
            reading.put(SUPPORT, True, 0.9, HOW)  # a mark in the cell beside the question
            return
        if candidates and not section.rest and mark_of(candidates[0]) == "clear" and len(candidates[0].strip()) <= 3:
            reading.put(SUPPORT, True, 0.85, HOW)  # the box ticked on the line under the question
            return
        for text in candidates:
            if re.fullmatch(r"\s*yes\s*:\s*\t\s*", text, re.I):
                return  # the answer cell beside the printed "Yes:" left empty
            answer = support_answer(text, require_word=True)
            if answer is not None:
                reading.put(SUPPORT, answer, 0.9, HOW)
                return
        return
    for row in rows:
        if re.match(r"^\s*\W{0,4}\s*yes\s*:\s*\S", row.text, re.I):
            answer = support_answer(row.text, require_word=True)
            if answer is not None:
                reading.put(SUPPORT, answer, 0.7, HOW)
                return
