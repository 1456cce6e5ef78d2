"""Outgoing email: list and retry what is in the outbox, and preview any template with sample data."""
from __future__ import annotations

import json
from typing import Annotated

import typer

from inbox_worker.cli.common import (
    ConfigOption,
    JsonOption,
    fail,
    open_app,
    parse_now,
    settings_from,
)

outbox_app = typer.Typer(help="See and retry outgoing email.", no_args_is_help=True)


# The outbox's states, as `--state` takes them, and what each means in words.
OUTBOX_STATES = {"pending": "waiting to be sent", "sent": "sent", "failed": "failed",
                 "withdrawn": "withdrawn (not to be sent)"}


@outbox_app.command("list")
def outbox_list(config: ConfigOption = None, as_json: JsonOption = False,
                state: Annotated[str | None, typer.Option(help="Only these: pending (waiting to be sent), sent, "
                                                          "failed or withdrawn.", show_default=False)] = None) -> None:
    """List outgoing email, newest first."""
    from inbox_worker.outbound.words import template_words
    from inbox_worker.program.views import list_outbox

    if state is not None and state not in OUTBOX_STATES:
        raise fail(f"--state {state!r} is not one of {', '.join(OUTBOX_STATES)}", 2)
    rows = list_outbox(open_app(settings_from(config)), state=state)
    if as_json:
        typer.echo(json.dumps(rows, indent=2, default=str, ensure_ascii=False))
        return
    if not rows:
        typer.echo(f"no {state} email" if state else "the outbox is empty")
        return
    for r in rows:
        err = f"  ({r['last_error']})" if r["last_error"] and r["state"] != "sent" else ""
        typer.echo(f"#{r['id']:<4} {OUTBOX_STATES.get(r['state'], r['state']):<18} {template_words(r['template'])} "
                   f"to {', '.join(r['recipients'])}: {r['subject']}{err}")


@outbox_app.command("retry")
def outbox_retry(ids: Annotated[list[int], typer.Argument(help="Outbox numbers from `outbox list`.")],
                 config: ConfigOption = None) -> None:
    """Queue failed or deferred email again; it is sent at the next cycle."""
    from inbox_worker.outbound import outbox

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


def preview(
    template: Annotated[str | None, typer.Argument(help="Template name; without one, the templates are listed.",
                                                   show_default=False)] = None,
    config: ConfigOption = None,
    html: Annotated[bool, typer.Option("--html", help="Show the HTML part instead of the text part.")] = False,
) -> None:
    """Render an email template with sample data, to check wording or an override."""
    from inbox_worker.cli.samples import sample_context
    from inbox_worker.outbound.emails import TEMPLATES, Templates

    names = "\n".join(f"  {n:<24} {about}" for n, about in TEMPLATES.items())
    if template is None:
        typer.echo(f"The email templates (show one with `inbox-worker preview NAME`):\n{names}")
        return
    if template not in TEMPLATES:
        raise fail(f"no template {template!r}. The templates are:\n{names}")
    settings = settings_from(config)
    rendered = Templates(settings.program.templates_dir).render(template, sample_context(template, settings))
    typer.echo(f"Subject: {rendered.subject}\n")
    typer.echo(rendered.html if html else rendered.text)
