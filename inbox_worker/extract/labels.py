"""The form's words as patterns: labels, headings and options to find in text.

Built once from `inbox_worker.form`, so the readers recognise exactly the
labels, aliases and options defined there. Matching works on a folded copy
of a line (accents dropped, lower case, punctuation as spaces) that keeps
every character's position, so a match can be cut out of the original text.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from inbox_worker import form
from inbox_worker.extract.normalize import fold_key

# Keys the reader fills that are not text fields of the form.
SUPPORT = "supervisor_support"
CATEGORIES = "categories"

# Words people use for the supervisor question and for "the boxes I ticked".
SUPPORT_ALIASES = (
    "supervisor approval",
    "supervisor support",
    "supervisor permission",
    "supervisor approved",
    "supervisor s support",
    "supervisor s approval",
    "supervisor s permission",
    "supervisor consent",
    "support of supervisor",
    "supervisor support secured",
    "has supervisor support",
    "supervisor agrees",
    "supervisor sign off",
    "supervisor ok",
    "secured supervisor support",
    "direct supervisor support",
    "supervisor aware",
    "supervisor supports",
    "supervisor s ok",
)
CATEGORY_ALIASES = (
    "categories",
    "category",
    "check all that apply",
    "protege categories",
    "mentor categories",
    "protege mentor categories",
    "mentor protege categories",
    "which apply",
    "protege category",
    "mentor category",
    "protege type",
    "mentor type",
    "which describes you",
    "describes you",
    "which apply to you",
    "what describes you",
    "i am",
    "i am a",
    "check all that apply",
    "checked",
    "boxes checked",
    "selected categories",
    "applicable categories",
)
# Labels for a city, state and zip written on one line ("City, State, Zip: Sundance, WY 82729").
PLACE = "place"
PLACE_ALIASES = (
    "city state zip",
    "city state zip code",
    "city st zip",
    "city state and zip",
    "city state & zip",
    "city state postal code",
    "town state zip",
)


class _FoldTable(dict):
    """str.translate's table for `fold_chars`, filled one character at a time as they are met.

    Folding was a Python loop over every character of every line, several
    times a line: the hottest code in extraction. A character folds the same
    way every time, so each is worked out once. The table stops growing at
    FOLD_TABLE_MAX entries, so text made of every Unicode character cannot
    make it large.
    """

    def __missing__(self, code: int) -> str:
        base = unicodedata.normalize("NFKD", chr(code))[:1].lower()[:1] or " "
        folded = base if (base.isalnum() and base.isascii()) or base in "#@" else " "
        if len(self) < FOLD_TABLE_MAX:
            self[code] = folded
        return folded


FOLD_TABLE_MAX = 20_000
_FOLD = _FoldTable()


def fold_chars(text: str) -> str:
    """`text` lower-cased without accents, every non-word character a space, same length."""
    return text.translate(_FOLD)


_GAP = re.compile(r"\s{2,}|\t")


def fold_with_gaps(text: str) -> str:
    """`fold_chars`, with the text's column gaps (two spaces or more, a tab) kept as "|": a label's
    words never span one, so "City    ST" in a row of labelled values is two labels, not one."""
    folded = fold_chars(text)
    if "  " not in text and "\t" not in text:
        return folded
    chars = list(folded)
    for m in _GAP.finditer(text):
        chars[m.start() : m.end()] = "|" * (m.end() - m.start())
    return "".join(chars)


def pattern_for(words: str) -> str:
    """A regex for a folded phrase, loose about the spaces between words."""
    parts = [re.escape(w) for w in fold_key(words).split()]
    return r"\s*".join(parts)


def _norm(words: str) -> str:
    return " ".join(re.sub(r"\s+", " ", fold_key(words)).split())


@lru_cache(maxsize=1)
def label_table() -> tuple[re.Pattern[str], dict[str, str]]:
    """Every label and alias a "Label: value" line may start with, mapped to its key."""
    names: dict[str, str] = {}
    for f in form.TEXT_FIELDS:
        for words in (f.label, *f.aliases):
            names.setdefault(_norm(words), f.key)
    for words in (form.ROLE.heading, *form.ROLE.aliases):
        names.setdefault(_norm(words), "role")
    for words in (form.PROTEGE_CATEGORIES.heading, *form.PROTEGE_CATEGORIES.aliases):
        names.setdefault(_norm(words), "protege_categories")
    for words in (form.MENTOR_CATEGORIES.heading, *form.MENTOR_CATEGORIES.aliases):
        names.setdefault(_norm(words), "mentor_categories")
    for words in (*SUPPORT_ALIASES, form.SUPERVISOR_QUESTION):
        names.setdefault(_norm(words), SUPPORT)
    for words in CATEGORY_ALIASES:
        names.setdefault(_norm(words), CATEGORIES)
    for words in PLACE_ALIASES:
        names[_norm(words)] = PLACE
    # Words that also name things: "Protégé" or "Mentor" alone are options, not labels.
    names.pop("", None)
    ordered = sorted(names, key=len, reverse=True)
    regex = re.compile(
        r"(?<![a-z0-9])("
        + "|".join(r"\s*".join(re.escape(w) for w in n.split()) for n in ordered)
        + r")(?![a-z0-9])"
    )
    return regex, names


@lru_cache(maxsize=1)
def _labels_by_first_word() -> dict[str, list[tuple[re.Pattern[str], str]]]:
    out: dict[str, list[tuple[re.Pattern[str], str]]] = {}
    for name, key in sorted(label_table()[1].items(), key=lambda kv: len(kv[0]), reverse=True):
        words = name.split()
        regex = re.compile(r"\s*".join(re.escape(w) for w in words) + r"(?![a-z0-9])")
        out.setdefault(words[0][:1], []).append((regex, key))
    return out


def labels_at(folded: str, pos: int = 0) -> list[tuple[str, int]]:
    """Every label that starts at `pos` of a folded line, longest first: [(key, end)]."""
    while pos < len(folded) and folded[pos] == " ":
        pos += 1
    head = folded[pos : pos + 1]
    out = []
    for regex, key in _labels_by_first_word().get(head, ()):
        m = regex.match(folded, pos)
        if m:
            out.append((key, m.end()))
    return out


def key_for(folded: str) -> str | None:
    """The record key a folded label names, or None."""
    return label_table()[1].get(" ".join(folded.split()))


# Labels that sit on the printed form's underscore rows (values above, label beneath).
ROW_KEYS = tuple(k for row in (*form.FORM_ROWS, form.SUPERVISOR_ROW) for k in row)


@lru_cache(maxsize=1)
def row_label_regex() -> re.Pattern[str]:
    names = set()
    for key in ROW_KEYS:
        f = form.TEXT_FIELD_BY_KEY[key]
        names.update(_norm(w) for w in (f.label, *f.aliases))
    names.discard("")
    ordered = sorted(names, key=len, reverse=True)
    return re.compile(
        r"(?<![a-z0-9])("
        + "|".join(r"\s*".join(re.escape(w) for w in n.split()) for n in ordered)
        + r")(?![a-z0-9])"
    )


# ---------------------------------------------------------------- headings and prose


@dataclass(frozen=True)
class Heading:
    kind: str
    text: str
    starts: tuple[str, ...]


HEADINGS: tuple[Heading, ...] = (
    Heading(
        "title",
        form.TITLE,
        (
            "wyoming library association s mentoring program application",
            "wla mentoring program application",
            "mentoring program application",
        ),
    ),
    Heading("open_to", form.OPEN_TO, ("the wla mentoring program is open",)),
    Heading("applicant", form.APPLICANT_INFORMATION, ("applicant information",)),
    Heading("skip_note", form.SKIP_NOTE, ("if supervisor permission is not required",)),
    Heading(
        "support",
        form.SUPERVISOR_QUESTION,
        ("the applicant has secured the support", "applicant has secured the support"),
    ),
    Heading("if_yes", form.IF_YES, ("if you answered yes",)),
    Heading("role", form.ROLE_QUESTION, ("position you are applying for", "position applying for")),
    Heading(
        "protege_categories",
        form.PROTEGE_HEADING,
        (
            "proteges check all that apply",
            "protege check all that apply",
            "proteges check all",
            "protege categories",
        ),
    ),
    Heading(
        "mentor_categories",
        form.MENTOR_HEADING,
        (
            "mentors check all that apply",
            "mentor check all that apply",
            "mentors check all",
            "mentor categories",
        ),
    ),
    Heading("goals", form.GOALS_QUESTION, ("protege applicants", "please write specific goals")),
    Heading("strengths", form.STRENGTHS_QUESTION, ("mentor applicants", "please write strengths")),
    Heading("submit", form.SUBMIT, ("submit this form",)),
)


def heading_of(text: str) -> Heading | None:
    """The form heading a line starts, if any."""
    key = fold_key(text)
    if not key:
        return None
    for h in HEADINGS:
        for start in h.starts:
            if key.startswith(start):
                return h
    return None


@lru_cache(maxsize=1)
def _prose() -> tuple[str, ...]:
    texts = [h.text for h in HEADINGS] + [form.PROGRAM_INBOX]
    return tuple(fold_key(t) for t in texts)


def is_prose(text: str) -> bool:
    """True when the line is a piece of the form's printed wording, not something typed in."""
    key = fold_key(text)
    if not key:
        return False
    if heading_of(text) is not None:
        return True
    if len(key.split()) < 3:
        return key in ("applicant information", fold_key(form.PROGRAM_INBOX))
    return any(key in p for p in _prose())
