"""What a reader made of one Document: each field's value, where from and how sure.

`FormReading.put` normalises a raw value for its key (so every reader hands
in what it cut out of the text and gets the contract's normal form) and
keeps the surest reading of a key. `looks_like_application` is the rule for
"this document holds a filled-in form", shared by every source.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from inbox_worker.extract import normalize
from inbox_worker.form import LIST_KEYS
from inbox_worker.record import CONFIDENT, FieldReading

NORMALISERS = {
    "name": normalize.text_value,
    "address": normalize.text_value,
    "city": normalize.text_value,
    "library_name": normalize.text_value,
    "position": normalize.text_value,
    "supervisor_name": normalize.text_value,
    "phone": normalize.phone,
    "zip": normalize.zip_code,
    "state": normalize.state,
    "email": normalize.email,
    "supervisor_email": normalize.email,
    "library_type": normalize.library_type,
    "goals": normalize.fold_text,
    "strengths": normalize.fold_text,
}
# Blanks people fill with an email address beside what they ask for, and where the address belongs.
SPILLS = {"supervisor_name": "supervisor_email", "name": "email", "phone": "email"}
# Free text of one line that holds an email address or nothing but digits is in the wrong blank.
NO_EMAIL = {"name", "address", "city", "library_name", "position", "supervisor_name", "library_type"}

# What makes a document a filled-in application rather than a question signed with a title.
CORE_KEYS = ("role", "protege_categories", "mentor_categories", "goals", "strengths", "supervisor_support")
CONTACT_KEYS = ("name", "email", "phone", "address")


def clean(key: str, raw: object) -> object:
    """The contract's normal form of a raw value for `key`, or None."""
    if key in LIST_KEYS:
        return sorted(set(raw)) if raw else None  # type: ignore[arg-type]
    if key == "role":
        return raw if raw in ("protege", "mentor") else None
    if key == "supervisor_support":
        return normalize.bool_yes(raw)  # type: ignore[arg-type]
    if not isinstance(raw, str):
        return None
    value = NORMALISERS[key](raw)
    if value is None:
        return None
    if key in NO_EMAIL and ("@" in value or (value.replace("-", "").replace(" ", "").isdigit())):
        return None
    return value


@dataclass
class FormReading:
    """Fields read from one Document."""

    source: str
    readings: dict[str, FieldReading] = field(default_factory=dict)
    # How many of the form's own labels, headings and boxes were seen: evidence of a form.
    evidence: int = 0
    # Keys whose named field was found and left empty: the file itself says the blank is blank.
    blank: set[str] = field(default_factory=set)
    # Read as a letter of application (`prose.read_letter`), which decided on its own that it is one.
    letter: bool = False

    def put(self, key: str, raw: object, confidence: float, how: str = "", certain: bool = True) -> bool:
        """Keep this reading of `key` if it is surer than the one held; `how` says where it was read.

        An email address written into the same blank as a name or a phone number ("Gail Ostby,
        gostby@lib.example") is the blank beside it filled here: it goes to its own key.
        """
        if key in SPILLS and isinstance(raw, str) and (found := normalize.EMAIL.search(raw)):
            rest = raw[: found.start()] + raw[found.end() :]
            # What held the address goes with it: "(x@y)", "<x@y>", ", x@y", " - x@y".
            rest = re.sub(r"[(<\[]\s*[)>\]]", " ", rest)
            rest = re.sub(r"(?:\s*(?:[,;/|\u2013-]|mailto:)\s*)+$", "", rest.rstrip()).strip()
            if key != "phone" or rest:
                self.put(SPILLS[key], found.group(0), confidence - 0.05, f"{how}, taken apart", certain)
            raw = rest
        value = clean(key, raw)
        if value is None:
            return False
        old = self.readings.get(key)
        if old is not None and old.confidence >= confidence:
            return False
        written = raw.strip()[:500] if isinstance(raw, str) else None
        self.readings[key] = FieldReading(value=value, source=self.source, confidence=confidence, how=how,
                                          certain=certain, written=written)
        return True

    def values(self) -> dict[str, object]:
        return {k: r.value for k, r in self.readings.items() if r.confidence >= CONFIDENT}

    def score(self) -> float:
        return sum(r.confidence for r in self.readings.values() if r.confidence >= CONFIDENT)

    def merged(self, other: FormReading) -> FormReading:
        """This reading with the other's fields where they are surer or this one has none."""
        out = FormReading(
            self.source, dict(self.readings), max(self.evidence, other.evidence), self.blank | other.blank,
            self.letter and other.letter,
        )
        for key, reading in other.readings.items():
            old = out.readings.get(key)
            if old is None or reading.confidence > old.confidence:
                out.readings[key] = reading
        return out

    def without_guesses_for(self, blank: set[str]) -> FormReading:
        """This reading less the unsure values for keys another source knows to be blank."""
        kept = {k: r for k, r in self.readings.items() if k not in blank or r.confidence >= 0.9}
        return FormReading(self.source, kept, self.evidence, self.blank, self.letter)

    def looks_like_application(self) -> bool:
        """Several real form fields: a choice or free text beside contact details, or many labelled fields."""
        values = self.values()
        if self.letter:
            return "name" in values
        core = sum(1 for k in CORE_KEYS if k in values)
        contact = sum(1 for k in CONTACT_KEYS if k in values)
        if core and contact and len(values) >= 4:
            return True
        return len(values) >= 6 and contact >= 1
