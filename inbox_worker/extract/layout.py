"""Where the form's parts stand in a document: its headings, its rows of labels, its labelled lines.

Every reader of the form starts from the same map of the text (`Layout`):

* sections: the form's headings and questions (role, categories, the
  supervisor question, goals, strengths), each with the text written after
  it on its own line;
* label rows: lines that are nothing but labels of the printed form's rows
  ("Address  City  State  Zip Code", or "Phone #" alone), with the column
  each label stands in;
* labelled lines: "Label: value" lines, whatever the label's wording
  (`vocabulary.label_key`) and separator (colon, tab, spaced dash).
"""

from __future__ import annotations

import functools
import itertools
import re
from dataclasses import dataclass

from inbox_worker.extract.choices import find_options
from inbox_worker.extract.labelline import (
    MULTILINE,
    PLAIN_LABEL_WORDS,
    PRINTED,
    Labelled,
    labelled_line,
    table_pairs,
)
from inbox_worker.extract.labels import (
    ROW_KEYS,
    Heading,
    fold_chars,
    heading_of,
    key_for,
    row_label_regex,
)
from inbox_worker.extract.lines import Row, make_row
from inbox_worker.extract.normalize import fold_key
from inbox_worker.extract.vocabulary import label_key
from inbox_worker.extract.vocabulary import words as vocabulary_words


@dataclass
class Section:
    """A form heading found in the text: where it starts, ends, and what follows it on its last line."""

    heading: Heading
    start: int
    end: int
    rest: str

    @property
    def kind(self) -> str:
        return self.heading.kind


@dataclass
class Layout:
    """The map of one document's lines."""

    rows: list[Row]
    sections: list[Section]
    label_rows: dict[int, list[tuple[str, int, int]]]
    labelled: dict[int, Labelled]

    def next_section_after(self, i: int) -> int:
        later = [s.start for s in self.sections if s.start > i]
        return min(later) if later else len(self.rows)


def map_layout(rows: list[Row]) -> Layout:
    rows = _labels_rejoined(rows)
    sections = find_sections(rows)
    in_heading = {i for s in sections for i in range(s.start, s.end + 1)}
    label_rows = {i: found for i, r in enumerate(rows)
                  if i not in in_heading and (found := label_row(r.text) or own_label_row(r.text))
                  and not _broken_off(rows, i, found)}
    labelled: dict[int, Labelled] = {}
    for i, row in enumerate(rows):
        if i in in_heading or i in label_rows or row.blank:
            continue
        found = table_pairs(row.raw) or labelled_line(row.text)
        if found is not None and not (i and i - 1 not in labelled and _runs_on(rows[i - 1].text, row.text, found)):
            labelled[i] = found
    return Layout(rows, sections, label_rows, labelled)


def _labels_rejoined(rows: list[Row]) -> list[Row]:
    """A row of labels whose last label a mail program broke ("... State  Zip" / "Code"), made whole."""
    out: list[Row] = []
    i = 0
    while i < len(rows):
        row = rows[i]
        if i + 1 < len(rows) and _label_broken_across(row.text, rows[i + 1].text):
            out.append(make_row(row.text.rstrip() + " " + rows[i + 1].text.strip(), row.emphasis))
            i += 2
            continue
        if i + 1 < len(rows) and 0 < len(rows[i + 1].text.strip()) <= 12 and (labels := label_row(row.text)):
            joined = row.text.rstrip() + " " + rows[i + 1].text.strip()
            whole = label_row(joined)
            if whole and len(whole) == len(labels) and whole[-1][2] > labels[-1][2]:
                out.append(make_row(joined, row.emphasis))
                i += 2
                continue
        out.append(row)
        i += 1
    return out


def _runs_on(prev: str, text: str, found: Labelled) -> bool:
    """A line that carries on the sentence above ("...running a one-person" / "branch: collection, ..."):
    its first words look like a label of the applicant's own wording, but they are the text's."""
    head = re.split(r":|\t|\s{2,}|\s[-\u2013]\s|\uff1a", text.strip())[0]
    exact = key_for(" ".join(fold_key(head).split())) is not None
    return (not exact and len(prev) >= 40 and not re.search(r"[.:!?)]\s*$", prev) and heading_of(prev) is None
            and label_row(prev) is None and labelled_line(prev) is None and found.key not in MULTILINE)


def _label_broken_across(text: str, nxt: str) -> bool:
    """ "... Zip" then "Code: 82878": a long line broken inside a label whose value follows on the next line."""
    head = re.match(r"\s*([^:\t]{1,30}?)\s*:", nxt)
    words = text.split()
    if head is None or len(text) < 50 or not words or ":" not in text:
        return False
    for take in (1, 2):
        phrase = " ".join([*words[-take:], head.group(1)])
        if key_for(fold_key(phrase)) is not None and key_for(fold_key(head.group(1))) != key_for(fold_key(phrase)):
            return True
    return False


# ---------------------------------------------------------------- headings


def find_sections(rows: list[Row]) -> list[Section]:
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
        while full.startswith(said) and len(said) < len(full) and end + 1 < len(rows):
            k = end + 1
            while k < len(rows) and rows[k].empty and k - end <= 2:
                k += 1
            if k >= len(rows) or rows[k].blank:
                break
            joined = f"{said} {fold_key(rows[k].text)}"
            if full.startswith(joined) or joined.startswith(full):
                said, end = joined, k
            else:
                break
        rest = after_heading(" ".join(r.text for r in rows[i : end + 1]), heading)
        out.append(Section(heading, i, end, rest))
        i = end + 1
    return out


def after_heading(text: str, heading: Heading) -> str:
    """What follows the heading's own words on its last line (an answer written beside it).

    The heading may be whole, shortened to one of its usual starts ("Position applying for:"), or
    cut short ("Protégé applicants: Please write ... through this program." with the answer in the
    next cell): of the readings, the one that accounts for the most of the line is taken.
    """
    words = fold_key(heading.text).split()
    if not words:
        return ""
    folded = fold_chars(text)
    ends = []
    tail = r"\s*".join(re.escape(w) for w in words[-3:])
    whole = list(re.finditer(r"(?<![a-z0-9])" + tail + r"(?![a-z0-9])", folded))
    if whole:
        ends.append(whole[-1].end())
    for begin in heading.starts:
        m = re.search(r"\s*".join(re.escape(w) for w in begin.split()), folded)
        if m:
            ends.append(m.end())
    spans = [(m.group(), m.end()) for m in re.finditer(r"[a-z0-9#@]+", folded)]
    first = next((n for n, (w, _) in enumerate(spans) if w == words[0]), None)
    if first is not None:
        end = None
        for (word, stop), expected in zip(spans[first:], words, strict=False):
            if word != expected:
                break
            end = stop
        if end is not None:
            ends.append(end)
        # The question in a cell of its own, reworded by leaving words out ("Mentor applicants: strengths,
        # expertise, years of experience" | answer): its words in the question's order up to the cell's end.
        left = iter(words)
        for word, stop in spans[first:]:
            if word not in left:
                break
            if re.match(r"[:?.,)]*(?:\s*\t|\s{2,}|\s*$)", text[stop:]):
                ends.append(stop)
    if not ends:
        return ""
    return text[max(ends) :].strip(" :?.)\t")


# ---------------------------------------------------------------- rows of labels


def label_row(text: str) -> list[tuple[str, int, int]] | None:
    """A line that is nothing but printed labels: [(key, start column, end column)]."""
    if not text.strip() or len(text) > 300:
        return None
    found = _label_row_cached(text)
    return None if found is None else list(found)


@functools.lru_cache(maxsize=8192)
def _label_row_cached(text: str) -> tuple[tuple[str, int, int], ...] | None:
    found = _find_label_row(text)
    return None if found is None else tuple(found)


def _find_label_row(text: str) -> list[tuple[str, int, int]] | None:
    # Underscores against a word are a value typed over the form's blank line, never a label.
    if re.search(r"[^\s_]_|_[^\s_:]", text):
        return None
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
        end = m.end()
        # "Name:" alone is a label too; the colon is the label's, not a value.
        while end < len(text) and text[end] in ":*":
            end += 1
        out.append((key, m.start(), end))
        pos = end
    keys = [k for k, _, _ in out]
    if not out or len(set(keys)) != len(keys):
        return None
    if any(":" in text[a:b] for _, a, b in out[:-1]):
        return None  # "Library type: State" is a label and its value
    # "Library type: State" and "Library Type    State library" are a label and its value: labels in a
    # row stand apart as far as the row's widest gap, and single-spaced ones must be the printed labels.
    wide = "\t" in text or "  " in text.strip()
    for (k1, a, end), (k2, start, b) in itertools.pairwise(out):
        gap = text[end:start]
        # Two printed labels one space apart in a row of wide gaps ("City\tState Zip Code"): the page set
        # them close, as the form does; a word of the applicant's own so close is a value.
        printed = fold_key(text[a:end]) == PRINTED[k1] and fold_key(text[start:b]) == PRINTED[k2]
        if wide and len(gap) < 2 and not printed:
            return None
    if len(out) > 1 and not wide and any(fold_key(text[a:b]) != PRINTED[k] for k, a, b in out):
        return None
    return out


# A label of the applicant's own wording standing alone on its line must say which blank it is
# with a word that no answer would be: "Contact number" is a label, "School library" an answer.
HEAD_WORDS = {"phone": {"phone", "number"}, "email": {"email"}, "zip": {"zip"}, "address": {"address", "street"},
              "supervisor_name": {"supervisor"}, "supervisor_email": {"supervisor"}, "library_type": {"type"},
              "city": {"city", "town"}, "position": {"title", "position", "job"}, "library_name": {"name"},
              "name": {"name"}, "state": {"state"}}


def own_label_row(text: str) -> list[tuple[str, int, int]] | None:
    """A line that is one label of the applicant's own wording and nothing else ("Contact number")."""
    stripped = text.strip()
    if not stripped or len(stripped) > 40 or re.search(r"[\d@_=\u2013]|\s-\s", stripped):
        return None
    key = label_key(stripped)
    if key not in ROW_KEYS or not set(vocabulary_words(stripped)) & HEAD_WORDS.get(key, set()):
        return None
    start = len(text) - len(text.lstrip())
    return [(key, start, start + len(stripped))]


def _broken_off(rows: list[Row], i: int, labels: list[tuple[str, int, int]]) -> bool:
    """A word such as "Library" or "Title" alone right under a long line: the end of a value, not a label."""
    if len(labels) != 1 or i == 0:
        return False
    key, a, b = labels[0]
    said = fold_key(rows[i].text[a:b])
    if " " in said or said == PRINTED[key] or said in PLAIN_LABEL_WORDS or ":" in rows[i].text[a:b]:
        return False
    above = rows[i - 1]
    return len(above.text) >= 50 and not above.blank and label_row(above.text) is None


