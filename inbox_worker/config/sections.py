"""The sections of the settings, one model each: what every setting means and its default.

`inbox_worker.config.settings` puts them together into `Settings` and loads it;
this module only describes them.
"""
from __future__ import annotations

import os
from datetime import tzinfo
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    field_validator,
    model_validator,
)

Security = Literal["ssl", "starttls", "none"]


class ConfigError(Exception):
    """The configuration cannot be used; the message says what to fix."""


class OAuth2Settings(BaseModel):
    """Gmail XOAUTH2, for accounts where app passwords are off.

    Either `token_command` prints a fresh access token on stdout (for example
    a helper that talks to your identity provider), or `client_id`,
    `client_secret` and `refresh_token` are exchanged for one at Google's token endpoint.
    """

    token_command: str | None = None
    client_id: str | None = None
    client_secret: SecretStr | None = None
    refresh_token: SecretStr | None = None
    token_url: str = "https://oauth2.googleapis.com/token"  # noqa: S105 (an address, not a secret)


class ImapSettings(BaseModel):
    host: str = "imap.gmail.com"
    port: int = 993
    username: str = ""
    password: SecretStr = SecretStr("")
    security: Security = "ssl"
    auth: Literal["password", "oauth2"] = "password"
    oauth2: OAuth2Settings = Field(default_factory=OAuth2Settings)
    # A CA bundle to trust besides the system's (for a server with its own certificate).
    ca_file: str | None = None
    folder: str = "INBOX"
    processed_folder: str = "inbox-worker/processed"
    review_folder: str = "inbox-worker/review"
    # Larger messages are not downloaded: they go to review with the reason.
    max_message_bytes: int = 30 * 1024 * 1024
    fetch_chunk_bytes: int = 1024 * 1024
    timeout_seconds: float = 60.0


class SmtpSettings(BaseModel):
    host: str = "smtp.gmail.com"
    port: int = 587
    username: str = ""
    password: SecretStr = SecretStr("")
    security: Security = "starttls"
    ca_file: str | None = None
    from_address: str = "leadwyoming20@gmail.com"
    from_name: str = "WLA Mentoring Program"
    timeout_seconds: float = 60.0


class DatabaseSettings(BaseModel):
    url: str = "sqlite:///inbox-worker.sqlite3"
    # PostgreSQL: the schema holding this program's tables (one schema per program, so no
    # query can mix two programs' people). Empty: the database's default (public).
    schema_name: str = Field(default="", pattern=r"^[a-z0-9_]*$")


def _default_state_dir() -> str:
    # systemd's StateDirectory= sets $STATE_DIRECTORY (a colon-separated list when the unit names
    # several; ours names one).
    return os.environ.get("STATE_DIRECTORY", "").split(":")[0] or os.getcwd()


class PathsSettings(BaseModel):
    # The folder for everything the program writes: the SQLite database, the raw mail, dry-run
    # mail, alert records. Relative paths in the other sections are relative to it.
    state_dir: str = Field(default_factory=_default_state_dir)


class AlertSettings(BaseModel):
    """Who hears when the worker itself is in trouble, and when."""

    # The address of whoever looks after the server; empty: the coordinators are told.
    operator: str = ""
    # The worker emails the coordinators once when its mailbox has failed this long and email
    # still goes out.
    failing_minutes: int = Field(default=60, ge=1)


class ProgramEntry(BaseModel):
    """One program in a deployment that serves several: its key and what differs from the
    top-level settings (its mailbox, coordinators, schedule, templates...)."""

    model_config = ConfigDict(extra="forbid")

    key: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$")
    imap: dict[str, Any] = Field(default_factory=dict)
    smtp: dict[str, Any] = Field(default_factory=dict)
    program: dict[str, Any] = Field(default_factory=dict)
    schedule: dict[str, Any] = Field(default_factory=dict)
    matching: dict[str, Any] = Field(default_factory=dict)
    worker: dict[str, Any] = Field(default_factory=dict)


class ProgramSettings(BaseModel):
    name: str = "WLA Mentoring Program"
    coordinators: list[str] = Field(default_factory=list)
    # Where replies and mail to the program go; also how our own mail is recognised.
    mailbox_address: str = "leadwyoming20@gmail.com"
    # A folder of template overrides, each beside the bundled ones by the same name.
    templates_dir: str | None = None
    # Raw messages, content-addressed, so any message can be re-read later.
    raw_store_dir: str = "raw-mail"
    # Days after a relationship closes before both people's personal data is erased
    # (counts for reports are kept).
    retention_days: int = 730
    # The program's own time zone (an IANA name, as "America/Denver"): every date and time people
    # read is in it, and its days are the program's days. The database keeps UTC.
    timezone: str = "UTC"
    # Scheduled mail (check-in questions, closings, the digest, the monthly report) goes out at
    # or after this hour of its day, in the program's time zone (0 to 23).
    send_hour: int = Field(default=9, ge=0, le=23)

    @field_validator("coordinators")
    @classmethod
    def _lower(cls, v: list[str]) -> list[str]:
        return [a.strip().lower() for a in v if a.strip()]

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, v: str) -> str:
        name = v.strip()
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{v!r} is not a time zone this computer knows; write the IANA name of the "
                             f"program's zone, such as \"America/Denver\" (Mountain time) or \"UTC\"") from None
        return name

    @property
    def zone(self) -> tzinfo:
        """The program's time zone, ready to convert times into."""
        return ZoneInfo(self.timezone)


class WorkerSettings(BaseModel):
    # A full poll this often; with push on, new mail is also taken the moment it arrives.
    poll_interval_seconds: int = 120
    # Use IMAP IDLE, where the server offers it, to answer within seconds of arrival.
    push: bool = True
    # Outgoing mail that failed temporarily is retried with growing waits, up to this many tries.
    max_send_attempts: int = 8
    retry_base_seconds: int = 60
    # A message that keeps failing (or whose reading keeps failing, or stopping the worker) is
    # set aside for review after this many tries.
    max_process_attempts: int = Field(default=2, ge=1)
    # Automatic answers to one address in 24 hours, at most: a mail loop with another
    # robot that slips past the auto-reply checks stops here.
    max_replies_per_address_per_day: int = Field(default=5, ge=1)
    # Review notices about one sender's messages in a day; the rest are counted in one notice.
    max_notices_per_sender_per_day: int = Field(default=3, ge=1)
    # Forms one sender sends for other people's addresses in a day that are answered by themselves
    # (a colleague sending two or three); past it they are held for a coordinator.
    max_forms_for_others_per_sender_per_day: int = Field(default=3, ge=0)
    # Recipients of all the program's email in 24 hours, at most; the rest waits in the outbox.
    # Below the provider's own limit: Gmail allows about 500 a day for a consumer account, 2,000
    # for Google Workspace.
    max_recipients_per_day: int = Field(default=400, ge=1)
    # With dry_run, nothing in the mailbox changes and mail is written here instead of sent.
    outbox_dir: str = "outbox-eml"
    # Processes that read messages for forms, each under the two limits below (so reading takes at
    # most extraction_processes x reader_memory_mb). By default one for each core, at most 4: the
    # worker itself spends much of its time waiting for the disk and the mail servers.
    extraction_processes: int = Field(default_factory=lambda: min(4, max(1, os.cpu_count() or 1)), ge=1, le=8)
    # Address space a reading process may use (MB), and seconds it may spend on one message; a
    # message that needs more is set aside for review with the reason.
    reader_memory_mb: int = Field(default=512, ge=128)
    reader_seconds: float = Field(default=30.0, gt=0)


class MatchingSettings(BaseModel):
    """How mentors and protégés are paired (the matching engine's knobs)."""

    # A pair scoring below this is never suggested; the protégé stays unmatched. Scores run 0 to 1.
    min_score: float = 0.3
    # Weights of the soft score's parts; they need not sum to 1 (each part's share is its weight over
    # the total of the parts that apply to the protégé).
    weights: dict[str, float] = Field(default_factory=lambda: {
        "library_type": 0.35, "goals": 0.35, "wyoming": 0.15, "waiting": 0.15})
    # Library systems and their branches: two names in one system are the same employer.
    library_systems: dict[str, list[str]] = Field(default_factory=dict)
    # Two library names this alike (0 to 1, shared letter pairs) but not equal are "possibly the same
    # employer": the pair is blocked and the reason shown, until a coordinator lists them below.
    near_match_threshold: float = 0.8
    # Pairs of library names a coordinator has confirmed are different employers despite looking alike.
    distinct_employers: list[tuple[str, str]] = Field(default_factory=list)
    # Library types that are not the same but near ("public/state"), and how near (0 to 1).
    related_library_types: dict[str, float] = Field(default_factory=lambda: {
        "public/state": 0.5, "academic/special": 0.5, "public/tribal": 0.5, "public/school": 0.25})
    # Waiting counts fully in the score from this many days after applying.
    waiting_full_days: int = 180
    # How many protégés a mentor takes at once, unless set per person.
    default_capacity: int = 1
    capacities: dict[str, int] = Field(default_factory=dict)
    # Level of responsibility per person (email -> 0 staff, 1 librarian/MLS, 2 supervisor, 3 director).
    level_overrides: dict[str, int] = Field(default_factory=dict)

    @field_validator("weights")
    @classmethod
    def _known_parts(cls, v: dict[str, float]) -> dict[str, float]:
        unknown = sorted(set(v) - {"library_type", "goals", "wyoming", "waiting"})
        if unknown:
            raise ValueError(f"unknown score parts {unknown}; the parts are library_type, goals, wyoming "
                             f"and waiting")
        if any(w < 0 for w in v.values()):
            raise ValueError("weights cannot be negative")
        return v

    @field_validator("capacities", "level_overrides")
    @classmethod
    def _lower_emails(cls, v: dict[str, int]) -> dict[str, int]:
        return {k.strip().lower(): n for k, n in v.items()}


class ScheduleSettings(BaseModel):
    """When the program's automatic mail is due."""

    assessment_months: list[int] = Field(default_factory=lambda: [4, 8])
    # With no answer to an assessment reminder after this many days, the coordinators are told.
    escalation_days: int = 14
    relationship_months: int = 12
    # A protégé waiting this long without a match gets a note saying they are not forgotten.
    waiting_list_days: int = 90
    # A proposal unanswered this many days brings one reminder; this many days after it, the coordinators.
    consent_reminder_days: int = Field(default=7, ge=1)
    consent_escalation_days: int = Field(default=7, ge=1)
    # A decline (and its reason) reaches the coordinators in the next digest; on: also at once.
    declines_at_once: bool = False
    digest: Literal["daily", "weekly", "off"] = "weekly"
    digest_weekday: int = 0  # 0 = Monday.
    # Signs digest tokens so a reply command cannot be forged: INBOX_WORKER_SCHEDULE__TOKEN_SECRET.
    token_secret: SecretStr = SecretStr("")
    token_ttl_days: int = 14
    # The listserv a "call for mentors" draft is meant for (the coordinators send it).
    listserv_address: str = ""
    # Before a digest is built, suggest matches for protégés waiting, so it has decisions to offer.
    suggest_before_digest: bool = True
    ending_soon_days: int = 30  # A relationship ending within this many days is listed in the digest.
    # Reply commands are believed only when the receiving server's own Authentication-Results header
    # (this authserv-id; Gmail's is "mx.google.com") shows dkim=pass or spf=pass for a domain aligned
    # with the sender's; headers naming any other server are ignored, as anyone can write them.
    authserv_id: str = ""
    # Off only for a server that adds no Authentication-Results (then only a failing one refuses).
    require_authentication_results: bool = True
    # The short questions each assessment reminder asks; answered by replying.
    assessment_questions: list[str] = Field(default_factory=lambda: [
        "How often have you met or talked since you started (or since the last check-in)?",
        "Is the mentoring relationship meeting your needs? (yes / partly / no)",
        "What has gone well?",
        "Is there anything the mentoring coordinators could help with?",
        "May the coordinators quote your answer about what has gone well, without your name, in the "
        "program's reports? (yes / no)",
    ])
    # Once a month, from this day on, the coordinators get `inbox-worker report`'s page by email (0: off).
    monthly_report_day: int = Field(default=1, ge=0, le=28)
    monthly_report_pdf: bool = False  # The PDF too (needs Chromium: apt install chromium).

    @field_validator("authserv_id")
    @classmethod
    def _authserv_id_as_compared(cls, value: str) -> str:
        # RFC 8601: an authserv-id is compared without regard to case.
        return value.strip().lower()

    @model_validator(mode="after")
    def _assessed_at_least_twice(self) -> ScheduleSettings:
        # The program document: each relationship is assessed "at least twice during the
        # 12-month mentoring period"; a month outside the relationship would never come.
        months = sorted(set(self.assessment_months))
        inside = [m for m in months if 1 <= m < self.relationship_months]
        if len(inside) < 2 or inside != months:
            raise ValueError(
                f"assessment_months {self.assessment_months}: the program assesses each relationship at "
                f"least twice during it, so give two or more different months from 1 to "
                f"{self.relationship_months - 1} (relationship_months is {self.relationship_months}), "
                f"for example [4, 8]")
        self.assessment_months = months
        return self


