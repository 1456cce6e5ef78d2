"""The `inbox-worker` command: what coordinators and operators type.

Each command loads the settings once (from `--config` or
`INBOX_WORKER_CONFIG`, then the environment), does one thing, and says in
plain words what happened and what to do next. Errors never show a
traceback or a secret.
"""
from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from .clock import utcnow
from .config import ConfigError, Settings, load_settings

app = typer.Typer(
    help="Runs the WLA mentoring program from its mailbox: reads application forms, records them and "
         "answers by email.\n\nStart with `inbox-worker demo` to see it work on a bundled sample mailbox.",
    no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
)
applications_app = typer.Typer(help="See the applications received.", no_args_is_help=True)
outbox_app = typer.Typer(help="See and retry outgoing email.", no_args_is_help=True)
db_app = typer.Typer(help="Database upkeep.", no_args_is_help=True)
app.add_typer(applications_app, name="applications")
app.add_typer(outbox_app, name="outbox")
app.add_typer(db_app, name="db")

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


@app.callback()
def choose_program(
    program: Annotated[str | None, typer.Option("--program", "-p", help="In a deployment that runs several "
                       "programs, the one to act on (its key in the configuration). `run` without it runs "
                       "them all.", show_default=False)] = None,
) -> None:
    SELECTED["program"] = program


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
    from .db import DatabaseError
    from .worker import bootstrap

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


# ---------------------------------------------------------------- run
@app.command()
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

    Without --once it polls every worker.poll_interval_seconds until stopped (Ctrl-C).
    """
    from .worker import MailSource, run_cycle, run_forever

    setup_logging(verbose)
    everything = all_settings_from(config)
    try:
        keys = [SELECTED["program"]] if SELECTED["program"] else everything.program_keys()
        apps = [open_app(everything.for_program(k)) for k in keys]
    except ConfigError as e:
        raise fail(str(e)) from None
    if not once:
        if dry_run or now:
            raise fail("--dry-run and --now work with --once; add --once")
        run_forever(apps, MailSource())
        return
    for application in apps:
        summary = run_cycle(application, MailSource(), parse_now(now), dry_run=dry_run)
        prefix = f"[{application.settings.program_key}] " if len(apps) > 1 else ""
        for line in summary.lines():
            typer.echo(prefix + line)
    if dry_run:
        typer.echo("dry run: nothing was changed; the mail that would be sent is in "
                   f"{everything.worker.outbox_dir}")


# ---------------------------------------------------------------- demo
@app.command()
def demo(
    out: Annotated[Path, typer.Option("--out", help="Folder for the demo's mailbox, database and sent mail.")]
    = Path("demo-output"),
) -> None:
    """Run the whole job on a bundled sample mailbox: no server and no password needed.

    Copies sample messages into a local mailbox, processes them into a SQLite
    database and writes the email it would send as .eml files.
    """
    from .demo import run_demo

    for line in run_demo(out):
        typer.echo(line)


# ---------------------------------------------------------------- parse
@app.command()
def parse(path: Annotated[Path, typer.Argument(help="An .eml message, or a bare .docx, .pdf, .odt, .txt or "
                                               ".html form.")]) -> None:
    """Read one message or file and print its application record as JSON.

    Exit status 0 with the record; 3 when it holds no application (the reason on
    stderr); 2 when the file cannot be read.
    """
    from .extract import extract_path
    from .record import UnreadableInput

    if not path.is_file():
        raise fail(f"{path} is not a file", 2)
    try:
        extraction = extract_path(path)
    except UnreadableInput as e:
        raise fail(f"cannot read {path}: {e}", 2) from None
    if extraction.kind != "application":
        typer.echo(f"no application in {path}: {extraction.reason}", err=True)
        raise typer.Exit(3)
    typer.echo(json.dumps(extraction.output(), ensure_ascii=False))


# ---------------------------------------------------------------- form
@app.command()
def form(
    format: Annotated[str, typer.Option("--format", "-f", help="docx, pdf or txt.")] = "docx",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write here (default: "
                                                "WLA-mentoring-application.FORMAT).")] = None,
) -> None:
    """Write the program's blank application form (fillable Word or PDF, or plain text)."""
    from .formgen import write_form

    if format not in ("docx", "pdf", "txt"):
        raise fail(f"--format {format!r} is not one of docx, pdf, txt")
    target = output or Path(f"WLA-mentoring-application.{format}")
    target.write_bytes(write_form(format))
    typer.echo(f"wrote {target}")


# ---------------------------------------------------------------- status
@app.command()
def status(config: ConfigOption = None, as_json: JsonOption = False) -> None:
    """What the worker has done: last poll, messages by state, outbox and review queues."""
    from .reports import status_report

    application = open_app(settings_from(config))
    report = status_report(application)
    if as_json:
        typer.echo(json.dumps(report, indent=2, default=str))
        return
    typer.echo(f"last poll: {report['last_poll_at'] or 'never (run `inbox-worker run --once`)'}")
    typer.echo("messages: " + (", ".join(f"{n} {k}" for k, n in report["messages"].items()) or "none yet"))
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


# ---------------------------------------------------------------- applications
@applications_app.command("list")
def applications_list(config: ConfigOption = None, as_json: JsonOption = False,
                      role: Annotated[str | None, typer.Option(help="protege or mentor")] = None) -> None:
    """List applications, newest first."""
    from .reports import list_applications

    rows = list_applications(open_app(settings_from(config)), role=role)
    if as_json:
        typer.echo(json.dumps(rows, indent=2, default=str, ensure_ascii=False))
        return
    if not rows:
        typer.echo("no applications yet")
        return
    for r in rows:
        missing = f"  missing: {', '.join(r['missing'])}" if r["missing"] else ""
        typer.echo(f"#{r['id']:<4} {r['role'] or '?':<8} {r['name'] or '(no name)':<28} {r['email']:<36} "
                   f"{r['status']}{missing}")
    typer.echo("\nshow one with `inbox-worker applications show ID`")


@applications_app.command("show")
def applications_show(which: Annotated[str, typer.Argument(help="Application number or email address.")],
                      config: ConfigOption = None, as_json: JsonOption = False) -> None:
    """Show one application in full, with its history."""
    from .reports import show_application

    data = show_application(open_app(settings_from(config)), which)
    if data is None:
        raise fail(f"no application {which!r}; see `inbox-worker applications list`")
    if as_json:
        typer.echo(json.dumps(data, indent=2, default=str, ensure_ascii=False))
        return
    typer.echo(f"application #{data['id']} ({data['status']}), version {data['version']}")
    for key, value in data["record"].items():
        typer.echo(f"  {key:<20} {value if value not in (None, []) else '-'}")
    if data["missing"]:
        typer.echo(f"  missing: {', '.join(data['missing'])}")
    typer.echo(f"  received {data['created_at']}, updated {data['updated_at']}, {len(data['versions'])} version(s)")


# ---------------------------------------------------------------- outbox
@outbox_app.command("list")
def outbox_list(config: ConfigOption = None, as_json: JsonOption = False,
                state: Annotated[str | None, typer.Option(help="pending, sent, failed or withdrawn")] = None) -> None:
    """List outgoing email, newest first."""
    from .reports import list_outbox

    rows = list_outbox(open_app(settings_from(config)), state=state)
    if as_json:
        typer.echo(json.dumps(rows, indent=2, default=str, ensure_ascii=False))
        return
    if not rows:
        typer.echo("the outbox is empty")
        return
    for r in rows:
        err = f"  ({r['last_error']})" if r["last_error"] and r["state"] != "sent" else ""
        typer.echo(f"#{r['id']:<4} {r['state']:<9} {r['template']:<24} to {', '.join(r['recipients'])}: "
                   f"{r['subject']}{err}")


@outbox_app.command("retry")
def outbox_retry(ids: Annotated[list[int], typer.Argument(help="Outbox numbers from `outbox list`.")],
                 config: ConfigOption = None) -> None:
    """Queue failed or deferred email again; it is sent at the next cycle."""
    from . import outbox

    application = open_app(settings_from(config))
    now = parse_now(None)
    with application.db.unit_of_work() as s:
        for i in ids:
            row = outbox.retry(s, i, now)
            if row is None:
                typer.echo(f"#{i}: no such email")
            elif row.state == "sent":
                typer.echo(f"#{i}: already sent; not sent again")
            elif row.state == "withdrawn":
                typer.echo(f"#{i}: withdrawn ({row.last_error}); not sent")
            else:
                typer.echo(f"#{i}: queued again")
    typer.echo("it goes out at the next cycle (`inbox-worker run --once` sends now)")


# ---------------------------------------------------------------- preview
@app.command()
def preview(
    template: Annotated[str, typer.Argument(help="Template name; run without a valid name to see them all.")],
    config: ConfigOption = None,
    html: Annotated[bool, typer.Option("--html", help="Show the HTML part instead of the text part.")] = False,
) -> None:
    """Render an email template with sample data, to check wording or an override."""
    from .emails import TEMPLATES, Templates
    from .samples import sample_context

    if template not in TEMPLATES:
        names = "\n".join(f"  {n:<24} {about}" for n, about in TEMPLATES.items())
        raise fail(f"no template {template!r}. The templates are:\n{names}")
    settings = settings_from(config)
    rendered = Templates(settings.program.templates_dir).render(template, sample_context(template, settings))
    typer.echo(f"Subject: {rendered.subject}\n")
    typer.echo(rendered.html if html else rendered.text)


# ---------------------------------------------------------------- health
@app.command()
def health(config: ConfigOption = None) -> None:
    """Exit 0 when the worker is keeping up, 1 (with the reasons) when it is not.

    For a process supervisor or a container health probe: fails when the database does not answer,
    no poll happened recently, or email has waited long after it was due.
    """
    from . import health as checks
    from .db import DatabaseError
    from .worker import bootstrap

    everything = all_settings_from(config)
    keys = [SELECTED["program"]] if SELECTED["program"] else everything.program_keys()
    problems = []
    for key in keys:
        try:
            application = bootstrap(everything.for_program(key))
        except (DatabaseError, ConfigError) as e:
            problems.append(f"[{key}] {e}")
            continue
        problems += [f"[{key}] {p}" if len(keys) > 1 else p for p in checks.check(application, parse_now(None))]
    for problem in problems:
        typer.echo(f"unhealthy: {problem}", err=True)
    if problems:
        raise typer.Exit(1)
    typer.echo("healthy")


# ---------------------------------------------------------------- forget
@app.command()
def forget(
    address: Annotated[str, typer.Argument(help="The person's email address.")],
    config: ConfigOption = None,
    yes: Annotated[bool, typer.Option("--yes", help="Do it without asking to confirm.")] = False,
) -> None:
    """Erase a person on their request: application, raw mail, email sent to them, answers.

    Anonymous counts (a role, a library type) are kept for reports. Cannot be undone.
    """
    from . import privacy

    application = open_app(settings_from(config))
    if not yes and not typer.confirm(f"Erase everything about {address}? This cannot be undone"):
        raise typer.Exit(1)
    report = privacy.forget(application.db, application.raw_store, address, parse_now(None), actor="cli")
    for line in report.lines():
        typer.echo(line)


@db_app.command("upgrade")
def db_upgrade(config: ConfigOption = None) -> None:
    """Bring the database to the newest schema (the worker also does this at every start)."""
    settings = settings_from(config)
    application = open_app(settings)
    typer.echo(f"database at {application.db.safe_url} is up to date")


# ---------------------------------------------------------------- the program year (cli_program.py)
from .cli_program import export, matches_app, people_app  # noqa: E402 - registered after the helpers it uses

app.add_typer(matches_app, name="matches")
app.add_typer(people_app, name="people")
app.command()(export)


def main() -> None:
    app()
