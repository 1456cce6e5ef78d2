"""What every command shares: its options, loading the settings, opening the program, failing plainly."""
from __future__ import annotations

import logging
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from inbox_worker.clock import utcnow
from inbox_worker.config import ConfigError, Settings, load_settings

ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", "-c", help="The TOML settings file (default: $INBOX_WORKER_CONFIG, else built-in "
                 "defaults). See config.example.toml.", show_default=False),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for scripts instead of a table.")]


def fail(message: str, code: int = 1) -> typer.Exit:
    typer.secho(f"error: {message}", err=True, fg=typer.colors.RED)
    return typer.Exit(code)


# Set by the global --program option: which program a command is about.
SELECTED: dict[str, str | None] = {"program": None}


def all_settings_from(config: Path | None) -> Settings:
    try:
        return load_settings(config)
    except ConfigError as e:
        raise fail(str(e)) from None


def settings_from(config: Path | None) -> Settings:
    """The settings of the program this command is about."""
    try:
        return all_settings_from(config).for_program(SELECTED["program"])
    except ConfigError as e:
        raise fail(str(e)) from None


def parse_now(value: str | None) -> datetime:
    """The clock for this run: --now, else the real time (naive UTC, as stored)."""
    if not value:
        return utcnow()
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        raise fail(f"--now {value!r} is not a date and time; write it like 2027-06-01T09:00") from None
    if when.tzinfo is not None:
        when = when.astimezone(UTC).replace(tzinfo=None)
    return when


def open_app(settings: Settings):
    from inbox_worker.store.database import DatabaseError
    from inbox_worker.worker import bootstrap

    try:
        return bootstrap(settings)
    except DatabaseError as e:
        raise fail(str(e)) from None


def setup_logging(verbose: bool) -> None:
    """Our own steps in detail with --verbose; other libraries only when something goes wrong.

    (imapclient's debug log would print whole messages: personal data.)
    """
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s",
                        stream=sys.stderr)
    logging.getLogger("inbox_worker").setLevel(logging.DEBUG if verbose else logging.INFO)
    # "skipped: maximum number of running instances reached" is the schedule working as meant.
    logging.getLogger("apscheduler").setLevel(logging.ERROR)


NowOption = Annotated[str | None, typer.Option(
    "--now", help="Pretend it is this time (ISO, e.g. 2027-06-01T09:00); default: now.", show_default=False)]
ByOption = Annotated[str | None, typer.Option(
    "--by", help="Who is deciding, for the record (default: your login name).", show_default=False)]
DryRunOption = Annotated[bool, typer.Option(
    "--dry-run", help="Show what the decision would do, and change nothing: no record, no email.")]
Protege = Annotated[str, typer.Argument(help="The protégé: email address or application number.")]
Mentor = Annotated[str, typer.Argument(help="The mentor: email address or application number.")]
