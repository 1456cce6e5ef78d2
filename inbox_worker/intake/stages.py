"""The values one message carries down intake's path, and the names of what can become of it.

    fetch -> parse -> classify -> extract -> decide -> record and queue -> file

Each step of `pipeline` takes the value the step before it made and returns the next one:
`Fetched`, `Parsed`, `Classified`, `Read`, then a `decide.Decision`, then `Recorded`. The enums
say where a message stands and what answers it; each is stored (where it is stored) as its value,
so the database holds the same strings it always did.
"""
from __future__ import annotations

from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import datetime
from email.message import Message
from enum import StrEnum

from inbox_worker.intake.classify import Classification
from inbox_worker.intake.extractor import Reading
from inbox_worker.mail.mailbox import MessageRef
from inbox_worker.store.models import IncomingState


class Outcome(StrEnum):
    """What became of one message in this poll (what the poll's summary counts)."""

    APPLICATION = "application"  # a new application, acknowledged
    UPDATE = "update"  # a known applicant's changes, acknowledged
    CORRECTION = "correction"  # a reply's corrections applied to the application, acknowledged
    UNCHANGED = "unchanged"  # an application sent again with nothing new: recorded, not acknowledged
    REPLY = "reply"  # a reply the program handles itself (a command, an assessment answer)
    REVIEW = "review"  # set aside for a coordinator
    IGNORED = "ignored"  # mail from a machine, never answered
    DUPLICATE = "duplicate"  # another copy of a message already finished with
    RETRY = "retry"  # not finished this time: it stays in the folder and is tried at the next poll


class Answer(StrEnum):
    """The email that answers an application; the value is its template's name."""

    ACKNOWLEDGEMENT = "acknowledgement"
    UPDATE = "acknowledgement_update"


class Notice(StrEnum):
    """What the coordinators hear of a message set aside."""

    NONE = "none"
    EACH = "each"  # a review notice of its own
    COUNTED = "counted"  # counted in the one notice of the day about its sender's messages


class Tally(StrEnum):
    """What a sender's mail is counted for, per day (`store.models.SenderTally`)."""

    NOTICE = "notice"  # a review notice about one of their messages
    NOTICE_HELD = "notice_held"  # a message set aside and only counted (the notices' cap was reached)
    FORM_FOR_OTHER = "form_for_other"  # an acknowledged form for an address other than theirs
    FORM_HELD = "form_held"  # a form for someone else held for a coordinator (that cap was reached)
    QUICK_REPLY = "quick_reply"  # an answer to our automatic mail within minutes of it
    MACHINE = "machine"  # recognised as a machine that answers our mail


@dataclass(frozen=True)
class Registered:
    """A message's row as the poll found or made it."""

    row_id: int
    state: IncomingState
    attempts: int
    filed_to: str | None
    received_at: datetime
    # Why it failed the last time it was tried, if it was.
    reason: str | None = None
    # A message finished with before under the same Message-ID: this one is its copy.
    copy_of: int | None = None


@dataclass(frozen=True)
class Fetched:
    ref: MessageRef
    row: Registered
    # None when the message is over the size limit: it was only copied to the raw-mail store.
    raw: bytes | None
    raw_sha256: str | None


@dataclass(frozen=True)
class Parsed:
    fetched: Fetched
    # The header block (None when the bytes are not an email at all: `problem` says why).
    headers: Message | None
    sender: str
    subject: str
    problem: str | None = None


@dataclass(frozen=True)
class Classified:
    parsed: Parsed
    classification: Classification
    # The reading begun for a message from a person, ahead of its turn (None for machine mail
    # and for messages not to be read at all).
    reading: Future[Reading] | None = None


@dataclass(frozen=True)
class Read:
    classified: Classified
    # What the reading process made of it (None for machine mail, and when it could not be read).
    reading: Reading | None
    # Why it could not be read, when it could not.
    problem: str | None = None
    # The whole message, for a delivery report (read here: it is machine mail, never a form).
    report: Message | None = None


@dataclass(frozen=True)
class Recorded:
    """A message as its unit of work left it: committed, with its answer queued."""

    row_id: int
    outcome: Outcome
    state: IncomingState
    reason: str | None = None


def _counted(outcome: Outcome) -> property:
    return property(lambda summary: summary.outcomes.get(outcome, 0), doc=f"messages whose outcome was {outcome}")


@dataclass
class PollSummary:
    seen: int = 0
    outcomes: dict[Outcome, int] = field(default_factory=dict)
    filed: int = 0
    problems: list[str] = field(default_factory=list)

    def count(self, outcome: Outcome) -> None:
        self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1

    applications = _counted(Outcome.APPLICATION)
    updates = _counted(Outcome.UPDATE)
    corrections = _counted(Outcome.CORRECTION)
    unchanged = _counted(Outcome.UNCHANGED)
    replies = _counted(Outcome.REPLY)
    review = _counted(Outcome.REVIEW)
    ignored = _counted(Outcome.IGNORED)
    duplicates = _counted(Outcome.DUPLICATE)
    retry_later = _counted(Outcome.RETRY)


@dataclass
class Turn:
    """A message between `begin` and `finish`."""

    ref: MessageRef
    row: Registered | None = None
    classified: Classified | None = None
    # Its tries so far, this one included once it is handed to a reading process; and those it
    # had when this poll began with it.
    attempts: int = 0
    tries_before: int = 0
    # The message it is a copy of, as registered; and whether to look again at its turn (a second
    # copy in one poll).
    copy_of: int | None = None
    recheck: bool = False
    error: Exception | None = field(default=None, repr=False)

    @property
    def suspect(self) -> bool:
        """Not yet finished with, and a reading of it failed or did not live to end."""
        return self.tries_before > 0 and self.row is not None and self.row.state is IncomingState.NEW
