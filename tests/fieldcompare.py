"""Field-by-field comparison of a parsed record with an expected one.

The same rules as the program's scorer (shared/tools/score.py), so the
fixture suite and the scorer agree on what counts as right:

* strings: Unicode NFC, curly quotes made straight, case-folded, whitespace
  collapsed, trailing . , ; : ! ? stripped
* phone: digits only, a leading 1 dropped from 11 digits
* email fields: lower-cased
* category lists: compared as sets
* goals / strengths: equal when difflib's SequenceMatcher ratio of the
  normalised texts is at least 0.9
* null, "", [] and a missing key are all the same empty value
* extra keys in the output are ignored

A "wrong guess" is a value where null (or []) was expected.
"""
from __future__ import annotations

import difflib
import re
import unicodedata

TRAILING = ".,;:!?"
TEXT_FIELDS = {"goals", "strengths"}
PHONE_FIELDS = {"phone"}
EMAIL_FIELDS = {"email", "supervisor_email"}
LIST_FIELDS = {"protege_categories", "mentor_categories"}
BOOL_FIELDS = {"supervisor_support"}
TEXT_RATIO = 0.9

QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
                        "\u201c": '"', "\u201d": '"', "\u201e": '"'})


def is_empty(v) -> bool:
    if v is None:
        return True
    if isinstance(v, str):
        return v.strip() == ""
    if isinstance(v, (list, tuple, dict)):
        return len(v) == 0
    return False


def norm_text(v) -> str:
    s = unicodedata.normalize("NFC", str(v)).translate(QUOTES)
    s = " ".join(s.split()).casefold()
    return s.rstrip(TRAILING + " ")


def norm_phone(v) -> str:
    d = re.sub(r"\D", "", str(v))
    if len(d) == 11 and d.startswith("1"):
        d = d[1:]
    return d


def field_equal(key: str, exp, got) -> bool:
    """True when got counts as the expected value for this key."""
    if is_empty(exp) or is_empty(got):
        return is_empty(exp) and is_empty(got)
    if key in BOOL_FIELDS:
        return isinstance(got, bool) and got == exp
    if key in LIST_FIELDS:
        if not isinstance(got, (list, tuple)):
            return False
        return {norm_text(x) for x in exp} == {norm_text(x) for x in got if not is_empty(x)}
    if isinstance(got, (list, tuple, dict, bool)):
        return False
    if key in PHONE_FIELDS:
        return norm_phone(exp) == norm_phone(got)
    if key in EMAIL_FIELDS:
        return str(exp).strip().lower() == str(got).strip().lower()
    if key in TEXT_FIELDS:
        a, b = norm_text(exp), norm_text(got)
        return a == b or difflib.SequenceMatcher(None, a, b, autojunk=False).ratio() >= TEXT_RATIO
    return norm_text(exp) == norm_text(got)


def compare(expected: dict, got: dict | None) -> list[dict]:
    """The wrong fields: [{"field", "expected", "got", "guess"}]; got None means no record at all."""
    got = got or {}
    wrong = []
    for k, exp in expected.items():
        g = got.get(k)
        if not field_equal(k, exp, g):
            wrong.append({"field": k, "expected": exp, "got": g, "guess": is_empty(exp) and not is_empty(g)})
    return wrong
