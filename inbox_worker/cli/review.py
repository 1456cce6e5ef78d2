"""The review queue: list, read, close and reprocess the messages set aside for a coordinator."""
from __future__ import annotations

import contextlib
import getpass
import json
from typing import Annotated

import typer

from inbox_worker.cli.common import (
    ByOption,
    ConfigOption,
    JsonOption,
    NowOption,
    fail,
    open_app,
    parse_now,
    settings_from,
)

review_app = typer.Typer(
    help="The messages set aside for a coordinator (questions, forms that could not be read, replies "
         "that could not be placed): read them, say when they are dealt with, or have them read again.\n\n"
         "Moving a message out of the review folder in your mail program also counts as dealt with.",
    no_args_is_help=True)
Item = Annotated[int, typer.Argument(help="The message's number, as `inbox-worker review list` shows it.")]


@review_app.command("list")
def review_list(config: ConfigOption = None, as_json: JsonOption = False) -> None:
    """The messages waiting for a coordinator, oldest first: number, from, subject, why, when, application."""
    from inbox_worker.program.review import list_open

    application = open_app(settings_from(config))
    items = list_open(application.db, application.settings.program.zone)
    if as_json:
        typer.echo(json.dumps(items, indent=2, ensure_ascii=False))
        return
    if not items:
        typer.echo("nothing is waiting for review")
        return
    typer.echo(f"{len(items)} message(s) waiting for review (in the folder {application.settings.imap.review_folder}):")
    for item in items:
        linked = f"  (application #{item['application']})" if item["application"] else ""
        typer.echo(f"#{item['id']:<5} {item['received']}  from {item['from']}{linked}\n"
                   f"       {item['subject']}\n       why: {item['reason']}")
    typer.echo("\nread one with `inbox-worker review show N`; close it with `inbox-worker review done N`")


@review_app.command("show")
def review_show(item: Item, config: ConfigOption = None, as_json: JsonOption = False) -> None:
    """One message set aside: who sent it, why it waits, its text and the names of its attachments."""
    from inbox_worker.program.review import ReviewError, show_item

    application = open_app(settings_from(config))
    try:
        data = show_item(application.db, application.raw_store, item, application.settings.program.zone)
    except ReviewError as e:
        raise fail(str(e)) from None
    if as_json:
        typer.echo(json.dumps(data, indent=2, ensure_ascii=False))
        return
    state = "waiting for review" if data["state"] == "review" else "dealt with" if data["state"] == "done" else (
        "not for review")
    typer.echo(f"message #{data['id']} ({state})\nfrom:     {data['from']}\nsubject:  {data['subject']}\n"
               f"received: {data['received']}\nwhy:      {data['reason']}")
    if data["application"]:
        typer.echo(f"application: #{data['application']} (`inbox-worker applications show {data['application']}`)")
    typer.echo(f"attachments: {'; '.join(data['attachments']) if data['attachments'] else 'none'}\n")
    typer.echo(data["text"].rstrip() or "(no text)")


@review_app.command("done")
def review_done(
    item: Item,
    note: Annotated[str | None, typer.Option("--note", help="What was done about it, kept in the record.",
                                             show_default=False)] = None,
    by: ByOption = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Say what would happen, and change nothing.")] = False,
    now: NowOption = None,
    config: ConfigOption = None,
) -> None:
    """Mark a message as dealt with: it leaves the review queue, and the note is kept."""
    from inbox_worker.program.review import ReviewError, mark_done

    application = open_app(settings_from(config))
    when = parse_now(now, application.settings.program.zone)
    try:
        with application.db.dry_run() if dry_run else contextlib.nullcontext():
            done = mark_done(application.db, item, by=by or getpass.getuser(), note=note, now=when)
    except ReviewError as e:
        raise fail(str(e)) from None
    if dry_run:
        typer.echo(f"message #{done['id']} from {done['from']} would leave the review queue (--dry-run: "
                   "nothing changed)")
    else:
        typer.echo(f"message #{done['id']} from {done['from']} is dealt with; it has left the review queue")


@review_app.command("reprocess")
def review_reprocess(
    item: Item,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Say what reading it again would make of it, and "
                                          "change nothing: no record, no email, no move.")] = False,
    now: NowOption = None,
    config: ConfigOption = None,
) -> None:
    """Read a message set aside again, as if it had just arrived (after a setting was changed, a
    reader improved or a form corrected). It is answered only if it was not answered before."""
    from inbox_worker.intake.pipeline import Intake
    from inbox_worker.intake.reprocess import CannotReprocess, reprocess
    from inbox_worker.mail.mailbox import MailboxError
    from inbox_worker.program.review import file_out_of_review
    from inbox_worker.store.models import IncomingState
    from inbox_worker.worker import MailSource, reading_processes

    application = open_app(settings_from(config))
    settings, source = application.settings, MailSource()
    with reading_processes(settings) as extractor:
        intake = Intake(settings=settings, db=application.db, mailbox=None, raw_store=application.raw_store,
                        templates=application.templates, account=source.account(settings), extractor=extractor,
                        dry_run=dry_run)
        try:
            with application.db.dry_run() if dry_run else contextlib.nullcontext():
                recorded = reprocess(intake, item, parse_now(now, application.settings.program.zone))
        except CannotReprocess as e:
            raise fail(str(e)) from None
    was, stays = ("would be", "would stay") if dry_run else ("was", "is still")
    if recorded.state is IncomingState.REVIEW:
        typer.echo(f"message #{item} {was} read again and {stays} set aside: {recorded.reason}")
    else:
        what = {"application": "a new application, recorded and acknowledged",
                "update": "an update to an application, recorded and acknowledged",
                "correction": "a correction to an application, applied and acknowledged",
                "unchanged": "an application already on file, unchanged", "reply": "a reply, handled",
                "ignored": "automatic mail, not answered"}.get(str(recorded.outcome), str(recorded.outcome))
        typer.echo(f"message #{item} {was} read again: {what}")
    if dry_run:
        typer.echo("(--dry-run: nothing was recorded, sent or moved)")
    if dry_run or recorded.state is IncomingState.REVIEW:
        return
    try:
        with source.open(settings) as mailbox:
            moved = file_out_of_review(application.db, mailbox, item, settings.imap.review_folder,
                                       settings.imap.processed_folder)
    except MailboxError as e:
        moved = False
        typer.echo(f"(the mailbox could not be reached: {e})")
    if not moved:
        typer.echo(f"move it out of {settings.imap.review_folder} in your mail program when convenient")
