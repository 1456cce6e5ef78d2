"""Normal forms for the values read off an application form.

Each function takes what the applicant wrote (already cut out of the form)
and returns the contract's normal form (`application-record.md`), or None
when nothing usable is left: a value that is only underscores, a label, or
something that cannot be the field (a state that is no state) becomes None
rather than a guess. All functions are pure and never raise on odd input.
"""

from __future__ import annotations

import functools
import re
import unicodedata

from inbox_worker import form

# Underscore runs are the form's blank lines; a lone underscore may be part of an address.
UNDERSCORES = re.compile(r"_{2,}")
SPACES = re.compile(r"\s+")
EMAIL = re.compile(r"[A-Za-z0-9._%+'\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+")
# A zip, with its four more digits after a dash, a space, a dot or run on ("82001-1234", "82001 1234",
# "82001.1234", "820011234").
ZIP = re.compile(r"(?<!\d)(\d{5})(?:(?:\s*[-\u2013]\s*|\s|\.)(\d{4})|(\d{4}))?(?!\d)")
# What people leave in a blank on purpose: "N/A", "none", a dash; said with or without a full stop.
EMPTY_WORDS = {"", "n/a", "na", "none", "-", "--", "---", "\u2013", "\u2014", "x", "tbd", "n.a.", "n.a",
               "not applicable", "nil", "no", "none given", "does not apply", "not required", "same", "?"}

US_STATES = {
    "AL": "alabama",
    "AK": "alaska",
    "AZ": "arizona",
    "AR": "arkansas",
    "CA": "california",
    "CO": "colorado",
    "CT": "connecticut",
    "DE": "delaware",
    "DC": "district of columbia",
    "FL": "florida",
    "GA": "georgia",
    "HI": "hawaii",
    "ID": "idaho",
    "IL": "illinois",
    "IN": "indiana",
    "IA": "iowa",
    "KS": "kansas",
    "KY": "kentucky",
    "LA": "louisiana",
    "ME": "maine",
    "MD": "maryland",
    "MA": "massachusetts",
    "MI": "michigan",
    "MN": "minnesota",
    "MS": "mississippi",
    "MO": "missouri",
    "MT": "montana",
    "NE": "nebraska",
    "NV": "nevada",
    "NH": "new hampshire",
    "NJ": "new jersey",
    "NM": "new mexico",
    "NY": "new york",
    "NC": "north carolina",
    "ND": "north dakota",
    "OH": "ohio",
    "OK": "oklahoma",
    "OR": "oregon",
    "PA": "pennsylvania",
    "RI": "rhode island",
    "SC": "south carolina",
    "SD": "south dakota",
    "TN": "tennessee",
    "TX": "texas",
    "UT": "utah",
    "VT": "vermont",
    "VA": "virginia",
    "WA": "washington",
    "WV": "west virginia",
    "WI": "wisconsin",
    "WY": "wyoming",
    "PR": "puerto rico",
}
# Old postal and newspaper abbreviations people still write.
STATE_ABBREVIATIONS = {
    "wyo": "WY",
    "mont": "MT",
    "colo": "CO",
    "neb": "NE",
    "nebr": "NE",
    "ida": "ID",
    "calif": "CA",
    "cal": "CA",
    "ariz": "AZ",
    "ark": "AR",
    "conn": "CT",
    "del": "DE",
    "fla": "FL",
    "ill": "IL",
    "ind": "IN",
    "kan": "KS",
    "kans": "KS",
    "mass": "MA",
    "mich": "MI",
    "minn": "MN",
    "miss": "MS",
    "nev": "NV",
    "okla": "OK",
    "ore": "OR",
    "oreg": "OR",
    "penn": "PA",
    "penna": "PA",
    "tenn": "TN",
    "tex": "TX",
    "wash": "WA",
    "wis": "WI",
    "wisc": "WI",
    "s dak": "SD",
    "n dak": "ND",
    "so dak": "SD",
    "no dak": "ND",
    "w va": "WV",
}
STATE_BY_NAME = {name: code for code, name in US_STATES.items()}


def fold_key(text: str) -> str:
    """Text reduced for comparing words: no accents, lower case, punctuation as spaces."""
    # Labels, headings and option names are folded again and again: remember the short ones.
    return _fold_key_cached(text) if len(text) <= 300 else _fold_key(text)


@functools.lru_cache(maxsize=8192)
def _fold_key_cached(text: str) -> str:
    return _fold_key(text)


def _fold_key(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    return " ".join(re.sub(r"[^a-z0-9#@]+", " ", text).split())


def strip_blank(value: str | None) -> str | None:
    """A value with the form's underscores and stray separators removed; None when nothing is left."""
    if value is None:
        return None
    text = str(value).replace("\u00a0", " ")
    text = UNDERSCORES.sub(" ", text)
    # A separator left where a second value was taken off ("Ezra Stone -", "Casper,") goes too.
    text = text.strip(" \t\r\n_:|;,").rstrip(" -\u2013/").lstrip(" -\u2013/")
    text = SPACES.sub(" ", text).strip()
    if not text or text.lower() in EMPTY_WORDS or text.lower().rstrip(".! ") in EMPTY_WORDS:
        return None
    if is_label(text):
        return None
    return text


def is_label(text: str) -> bool:
    """True when the text is nothing but one of the form's labels (a blank left unfilled)."""
    key = fold_key(text)
    return bool(key) and key in _label_keys()


_LABELS: set[str] = set()


def _label_keys() -> set[str]:
    if not _LABELS:
        for f in form.TEXT_FIELDS:
            _LABELS.add(fold_key(f.label))
            _LABELS.update(fold_key(a) for a in f.aliases)
        for c in form.CHOICES:
            _LABELS.add(fold_key(c.heading))
            _LABELS.update(fold_key(a) for a in c.aliases)
        _LABELS.discard("")
    return _LABELS


def fold_text(value: str | None) -> str | None:
    """Free text as the record keeps it: the applicant's words, line breaks folded to spaces."""
    if value is None:
        return None
    text = UNDERSCORES.sub(" ", str(value).replace("\u00a0", " "))
    text = SPACES.sub(" ", text).strip()
    text = text.strip("_ ")
    if NOT_APPLICABLE.match(text) and len(text.split()) <= 8:
        return None  # "N/A (applying as a mentor)": the question does not apply, nothing was answered
    return text or None


NOT_APPLICABLE = re.compile(r"^\s*(?:n\s*/\s*a|n\.a\.|not applicable|none|does not apply)\s*(?:[-\u2013(,;:.]|$)", re.I)


def text_value(value: str | None) -> str | None:
    """A one-line text field (name, address, library, position...)."""
    return strip_blank(value)


def email(value: str | None) -> str | None:
    """The first email address in the value, lower case."""
    if not value:
        return None
    # The form's blank lines run into an address typed over them ("__jo@lib.example__").
    text = UNDERSCORES.sub(" ", str(value))
    found = EMAIL.search(text) or EMAIL.fullmatch(_spelled_out(text.strip()))
    return found.group(0).strip(".'-_").lower() if found else None


# An address spelled out against harvesters: "jo at lib dot org", "jo (at) lib [dot] org".
_SPELLED_AT = re.compile(r"\s*[(\[{<]\s*at\s*[)\]}>]\s*|\s+at\s+", re.I)
_SPELLED_DOT = re.compile(r"\s*[(\[{<]\s*dot\s*[)\]}>]\s*|\s+dot\s+", re.I)


def _spelled_out(text: str) -> str:
    """The address written with "at" and "dot" as words, put back; anything else unchanged."""
    if "@" in text or len(_SPELLED_AT.findall(text)) != 1:
        return text
    return _SPELLED_DOT.sub(".", _SPELLED_AT.sub("@", text))


def phone(value: str | None) -> str | None:
    """The phone number as written, with its extension; None unless it holds a number of 7 to 15 digits.

    Words around it ("(cell)", "work", a second number, an email address) are left out.
    """
    text = strip_blank(value)
    if not text:
        return None
    import phonenumbers

    try:
        found = next(iter(phonenumbers.PhoneNumberMatcher(text, "US", leniency=phonenumbers.Leniency.POSSIBLE)),
                     None)
    except Exception:  # the matcher's own failures mean no number found
        found = None
    if found is not None:
        text = found.raw_string
    elif not re.fullmatch(r"[+\d\s().\-\u2013/]{7,}(?:\s*(?:x|ext\.?|extension)\s*\d+)?", text, re.I):
        return None
    digits = re.sub(r"\D", "", text)
    if not 7 <= len(digits) <= 15:
        return None
    return text


def zip_code(value: str | None) -> str | None:
    """5 digits, or ZIP+4 written as 12345-6789."""
    text = strip_blank(value)
    if not text:
        return None
    found = ZIP.search(text)
    if not found:
        return None
    plus = found.group(2) or found.group(3)
    return found.group(1) + (f"-{plus}" if plus else "")


def state(value: str | None) -> str | None:
    """A US state as its two-letter code, upper case ("Wyoming", "Wyo.", "wy" -> "WY")."""
    text = strip_blank(value)
    if not text:
        return None
    key = " ".join(re.sub(r"[^a-z ]+", " ", fold_key(text)).split())
    if not key:
        return None
    if len(key) == 2 and key.upper() in US_STATES:
        return key.upper()
    if key in STATE_BY_NAME:
        return STATE_BY_NAME[key]
    if key in STATE_ABBREVIATIONS:
        return STATE_ABBREVIATIONS[key]
    # "WY 82001" or "Wyoming." written with a zip or a trailing word.
    first = key.split()[0]
    if len(first) == 2 and first.upper() in US_STATES and len(key.split()) == 1:
        return first.upper()
    if "wyoming" in key.split():
        return "WY"
    return None


# Library type: the first rule that matches wins, so specific kinds come before "public",
# whose words (county, city, branch) also appear in the names of other kinds.
LIBRARY_TYPE_RULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("tribal", ("tribal", "tribe", "reservation", "native american")),
    (
        "school",
        (
            "school",
            "k 12",
            "k12",
            "k 8",
            "elementary",
            "junior high",
            "media center",
            "media centre",
            "teacher librarian",
            "high school",
        ),
    ),
    (
        "academic",
        (
            "academic",
            "college",
            "university",
            "universities",
            "campus",
            "higher ed",
            "higher education",
            "univ",
        ),
    ),
    ("state", ("state library", "state agency", "state government", "state")),
    (
        "special",
        (
            "special",
            "law",
            "legal",
            "hospital",
            "medical",
            "health",
            "corporate",
            "museum",
            "government",
            "research",
            "archive",
            "archives",
            "prison",
            "correctional",
            "business",
            "court",
            "military",
            "historical",
            "federal",
        ),
    ),
    (
        "public",
        (
            "public",
            "county",
            "city",
            "municipal",
            "branch",
            "town",
            "regional",
            "library system",
            "library district",
            "rural",
        ),
    ),
)


def library_type(value: str | None) -> str | None:
    """What the applicant wrote under "Library Type", as one of the contract's types."""
    if value and fold_key(UNDERSCORES.sub(" ", value)) in form.LIBRARY_TYPES:
        return fold_key(UNDERSCORES.sub(" ", value))  # "State" is a type here, not the State label
    text = strip_blank(value)
    if not text:
        return None
    boxed = _boxed_options(text)
    if boxed is not None:
        # "[ ] Public [X] Academic [ ] School": the kinds offered as boxes, the one ticked is the answer.
        ticked = [words for mark, words in boxed if mark]
        return library_type(ticked[0]) if len(ticked) == 1 else None
    key = fold_key(text)
    if key in form.LIBRARY_TYPES:
        return key
    if key.startswith("other"):
        return "other"
    words = f" {key} "
    for kind, needles in LIBRARY_TYPE_RULES:
        if any(f" {needle} " in words for needle in needles):
            return kind
    # Something written that fits no kind: the form's own catch-all, but only for a short answer.
    return "other" if len(key) <= 30 else None


# A box before an option: "[ ]", "[X]", "( )", "(x)", "☐", "☒", "_X_", "___".
_BOX_BEFORE = re.compile(r"(\[[^\]]{0,3}\]|\([^)]{0,3}\)|[\u2610\u2611\u2612]|_+[xX\u2713\u2714]?_+)\s*")


def _boxed_options(text: str) -> list[tuple[bool, str]] | None:
    """(ticked, words) for each option after a box, when the text is two or more boxed options; else None."""
    parts = _BOX_BEFORE.split(text)
    if len(parts) < 5 or parts[0].strip():
        return None
    out = []
    for mark, words in zip(parts[1::2], parts[2::2], strict=False):
        inner = mark.strip("[]()_ ")
        out.append((bool(inner) and inner not in ("\u2610",), words.strip(" ,;/")))
    return out


def bool_yes(value: str | bool | None) -> bool | None:
    """True where the answer marks Yes; None for blanks, No and anything unclear."""
    if isinstance(value, bool):
        return True if value else None
    if value is None:
        return None
    text = str(value).strip()
    if not text or set(text) <= set("_ .-:"):
        return None
    key = fold_key(text)
    if key.startswith(("no ", "not ")) or key in ("no", "n", "not required", "n a", "na", "none"):
        return None
    if (
        is_mark(text)
        or key.startswith(("yes", "y "))
        or key in ("y", "yes", "true", "on", "checked", "approved")
    ):
        return True
    return None


# Marks people type into or beside a box to tick it.
CLEAR_MARKS = (
    "xX\u00d7\u2713\u2714\u2715\u2716\u2717\u2718\u2612\u2611\u25a0\u25cf\u221a\u25c9\u25aa"
    "\U0001f5f9\U0001f5f8"
)


def is_mark(text: str) -> bool:
    """True for a typed tick: X, ✓, ☒, [x], (X), (*), "yes" in a box."""
    t = text.strip().strip("[](){}<> ").strip()
    if not t:
        return False
    if t.lower() in ("x", "xx", "yes", "y", "*", "checked"):
        return True
    return all(c in CLEAR_MARKS or c.isspace() for c in t)
