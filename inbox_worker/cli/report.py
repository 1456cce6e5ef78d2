"""`inbox-worker report`: the program's report as one page to open, print or give to the board."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from inbox_worker.cli.common import ConfigOption, NowOption, fail, open_app, parse_now, settings_from

HtmlOption = Annotated[Path | None, typer.Option(
    "--html", help="Write the page here: one HTML file with its chart inside, to open in any browser.",
    show_default=False)]
PdfOption = Annotated[Path | None, typer.Option(
    "--pdf", help="Also print the same page to this PDF file (needs Chromium: apt install chromium).",
    show_default=False)]


def report(html: HtmlOption = None, pdf: PdfOption = None, config: ConfigOption = None,
           now: NowOption = None) -> None:
    """Write the program's report: where it stands, a chart of the last twelve months, the waiting
    list by library type, every relationship with its check-ins, and the year's outcomes.

    The page holds people's names: keep it among the coordinators and the board. Example:
    `inbox-worker report --html report.html --pdf report.pdf`
    """
    from inbox_worker.outbound.pdf import PdfError, html_to_pdf
    from inbox_worker.program.report import report_html

    if html is None and pdf is None:
        raise fail("say where to write the report: --html report.html, --pdf report.pdf, or both")
    settings = settings_from(config)
    when = parse_now(now, settings.program.zone)
    application = open_app(settings)
    with application.db.unit_of_work() as s:
        page = report_html(s, application.settings, application.templates, when)
    if html is not None:
        _write(html, page.encode("utf-8"))
    if pdf is not None:
        try:
            _write(pdf, html_to_pdf(page))
        except PdfError as e:
            raise fail(f"{e}. Write the HTML page with --html and print it from a browser instead.") from None


def _write(path: Path, data: bytes) -> None:
    # People's names are in it: the file is its owner's alone, like the database.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
    except OSError as e:
        raise fail(f"cannot write {path}: {e.strerror}. Choose another folder.") from None
    typer.echo(f"wrote {path} ({max(1, round(len(data) / 1024))} KB)")
