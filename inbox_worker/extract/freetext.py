"""The free-text answers under the goals and strengths questions.

An answer is the applicant's words from the question to the next heading:
the form's underscore lines, "N/A" and a sign-off with a name under it are
not part of it.
"""

from __future__ import annotations

import re

from inbox_worker.extract.boxes import region
from inbox_worker.extract.labelled import SIGN_OFF
from inbox_worker.extract.layout import Layout
from inbox_worker.extract.normalize import fold_text

HOW = "the answer under its question"


def read_answers(layout: Layout, stops: set[int], reading) -> set[int]:
    """Read the answer under each free-text question; return the lines it took."""
    taken: set[int] = set()
    for section in layout.sections:
        kind = section.kind
        if kind not in ("goals", "strengths"):
            continue
        lines = region(layout, section, {s for s in stops if _other_key(layout, s, kind)}, 80)
        text = answer_text([section.rest] + [layout.rows[j].text for j in lines])
        if text:
            reading.put(kind, text, 0.92, HOW)
            taken.update(lines)
    return taken


def _other_key(layout: Layout, i: int, kind: str) -> bool:
    found = layout.labelled.get(i)
    return found is None or found.key != kind


def answer_text(lines: list[str]) -> str | None:
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
    while paragraphs and (_is_sign_off(paragraphs[-1]) or _is_signature(paragraphs[-1])):
        paragraphs.pop()
    return fold_text(" ".join(" ".join(p) for p in paragraphs))


DISCLAIMER = re.compile(r"\b(?:confidential|intended recipient|disclaimer|privileged|public records? law)\b", re.I)


def _is_signature(paragraph: list[str]) -> bool:
    """A signature block (a name, then short lines with a title, a library, a number) or a mail disclaimer."""
    if DISCLAIMER.search(" ".join(paragraph)):
        return True
    if not 2 <= len(paragraph) <= 7 or any(len(t) > 60 for t in paragraph):
        return False
    name = paragraph[0].split()
    return (1 < len(name) <= 4 and all(w[:1].isupper() for w in name) and not paragraph[0].endswith(".")
            and any(re.search(r"\d{3}.?\d{4}|@|www\.", t) for t in paragraph[1:]))


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
