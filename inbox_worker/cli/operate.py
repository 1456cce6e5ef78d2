"""Running the worker and seeing that it is well: `run`, `demo`, `status`, `health`, `db upgrade`."""
from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from inbox_worker.cli.common import (
    SELECTED,
    ConfigOption,
    JsonOption,
    all_settings_from,
    check_config,
    database_absent,
    describe_database,
    fail,
    missing_secrets,
    open_app,
    parse_now,
    settings_from,
    setup_logging,
)
from inbox_worker.config import ConfigError

db_app = typer.Typer(help="Database upkeep.", no_args_is_help=True)


def run(
    config: ConfigOption = None,
    once: Annotated[bool, typer.Option("--once", help="Do one full cycle (poll, process, send) and exit.")] = False,
    now: Annotated[str | None, typer.Option("--now", help="Pretend it is this time (ISO, e.g. 2027-06-01T09:00) "
                                            "for everything time-based.")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Change nothing: leave the mailbox and database as "
                                          "they are and write the mail that would be sent to worker.outbox_dir "
                                          "as .eml files.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log more detail.")] = False,
) -> None:
    """Watch the program mailbox and answer applications.

    Without --once it polls every worker.poll_interval_seconds until stopped (Ctrl-C). With
    --once it exits 1, saying what failed and what to check, when the mailbox or the mail server
    cannot be reached or refuses the login.
    """
    from inbox_worker.worker import MailSource, keep_watch, run_cycle, run_forever

    everything = all_settings_from(config)
    setup_logging(verbose, everything)
    try:
        keys = [SELECTED["program"]] if SELECTED["program"] else everything.program_keys()
        chosen = [everything.for_program(k) for k in keys]
    except ConfigError as e:
        raise fail(str(e)) from None
    missing = [f"[{s.program_key}] {m}" if len(chosen) > 1 else m for s in chosen for m in missing_secrets(s)]
    if missing:
        raise fail("; ".join(missing))
    apps = [open_app(s, create=True) for s in chosen]
    if not once:
        if dry_run or now:
            raise fail("--dry-run and --now work with --once; add --once")
        run_forever(apps, MailSource())
        return
    failures = []
    for application in apps:
        when = parse_now(now, application.settings.program.zone)
        summary = run_cycle(application, MailSource(), when, dry_run=dry_run)
        prefix = f"[{application.settings.program_key}] " if len(apps) > 1 else ""
        for line in summary.lines():
            typer.echo(prefix + line)
        if not dry_run:
            keep_watch(application, summary, when)
        mailbox_error, smtp_error = summary.trouble()
        failures += [f"{prefix}the mailbox could not be used: {mailbox_error}"] if mailbox_error else []
        failures += [f"{prefix}email could not be sent: {smtp_error}"] if smtp_error else []
    if dry_run:
        typer.echo("dry run: nothing was changed; the mail that would be sent is in "
                   f"{everything.worker.outbox_dir}")
    if failures:
        raise fail("; ".join(failures))


def demo(
    out: Annotated[Path, typer.Option("--out", help="Folder for the demo's mailbox, database and sent mail.")]
    = Path("demo-output"),
    config: ConfigOption = None,
) -> None:
    """Run the whole job on a bundled sample mailbox: no server and no password needed.

    Copies sample messages into a local mailbox, processes them into a SQLite
    database and writes the email it would send as .eml files. The demo has settings
    of its own (OUT/demo.toml); a --config given is only checked.
    """
    from inbox_worker.demo import run_demo

    check_config(config)
    for line in run_demo(out):
        typer.echo(line)


# An incoming message's state in words, for `status`.
MESSAGE_STATES = {"new": "being read", "processed": "processed", "review": "waiting for review",
                  "done": "reviewed", "ignored": "automatic (not answered)", "duplicate": "duplicate copies"}


def status(config: ConfigOption = None, as_json: JsonOption = False,
           now: Annotated[str | None, typer.Option("--now", help="Pretend it is this time (ISO, e.g. "
                                                   "2027-06-01T09:00).", show_default=False)] = None) -> None:
    """Where the program stands (protégés waiting, mentors' free places, pairs, check-ins, mail to read,
    email not delivered), then what the worker has done: last poll, messages, outbox, review queue."""
    from inbox_worker.outbound.words import time_for_people
    from inbox_worker.program.views import status_report

    settings = settings_from(config)
    application = open_app(settings)
    report = status_report(application, parse_now(now, settings.program.zone))
    report["config_file"] = str(settings.config_file) if settings.config_file else None
    report["database"] = describe_database(settings)
    if as_json:
        typer.echo(json.dumps(report, indent=2, default=str))
        return
    typer.echo(f"{application.settings.program.name} on {report['program']['today']}:")
    for line in report["program"]["summary"]:
        typer.echo(f"  {line['label'] + ':':<33}{line['value']}")
    typer.echo("")
    typer.echo(f"settings: {report['config_file'] or 'no file (built-in defaults and the environment)'}")
    typer.echo(f"database: {report['database']}")
    def when(iso: str) -> str:
        # Stored times are UTC; people read the program's own clock, named.
        at = time_for_people(datetime.fromisoformat(iso), zone=settings.program.zone)
        return f"{at} ({settings.program.timezone})"

    last_poll = when(report["last_poll_at"]) if report["last_poll_at"] else "never (run `inbox-worker run --once`)"
    typer.echo(f"last poll: {last_poll}")
    cycle = report["last_cycle"]
    if cycle and cycle["last_error"]:

        state = "still failing" if cycle["failing_since"] else f"working again since {when(cycle['at'])}"
        typer.echo(f"last error: {when(cycle['last_error_at'])} ({state}): {cycle['last_error']}")
    typer.echo("messages: " + (", ".join(f"{n} {MESSAGE_STATES.get(k, k)}" for k, n in report["messages"].items())
                               or "none yet"))
    typer.echo("applications: " + (", ".join(f"{n} {k}" for k, n in report["applications"].items()) or "none"))
    typer.echo("outbox: " + (", ".join(f"{n} {k}" for k, n in report["outbox"].items()) or "empty"))
    if report["review"]:
        typer.echo(f"\nwaiting for a coordinator ({len(report['review'])}), in folder "
                   f"{application.settings.imap.review_folder}:")
        for item in report["review"]:
            typer.echo(f"  #{item['id']} from {item['sender']}: {item['subject']!r}: {item['reason']}")
    if report["outbox"].get("failed"):
        typer.echo("\nsome email failed: see `inbox-worker outbox list --state failed`, then "
                   "`inbox-worker outbox retry ID`")


def health(
    config: ConfigOption = None,
    alert: Annotated[bool, typer.Option("--alert", help="Email the operator ([alerts] operator, else the "
                                        "coordinators) once per incident: not again while it lasts, again "
                                        "after it was put right and something new goes wrong.")] = False,
) -> None:
    """Exit 0 when the worker is keeping up, 1 (with the reasons) when it is not.

    For a process supervisor, a timer or a container health probe: fails when the database does not
    answer, a password is not set, the last poll failed (the mailbox could not be reached or refused
    the login), email could not be sent, no poll happened recently, or email has waited long after it
    was due or gave up after all its tries.
    """
    from inbox_worker.program import alerts
    from inbox_worker.program import health as checks
    from inbox_worker.store.database import DatabaseError
    from inbox_worker.worker import bootstrap, open_sender

    everything = all_settings_from(config)
    setup_logging(False, everything)
    keys = [SELECTED["program"]] if SELECTED["program"] else everything.program_keys()
    problems = []
    now = parse_now(None)
    for key in keys:
        try:
            settings = everything.for_program(key)
        except ConfigError as e:
            problems.append(f"[{key}] {e}")
            continue
        found = missing_secrets(settings)
        absent = database_absent(settings)
        if absent:
            found.append(absent)
        else:
            try:
                found += checks.check(bootstrap(settings), now)
            except DatabaseError as e:
                found.append(str(e))
        if alert:
            alerts.after_health_check(settings, found, now, lambda s=settings: open_sender(s))
        problems += [f"[{key}] {p}" if len(keys) > 1 else p for p in found]
    for problem in problems:
        typer.echo(f"unhealthy: {problem}", err=True)
    if problems:
        raise typer.Exit(1)
    typer.echo("healthy")


@db_app.command("upgrade")
def db_upgrade(config: ConfigOption = None) -> None:
    """Bring the database to the newest schema (the worker also does this at every start)."""
    settings = settings_from(config)
    open_app(settings, create=True)
    typer.echo(f"the database at {describe_database(settings)} is up to date")
