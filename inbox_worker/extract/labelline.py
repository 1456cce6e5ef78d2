"""A "Label: value" line: which blank its label names and the value written after it.

The label may be the form's own wording, an alias, or the applicant's own
words (`vocabulary.label_key`); the separator a colon, a tab, an arrow, a
spaced dash, a wide gap, or for a value whose shape names its blank (a phone
number, an email address, a zip) a single space. Several pairs may share one line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from inbox_worker import form
from inbox_worker.extract.fit import plausibility
from inbox_worker.extract.labels import ROW_KEYS, SUPPORT, fold_chars, fold_with_gaps, key_for, label_table, labels_at
from inbox_worker.extract.normalize import fold_key
from inbox_worker.extract.vocabulary import label_key

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
class Labelled:
    """A "Label: value" line: the key, the value as written, and further pairs on the same line."""

    key: str
    value: str
    separated: bool
    pairs: list[tuple[str, str]] = field(default_factory=list)



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
    return _own_then_value(stripped)


# Blanks whose values say by their shape which blank they fill: a phone number, an address, a zip.
SHAPED = ("phone", "email", "zip")


def _own_then_value(text: str) -> tuple[str, str, bool] | None:
    """A short label of the applicant's own, one space and a value only its blank takes ("Phone no. 307.555.0191")."""
    words = text.split(" ", 4)
    if not text[:1].isupper():
        return None
    for n in range(1, min(4, len(words))):
        key = label_key(" ".join(words[:n]))
        rest = " ".join(words[n:])
        if key in SHAPED and plausibility(key, rest) >= 2:
            return key, rest, True
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
