"""The database tables.

`IncomingMessage` remembers every message seen, keyed on where it sits in
the mailbox (account, folder, UIDVALIDITY, UID) and on its Message-ID, never
on the \\Seen flag, which people and other mail programs change.
`Application` is one applicant's current record; every version it had is in
`ApplicationVersion`. `OutgoingMessage` is the outbox: mail is written here
in the same transaction as the change that causes it, and sent afterwards.
`Event` records who changed what, and when.

Schema changes go through Alembic (`inbox_worker/migrations`); keep the two in step.
"""
from __future__ import annotations

import enum
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    pass


class IncomingState(StrEnum):
    """Where an incoming message stands. Stored as its value, so the column stays a plain string."""

    NEW = "new"
    # Read and acted on: recorded, answered where an answer was due.
    PROCESSED = "processed"
    # Set aside for a coordinator, in the review folder: open until a coordinator deals with it.
    REVIEW = "review"
    # A review item a coordinator dealt with (`review done`, or moved out of the review folder).
    DONE = "done"
    # Mail from a machine, never answered (RFC 3834).
    IGNORED = "ignored"
    # Another copy of a message already finished with (the same Message-ID).
    DUPLICATE = "duplicate"


class IncomingMessage(Base):
    __tablename__ = "incoming_messages"
    __table_args__ = (UniqueConstraint("account", "folder", "uidvalidity", "uid", name="uq_incoming_position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account: Mapped[str] = mapped_column(String(320))
    folder: Mapped[str] = mapped_column(String(500))
    uidvalidity: Mapped[int] = mapped_column(Integer)
    uid: Mapped[int] = mapped_column(Integer)
    message_id: Mapped[str | None] = mapped_column(String(998), index=True)
    size: Mapped[int] = mapped_column(Integer, default=0)
    raw_sha256: Mapped[str | None] = mapped_column(String(64))
    sender: Mapped[str | None] = mapped_column(String(320))
    subject: Mapped[str | None] = mapped_column(Text)
    # An IncomingState: new -> processed | review | ignored | duplicate; review -> done (or read again)
    state: Mapped[str] = mapped_column(String(20), default=IncomingState.NEW, index=True)
    classification: Mapped[str | None] = mapped_column(String(40))
    reason: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # Where the message was filed in the mailbox; None until the move succeeded.
    filed_to: Mapped[str | None] = mapped_column(String(500))
    application_id: Mapped[int | None] = mapped_column(ForeignKey("applications.id"))
    received_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)


class Application(Base):
    __tablename__ = "applications"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The applicant's address (from the form, else the sender): one application per person.
    email: Mapped[str] = mapped_column(String(320), unique=True)
    role: Mapped[str | None] = mapped_column(String(20))
    name: Mapped[str | None] = mapped_column(String(300))
    record: Mapped[dict] = mapped_column(JSON)
    missing: Mapped[list] = mapped_column(JSON, default=list)
    # received (complete) | incomplete (fields missing) | erased (forgotten: counted, never matched)
    status: Mapped[str] = mapped_column(String(20), index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)

    versions: Mapped[list[ApplicationVersion]] = relationship(
        back_populates="application", order_by="ApplicationVersion.version"
    )

    def new_version(self, record: dict, missing: list[str], *, now: datetime, provenance: dict,
                    incoming_message_id: int | None = None) -> ApplicationVersion:
        """Make `record` the application's own, kept as a new version beside the earlier ones: the
        one place a form, a correction by reply and a coordinator's edit all change an application.
        Role, name, what is missing and the status follow from the record."""
        self.version = (self.version or 0) + 1
        self.record, self.role, self.name, self.missing = record, record.get("role"), record.get("name"), missing
        self.status, self.updated_at = ("incomplete" if missing else "received"), now
        # Linked through the relationship, so no flush is needed for the application's id; the
        # earlier versions are not loaded for it. The caller adds it to its session.
        return ApplicationVersion(application=self, version=self.version, record=record, provenance=provenance,
                                  incoming_message_id=incoming_message_id, created_at=now)


class ApplicationVersion(Base):
    __tablename__ = "application_versions"
    __table_args__ = (UniqueConstraint("application_id", "version", name="uq_application_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"))
    version: Mapped[int] = mapped_column(Integer)
    record: Mapped[dict] = mapped_column(JSON)
    # Where each value was read from and how sure the reader was.
    provenance: Mapped[dict] = mapped_column(JSON, default=dict)
    incoming_message_id: Mapped[int | None] = mapped_column(ForeignKey("incoming_messages.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime)

    application: Mapped[Application] = relationship(back_populates="versions")


class OutgoingMessage(Base):
    __tablename__ = "outgoing_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Names the reason for the email, so the same email can never be queued twice.
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    template: Mapped[str] = mapped_column(String(100))
    recipients: Mapped[list] = mapped_column(JSON)
    subject: Mapped[str] = mapped_column(Text)
    # Indexed: a reply or a bounce names the email it answers by this.
    message_id: Mapped[str] = mapped_column(String(998), index=True)
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    # An answer to incoming mail (RFC 3834 "auto-replied"): these count against the daily cap.
    auto_reply: Mapped[bool] = mapped_column(Boolean, default=False)
    # pending -> sent | failed
    state: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    server_reply: Mapped[str | None] = mapped_column(Text)
    application_id: Mapped[int | None] = mapped_column(ForeignKey("applications.id"))
    incoming_message_id: Mapped[int | None] = mapped_column(ForeignKey("incoming_messages.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime)


class Event(Base):
    """An audit line: who did what to which thing, and when."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, index=True)
    actor: Mapped[str] = mapped_column(String(320))
    action: Mapped[str] = mapped_column(String(100))
    subject: Mapped[str | None] = mapped_column(String(200))
    detail: Mapped[dict] = mapped_column(JSON, default=dict)


class WorkerState(Base):
    """Small facts the worker keeps between runs (last poll time, ...)."""

    __tablename__ = "worker_state"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class SuppressedAddress(Base):
    """An address we must not mail automatically any more (it bounced, or the person asked)."""

    __tablename__ = "suppressed_addresses"

    address: Mapped[str] = mapped_column(String(320), primary_key=True)
    reason: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(DateTime)
    incoming_message_id: Mapped[int | None] = mapped_column(ForeignKey("incoming_messages.id"))


class AutoReply(Base):
    """One automatic answer to one address: what the daily cap per address counts.

    Counted by an index on (address, at), so the check costs the same after a
    backlog of thousands as on a quiet day. Only the last day matters: the
    daily clean-up (`privacy.purge_if_due`) removes older rows.
    """

    __tablename__ = "auto_replies"
    __table_args__ = (Index("ix_auto_replies_address_at", "address", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    address: Mapped[str] = mapped_column(String(320))
    at: Mapped[datetime] = mapped_column(DateTime)
    outgoing_message_id: Mapped[int | None] = mapped_column(ForeignKey("outgoing_messages.id"))


class SenderTally(Base):
    """How many of a kind of thing one sender's mail caused on one day (UTC): the answers and
    notices their messages were given or held from, and their quick replies to our mail.

    What the daily caps per sender and the recognition of a machine that answers our mail
    count. Keyed on (address, day, kind); older days are cleared as they stop mattering.
    """

    __tablename__ = "sender_tallies"

    address: Mapped[str] = mapped_column(String(320), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True, index=True)
    kind: Mapped[str] = mapped_column(String(40), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)


class Lease(Base):
    """A named lock with an expiry: who may poll a mailbox or run a job right now.

    A holder renews it while working; a holder that died simply lets it
    expire, and the next worker takes it over.
    """

    __tablename__ = "leases"

    name: Mapped[str] = mapped_column(String(300), primary_key=True)
    holder: Mapped[str] = mapped_column(String(300))
    expires_at: Mapped[datetime] = mapped_column(DateTime)


# ---------------------------------------------------------------- the program year
class RelationshipState(enum.StrEnum):
    """Where a relationship is, in the order the program document walks it:

        suggested -> proposed -> awaiting_consent -> introduced -> active -> closed

    A coordinator approves a suggestion (proposed: each of the pair is asked); one yes makes it
    awaiting_consent; both yeses bring the supervisors' notices and the introduction. The exits:
    rejected (a coordinator said no to the suggestion), declined (one of the pair said no),
    withdrawn (ended before the introduction went out: the protégé waits again) and ended_early
    (with a reason). Stored as these strings.
    """

    SUGGESTED = "suggested"
    PROPOSED = "proposed"
    AWAITING_CONSENT = "awaiting_consent"
    # Approved and notified are passed through within one change (both yeses in, the supervisors'
    # notices and the introduction queued); older records may still hold them.
    APPROVED = "approved"
    SUPERVISOR_NOTIFIED = "supervisor_notified"
    INTRODUCED = "introduced"
    ACTIVE = "active"
    CLOSED = "closed"
    REJECTED = "rejected"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"
    ENDED_EARLY = "ended_early"


# Asked of the pair, not yet introduced.
ASKING_STATES = (RelationshipState.PROPOSED, RelationshipState.AWAITING_CONSENT)
# A relationship that holds its protégé and a place of its mentor's.
LIVE_STATES = (RelationshipState.SUGGESTED, *ASKING_STATES, RelationshipState.APPROVED,
               RelationshipState.SUPERVISOR_NOTIFIED, RelationshipState.INTRODUCED, RelationshipState.ACTIVE)


class Party(enum.StrEnum):
    """One of the pair."""

    PROTEGE = "protege"
    MENTOR = "mentor"


class ConsentAnswer(enum.StrEnum):
    """What one of the pair said to a proposed match."""

    ACCEPTED = "accepted"
    DECLINED = "declined"


class MentoringRelationship(Base):
    """One protégé and one mentor, from the suggestion to the end of their 12 months."""

    __tablename__ = "relationships"

    id: Mapped[int] = mapped_column(primary_key=True)
    protege_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    mentor_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    # A RelationshipState, stored as its string.
    state: Mapped[str] = mapped_column(String(30), index=True)
    score: Mapped[float | None] = mapped_column(Float)
    # Why the matching engine suggested the pair: rules passed, score by component, the runner-up.
    explanation: Mapped[dict] = mapped_column(JSON, default=dict)
    suggested_at: Mapped[datetime] = mapped_column(DateTime)
    approved_at: Mapped[datetime | None] = mapped_column(DateTime)
    # The protégé's supervisor's notice, and the mentor's (each only where their form names one).
    supervisor_notified_at: Mapped[datetime | None] = mapped_column(DateTime)
    mentor_supervisor_notified_at: Mapped[datetime | None] = mapped_column(DateTime)
    introduced_at: Mapped[datetime | None] = mapped_column(DateTime)
    starts_on: Mapped[date | None] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)
    # Why it ended early, why the suggestion was rejected, or why one of the pair declined.
    end_reason: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime)

    assessments: Mapped[list[Assessment]] = relationship(
        back_populates="relation", order_by="Assessment.number")
    consents: Mapped[list[Consent]] = relationship(back_populates="relation", order_by="Consent.id")


class Consent(Base):
    """One of the pair asked about a proposed match: when, reminders, and their answer.

    The program document: "Both the prospective mentor and the protégé will be interviewed/
    consulted to ensure a good fit", and both "must agree to maintain confidentiality". A yes
    is that agreement; the introduction waits for both.
    """

    __tablename__ = "consents"
    __table_args__ = (UniqueConstraint("relationship_id", "party", name="uq_consent_party"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    relationship_id: Mapped[int] = mapped_column(ForeignKey("relationships.id"), index=True)
    # Party: protege | mentor
    party: Mapped[str] = mapped_column(String(20))
    asked_at: Mapped[datetime] = mapped_column(DateTime)
    reminded_at: Mapped[datetime | None] = mapped_column(DateTime)
    # No answer after the reminder: the coordinators were told.
    escalated_at: Mapped[datetime | None] = mapped_column(DateTime)
    # They asked to talk to a coordinator first (the coordinators were told at once).
    talk_requested_at: Mapped[datetime | None] = mapped_column(DateTime)
    # ConsentAnswer: accepted | declined; None while there is no answer.
    answer: Mapped[str | None] = mapped_column(String(20))
    answered_at: Mapped[datetime | None] = mapped_column(DateTime)
    # Who recorded it: the person's own address (by email), or the coordinator who asked them.
    recorded_by: Mapped[str | None] = mapped_column(String(320))
    by_phone: Mapped[bool] = mapped_column(Boolean, default=False)
    # A decline's reason, in their words (None when none was given).
    reason: Mapped[str | None] = mapped_column(Text)
    incoming_message_id: Mapped[int | None] = mapped_column(ForeignKey("incoming_messages.id"))

    relation: Mapped[MentoringRelationship] = relationship(back_populates="consents")


class Assessment(Base):
    """One of the coordinators' check-ins on a relationship (the program asks for at least two)."""

    __tablename__ = "assessments"
    __table_args__ = (UniqueConstraint("relationship_id", "number", name="uq_assessment_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    relationship_id: Mapped[int] = mapped_column(ForeignKey("relationships.id"))
    number: Mapped[int] = mapped_column(Integer)
    due_on: Mapped[date] = mapped_column(Date)
    # Reminders go to each participant separately (replies stay private); a reply is matched to its
    # reminder through the outbox row whose Message-ID its In-Reply-To names.
    reminded_at: Mapped[datetime | None] = mapped_column(DateTime)
    escalated_at: Mapped[datetime | None] = mapped_column(DateTime)
    # Its moment passed while the worker was not running (the next check-in or the end had come):
    # never sent.
    skipped_at: Mapped[datetime | None] = mapped_column(DateTime)

    relation: Mapped[MentoringRelationship] = relationship(back_populates="assessments")
    answers: Mapped[list[AssessmentAnswer]] = relationship(
        back_populates="assessment", order_by="AssessmentAnswer.received_at")


class AssessmentAnswer(Base):
    """A participant's reply to an assessment reminder, kept as they wrote it."""

    __tablename__ = "assessment_answers"

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id"))
    participant: Mapped[str] = mapped_column(String(320))
    # protege | mentor
    role: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(DateTime)
    incoming_message_id: Mapped[int | None] = mapped_column(ForeignKey("incoming_messages.id"))

    assessment: Mapped[Assessment] = relationship(back_populates="answers")


class CommandToken(Base):
    """A signed, single-use permission to act on a digest by replying to it."""

    __tablename__ = "command_tokens"

    token_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    # What the token allows ("digest_commands") and on what ("digest:2026-W15").
    action: Mapped[str] = mapped_column(String(40))
    target: Mapped[str] = mapped_column(String(200))
    # The relationship numbers the digest listed: a reply may act on these only.
    scope: Mapped[list] = mapped_column(JSON, default=list)
    issued_to: Mapped[list] = mapped_column(JSON, default=list)
    issued_at: Mapped[datetime] = mapped_column(DateTime)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    used_at: Mapped[datetime | None] = mapped_column(DateTime)
    used_by: Mapped[str | None] = mapped_column(String(320))


class DigestSent(Base):
    """A digest period already covered, so a period never gets a second digest."""

    __tablename__ = "digests_sent"

    period: Mapped[str] = mapped_column(String(40), primary_key=True)
    sent_at: Mapped[datetime] = mapped_column(DateTime)
    outgoing_message_id: Mapped[int | None] = mapped_column(ForeignKey("outgoing_messages.id"))
