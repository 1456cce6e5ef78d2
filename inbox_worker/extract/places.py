"""Street, city, state and zip written into one blank, taken apart.

The printed form has four blanks on one line (Address, City, State, Zip
Code), and people often fill the first with all of it ("2084 Capitol Ave,
Thermopolis") or the City blank with "Thermopolis, WY 82443". A careful
reader takes them apart from the end: a 5- or 9-digit zip, then a state (a
two-letter code, a name, an old abbreviation), then the town: after the last
comma, or a Wyoming town's name at the end, or, failing both, the place a
US address parser (`usaddress`) finds there. A town found only that last
way is a guess, and is said to be one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from inbox_worker.extract.normalize import STATE_ABBREVIATIONS, STATE_BY_NAME, US_STATES
from inbox_worker.extract.reading import FormReading
from inbox_worker.extract.wyoming import is_town, town_at_end

ZIP_AT_END = re.compile(r"[\s,]*\b(\d{5}(?:\s*[-\u2013]\s*\d{4}|\s\d{4}|\d{4})?)\s*$")
UNIT = re.compile(r"^(?:apt|apartment|suite|ste|unit|#|lot|bldg|building|fl|floor|room|rm|box|po|p\.?o\.?|space)\b",
                  re.I)
STREET_END = re.compile(r"\b(?:st|street|ave|avenue|rd|road|dr|drive|ln|lane|blvd|way|ct|court|cir|circle|pl|place|"
                        r"hwy|highway|trail|trl|pkwy|parkway|loop|ter|terrace|sq|row)\.?$", re.I)


@dataclass
class Place:
    """What one blank held, taken apart; `certain` is False when the town was found by guess."""

    street: str | None = None
    city: str | None = None
    state: str | None = None
    zip: str | None = None
    certain: bool = True

    def items(self) -> list[tuple[str, str]]:
        pairs = (("address", self.street), ("city", self.city), ("state", self.state), ("zip", self.zip))
        return [(k, v) for k, v in pairs if v]


def _peel_zip(text: str) -> tuple[str, str | None]:
    m = ZIP_AT_END.search(text)
    if m is None or re.search(r"\b(?:box|#|apt|suite|unit|no)\.?\s*$", text[: m.start()].strip(), re.I):
        return text, None
    return text[: m.start()].rstrip(" ,"), m.group(1)


def _peel_state(text: str) -> tuple[str, str | None]:
    """The state written at the end ("WY", "Wyoming", "Wyo.", "South Dakota") and what comes before it."""
    words = text.rstrip(" .").split()
    for take in (2, 1):
        if len(words) < take:
            continue
        written = " ".join(words[-take:]).strip(" ,")
        if not strict_state(written):
            continue
        before = text[: text.rstrip(" .").rfind(words[-take])]
        # A two-letter code in lower case is a word, unless a comma or a town sets it apart ("Lander wy").
        if (len(written.rstrip(".")) == 2 and not written.isupper() and not before.rstrip().endswith(",")
                and not is_town(before.rpartition(",")[2].strip()) and town_at_end(before) is None):
            return text, None
        return before.rstrip(" ,"), written
    return text, None


def strict_state(written: str) -> bool:
    """True when the words are a state's code, name or old abbreviation, and nothing else."""
    key = " ".join(re.sub(r"[^a-z ]+", " ", written.lower()).split())
    return bool(key) and (key.upper() in US_STATES if len(key) == 2 else key in STATE_BY_NAME
                          or key in STATE_ABBREVIATIONS)


def split_place(text: str) -> Place | None:
    """ "Thermopolis, WY 82443", "Lander WY", "Casper, Wyoming": the town, state and zip; None if it is not that."""
    text = " ".join(text.replace("\n", ", ").split()).strip(" ,")
    rest, code = _peel_zip(text)
    rest, state = _peel_state(rest)
    if state is None:
        return None
    rest = rest.strip(" ,")
    if not rest or re.search(r"\d", rest) or len(rest.split()) > 4 or UNIT.match(rest):
        return None
    return Place(city=rest, state=state, zip=code)


def split_address(text: str) -> Place | None:
    """The street line and the place after it, when the Address blank holds both; None when it is a street alone."""
    flat = " ".join(text.replace("\n", ", ").split()).strip(" ,")
    if not re.search(r"\d", flat):
        return split_place(flat)
    rest, code = _peel_zip(flat)
    before_state, state = _peel_state(rest)
    if state is not None and before_state and not re.search(r"\d", before_state):
        return Place(city=before_state, state=state, zip=code, certain=is_town(before_state))
    if state is not None:
        street, city, certain = _street_and_town(before_state)
        if city is not None:
            return Place(street=street, city=city, state=state, zip=code)
        if code or "," in rest:
            return Place(street=before_state or None, state=state, zip=code)
        # "500 S Wyoming" is a street named for the state, not a street and a state.
    street, city, certain = _street_and_town(rest)
    if city is None:
        return Place(street=rest or None, zip=code) if code else None
    return Place(street=street, city=city, zip=code, certain=certain or bool(code))


def _streetlike(text: str) -> bool:
    """A street line: a number and a word, or a post office box."""
    return bool(re.search(r"\d", text)) and bool(re.search(r"[A-Za-z]{2}", text))


def _street_and_town(text: str) -> tuple[str | None, str | None, bool]:
    """(street, town, certain) for "2084 Capitol Ave, Thermopolis"; (text, None, True) when no town is in it."""
    if "," in text:
        head, _, tail = text.rpartition(",")
        tail, head = tail.strip(), head.strip()
        if (tail and head and not re.search(r"\d", tail) and not UNIT.match(tail) and _streetlike(head)
                and (not STREET_END.search(tail) or is_town(tail)) and len(tail.split()) <= 4):
            return head, tail, is_town(tail)
    found = town_at_end(text)
    if found is not None and _streetlike(found[0]):
        return found[0], found[1], True
    guessed = _usaddress_place(text)
    if guessed is not None:
        return guessed[0], guessed[1], False
    return text, None, True


def _usaddress_place(text: str) -> tuple[str, str] | None:
    """The place a US address parser finds at the end of a street line, or None."""
    try:
        import usaddress

        tokens = usaddress.parse(text)
    except Exception:  # the parser's own failures mean no place found
        return None
    place = []
    for token, label in reversed(tokens):
        if label != "PlaceName":
            break
        place.insert(0, token)
    if not place or len(place) == len(tokens):
        return None
    street = text[: text.rfind(place[0])].rstrip(" ,")
    city = " ".join(place).strip(" ,")
    if not _streetlike(street) or re.search(r"\d", city) or STREET_END.search(city):
        return None
    return street, city


def _state_and_zip(text: str) -> Place | None:
    """ "WY 82001" written in the State blank: the state and the zip."""
    rest, code = _peel_zip(text)
    if code is None or not strict_state(rest.strip(" ,.")):
        return None
    return Place(state=rest.strip(" ,"), zip=code)


def split_blanks(reading: FormReading) -> None:
    """A street and its town written in the Address blank, or "Town, ST ZIP" in City, taken apart.

    The parts go to their own blanks unless those were read on their own;
    a town found only by guess is marked uncertain.
    """
    for key, split in (("address", split_address), ("city", split_place), ("state", _state_and_zip)):
        held = reading.readings.get(key)
        if held is None or not isinstance(held.value, str):
            continue
        place = split(held.written or held.value)
        if place is None:
            continue
        for part, value in place.items():
            if part == key:
                reading.readings.pop(key, None)
                reading.put(key, value, held.confidence, held.how, held.certain)
                continue
            if part == "address":
                continue
            certain = place.certain or part != "city"
            reading.put(part, value, held.confidence - 0.05, f"{held.how}, taken apart", certain)
        if key == "address" and place.street is None:
            reading.readings.pop("address", None)
