"""The application record: what every form becomes, however it arrived.

The record's keys and normal forms are the contract in
`application-record.md`; `Extraction` adds where each value was read from
and how sure the reader was, so an unsure value can be left out (null) and
asked for instead of guessed.
"""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from inbox_worker.form import LIST_KEYS, RECORD_KEYS, REQUIRED_KEYS

Role = Literal["protege", "mentor"]
LibraryType = Literal["public", "academic", "school", "special", "state", "tribal", "other"]

# A reading below this confidence is dropped to null and asked for.
CONFIDENT = 0.6


class ApplicationRecord(BaseModel):
    """One application, with exactly the contract's keys."""

    role: Role | None = None
    name: str | None = None
    phone: str | None = None
    address: str | None = None
    city: str | None = None
    state: str | None = None
    zip: str | None = None
    email: str | None = None
    library_name: str | None = None
    position: str | None = None
    library_type: LibraryType | None = None
    supervisor_support: bool | None = None
    supervisor_name: str | None = None
    supervisor_email: str | None = None
    protege_categories: list[str] = Field(default_factory=list)
    mentor_categories: list[str] = Field(default_factory=list)
    goals: str | None = None
    strengths: str | None = None

    def contract_dict(self) -> dict:
        """The record as `inbox-worker parse` prints it: the contract's keys, in order."""
        data = self.model_dump()
        return {k: data[k] for k in RECORD_KEYS}

    def missing(self) -> list[str]:
        """Required fields this application does not yet have, plus the role's own free text."""
        data = self.model_dump()
        out = [k for k in REQUIRED_KEYS if data.get(k) in (None, "", [])]
        if self.role == "protege" and not self.goals:
            out.append("goals")
        if self.role == "mentor" and not self.strengths:
            out.append("strengths")
        return out

    def filled_count(self) -> int:
        data = self.model_dump()
        return sum(1 for k in RECORD_KEYS if data.get(k) not in (None, "", []) and k not in LIST_KEYS) + sum(
            1 for k in LIST_KEYS if data.get(k)
        )


class FieldReading(BaseModel):
    """One value as read: the part it came from, how it was read there, and how sure.

    `how` names the reading in plain words ("a labelled line", "the form's
    row", "a fillable form field", "a letter"); `certain` is False for a
    value that was read but not beyond doubt (a town split from a street
    by guess, a choice marked ambiguously), which the applicant is asked
    to confirm.
    """

    value: str | bool | list[str] | None
    source: str
    confidence: float = 1.0
    how: str = ""
    certain: bool = True
    # The text as it stood in the part, before it was put in the record's normal form.
    written: str | None = None


class Extraction(BaseModel):
    """What the extractor made of one message or file.

    `kind` is "application" when a filled-in form was found, "no_application"
    when the input holds none (a question, an auto-reply, a blank form), and
    `reason` says why in plain words.
    """

    kind: Literal["application", "no_application"]
    record: ApplicationRecord | None = None
    readings: dict[str, FieldReading] = Field(default_factory=dict)
    reason: str = ""
    # Where it came from: message id, sender, date, the part the form was read from.
    message_id: str | None = None
    sender: str | None = None
    received: str | None = None
    part: str | None = None

    def uncertain_fields(self) -> list[str]:
        """The record's keys whose value was read but not beyond doubt, in the record's order."""
        if self.record is None:
            return []
        data = self.record.contract_dict()
        return [k for k in RECORD_KEYS
                if k in self.readings and not self.readings[k].certain and data.get(k) not in (None, "", [])]

    def output(self) -> dict:
        """The JSON `inbox-worker parse` prints: the record, then where it came from."""
        assert self.record is not None
        out = self.record.contract_dict()
        out["source"] = {
            "message_id": self.message_id,
            "sender": self.sender,
            "received": self.received,
            "part": self.part,
            "confidence": {k: round(r.confidence, 2) for k, r in self.readings.items()},
            "read_from": {k: r.how for k, r in self.readings.items() if r.how},
            "uncertain": self.uncertain_fields(),
        }
        return out


class UnreadableInput(Exception):
    """The input cannot be read at all (not mail, an unsupported file, broken beyond repair).

    The message says what is wrong and what to do, in plain words.
    """


class RefusedInput(UnreadableInput):
    """The input is over a safety limit (zip bomb, huge PDF, deep MIME); it goes to review."""
