"""The coordinators' commands for the program itself: matches, people, export.

`inbox-worker matches suggest` runs the matching engine over protégés
waiting and stores its suggestions; `approve`, `reject` and `end` are the
coordinators' decisions (the same ones a reply to the digest can make).
`people show` tells one person's whole story and `export` writes the
program's records as CSV. Every command takes `--now`, so a coordinator can
ask what would happen on another day, and every decision takes `--dry-run`,
which shows what it would do and changes nothing.
"""
from __future__ import annotations

import contextlib
import csv
import getpass
import json
from pathlib import Path
from typing import Annotated

import typer

from inbox_worker.cli.common import (
    ByOption,
    ConfigOption,
    DryRunOption,
    JsonOption,
    Mentor,
    NowOption,
    Protege,
    fail,
    open_app,
    parse_now,
    settings_from,
)

matches_app = typer.Typer(
    help="Suggest mentors for protégés waiting, and decide on the suggestions.\n\n"
         "A typical week: `inbox-worker matches suggest`, read each suggestion's reasons, then "
         "`inbox-worker matches approve PROTEGE MENTOR` (or reply APPROVE N to the digest).",
    no_args_is_help=True)
people_app = typer.Typer(help="Look up one person's whole history in the program.", no_args_is_help=True)



def _actor(by: str | None) -> str:
    return by or f"{getpass.getuser()} (command line)"


def _dry_run_header(dry_run: bool) -> None:
    if dry_run:
        typer.echo("DRY RUN: this is what the decision would do; nothing was recorded and no email will go "
                   "out. Run it again without --dry-run to do it.")


def _run(config, work, *, dry_run: bool = False):
    """Open the app, run `work(session, application)` in one unit of work, turn ProgramError into advice.

    With `dry_run` the work is done and then rolled back: the answer says what would happen.
    """
    from inbox_worker.program.lifecycle import ProgramError

    application = open_app(settings_from(config))
    try:
        with application.db.dry_run() if dry_run else contextlib.nullcontext(), \
                application.db.unit_of_work() as s:
            return work(s, application)
    except ProgramError as e:
        raise fail(str(e)) from None
    except ImportError as e:
        raise fail(f"the matching engine cannot be loaded ({e}); reinstall inbox-worker with its "
                   f"dependencies (`pip install -e .`)") from None


# ---------------------------------------------------------------- matches
@matches_app.command("suggest")
def matches_suggest(config: ConfigOption = None, as_json: JsonOption = False, now: NowOption = None) -> None:
    """Suggest a mentor for every protégé waiting, explain each choice, and store the suggestions.

    Each suggestion says how good a fit it is and why, part by part, the
    program rules it meets and the next best mentor; each protégé left
    unmatched says what stood in the way. Suggestions made earlier and not
    yet decided are listed after, each with its whole explanation.
    Suggestions wait for a decision: `matches approve` or `matches reject`.
    """
    from inbox_worker.matching.engine import format_suggestions
    from inbox_worker.program import lifecycle

    when = parse_now(now)

    def work(s, application):
        done = lifecycle.suggest(s, application.settings, when, _actor(None))
        numbers = {(r.protege_id, r.mentor_id): r.id for r in done.stored}
        return done.result, numbers

    result, numbers = _run(config, work)
    if as_json:
        data = result.to_json()
        for item, sug in zip(data["suggestions"], result.suggestions, strict=True):
            item["relationship"] = numbers.get((sug.protege.id, sug.mentor.id))
        typer.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))
        return
    typer.echo(format_suggestions(result, notes=lambda s: [lifecycle.supervisor_status(s.protege.record)[0]]))
    if result.suggestions:
        typer.echo("\nsuggestion numbers: " + ", ".join(
            f"#{numbers.get((x.protege.id, x.mentor.id))} {x.protege.email} -> {x.mentor.email}"
            for x in result.suggestions))
        typer.echo("next: `inbox-worker matches approve PROTEGE MENTOR` or `inbox-worker matches reject "
                   "PROTEGE MENTOR`, or reply APPROVE N / REJECT N to the digest")
    pending = _pending_suggestions(config, exclude=set(numbers.values()))
    if pending:
        typer.echo(f"\n{len(pending)} earlier suggestion(s) still wait for a decision:")
        for line in pending:
            typer.echo("  " + line)
        typer.echo("decide with `inbox-worker matches approve PROTEGE MENTOR` or `... reject ...`")
    elif not result.suggestions and not result.unmatched:
        typer.echo("nobody is waiting for a match. See `inbox-worker applications list --role protege`.")


def _pending_suggestions(config, exclude: set[int]) -> list[str]:
    """Suggestions made earlier (by this command or before a digest) that nobody has decided yet."""
    from sqlalchemy import select

    from inbox_worker.matching.explanation import explanation_lines, fit_words
    from inbox_worker.store.models import Application, MentoringRelationship

    application = open_app(settings_from(config))
    with application.db.unit_of_work() as s:
        rows = s.scalars(select(MentoringRelationship).where(MentoringRelationship.state == "suggested")
                         .order_by(MentoringRelationship.id)).all()
        out = []
        for rel in (r for r in rows if r.id not in exclude):
            protege, mentor = s.get(Application, rel.protege_id), s.get(Application, rel.mentor_id)
            out.append(f"#{rel.id} {protege.name or protege.email} <{protege.email}> with "
                       f"{mentor.name or mentor.email} <{mentor.email}>, {fit_words(rel.score)}")
            # The whole story behind the digest's one line of why.
            out += [f"    {line}" for line in explanation_lines(rel.explanation)]
        return out


@matches_app.command("approve")
def matches_approve(protege: Protege, mentor: Mentor, config: ConfigOption = None, now: NowOption = None,
                    by: ByOption = None, dry_run: DryRunOption = False) -> None:
    """Approve a match: the supervisor is told (where named), then both are introduced.

    Works on a stored suggestion, or on any pair you choose, as long as it passes
    the program's hard rules (different employers, mentor at the protégé's level or
    above, not paired before, mentor with room).
    """
    from inbox_worker.program import lifecycle

    when = parse_now(now)

    def work(s, application):
        p = lifecycle.find_application(s, protege, "protege")
        m = lifecycle.find_application(s, mentor, "mentor")
        rel = lifecycle.approve_pair(s, application.settings, application.templates, p, m, when, _actor(by))
        status, consult = lifecycle.supervisor_status(p.record)
        notified = rel.supervisor_notified_at is not None
        return rel.id, p.email, m.email, notified, str(rel.ends_on), status, consult

    number, p, m, supervisor, ends, status, consult = _run(config, work, dry_run=dry_run)
    _dry_run_header(dry_run)
    typer.echo(f"approved relationship #{number}: {p} with mentor {m}, until {ends}")
    if supervisor:
        typer.echo("  the supervisor's notice is queued first")
    if consult:
        # Approval is the coordinator's to give; this reminds them of the program's rule while the
        # introduction still waits in the outbox for the worker's next cycle.
        typer.echo(f"  note: {status}")
    typer.echo("  the introduction is queued; it goes out at the next cycle (`inbox-worker run --once`)")


@matches_app.command("reject")
def matches_reject(protege: Protege, mentor: Mentor, config: ConfigOption = None, now: NowOption = None,
                   by: ByOption = None,
                   reason: Annotated[str, typer.Option(help="Why, for the record.")] = "",
                   dry_run: DryRunOption = False) -> None:
    """Reject a suggested match. The protégé waits again; this pair is never suggested again."""
    from sqlalchemy import select

    from inbox_worker.program import lifecycle
    from inbox_worker.store.models import MentoringRelationship

    when = parse_now(now)

    def work(s, application):
        p = lifecycle.find_application(s, protege, "protege")
        m = lifecycle.find_application(s, mentor, "mentor")
        rel = s.scalar(select(MentoringRelationship).where(
            MentoringRelationship.protege_id == p.id, MentoringRelationship.mentor_id == m.id,
            MentoringRelationship.state == "suggested"))
        if rel is None:
            raise lifecycle.ProgramError(f"{p.email} and {m.email} are not a suggestion waiting for a decision. "
                                       f"See `inbox-worker people show {p.email}`.")
        lifecycle.reject(s, rel, when, _actor(by), reason)
        return rel.id

    number = _run(config, work, dry_run=dry_run)
    _dry_run_header(dry_run)
    typer.echo(f"rejected suggestion #{number}; the protégé is back on the waiting list. "
               f"Next: `inbox-worker matches suggest`.")


@matches_app.command("end")
def matches_end(relationship: Annotated[int, typer.Argument(help="The relationship number (see `people show`).")],
                reason: Annotated[str, typer.Option("--reason", help="Why it ends early (required; on the record).")],
                no_email: Annotated[bool, typer.Option(
                    "--no-email", help="Do not email the pair (when you have told them yourself).")] = False,
                config: ConfigOption = None, now: NowOption = None, by: ByOption = None,
                dry_run: DryRunOption = False) -> None:
    """End a running relationship before its twelve months, with the reason on record.

    Mail about the pair that has not gone out yet (the introduction, a
    check-in reminder) is withdrawn. If they were introduced, each of the
    pair gets a short email of their own at the worker's next cycle, saying
    the relationship has ended and that no more check-in questions will
    come; the reason is not in it (it stays on the record, for the
    coordinators).
    """
    from inbox_worker.program import lifecycle

    when = parse_now(now)

    def work(s, application):
        return lifecycle.end_early(s, application.settings, application.templates,
                                 lifecycle.find_relationship(s, relationship), when, _actor(by), reason,
                                 tell_participants=not no_email)

    ending = _run(config, work, dry_run=dry_run)
    _dry_run_header(dry_run)
    typer.echo(f"relationship #{relationship} ended early: {reason}. No more reminders will go to the pair.")
    if ending.withdrawn:
        typer.echo(f"  not sent after all, since it had not gone out yet: {', '.join(ending.withdrawn)}")
    if ending.participants_told:
        typer.echo("  each of the pair will get an email saying so at the worker's next cycle")
    elif ending.withdrawn_match:
        typer.echo("  the pair were not emailed: they had not been introduced, so the match is withdrawn and "
                   "the protégé waits for a mentor again")
    else:
        typer.echo("  the pair were not emailed (--no-email)")
    if ending.supervisor_knew:
        typer.echo("  the protégé's supervisor was told of this match; the program does not write to them "
                   "again, so tell them yourself if they should know")


# ---------------------------------------------------------------- people
@people_app.command("show")
def people_show(which: Annotated[str, typer.Argument(help="Email address or application number.")],
                config: ConfigOption = None, as_json: JsonOption = False) -> None:
    """One person's whole history: application, relationships, assessments, every change and email."""
    from inbox_worker.program.records import person_history

    application = open_app(settings_from(config))
    with application.db.unit_of_work() as s:
        data = person_history(s, which)
    if data is None:
        raise fail(f"nobody with address or number {which!r}. See `inbox-worker applications list`.")
    if as_json:
        typer.echo(json.dumps(data, indent=2, default=str, ensure_ascii=False))
        return
    typer.echo(f"{data['name'] or '(no name)'} <{data['email']}>, {data['role'] or 'role unknown'}, "
               f"application #{data['id']} ({data['status']}): {data['program_state']}")
    for r in data["relationships"]:
        typer.echo(f"  relationship #{r['id']}: {r['protege']} with mentor {r['mentor']}, {r['state']}"
                   + (f", {r['starts_on']} to {r['ends_on']}" if r["starts_on"] else "")
                   + (f" ({r['end_reason']})" if r["end_reason"] else ""))
        for a in r["assessments"]:
            answers = ", ".join(f"{x['role']} on {x['at']:%Y-%m-%d}" for x in a["answers"]) or "no answers"
            typer.echo(f"    check-in {a['number']} due {a['due_on']}: {answers}")
    typer.echo("history:")
    for t in data["timeline"]:
        typer.echo(f"  {t['at']:%Y-%m-%d %H:%M}  {t['what']}")


# ---------------------------------------------------------------- export
def export(
    format: Annotated[str, typer.Option("--format", "-f", help="Only csv for now.")] = "csv",
    output: Annotated[Path, typer.Option("--output", "-o", help="Folder for participants.csv and "
                                         "relationships.csv.")] = Path("wla-mentoring-records"),
    config: ConfigOption = None,
) -> None:
    """Write the program's records: participants.csv and relationships.csv (open them in a spreadsheet)."""
    from inbox_worker.program.records import (
        PARTICIPANT_COLUMNS,
        RELATIONSHIP_COLUMNS,
        export_rows,
        spreadsheet_cell,
    )

    if format != "csv":
        raise fail(f"--format {format!r} is not supported; use --format csv")
    application = open_app(settings_from(config))
    with application.db.unit_of_work() as s:
        participants, relationships = export_rows(s)
    output.mkdir(parents=True, exist_ok=True)
    for name, columns, rows in (("participants.csv", PARTICIPANT_COLUMNS, participants),
                                ("relationships.csv", RELATIONSHIP_COLUMNS, relationships)):
        # Personal data: the files are the owner's alone, like the database.
        path = output / name
        path.touch(mode=0o600, exist_ok=True)
        with path.open("w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, fieldnames=columns)
            writer.writeheader()
            # Names and libraries are what applicants typed: none may become a formula.
            writer.writerows({k: spreadsheet_cell(v) for k, v in row.items()} for row in rows)
        typer.echo(f"wrote {path} ({len(rows)} row(s))")
