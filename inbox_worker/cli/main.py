"""The `inbox-worker` command: what coordinators and operators type.

Each command loads the settings once (from `--config`, `INBOX_WORKER_CONFIG`
or the first config file found, then the environment), does one thing, and says in
plain words what happened and what to do next. Errors never show a
traceback or a secret. The commands live in one module per group; this one
only puts them together.
"""
from __future__ import annotations

from typing import Annotated, Literal

import typer

from inbox_worker import __version__
from inbox_worker.cli import applications, matches, operate, outbox, report, review, upkeep
from inbox_worker.cli.common import SELECTED

app = typer.Typer(
    help="Runs the WLA mentoring program from its mailbox: reads application forms, records them and "
         "answers by email.\n\nStart with `inbox-worker demo` to see it work on a bundled sample mailbox.",
    no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
)


def _print_version(asked: bool) -> None:
    if asked:
        typer.echo(f"inbox-worker {__version__}")
        raise typer.Exit()


@app.callback()
def choose_program(
    program: Annotated[str | None, typer.Option("--program", "-p", help="In a deployment that runs several "
                       "programs, the one to act on (its key in the configuration). `run` without it runs "
                       "them all.", show_default=False)] = None,
    log_format: Annotated[Literal["text", "json"], typer.Option(
        "--log-format", help="How log lines on stderr are written: text (one line per event, for journald) "
        "or json (one JSON object per line, for log collectors).")] = "text",
    version: Annotated[bool, typer.Option("--version", help="Print the version and exit.", is_eager=True,
                                          callback=_print_version)] = False,
) -> None:
    SELECTED["program"] = program
    SELECTED["log_format"] = log_format


for command in (operate.run, operate.demo, applications.parse, applications.form, operate.status,
                outbox.preview, operate.health, applications.forget, matches.export, upkeep.init,
                upkeep.backup, report.report):
    app.command()(command)
app.add_typer(applications.applications_app, name="applications")
app.add_typer(outbox.outbox_app, name="outbox")
app.add_typer(review.review_app, name="review")
app.add_typer(matches.matches_app, name="matches")
app.add_typer(matches.people_app, name="people")
app.add_typer(operate.db_app, name="db")


def main() -> None:
    app()
