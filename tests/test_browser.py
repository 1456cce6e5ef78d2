"""The digest and the report looked at in a real browser: headless Chromium, as Debian ships it.

GIVEN the season's last digest (tests/season_world.py), its chart resolved as a mail
  program resolves a cid: image, and the report the command writes
WHEN each is opened in a window 700 pixels wide (a mail program's reading pane)
THEN every image loads (a natural width above 0) and nothing is wider than the window.

With INBOX_WORKER_SCREENSHOTS set to a folder (docs/images in the repository), the
screenshots the test takes are kept there: `docs/images/digest.png` and `report.png`.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import browser
from season_world import LAST_RUN
from test_dashboard import last_digest, report_page

WINDOW = 700


def _keep(shot: Path) -> None:
    folder = os.environ.get("INBOX_WORKER_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shot, Path(folder) / shot.name)


def digest_page(season, folder: Path) -> Path:
    """The digest's HTML with each cid: image written beside it, as a mail program shows it."""
    digest, _size = last_digest(season)
    page = digest.get_body(("html",)).get_content()
    for part in digest.walk():
        if part["Content-ID"]:
            cid = part["Content-ID"].strip("<>")
            name = f"image-{len(list(folder.glob('image-*')))}.png"
            (folder / name).write_bytes(part.get_payload(decode=True))
            assert f"cid:{cid}" in page
            page = page.replace(f"cid:{cid}", name)
    path = folder / "digest.html"
    path.write_text(page, encoding="utf-8")
    return path


def test_the_digest_looks_right_in_a_browser(season, tmp_path):
    """The digest's chart loads and nothing overflows a 700-pixel window."""
    page = digest_page(season, tmp_path)
    figures = browser.measure(page, WINDOW)
    assert figures.inner_width == WINDOW
    assert len(figures.images) == 1 and all(img["naturalWidth"] > 0 for img in figures.images), figures.images
    assert figures.scroll_width <= WINDOW, figures
    shot = tmp_path / "digest.png"
    browser.screenshot(page, shot, WINDOW, 1500)
    _keep(shot)


def test_the_report_looks_right_in_a_browser(season, tmp_path):
    """The report's chart loads from inside the page and nothing overflows a 700-pixel window."""
    report_page(season, tmp_path)
    page = tmp_path / "report.html"
    figures = browser.measure(page, WINDOW)
    assert len(figures.images) == 1 and figures.images[0]["naturalWidth"] > 0, figures.images
    assert figures.images[0]["src"].startswith("data:image/png;base64,")
    assert figures.scroll_width <= WINDOW, figures
    shot = tmp_path / "report.png"
    browser.screenshot(page, shot, WINDOW, 1500)
    _keep(shot)


def test_the_report_prints_to_pdf(season, tmp_path):
    """`inbox-worker report --pdf FILE` prints the same page to a PDF of a few pages."""
    pdf = tmp_path / "report.pdf"
    out = season.cli("report", "--pdf", str(pdf), "--now", LAST_RUN.isoformat())
    assert f"wrote {pdf}" in out
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-") and data.count(b"/Type /Page") - data.count(b"/Type /Pages") >= 2
