"""The one configuration model, loaded in one place.

Settings come from a TOML file (`--config PATH` or `INBOX_WORKER_CONFIG`),
then each key may be overridden from the environment as
`INBOX_WORKER_<SECTION>__<KEY>` (for example `INBOX_WORKER_IMAP__PASSWORD`).
No other module reads the environment. Passwords and tokens are
`SecretStr`, so they print as `**********` in logs, reprs and errors.
"""
from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

ENV_PREFIX = "INBOX_WORKER_"
CONFIG_ENV = "INBOX_WORKER_CONFIG"

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

    @field_validator("coordinators")
    @classmethod
    def _lower(cls, v: list[str]) -> list[str]:
        return [a.strip().lower() for a in v if a.strip()]


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
    digest: Literal["daily", "weekly", "off"] = "weekly"
    # 0 = Monday.
    digest_weekday: int = 0
    # Signs the tokens in digest emails, so a reply command cannot be forged. Set it in the
    # environment: INBOX_WORKER_SCHEDULE__TOKEN_SECRET.
    token_secret: SecretStr = SecretStr("")
    token_ttl_days: int = 14
    # The listserv a "call for mentors" draft is meant for (the coordinators send it).
    listserv_address: str = ""
    # Before a digest is built, suggest matches for protégés waiting, so it has decisions to offer.
    suggest_before_digest: bool = True
    # A relationship ending within this many days is listed in the digest.
    ending_soon_days: int = 30
    # Refuse a reply command unless the receiving server's Authentication-Results header shows
    # dkim=pass or spf=pass for the sender's domain. Without this, such a header is still checked
    # when it is there; Gmail always adds one.
    require_authentication_results: bool = False
    # The short questions each assessment reminder asks; answered by replying.
    assessment_questions: list[str] = Field(default_factory=lambda: [
        "How often have you met or talked since you started (or since the last check-in)?",
        "Is the mentoring relationship meeting your needs? (yes / partly / no)",
        "What has gone well?",
        "Is there anything the mentoring coordinators could help with?",
    ])

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


class Settings(BaseSettings):
    """All settings. Build it with `load_settings`."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, env_nested_delimiter="__", extra="forbid")

    imap: ImapSettings = Field(default_factory=ImapSettings)
    smtp: SmtpSettings = Field(default_factory=SmtpSettings)
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    program: ProgramSettings = Field(default_factory=ProgramSettings)
    worker: WorkerSettings = Field(default_factory=WorkerSettings)
    matching: MatchingSettings = Field(default_factory=MatchingSettings)
    schedule: ScheduleSettings = Field(default_factory=ScheduleSettings)
    # Several programs in one deployment; none listed means one program, "default".
    programs: list[ProgramEntry] = Field(default_factory=list)
    # Which program these settings are for (set by `for_program`).
    program_key: str = "default"

    def program_keys(self) -> list[str]:
        return [p.key for p in self.programs] or ["default"]

    @model_validator(mode="after")
    def _programs_apart(self) -> Settings:
        # Each program's raw-mail folder holds only the files its own records name: clean-ups
        # remove the others, so two programs sharing a folder would remove each other's mail.
        seen: dict[str, str] = {}
        for entry in self.programs:
            if entry.key in seen.values():
                raise ValueError(f"two programs have the key {entry.key!r}; give each its own")
            folder = entry.program.get("raw_store_dir") or str(Path(self.program.raw_store_dir) / entry.key)
            where = os.path.normpath(folder)
            if where in seen:
                raise ValueError(f"programs {seen[where]!r} and {entry.key!r} share the raw-mail folder "
                                 f"{folder}; give each its own program.raw_store_dir")
            seen[where] = entry.key
        return self

    def for_program(self, key: str | None = None) -> Settings:
        """The settings of one program: the top level, with that program's own values over it.

        Each program keeps its records apart: its own schema on PostgreSQL, its own file
        on SQLite, its own raw-mail folder.
        """
        keys = self.program_keys()
        if key is None:
            if len(keys) > 1:
                raise ConfigError(f"this deployment runs several programs ({', '.join(keys)}): say which "
                                  "with --program KEY")
            key = keys[0]
        if key not in keys:
            raise ConfigError(f"no program {key!r} in the configuration; the programs are: {', '.join(keys)}")
        if not self.programs:
            return self
        entry = next(p for p in self.programs if p.key == key)
        data = self.model_dump(exclude={"programs", "program_key"})
        for section in ("imap", "smtp", "program", "schedule", "matching", "worker"):
            data[section] = _deep_merge(data[section], getattr(entry, section))
        db = dict(data["database"])
        if db["url"].startswith("sqlite:///") and db["url"] != "sqlite:///:memory:":
            stem, dot, ext = db["url"].rpartition(".")
            db["url"] = f"{stem}.{key}.{ext}" if dot and "/" not in ext else f"{db['url']}.{key}"
        else:
            db["schema_name"] = f"program_{key.replace('-', '_')}"
        data["database"] = db
        if "raw_store_dir" not in entry.program:
            data["program"]["raw_store_dir"] = str(Path(data["program"]["raw_store_dir"]) / key)
        data = _reveal(data)
        return Settings.model_validate({**data, "programs": [], "program_key": key})

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The environment wins over the file, key by key.
        return (env_settings, init_settings)


def _deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for k, v in over.items():
        out[k] = _deep_merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def _reveal(value: Any) -> Any:
    """Secrets as plain values again, so a dumped model can be validated anew."""
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    if isinstance(value, dict):
        return {k: _reveal(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_reveal(v) for v in value]
    return value


def load_settings(path: str | Path | None = None, *, overrides: dict[str, Any] | None = None) -> Settings:
    """Read the TOML file (if any), then the environment; raise ConfigError with a fix on failure."""
    path = path or os.environ.get(CONFIG_ENV)
    data: dict[str, Any] = {}
    if path:
        p = Path(path)
        if not p.is_file():
            raise ConfigError(f"the configuration file {p} does not exist. Copy config.example.toml "
                              f"to {p} and edit it, or leave --config out to use the built-in defaults.")
        try:
            data = tomllib.loads(p.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
            raise ConfigError(f"{p} is not valid TOML: {e}. Compare it with config.example.toml.") from e
        # Relative paths in the file are relative to the file, so a config works from any directory.
        data = _anchor_paths(data, p.resolve().parent)
    if overrides:
        data = _deep_merge(data, overrides)
    try:
        return Settings(**data)
    except ValidationError as e:
        problems = "; ".join(
            f"{'.'.join(str(x) for x in err['loc'])}: {err['msg']}" for err in e.errors(include_input=False)
        )
        raise ConfigError(f"the configuration has problems: {problems}. See config.example.toml for "
                          f"every setting and its meaning.") from None


def _anchor_paths(data: dict[str, Any], base: Path) -> dict[str, Any]:
    prog = dict(data.get("program", {}))
    for key in ("templates_dir", "raw_store_dir"):
        if prog.get(key) and not Path(prog[key]).is_absolute():
            prog[key] = str(base / prog[key])
    worker = dict(data.get("worker", {}))
    if worker.get("outbox_dir") and not Path(worker["outbox_dir"]).is_absolute():
        worker["outbox_dir"] = str(base / worker["outbox_dir"])
    db = dict(data.get("database", {}))
    url = db.get("url", "")
    if url.startswith("sqlite:///") and not url.startswith("sqlite:////") and url != "sqlite:///:memory:":
        db["url"] = "sqlite:///" + str(base / url[len("sqlite:///"):])
    out = dict(data)
    if prog:
        out["program"] = prog
    if worker:
        out["worker"] = worker
    if db:
        out["database"] = db
    return out
