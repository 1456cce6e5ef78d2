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
from dataclasses import dataclass, field

from inbox_worker import form
from inbox_worker.extract.choices import find_options
from inbox_worker.extract.fit import plausibility
from inbox_worker.extract.labels import (
    ROW_KEYS,
    SUPPORT,
    Heading,
    fold_chars,
    fold_with_gaps,
    heading_of,
    key_for,
    label_table,
    labels_at,
    row_label_regex,
)
from inbox_worker.extract.lines import Row, make_row
from inbox_worker.extract.normalize import fold_key
from inbox_worker.extract.vocabulary import label_key
from inbox_worker.extract.vocabulary import words as vocabulary_words

MULTILINE = {f.key for f in form.TEXT_FIELDS if f.multiline}
PRINTED = {f.key: fold_key(f.label) for f in form.TEXT_FIELDS}
BULLET = re.compile(r"^\s*(?:[-*\u2022\u00b7>]+|\d{1,2}[.)])\s+")
# After a label: a colon, an arrow ("->", "=>", "→"), a spaced dash (also at the end of the line:
# "GOALS -" with the answer below), a question mark ("Supervisor support? Yes"), a tab or a wide gap;
# "St.:" keeps its abbreviation dot.
SEPARATOR = re.compile(
    r"\.?\s*(?:\([^)]{0,60}\))?\s*#?\s*(?:\?\s*[:=\-]?|-+>|=>|\u2192|[:=|\t\uff1a]|\s[-\u2013\u2014](?=\s|$)|\s{2,})\s*"
)
# A label of the applicant's own wording ends at a colon, a tab, "=", an arrow or a spaced dash.
OWN_LABEL = re.compile(r"^([^:\t=\uff1a]{1,48}?)\s*(?::|\uff1a|\t|-+>|=>|\u2192|=|\s[-\u2013\u2014](?:\s|$))\s*")
# Words people put around a label without changing what it asks for.
LEAD_WORDS = re.compile(
    r"(?:(?:do|does|did|has|have|is|was|what(?:\s+is)?|please\s+(?:list|enter|give|provide)|your|my|best|"
    r"preferred|primary|work|home)\s+)"
    r"(?:(?:you|your|my|the|applicant\s+s|have|has|got|received|secured|obtained|full|work|current)\s+)*"
)
# Words that are labels even standing alone without a colon.
PLAIN_LABEL_WORDS = {"phone", "email", "zip", "zipcode", "telephone"}
QUALIFIERS = {"and", "or", "title", "position", "name", "number", "no", "address", "of", "your", "current",
              "work", "cell", "home", "full", "s", "the", "here", "please", "job", "to", "reach", "you", "at",
              "contact", "best", "preferred", "i", "me"}


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
class Labelled:
    """A "Label: value" line: the key, the value as written, and further pairs on the same line."""

    key: str
    value: str
    separated: bool
    pairs: list[tuple[str, str]] = field(default_factory=list)


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
    for (_, _, end), (_, start, _) in itertools.pairwise(out):
        gap = text[end:start]
        if wide and len(gap) < 2:
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


# ---------------------------------------------------------------- "Label: value" lines


def labelled_line(text: str) -> Labelled | None:
    """The label, value and further pairs of a "Label: value" line, or None."""
    found = label_start(text)
    if found is None:
        return None
    key, value, separated = found
    if not separated and key in ROW_KEYS:
        return None  # a printed row label alone: the row reader places its value
    pairs = split_more_labels(key, value) if key not in MULTILINE else [(key, value)]
    return Labelled(pairs[0][0], pairs[0][1], separated, pairs[1:])


def table_pairs(raw: str) -> Labelled | None:
    """A table row of label | value | label | value cells (tab-joined): each label with the cell after it."""
    if "\t" not in raw:
        return None
    cells = [c.strip(" _") for c in raw.split("\t")]
    if len(cells) < 2 or (len(cells) % 2 and cells[-1]):
        return None
    # "Yes:" is the supervisor question's printed answer label; "Yes" alone in a cell marks an option.
    keys = [SUPPORT if c.lower() == "yes:" else label_key(c) for c in cells[0::2]]
    if not all(keys) or all(not v for v in cells[1::2]):
        return None
    pairs = [(k, v) for k, v in zip(keys, cells[1::2], strict=False)]
    return Labelled(pairs[0][0], pairs[0][1], True, pairs[1:])


def label_start(text: str) -> tuple[str, str, bool] | None:
    """(key, value, separated) when a line starts with a label; value "" for a label alone."""
    body = BULLET.sub("", text, count=1) if BULLET.match(text) else text
    stripped = body.strip()
    if not stripped or len(stripped) > 2000:
        return None
    folded = fold_with_gaps(stripped)
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
        # A few words of the applicant's own before the colon: "Supervisor's name and title:".
        more = re.match(r"([^:?\uff1a]{1,40}?)\s*[:?\uff1a]\s*", after)
        if more and not re.search(r"[\d@]", more.group(1)) and len(more.group(1).split()) <= 4:
            words = set(fold_chars(more.group(1)).split())
            if words and words <= QUALIFIERS:
                return key, after[more.end() :], True
        if re.fullmatch(r"\s*(?:\([^)]{0,60}\))?\s*[?:]?\s*", after):
            return key, "", False
        if _printed_then_value(key, stripped[:end], after):
            return key, after.strip(), True
    own = OWN_LABEL.match(stripped)
    # A label of the applicant's own wording is written as a label is: starting with a capital.
    if own and own.group(1)[:1].isupper():
        key = label_key(own.group(1))
        if key is not None:
            return key, stripped[own.end() :], True
    return None


def _printed_then_value(key: str, label: str, after: str) -> bool:
    """The form's printed label, one space, and a value that can only be that blank's ("Phone # 307-555-0193").

    Text copied from a printed PDF often keeps one space where the page had a gap; the printed
    wording is the label only when what follows fits its blank.
    """
    if PRINTED.get(key) != fold_key(label) or not re.match(r" \S", after):
        return False
    first = re.split(r"\s{2,}|\t", after.strip())[0]
    return plausibility(key, first) > 0


def split_more_labels(key: str, value: str) -> list[tuple[str, str]]:
    """ "City: Cheyenne  State: WY  Zip: 82001" on one line: each label takes its own value."""
    regex, _ = label_table()
    folded = fold_with_gaps(value)
    out: list[tuple[str, str]] = []
    current, start = key, 0
    starts = [(m.start(), m.end(), key_for(m.group(1))) for m in regex.finditer(folded)]
    # Labels of the applicant's own wording after a wide gap or a tab: "Zip code: 82001".
    for m in re.finditer(r"(?:^|\s{2,}|\t)([^:\t]{1,30}?)\s*:", value):
        own = label_key(m.group(1))
        if own is not None and not any(s <= m.start(1) < e for s, e, _ in starts):
            starts.append((m.start(1), m.end(1), own))
    for s, e, nxt in sorted(starts):
        if s < start:
            continue
        sep = re.match(r"\s*#?\s*[:|]", value[e:])
        if s == 0 and sep is None:
            continue  # a value that begins with a label's words ("Library Director")
        if sep is None and re.search(r"(?:\s{2}|\t)$", value[:s]) and value[s : s + 1].isupper():
            # Table cells joined on one line ("Name  Zoë Ruiz  Phone #  307-555-0176").
            sep = re.match(r"(?:\s{2,}|\t)\s*(?=\S)", value[e:])
            if sep is None and nxt and _printed_then_value(nxt, value[s:e], value[e:]):
                sep = re.match(r" ", value[e:])
        if sep is None or nxt is None or nxt in MULTILINE:
            continue
        # "Address:     City: Rapid City": the first blank left empty, the next one filled.
        out.append((current, value[start:s]))
        current, start = nxt, e + sep.end()
    # A label standing last after a wide gap, its blank left empty: "...  Supervisor email".
    last = [(s, e, k) for s, e, k in starts if s > start and k and k not in MULTILINE and e >= len(value.rstrip())
            and re.search(r"(?:\s{2}|\t)\s*$", value[:s]) and value[s : s + 1].isupper()]
    if last:
        out.append((current, value[start : last[-1][0]]))
        current, start = last[-1][2], len(value)
    out.append((current, value[start:]))
    return out
