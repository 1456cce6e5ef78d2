"""The coordinators' commands for the program itself: matches, people, export.

`inbox-worker matches suggest` runs the matching engine over protégés
waiting and stores its suggestions; `approve`, `reject` and `end` are the
coordinators' decisions (the same ones a reply to the digest can make);
`consent` records a proposed pair's answer given to a coordinator; `list`
shows every suggestion and relationship with its number, the one every
command takes.
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
    NowOption,
    fail,
    open_app,
    parse_now,
    settings_from,
)
from inbox_worker.clock import local_day
from inbox_worker.outbound.words import time_for_people

matches_app = typer.Typer(
    help="Suggest mentors for protégés waiting, decide on the suggestions, and follow each match.\n\n"
         "A typical week: `inbox-worker matches suggest`, read each suggestion's reasons, then "
         "`inbox-worker matches approve 7` (the number in the digest; or reply APPROVE 7 to it). Each of "
         "the pair is then asked by email whether the match suits them; they are introduced once both "
         "say yes. `inbox-worker matches list` shows where every match stands.",
    no_args_is_help=True)
Which = Annotated[str, typer.Argument(
    help="A suggestion's or relationship's number (the digest's APPROVE 7, or `matches list`), or the "
         "protégé (email address or application number) followed by the mentor.", show_default=False,
    metavar="NUMBER|PROTEGE")]
MentorOrNone = Annotated[str | None, typer.Argument(
    help="The mentor (email address or application number), when the first is the protégé.",
    show_default=False, metavar="MENTOR")]
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

    when = parse_now(now, settings_from(config).program.zone)

    def work(s, application):
        done = lifecycle.suggest(s, application.settings, when, _actor(None))
        numbers = {(r.protege_id, r.mentor_id): r.id for r in done.stored}
        return done.result, numbers

    result, numbers = _run(config, work)
    if as_json:
        data = result.to_json()
        for item, sug in zip(data["suggestions"], result.suggestions, strict=True):
            item["relationship"] = numbers.get((sug.protege.id, sug.mentor.id))
        # Suggestions made earlier and still waiting for a decision, as the text output lists them.
        data["pending"] = _pending_rows(config, exclude=set(numbers.values()))
        typer.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))
        return
    typer.echo(format_suggestions(result, notes=lambda s: [lifecycle.supervisor_status(s.protege.record)[0]]))
    if result.suggestions:
        typer.echo("\nsuggestion numbers: " + ", ".join(
            f"#{numbers.get((x.protege.id, x.mentor.id))} {x.protege.email} -> {x.mentor.email}"
            for x in result.suggestions))
        typer.echo("next: `inbox-worker matches approve N` or `inbox-worker matches reject N` (or "
                   "PROTEGE MENTOR), or reply APPROVE N / REJECT N to the digest")
    pending = _pending_suggestions(config, exclude=set(numbers.values()))
    if pending:
        typer.echo(f"\n{len(pending)} earlier suggestion(s) still wait for a decision:")
        for line in pending:
            typer.echo("  " + line)
        typer.echo("decide with `inbox-worker matches approve N` or `inbox-worker matches reject N`")
    elif not result.suggestions and not result.unmatched:
        typer.echo("nobody is waiting for a match. See `inbox-worker applications list --role protege`.")


def _pending_rows(config, exclude: set[int]) -> list[dict]:
    """Suggestions made earlier and not decided yet, for scripts: number, pair, score, when."""
    from sqlalchemy import select

    from inbox_worker.matching.explanation import fit_words
    from inbox_worker.store.models import Application, MentoringRelationship, RelationshipState

    application = open_app(settings_from(config))
    with application.db.unit_of_work() as s:
        rows = s.scalars(select(MentoringRelationship).where(
            MentoringRelationship.state == RelationshipState.SUGGESTED).order_by(MentoringRelationship.id)).all()
        out = []
        for rel in (r for r in rows if r.id not in exclude):
            p, m = s.get(Application, rel.protege_id), s.get(Application, rel.mentor_id)
            out.append({"relationship": rel.id, "protege": p.email, "protege_name": p.name, "mentor": m.email,
                        "mentor_name": m.name, "score": None if rel.score is None else round(rel.score, 2),
                        "fit": fit_words(rel.score), "suggested_at": rel.suggested_at})
        return out


def _pending_suggestions(config, exclude: set[int]) -> list[str]:
    """Suggestions made earlier (by this command or before a digest) that nobody has decided yet."""
    from sqlalchemy import select

    from inbox_worker.matching.explanation import explanation_lines, fit_words
    from inbox_worker.store.models import Application, MentoringRelationship, RelationshipState

    application = open_app(settings_from(config))
    with application.db.unit_of_work() as s:
        rows = s.scalars(select(MentoringRelationship).where(MentoringRelationship.state == RelationshipState.SUGGESTED)
                         .order_by(MentoringRelationship.id)).all()
        out = []
        for rel in (r for r in rows if r.id not in exclude):
            protege, mentor = s.get(Application, rel.protege_id), s.get(Application, rel.mentor_id)
            out.append(f"#{rel.id} {protege.name or protege.email} <{protege.email}> with "
                       f"{mentor.name or mentor.email} <{mentor.email}>, {fit_words(rel.score)}")
            # The whole story behind the digest's one line of why.
            out += [f"    {line}" for line in explanation_lines(rel.explanation)]
        return out


def _chosen(s, which: str, mentor: str | None, *, suggested_only: bool = False):
    """The relationship a command is about: by its number, or by the pair (protégé, then mentor).
    Returns (relationship or None, protégé, mentor): None for a pair with no suggestion."""
    from sqlalchemy import select

    from inbox_worker.program import lifecycle
    from inbox_worker.store.models import Application, MentoringRelationship, RelationshipState

    if mentor is None:
        if not which.strip().lstrip("#").isdigit():
            raise lifecycle.ProgramError(f"{which!r} is not a number: give the number the digest or "
                                         f"`inbox-worker matches list` shows, or both the protégé and the mentor.")
        rel = lifecycle.find_relationship(s, int(which.strip().lstrip("#")))
        return rel, s.get(Application, rel.protege_id), s.get(Application, rel.mentor_id)
    p = lifecycle.find_application(s, which, "protege")
    m = lifecycle.find_application(s, mentor, "mentor")
    rel = s.scalar(select(MentoringRelationship).where(
        MentoringRelationship.protege_id == p.id, MentoringRelationship.mentor_id == m.id,
        MentoringRelationship.state == RelationshipState.SUGGESTED))
    if rel is None and suggested_only:
        raise lifecycle.ProgramError(f"{p.email} and {m.email} are not a suggestion waiting for a decision. "
                                     f"See `inbox-worker matches list`.")
    return rel, p, m


@matches_app.command("approve")
def matches_approve(which: Which, mentor: MentorOrNone = None, config: ConfigOption = None, now: NowOption = None,
                    by: ByOption = None, dry_run: DryRunOption = False) -> None:
    """Approve a match: each of the pair is asked by email whether it suits them; both yeses introduce them.

    Give the suggestion's number (`matches approve 7`, as in the digest), or the
    protégé and the mentor: a stored suggestion, or any pair you choose, as long as
    it passes the program's hard rules (different employers, mentor at the protégé's
    level or above, not paired before, mentor with room). Where a form names a
    supervisor, they get a notice before the introduction.
    """
    from inbox_worker.program import consent, replies

    when = parse_now(now, settings_from(config).program.zone)

    def work(s, application):
        rel, p, m = _chosen(s, which, mentor)
        if mentor is None or rel is not None:
            rel = consent.approve(s, application.settings, application.templates, rel, when, _actor(by))
        else:
            rel = consent.approve_pair(s, application.settings, application.templates, p, m, when, _actor(by))
        return rel.id, p.email, m.email, replies.consult_notes(s, rel)

    number, p, m, notes = _run(config, work, dry_run=dry_run)
    _dry_run_header(dry_run)
    typer.echo(f"approved relationship #{number}: {p} with mentor {m}. Each gets their own email at the worker's "
               f"next cycle, asking whether the match suits them; they are introduced once both say yes.")
    for note in notes:
        # Approval is the coordinator's to give; this reminds them of the program's rule while the
        # pair are still being asked.
        typer.echo(f"  note: {note}")
    typer.echo(f"  an answer given to you by phone: `inbox-worker matches consent {number} --for protege|mentor "
               f"--by YOUR-NAME` (add --declined for a no)")


@matches_app.command("reject")
def matches_reject(which: Which, mentor: MentorOrNone = None, config: ConfigOption = None, now: NowOption = None,
                   by: ByOption = None,
                   reason: Annotated[str, typer.Option(help="Why, for the record.")] = "",
                   dry_run: DryRunOption = False) -> None:
    """Reject a suggested match (by its number, or protégé and mentor). The protégé waits again; this pair
    is never suggested again."""
    from inbox_worker.program import lifecycle

    when = parse_now(now, settings_from(config).program.zone)

    def work(s, application):
        rel, _p, _m = _chosen(s, which, mentor, suggested_only=True)
        lifecycle.reject(s, rel, when, _actor(by), reason)
        return rel.id

    number = _run(config, work, dry_run=dry_run)
    _dry_run_header(dry_run)
    typer.echo(f"rejected suggestion #{number}; the protégé is back on the waiting list. "
               f"Next: `inbox-worker matches suggest`.")


@matches_app.command("consent")
def matches_consent(
    relationship: Annotated[int, typer.Argument(help="The proposed match's number (see `matches list`).")],
    party: Annotated[str, typer.Option("--for", help="Whose answer: protege or mentor.", show_default=False)],
    by: Annotated[str, typer.Option("--by", help="Who asked them (your name), for the record.",
                                    show_default=False)],
    declined: Annotated[bool, typer.Option("--declined", help="They said no (default: they said yes, and "
                                           "agreed to keep their talks confidential).")] = False,
    reason: Annotated[str, typer.Option(help="Why they said no, in their words, if they gave a reason.")] = "",
    config: ConfigOption = None, now: NowOption = None, dry_run: DryRunOption = False,
) -> None:
    """Record a proposed pair's answer given to a coordinator (by phone, in person): yes, or --declined.

    A yes agrees to the program's confidentiality rule; when both have said yes, the
    supervisors' notices and the introduction go out at the worker's next cycle. A no
    ends the proposal: the other person hears only that the match will not go ahead,
    and the protégé waits for a mentor again, in their place.
    """
    from inbox_worker.program import consent

    chosen = party.strip().lower().replace("é", "e")
    if chosen not in ("protege", "mentor"):
        raise fail(f"--for {party!r}: say whose answer it is, --for protege or --for mentor")
    when = parse_now(now, settings_from(config).program.zone)

    def work(s, application):
        from inbox_worker.program import lifecycle

        rel = lifecycle.find_relationship(s, relationship)
        done = consent.record_answer(s, application.settings, application.templates, rel, chosen, when,
                                     accepted=not declined, recorded_by=by, by_phone=True, reason=reason)
        waiting = [p for p in consent.PARTIES if consent.consent_of(rel, p).answer is None]
        return done, waiting

    done, waiting = _run(config, work, dry_run=dry_run)
    _dry_run_header(dry_run)
    label = "protégé" if chosen == "protege" else "mentor"
    if done.already:
        typer.echo(f"the {label}'s answer was already on record; nothing changed.")
    elif done.declined:
        typer.echo(f"recorded: the {label} said no (asked by {by}). The match will not go ahead: the other person "
                   f"is told only that, at the worker's next cycle; the protégé waits for a mentor again.")
    elif done.introduced:
        typer.echo(f"recorded: the {label} said yes (asked by {by}). Both have said yes: the supervisors' "
                   f"notices, where forms name them, and the introduction go out at the worker's next cycle.")
    else:
        other = " and the ".join("protégé" if p == "protege" else "mentor" for p in waiting)
        typer.echo(f"recorded: the {label} said yes (asked by {by}). Waiting for the {other}.")


@matches_app.command("list")
def matches_list(config: ConfigOption = None, as_json: JsonOption = False, now: NowOption = None,
                 state: Annotated[str | None, typer.Option(
                     help="Only those in this state: suggested, proposed, awaiting-consent, introduced, active, "
                          "closed, rejected, declined, withdrawn or ended-early.", show_default=False)] = None,
                 ) -> None:
    """Every suggestion and relationship: its number, the pair, its state, dates, answers and next check-in."""
    from inbox_worker.program.overview import relationship_rows, row_lines
    from inbox_worker.store.models import RelationshipState

    wanted = None
    if state:
        wanted = state.strip().lower().replace("-", "_").replace(" ", "_")
        if wanted not in {x.value for x in RelationshipState}:
            raise fail(f"--state {state!r} is not one of: "
                       + ", ".join(x.value.replace("_", "-") for x in RelationshipState))
    settings = settings_from(config)
    when = parse_now(now, settings.program.zone)
    application = open_app(settings)
    zone = settings.program.zone
    with application.db.unit_of_work() as s:
        rows = relationship_rows(s, local_day(when, zone), wanted, zone)
    if as_json:
        typer.echo(json.dumps(rows, indent=2, default=str, ensure_ascii=False))
        return
    if not rows:
        typer.echo("no suggestions or relationships" + (f" in state {state}" if state else "")
                   + ". Make suggestions with `inbox-worker matches suggest`.")
        return
    for row in rows:
        for line in row_lines(row):
            typer.echo(line)
    typer.echo("\nthe numbers are the ones every command takes: `matches approve N`, `matches consent N`, "
               "`matches end N`")


@matches_app.command("end")
def matches_end(relationship: Annotated[int, typer.Argument(help="The relationship number (see `people show`).")],
                reason: Annotated[str, typer.Option("--reason", help="Why it ends early (required; on the record).")],
                no_email: Annotated[bool, typer.Option(
                    "--no-email", help="Do not email the pair (when you have told them yourself).")] = False,
                config: ConfigOption = None, now: NowOption = None, by: ByOption = None,
                dry_run: DryRunOption = False) -> None:
    """End a proposed or running relationship before its twelve months, with the reason on record.

    Mail about the pair that has not gone out yet (a proposal, the introduction, a
    check-in reminder) is withdrawn. A pair asked and not yet introduced hear only
    that the match will not go ahead. If they were introduced, each of the
    pair gets a short email of their own at the worker's next cycle, saying
    the relationship has ended and that no more check-in questions will
    come; the reason is not in it (it stays on the record, for the
    coordinators).
    """
    from inbox_worker.program import lifecycle

    when = parse_now(now, settings_from(config).program.zone)

    def work(s, application):
        return lifecycle.end_early(s, application.settings, application.templates,
                                 lifecycle.find_relationship(s, relationship), when, _actor(by), reason,
                                 tell_participants=not no_email)

    ending = _run(config, work, dry_run=dry_run)
    _dry_run_header(dry_run)
    typer.echo(f"relationship #{relationship} ended early: {reason}. No more reminders will go to the pair.")
    if ending.withdrawn:
        typer.echo(f"  not sent after all, since it had not gone out yet: {', '.join(ending.withdrawn)}")
    if ending.participants_told and ending.withdrawn_match:
        typer.echo("  the match had been proposed to them: each who was asked hears only that it will not go "
                   "ahead, at the worker's next cycle; the protégé waits for a mentor again")
    elif ending.participants_told:
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
    from inbox_worker.program.history import person_history
    from inbox_worker.program.overview import row_lines

    settings = settings_from(config)
    application = open_app(settings)
    zone = settings.program.zone
    with application.db.unit_of_work() as s:
        data = person_history(s, which, local_day(parse_now(None), zone), zone)
    if data is None:
        raise fail(f"nobody with address or number {which!r}. See `inbox-worker applications list`.")
    if as_json:
        typer.echo(json.dumps(data, indent=2, default=str, ensure_ascii=False))
        return
    typer.echo(f"{data['name'] or '(no name)'} <{data['email']}>, {data['role'] or 'role unknown'}, "
               f"application #{data['id']} ({data['status']}): {data['program_state']}")
    for row in data["relationships"]:
        for line in row_lines(row, every_checkin=True):
            typer.echo("  " + line)
    typer.echo("history:")
    for t in data["timeline"]:
        typer.echo(f"  {time_for_people(t['at'], zone=zone)}  {t['what']}")


# ---------------------------------------------------------------- export
def export(
    format: Annotated[str, typer.Option("--format", "-f", help="Only csv for now.")] = "csv",
    output: Annotated[Path, typer.Option("--output", "-o", help="Folder for participants.csv and "
                                         "relationships.csv.")] = Path("wla-mentoring-records"),
    config: ConfigOption = None,
) -> None:
    """Write the program's records: participants.csv and relationships.csv (open them in a spreadsheet)."""
    from inbox_worker.program.history import (
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
