"""What every command shares: its options, loading the settings, opening the program, failing plainly."""
from __future__ import annotations

import contextlib
import json
import logging
import os
import sys
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import BaseModel, SecretStr
from sqlalchemy.engine import make_url

from inbox_worker.clock import utcnow
from inbox_worker.config import ConfigError, Settings, load_settings
from inbox_worker.places import SECRET_KEYS, flatten

ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", "-c", help="The TOML settings file. Default: $INBOX_WORKER_CONFIG, else the first "
                 "of ./inbox-worker.toml, ~/.config/inbox-worker/config.toml and /etc/inbox-worker/config.toml "
                 "that exists, else built-in defaults. `inbox-worker init PATH` writes one.", show_default=False),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for scripts instead of a table.")]


def fail(message: str, code: int = 1) -> typer.Exit:
    typer.secho(f"error: {message}", err=True, fg=typer.colors.RED)
    return typer.Exit(code)


# Set by the global options: which program a command is about, and how log lines are written.
SELECTED: dict[str, str | None] = {"program": None, "log_format": "text"}


def all_settings_from(config: Path | None) -> Settings:
    try:
        return load_settings(config)
    except ConfigError as e:
        raise fail(str(e)) from None


def check_config(config: Path | None) -> None:
    """For a command that needs no settings: a --config given is still read, so a wrong path or a
    broken file is said at once, as every other command says it."""
    if config is not None:
        all_settings_from(config)


def settings_from(config: Path | None) -> Settings:
    """The settings of the program this command is about."""
    try:
        return all_settings_from(config).for_program(SELECTED["program"])
    except ConfigError as e:
        raise fail(str(e)) from None


def parse_now(value: str | None, zone: tzinfo = UTC) -> datetime:
    """The clock for this run (naive UTC, as stored): --now, read on the program's clock (`zone`)
    unless it names its own offset, else the real time."""
    if not value:
        return utcnow()
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        raise fail(f"--now {value!r} is not a date and time; write it like 2027-06-01T09:00") from None
    return (when if when.tzinfo is not None else when.replace(tzinfo=zone)).astimezone(UTC).replace(tzinfo=None)


def open_app(settings: Settings, *, create: bool = False):
    """The program's database and stores. Only `create` (run, db upgrade) may start a new, empty
    database: a command that reads records and finds none says where it looked instead."""
    from inbox_worker.store.database import DatabaseError
    from inbox_worker.worker import bootstrap

    if create:
        _make_state_dir(settings)
    else:
        absent = database_absent(settings)
        if absent:
            raise fail(absent)
    try:
        return bootstrap(settings)
    except DatabaseError as e:
        raise fail(str(e)) from None


def _make_state_dir(settings: Settings) -> None:
    folder = Path(settings.paths.state_dir)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise fail(f"cannot make the state folder {folder} ({e.strerror}): set [paths] state_dir in the "
                   f"configuration, or INBOX_WORKER_PATHS__STATE_DIR, to a folder this user can write") from None
    if not folder.is_dir() or not _writable(folder):
        raise fail(f"the state folder {folder} is not writable by this user: set [paths] state_dir, or "
                   f"INBOX_WORKER_PATHS__STATE_DIR, to a folder it can write (the service's is "
                   f"/var/lib/inbox-worker)")


def _writable(folder: Path) -> bool:
    return os.access(folder, os.W_OK | os.X_OK)


def database_absent(settings: Settings) -> str | None:
    """Why the program's records are not where the settings point, in words; None when they are."""
    from inbox_worker.store.backup import database_exists

    try:
        if database_exists(settings.database.url, settings.database.schema_name):
            return None
    except Exception as e:  # unreachable server, wrong password, not a URL: all said the same way
        return (f"the database at {describe_database(settings)} does not answer: {e}. Check [database] url "
                f"in the configuration.")
    source = settings.config_file or "no configuration file (built-in defaults and the environment)"
    return (f"no records at {describe_database(settings)} (settings: {source}; state folder "
            f"{settings.paths.state_dir}). If the records are elsewhere, point at them with --config FILE, "
            f"INBOX_WORKER_CONFIG or INBOX_WORKER_PATHS__STATE_DIR; to start a new database, run "
            f"`inbox-worker db upgrade` (or `inbox-worker run --once`).")


def describe_database(settings: Settings) -> str:
    """The database in words, without its password: a SQLite file's path, else the URL."""
    from sqlalchemy.engine import make_url

    url = make_url(settings.database.url)
    if url.get_backend_name() == "sqlite":
        return url.database or ":memory:"
    shown = url.render_as_string(hide_password=True)
    return f"{shown} (schema {settings.database.schema_name})" if settings.database.schema_name else shown


def secret_values(settings: Settings) -> list[str]:
    """Every password, token and database password set, so logs can be kept free of them."""
    found: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, SecretStr):
            found.append(value.get_secret_value())
        elif isinstance(value, BaseModel):
            for name in type(value).model_fields:
                walk(getattr(value, name))
        elif isinstance(value, dict):
            for v in value.values():
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)

    walk(settings)
    for entry in settings.programs:
        for section in (entry.imap, entry.smtp, entry.schedule):
            found += [str(v) for k, v in flatten(section) if k in SECRET_KEYS and v]
    with contextlib.suppress(Exception):
        found.append(str(make_url(settings.database.url).password or ""))
    return sorted({v for v in found if v}, key=len, reverse=True)


def missing_secrets(settings: Settings) -> list[str]:
    """Passwords the configured servers need but nobody set, in words: each is reported as
    missing instead of being tried as an empty password."""
    missing = []
    if settings.imap.auth == "password" and settings.imap.username and not settings.imap.password.get_secret_value():
        missing.append(f"INBOX_WORKER_IMAP__PASSWORD is not set: the mailbox {settings.imap.username} needs its "
                       "password (for Gmail, an app password); put it in the environment or in the "
                       "service's secrets file")
    oauth = settings.imap.oauth2
    if settings.imap.auth == "oauth2" and not oauth.token_command and not (
            oauth.client_id and oauth.client_secret and oauth.refresh_token):
        missing.append("imap.auth is oauth2 but neither imap.oauth2.token_command nor a client id with "
                       "INBOX_WORKER_IMAP__OAUTH2__CLIENT_SECRET and INBOX_WORKER_IMAP__OAUTH2__REFRESH_TOKEN "
                       "is set")
    if settings.smtp.username and not settings.smtp.password.get_secret_value():
        missing.append(f"INBOX_WORKER_SMTP__PASSWORD is not set: the mail server login {settings.smtp.username} "
                       "needs its password; put it in the environment or in the service's secrets file")
    return missing


class OneLineFormatter(logging.Formatter):
    """One line per event, as journald and log collectors want it, with every secret starred out."""

    def __init__(self, secrets: list[str], as_json: bool) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")
        self.secrets = [s for s in secrets if s]
        self.as_json = as_json

    def _scrub(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "**********")
        return text

    def format(self, record: logging.LogRecord) -> str:
        if not self.as_json:
            # A traceback stays in the same journal entry: its lines are joined with " | ".
            return self._scrub(super().format(record)).replace("\r", "").replace("\n", " | ")
        event = {"time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
                 "level": record.levelname, "logger": record.name, "message": self._scrub(record.getMessage())}
        if record.exc_info:
            event["exception"] = self._scrub(self.formatException(record.exc_info))
        return json.dumps(event, ensure_ascii=False)


def setup_logging(verbose: bool, settings: Settings | None = None) -> None:
    """Our own steps in detail with --verbose; other libraries only when something goes wrong.

    One line per event on stderr (journald keeps them), as text or, with the global
    `--log-format json`, as JSON. The settings' passwords and tokens never show.
    (imapclient's debug log would print whole messages: personal data.)
    """
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(OneLineFormatter(secret_values(settings) if settings else [],
                                          as_json=SELECTED["log_format"] == "json"))
    logging.basicConfig(level=logging.WARNING, handlers=[handler], force=True)
    logging.getLogger("inbox_worker").setLevel(logging.DEBUG if verbose else logging.INFO)
    # "skipped: maximum number of running instances reached" is the schedule working as meant.
    logging.getLogger("apscheduler").setLevel(logging.ERROR)


NowOption = Annotated[str | None, typer.Option(
    "--now", help="Pretend it is this time on the program's clock ([program] timezone), written like "
                 "2027-06-01T09:00 (add an offset, as 2027-06-01T15:00Z, for another clock); default: now.",
    show_default=False)]
ByOption = Annotated[str | None, typer.Option(
    "--by", help="Who is deciding, for the record (default: your login name).", show_default=False)]
DryRunOption = Annotated[bool, typer.Option(
    "--dry-run", help="Show what the decision would do, and change nothing: no record, no email.")]
Protege = Annotated[str, typer.Argument(help="The protégé: email address or application number.")]
Mentor = Annotated[str, typer.Argument(help="The mentor: email address or application number.")]
