"""The normalisers: what an applicant wrote -> the contract's normal form (or None)."""

from __future__ import annotations

import unicodedata

import pytest

from inbox_worker.extract import labels, normalize
from inbox_worker.extract.labels import fold_chars

LIBRARY_TYPES = [
    ("Public", "public"),
    ("Public library", "public"),
    ("County library", "public"),
    ("Public - county", "public"),
    ("Public (county)", "public"),
    ("City/county", "public"),
    ("Community college", "academic"),
    ("University", "academic"),
    ("Academic", "academic"),
    ("Sheridan College Library", "academic"),
    ("K-12", "school"),
    ("High school", "school"),
    ("Elementary school library", "school"),
    ("Law library", "special"),
    ("Hospital/medical", "special"),
    ("Special", "special"),
    ("County law library", "special"),
    ("State library", "state"),
    ("State", "state"),
    ("State university", "academic"),
    ("Tribal", "tribal"),
    ("Tribal college", "tribal"),
    ("Other", "other"),
    ("Other - prison", "other"),
    ("____", None),
    ("", None),
    (None, None),
]
STATES = [
    ("WY", "WY"),
    ("wy", "WY"),
    ("Wyoming", "WY"),
    ("Wyo.", "WY"),
    ("WYOMING", "WY"),
    ("Montana", "MT"),
    ("Colo.", "CO"),
    ("south dakota", "SD"),
    ("N/A", None),
    ("___", None),
    ("Zz", None),
    ("State", None),
]
ZIPS = [
    ("82001", "82001"),
    ("82901-4410", "82901-4410"),
    ("82901 - 4410", "82901-4410"),
    ("829014410", "82901-4410"),
    ("WY 82001", "82001"),
    ("8200", None),
    ("____", None),
]
PHONES = [
    ("307-555-0144", "307-555-0144"),
    (" (307) 555-0153 ", "(307) 555-0153"),
    ("+1 307 555 0191", "+1 307 555 0191"),
    ("555", None),
    ("___", None),
]
EMAILS = [
    ("MTillman@Example.NET", "mtillman@example.net"),
    ("mailto:a.b@c.example.", "a.b@c.example"),
    ("Jo <jo@x.example>", "jo@x.example"),
    ("none", None),
]
FOLDS = [
    ("Line one\nline two__\n\n  three", "Line one line two three"),
    ("Noëlle’s “hard” words", "Noëlle’s “hard” words"),
    ("____\n____", None),
]
VALUES = [
    ("Margo Tillman_____", "Margo Tillman"),
    ("  Name  ", None),
    ("Library Name", None),
    ("n/a", None),
    ("Hal Brennan, Assistant Director", "Hal Brennan, Assistant Director"),
]
YES = [
    ("Yes", True),
    ("yes - she approved", True),
    ("X", True),
    ("✓", True),
    ("[x]", True),
    ("No", None),
    ("___", None),
    ("", None),
    ("not required", None),
    (True, True),
    (False, None),
]


@pytest.mark.parametrize(("raw", "want"), LIBRARY_TYPES)
def test_library_type(raw, want):
    """Library types are read by kind, specific kinds before "public"."""
    assert normalize.library_type(raw) == want


@pytest.mark.parametrize(("raw", "want"), STATES)
def test_state(raw, want):
    """States become two upper-case letters; anything else is None."""
    assert normalize.state(raw) == want


@pytest.mark.parametrize(("raw", "want"), ZIPS)
def test_zip(raw, want):
    """Zip codes are five digits or ZIP+4."""
    assert normalize.zip_code(raw) == want


@pytest.mark.parametrize(("raw", "want"), PHONES)
def test_phone(raw, want):
    """Phones stay as written, trimmed, when they hold enough digits."""
    assert normalize.phone(raw) == want


@pytest.mark.parametrize(("raw", "want"), EMAILS)
def test_email(raw, want):
    """Email addresses are found in the value and lower-cased."""
    assert normalize.email(raw) == want


@pytest.mark.parametrize(("raw", "want"), FOLDS)
def test_fold_text(raw, want):
    """Free text keeps the words and accents, folds lines and drops underscores."""
    assert normalize.fold_text(raw) == want


@pytest.mark.parametrize(("raw", "want"), VALUES)
def test_text_value(raw, want):
    """One-line values lose leftover underscores; a label alone is no value."""
    assert normalize.text_value(raw) == want


@pytest.mark.parametrize(("raw", "want"), YES)
def test_bool_yes(raw, want):
    """Only a Yes or a tick is true; No and blanks are null, never false."""
    assert normalize.bool_yes(raw) is want


def _fold_one(ch: str) -> str:
    """fold_chars' rule for one character, written out plainly."""
    base = unicodedata.normalize("NFKD", ch)[:1].lower()[:1] or " "
    return base if (base.isalnum() and base.isascii()) or base in "#@" else " "


def test_fold_chars_folds_every_character_by_its_rule_and_keeps_the_length():
    """The table-driven fold gives each character what the plain rule gives, across Latin,
    Greek, Cyrillic, symbols, combining marks, CJK and surrogates, and never changes a length."""
    text = "".join(chr(c) for c in [*range(0, 0x3100), *range(0xD7F0, 0xE010), 0xFF21, 0x1F600])
    assert fold_chars(text) == "".join(_fold_one(ch) for ch in text)
    assert fold_chars("Ŕosé-Mañana Library #3 @ WY") == "rose manana library #3 @ wy"


def test_the_fold_table_stops_growing():
    """Text of many distinct characters does not grow the fold table past its bound."""
    fold_chars("".join(chr(c) for c in range(0x4E00, 0x4E00 + labels.FOLD_TABLE_MAX + 5000)))
    assert len(labels._FOLD) <= labels.FOLD_TABLE_MAX
