"""Decide: given what a message is and what it holds, what should become of it?

A pure function of values: the classification, the reading, and the `Circumstances` the
database gave (the application already kept for the applicant, what the sender's mail caused
today, whether the message answers our own mail). It says the message's state, whether its
application is stored, which email answers it, and what the coordinators hear; `pipeline`
carries that out. The caps (`Caps`) are where floods and mail loops stop:

- mail from a machine is never answered (RFC 3834);
- a sender whose messages keep answering our automatic mail within minutes is a machine that
  does not say so: set aside once with one notice, and its later mail set aside quietly;
- an application that changes nothing is recorded and not acknowledged (a reply that quotes
  our acknowledgement back is one), so an auto-responder gets at most the answers its changes earn;
- a reply about an application (to our mail about it, or from its applicant) is read for
  corrections in its own words: those understood are applied and acknowledged with what changed,
  one that changes nothing is recorded and not answered, and one that cannot be understood is set
  aside, linked to the application, with the command that applies it by hand;
- forms for other people from one sender, answers to one address, and review notices about one
  sender's mail are each capped per day; past a cap the message is held for a coordinator, and
  the notices past their cap are counted in one notice of the day.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

from inbox_worker.config import WorkerSettings
from inbox_worker.extract.corrections import Corrections
from inbox_worker.form import RECORD_KEYS, field_label
from inbox_worker.intake.classify import Classification
from inbox_worker.intake.extractor import Reading
from inbox_worker.intake.loops import Answering
from inbox_worker.intake.stages import Answer, Notice, Outcome, Tally
from inbox_worker.outbound.emails import valid_address
from inbox_worker.record import ApplicationRecord, Extraction
from inbox_worker.store.models import IncomingState


@dataclass(frozen=True)
class Changes:
    """What an application sent again changes in the record kept: the value issue 19's corrections
    by reply build on. Keys are the record's; a value left blank changes nothing."""

    added: dict[str, object] = field(default_factory=dict)
    changed: dict[str, tuple[object, object]] = field(default_factory=dict)

    @property
    def nothing(self) -> bool:
        return not self.added and not self.changed

    @property
    def keys(self) -> list[str]:
        return [k for k in RECORD_KEYS if k in self.added or k in self.changed]


def changes(old: dict | None, new: ApplicationRecord) -> Changes:
    """What `new` changes in `old` (everything it fills in, when there is no `old`)."""
    added, changed = {}, {}
    for key, value in new.contract_dict().items():
        if value in (None, "", []):
            continue
        before = (old or {}).get(key)
        if before in (None, "", []):
            added[key] = value
        elif before != value:
            changed[key] = (before, value)
    return Changes(added, changed)


def applicant_key(extraction: Extraction, sender: str) -> str:
    """Who the application belongs to: the address on the form, else the original sender.

    Only a plain single address is ever used: it becomes a recipient.
    """
    for candidate in (extraction.record.email if extraction.record else None, extraction.sender, sender):
        if candidate and valid_address(candidate.strip()):
            return candidate.strip().lower()
    return ""


def merge_records(old: dict, new: ApplicationRecord) -> dict:
    """A resubmission: what the applicant sent now wins; what they left out is kept."""
    merged = dict(old)
    for key, value in new.contract_dict().items():
        if value not in (None, "", []):
            merged[key] = value
    return merged


@dataclass(frozen=True)
class Matched:
    """The application a reply is about, and how that was known (`ledger.application_answered`)."""

    application_id: int
    # The application's address: where its mail goes, and what `applications edit` is given.
    address: str
    record: dict
    # "it answers our acknowledgement", "it comes from the applicant's address": for people.
    how: str
    # The Message-ID of our email it names, if it names one.
    answering: str | None = None


@dataclass(frozen=True)
class ApplicantReply:
    """A reply about an application, read for corrections (`applicant_replies.read_reply`)."""

    matched: Matched
    # The reply's own words, the quote and signature left out.
    words: str
    corrections: Corrections = field(default_factory=Corrections)
    # A whole form (attached, forwarded, or in its own words): a new version, read as any form is.
    whole_form: bool = False
    # What the understood corrections change in the record kept (a value already on file changes nothing).
    changes: Changes = Changes()
    # The command that puts it right by hand, for the coordinators.
    command: str = ""


@dataclass(frozen=True)
class Caps:
    """The daily caps, from `[worker]` settings."""

    answers_per_address: int = 5
    notices_per_sender: int = 3
    forms_for_others_per_sender: int = 3

    @classmethod
    def of(cls, worker: WorkerSettings) -> Caps:
        return cls(worker.max_replies_per_address_per_day, worker.max_notices_per_sender_per_day,
                   worker.max_forms_for_others_per_sender_per_day)


@dataclass(frozen=True)
class SenderDay:
    """What one sender's mail caused today, and what they are known for."""

    notices: int = 0
    forms_for_others: int = 0
    # Their quick answers to our automatic mail in the last week.
    quick_replies: int = 0
    # Recognised lately as a machine that answers our mail.
    machine: bool = False


@dataclass(frozen=True)
class Circumstances:
    sender: str
    today: SenderDay = SenderDay()
    # Whom the application belongs to: the address on the form, else the sender ("" if none fits).
    applicant: str = ""
    # The record kept for the applicant, and what this message would change in it.
    existing: dict | None = None
    changes: Changes = Changes()
    # Automatic answers the applicant's address had in the last 24 hours.
    answers_to_applicant: int = 0
    # The automatic mail of ours this message answers, if it does.
    answering: Answering | None = None
    # A reply about an application (to our mail about it, or from its applicant), read for corrections.
    reply: ApplicantReply | None = None

    @property
    def for_someone_else(self) -> bool:
        return bool(self.sender and self.applicant and self.applicant != self.sender)


@dataclass(frozen=True)
class Decision:
    state: IncomingState
    outcome: Outcome
    reason: str
    # Store the application (new, or changed by this message).
    store: bool = False
    answer: Answer | None = None
    notice: Notice = Notice.NONE
    tallies: tuple[Tally, ...] = ()
    # The message is about the application of the reply it is (`Circumstances.reply`): linked to it.
    linked: bool = False
    # For the coordinators' notice: the command that does by hand what the message asks.
    command: str = ""
    # What is stored is the reply's corrections (`Circumstances.reply`), not a form read from the message.
    by_reply: bool = False


# A machine that answers our mail: this many quick answers in a week (the second is one too many:
# it means our answer to its first answer was answered too).
MACHINE_AFTER = 2


def decide(classification: Classification, reading: Reading | None, problem: str | None,
           facts: Circumstances, caps: Caps) -> Decision:
    """What becomes of a message (see the module's notes for the rules, in the order they apply)."""
    decision = _decide(classification, reading, problem, facts, caps)
    if (facts.reply is not None and decision.state is IncomingState.REVIEW and not decision.linked
            and not facts.today.machine and Tally.MACHINE not in decision.tallies):
        # A reply about an application the program did not act on: its review item is the application's,
        # and the coordinators' notice says how to put right what it asks.
        decision = replace(decision, linked=True, command=facts.reply.command)
    return decision


def _decide(classification: Classification, reading: Reading | None, problem: str | None,
            facts: Circumstances, caps: Caps) -> Decision:
    if not classification.from_person:
        # RFC 3834: machine mail is never answered; it is filed, not reviewed, so coordinators
        # are not flooded with out-of-office notes.
        return Decision(IncomingState.IGNORED, Outcome.IGNORED, f"not answered: {classification.reason}")
    who = facts.sender or "the sender"
    if facts.today.machine:
        return Decision(IncomingState.REVIEW, Outcome.REVIEW,
                        f"{who} answers the program's mail automatically; set aside without a notice of its own "
                        "(the coordinators were told when it was first recognised)")
    quick = (Tally.QUICK_REPLY,) if facts.answering is not None and facts.answering.quick else ()
    if quick and facts.today.quick_replies + 1 >= MACHINE_AFTER:
        return Decision(IncomingState.REVIEW, Outcome.REVIEW,
                        f"{who} answered the program's automatic mail within minutes again: it looks like a "
                        "machine (an auto-responder), so its mail is set aside from now on, without answers",
                        notice=Notice.EACH, tallies=(*quick, Tally.MACHINE, Tally.NOTICE))
    if problem is not None or reading is None or reading.extraction is None:
        why = problem or (reading and reading.problem) or "the message could not be read"
        return _set_aside(why + details(reading), facts, caps, quick)
    if facts.reply is not None and not facts.reply.whole_form and (corrected := _correction(facts, caps, quick)):
        return corrected
    extraction = reading.extraction
    if extraction.kind == "no_application":
        reason = f"no application found: {extraction.reason or 'it holds no application form'}"
        if facts.answering is not None:
            reason = f"a reply to the program's {facts.answering.mail.what}; {reason}"
        return _set_aside(reason + details(reading), facts, caps, quick)
    if not facts.applicant:
        return _set_aside("the application names no address to answer", facts, caps, quick)
    if facts.for_someone_else and facts.today.forms_for_others >= caps.forms_for_others_per_sender:
        return _set_aside(f"{who} sent forms for {facts.today.forms_for_others + 1} other people today, more than "
                          f"the {caps.forms_for_others_per_sender} a day answered by themselves; this one "
                          f"(for {facts.applicant}) is held for a coordinator", facts, caps,
                          (*quick, Tally.FORM_HELD))
    if facts.existing is not None and facts.changes.nothing:
        return Decision(IncomingState.PROCESSED, Outcome.UNCHANGED,
                        "the application was sent again with nothing new: recorded, not acknowledged",
                        tallies=quick)
    others = (Tally.FORM_FOR_OTHER,) if facts.for_someone_else else ()
    if facts.answers_to_applicant >= caps.answers_per_address:
        return _set_aside(f"the application was recorded, but {facts.applicant} already had "
                          f"{facts.answers_to_applicant} automatic answers in 24 hours, so it was not answered "
                          "(a mail loop?)", facts, caps, quick, store=True)
    if facts.existing is None:
        return Decision(IncomingState.PROCESSED, Outcome.APPLICATION, "application read", store=True,
                        answer=Answer.ACKNOWLEDGEMENT, tallies=(*quick, *others))
    return Decision(IncomingState.PROCESSED, Outcome.UPDATE,
                    f"application updated: {', '.join(facts.changes.keys)}", store=True,
                    answer=Answer.UPDATE, tallies=(*quick, *others))


def _correction(facts: Circumstances, caps: Caps, quick: tuple[Tally, ...]) -> Decision | None:
    """A reply's corrections: applied and acknowledged with what changed; what reads like a correction
    but cannot be read, set aside with the command that applies it by hand. None when the reply's own
    words hold no correction at all (it goes the usual way: our mail quoted back changes nothing)."""
    reply = facts.reply
    found, unclear = reply.corrections.found, reply.corrections.unclear
    if not found and not unclear:
        return None
    about = f"a reply from {reply.matched.address} ({reply.matched.how})"
    if reply.changes.nothing:
        if unclear:
            return replace(_set_aside(f"a correction the program could not understand: {about} says "
                                      f"\u201c{_quoted(unclear)}\u201d", facts, caps, quick),
                           linked=True, command=reply.command)
        return Decision(IncomingState.PROCESSED, Outcome.UNCHANGED,
                        f"{about} corrects what is already on file: recorded, not answered", tallies=quick, linked=True)
    labels = ", ".join(field_label(k) for k in reply.changes.keys)
    if facts.answers_to_applicant >= caps.answers_per_address:
        return replace(_set_aside(f"corrected by reply ({labels}), but {reply.matched.address} already had "
                                  f"{facts.answers_to_applicant} automatic answers in 24 hours, so it was not "
                                  "answered (a mail loop?)", facts, caps, quick, store=True),
                       linked=True, by_reply=True)
    if unclear:
        notice, tally = notice_for(facts.today, caps)
        return Decision(IncomingState.REVIEW, Outcome.CORRECTION,
                        f"corrected by reply, but not all of it understood: {labels} changed; {about} "
                        f"also says \u201c{_quoted(unclear)}\u201d", store=True, answer=Answer.UPDATE, notice=notice,
                        tallies=(*quick, tally), linked=True, command=reply.command,
                        by_reply=True)
    return Decision(IncomingState.PROCESSED, Outcome.CORRECTION, f"corrected by reply: {labels}", store=True,
                    answer=Answer.UPDATE, tallies=quick, linked=True, by_reply=True)


def _quoted(sentences: tuple[str, ...]) -> str:
    return " ".join(sentences)[:300]


def notice_for(today: SenderDay, caps: Caps) -> tuple[Notice, Tally]:
    """How the coordinators hear of one more of a sender's messages set aside today."""
    if today.notices >= caps.notices_per_sender:
        return Notice.COUNTED, Tally.NOTICE_HELD
    return Notice.EACH, Tally.NOTICE


def _set_aside(reason: str, facts: Circumstances, caps: Caps, tallies: tuple[Tally, ...] = (), *,
               store: bool = False) -> Decision:
    """For a coordinator: with a notice of its own, or, past the sender's cap, counted in the day's one."""
    notice, tally = notice_for(facts.today, caps)
    return Decision(IncomingState.REVIEW, Outcome.REVIEW, reason, store=store, notice=notice,
                    tallies=(*tallies, tally))


# What mail-parser's defect categories mean, for the coordinators reading a review notice.
DEFECTS = {
    "StartBoundaryNotFoundDefect": "a part's opening boundary is missing",
    "CloseBoundaryNotFoundDefect": "the message is cut short (a part's closing boundary is missing)",
    "MultipartInvariantViolationDefect": "it says it has parts but has none",
    "NoBoundaryInMultipartDefect": "its parts have no boundary between them",
    "MissingHeaderBodySeparatorDefect": "its headers run into its text",
    "InvalidBase64PaddingDefect": "an attachment's encoding is damaged",
    "InvalidBase64CharactersDefect": "an attachment's encoding is damaged",
    "InvalidBase64LengthDefect": "an attachment's encoding is damaged",
    "CharsetDecodeDefect": "some text is not in the character set it names",
    "AddressHeaderDefect": "an address in its headers cannot be read",
    "DateHeaderDefect": "its date cannot be read",
}


def details(reading: Reading | None) -> str:
    """What the coordinators should know beside the reason: the attachments, and how the message
    is broken, if it is."""
    if reading is None:
        return ""
    out = ""
    if reading.attachments:
        names = [name or "(no name)" for name, _kind in reading.attachments[:5]]
        more = len(reading.attachments) - len(names)
        out += f"; attached: {', '.join(names)}" + (f" and {more} more" if more > 0 else "")
    broken = list(dict.fromkeys(DEFECTS.get(d, "") for d in reading.defects if DEFECTS.get(d)))
    if broken:
        out += f"; the message is damaged: {', '.join(broken)}"
    return out
