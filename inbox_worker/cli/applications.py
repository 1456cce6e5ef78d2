"""Applications: read a form (`parse`), hand out the blank one (`form`), list, show and forget applicants."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from inbox_worker.cli.common import (
    ByOption,
    ConfigOption,
    JsonOption,
    NowOption,
    check_config,
    fail,
    open_app,
    parse_now,
    settings_from,
)

applications_app = typer.Typer(help="See the applications received, with their history, and put a misread field right.",
                                no_args_is_help=True)


def parse(path: Annotated[Path, typer.Argument(help="An .eml message, or a bare .docx, .pdf, .odt, .txt or "
                                               ".html form.")], config: ConfigOption = None) -> None:
    """Read one message or file and print its application record as JSON.

    Exit status 0 with the record; 3 when it holds no application (the reason on
    stderr); 2 when the file cannot be read. Reading a form needs no settings.
    """
    from inbox_worker.extract import extract_path
    from inbox_worker.record import UnreadableInput

    check_config(config)
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


def form(
    format: Annotated[str, typer.Option("--format", "-f", help="docx, pdf or txt.")] = "docx",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write here (default: "
                                                "WLA-mentoring-application.FORMAT).")] = None,
    config: ConfigOption = None,
) -> None:
    """Write the program's blank application form (fillable Word or PDF, or plain text); the form is the
    program's own and needs no settings."""
    check_config(config)
    from inbox_worker.outbound.blank_form import write_form

    if format not in ("docx", "pdf", "txt"):
        raise fail(f"--format {format!r} is not one of docx, pdf, txt")
    target = output or Path(f"WLA-mentoring-application.{format}")
    target.write_bytes(write_form(format))
    typer.echo(f"wrote {target}")


@applications_app.command("list")
def applications_list(config: ConfigOption = None, as_json: JsonOption = False,
                      role: Annotated[str | None, typer.Option(help="protege or mentor")] = None) -> None:
    """List applications, newest first, each with where the person is in the program: waiting (a mentor:
    available), suggested, proposed, matched, active, closed, or incomplete."""
    from inbox_worker.program.views import list_applications

    rows = list_applications(open_app(settings_from(config)), role=role)
    if as_json:
        typer.echo(json.dumps(rows, indent=2, default=str, ensure_ascii=False))
        return
    if not rows:
        typer.echo("no applications yet")
        return
    for r in rows:
        missing = f"  missing: {'; '.join(r['missing_labels'])}" if r["missing"] else ""
        typer.echo(f"#{r['id']:<4} {r['role_label']:<8} {r['name'] or '(no name)':<28} {r['email']:<36} "
                   f"{r['where']}{missing}")
    typer.echo("\nshow one with `inbox-worker applications show ID`")


@applications_app.command("show")
def applications_show(which: Annotated[str, typer.Argument(help="Application number or email address.")],
                      config: ConfigOption = None, as_json: JsonOption = False) -> None:
    """Show one application in full, with its history."""
    from inbox_worker.program.views import show_application

    data = show_application(open_app(settings_from(config)), which)
    if data is None:
        raise fail(f"no application {which!r}; see `inbox-worker applications list`")
    if as_json:
        typer.echo(json.dumps(data, indent=2, default=str, ensure_ascii=False))
        return
    typer.echo(f"application #{data['id']} ({data['email']}): {data['status']}, version {data['version']}")
    for item in data["fields"]:
        typer.echo(f"  {item['label']:<40} {item['value'] if item['value'] != '(blank)' else '-'}")
    if data["missing_labels"]:
        typer.echo(f"  missing: {'; '.join(data['missing_labels'])}")
    typer.echo("\nversions:")
    for v in data["versions"]:
        typer.echo(f"  {v['version']}. {v['when']}, {v['source']}")
        for line in v["changed"]:
            typer.echo(f"       {line}")
    typer.echo(f"\ncorrect a field with `inbox-worker applications edit {data['id']} --set \"FIELD=VALUE\"`")


@applications_app.command("edit")
def applications_edit(
    which: Annotated[str, typer.Argument(help="Application number or the applicant's email address.")],
    assignments: Annotated[list[str] | None, typer.Option(
        "--set", help="FIELD=VALUE: the field by the form's label or its short name (\"Phone #=307-555-0199\", "
        "\"Library Name=Laramie County Library\", \"library type=public\"). Repeat for more fields; an empty "
        "VALUE clears the field.", show_default=False)] = None,
    by: ByOption = None,
    notify: Annotated[bool, typer.Option("--notify", help="Email the applicant the updated acknowledgement, "
                                         "showing what changed.")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Say what would change, and change nothing.")] = False,
    now: NowOption = None,
    config: ConfigOption = None,
) -> None:
    """Correct an application by hand (a coordinator's fix of a misread or changed field).

    Each value is checked as the form's readers check it; a value that does not fit is refused
    (exit 2) and nothing changes. The earlier version is kept: `applications show` lists every
    version with who changed what.
    """
    import getpass

    from inbox_worker.program.amend import EditRefused, edit_application

    application = open_app(settings_from(config))
    try:
        result = edit_application(application.db, application.settings, application.templates, which,
                                  list(assignments or []), by=by or getpass.getuser(),
                                  now=parse_now(now, application.settings.program.zone),
                                  notify=notify, dry_run=dry_run)
    except EditRefused as e:
        raise fail(str(e), 2) from None
    for line in result.lines():
        typer.echo(line)


def forget(
    address: Annotated[str, typer.Argument(help="The person's email address.")],
    config: ConfigOption = None,
    yes: Annotated[bool, typer.Option("--yes", help="Do it without asking to confirm.")] = False,
) -> None:
    """Erase a person on their request: application, raw mail, email sent to them, answers.

    Anonymous counts (a role, a library type) are kept for reports. Cannot be undone.
    """
    from inbox_worker.program import privacy

    application = open_app(settings_from(config))
    if not yes and not typer.confirm(f"Erase everything about {address}? This cannot be undone"):
        raise typer.Exit(1)
    report = privacy.forget(application.db, application.raw_store, address, parse_now(None), actor="cli")
    for line in report.lines():
        typer.echo(line)
