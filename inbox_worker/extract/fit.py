"""How well a value fits a blank: a phone number in Phone, an email address in Email, a town in City.

Readers that must choose where a value goes (which of a row's blanks, whether
the words after a label are its value) ask this rather than guess. Scores
are small numbers: 2 for a value that can only be that blank's, negative for
one that cannot be.
"""

from __future__ import annotations

import re

from inbox_worker import form
from inbox_worker.extract import normalize
from inbox_worker.extract.places import split_address
from inbox_worker.extract.wyoming import is_town

KIND_PATTERNS = {
    "email": r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+",
    "supervisor_email": r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+",
    "zip": r"\d{5}(?:\s?[-\u2013]?\s?\d{4})?",
    "phone": r"(?:\+?1[\s.-]?)?\(?\d{3}\)?[\s./\u2013-]*\d{3}[\s./\u2013-]*\d{4}(?:\s*(?:x|ext\.?|extension)\s*\d+)?"
             r"(?:\s*\(?[a-z]{1,6}\)?)?",
}
LIBRARY_WORDS = re.compile(r"\b(librar(?:y|ies)|college|university|school|center|centre|archives?|museum|system)\b",
                           re.I)


# The words a kind of library is written in ("county library", "community college", "K-12").
TYPE_WORDS = {word for _, needles in normalize.LIBRARY_TYPE_RULES for needle in needles for word in needle.split()} | {
    *form.LIBRARY_TYPES, "library", "libraries"}


def plausibility(key: str, value: str) -> float:
    """How well a value fits a blank: an address in Email or a name in Zip scores low."""
    value = value.strip(" _")
    if not value:
        return 0.0
    has_email = "@" in value
    digits = len(re.sub(r"\D", "", value))
    if key == "phone":
        # A number as people write it, with an extension or a word ("(307) 555-0104, ext 134", "cell ...").
        found = normalize.phone(value)
        return 2.0 if found and len(re.sub(r"[\d\W]", "", value.replace(found, ""))) <= 6 and "@" not in value \
            else -2.0
    if key in KIND_PATTERNS:
        return 2.0 if re.fullmatch(KIND_PATTERNS[key], value, re.I) else -2.0
    if key == "state":
        return 2.0 if normalize.state(value) and len(value) <= 14 else -2.0
    if has_email or (digits >= 7 and key != "address"):
        return -2.0
    if key == "city":
        return 2.0 if is_town(value) else (0.5 if digits == 0 and len(value.split()) <= 4 else -1.0)
    if key == "address":
        if "\n" in value.strip():
            # A street and, on the next line, its town: both belong to the blank.
            place = split_address(value)
            return 2.0 if place is not None and place.city and (place.state or place.zip) else 0.5
        return 1.5 if digits else 0.0
    if key == "library_name":
        return 1.5 if LIBRARY_WORDS.search(value) else 0.5
    if key == "library_type":
        if normalize.library_type(value) in (None, "other"):
            return 0.0
        # "Public", "County library": nothing but the words of a kind, as sure as a zip's digits.
        return 2.0 if set(normalize.fold_key(value).split()) <= TYPE_WORDS else 1.0
    if key == "name":
        words = value.split()
        capitalised = all(w[:1].isupper() or w.lower() in ("de", "van", "der", "von", "la", "le") for w in words)
        return 1.0 if digits == 0 and 1 < len(words) <= 5 and capitalised else 0.0
    return 0.5 if digits == 0 else 0.0
