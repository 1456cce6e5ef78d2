"""A page printed to PDF by headless Chromium, so the PDF is exactly the page a browser shows.

Chromium is the system's own (Debian's `chromium` package); nothing is
downloaded. It runs with a fresh profile in a temporary folder, without
network, sandbox, GPU or background services, and is given a time limit.
"""
from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
# Headless, and quiet: no sandbox (it may run as a service user or root in a container), no GPU,
# nothing fetched in the background, nothing remembered.
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-extensions", "--mute-audio", "--hide-scrollbars")


class PdfError(Exception):
    """The page could not be printed; the message says why and what to do."""


def find_chromium() -> str | None:
    return next((path for path in map(shutil.which, BROWSERS) if path), None)


def html_to_pdf(html: str, *, timeout: float = 120) -> bytes:
    """Print a self-contained HTML page (images inline) to PDF bytes."""
    browser = find_chromium()
    if browser is None:
        raise PdfError("printing to PDF needs Chromium, which is not installed here "
                       "(on Debian or Ubuntu: apt install chromium); the HTML page prints from any browser")
    with tempfile.TemporaryDirectory(prefix="inbox-worker-pdf-") as folder:
        page, pdf = Path(folder) / "page.html", Path(folder) / "page.pdf"
        page.write_text(html, encoding="utf-8")
        command = [browser, *CHROMIUM_FLAGS, f"--user-data-dir={Path(folder) / 'profile'}",
                   "--no-pdf-header-footer", f"--print-to-pdf={pdf}", page.as_uri()]
        try:
            done = subprocess.run(command, capture_output=True, timeout=timeout, check=False)  # noqa: S603
        except subprocess.TimeoutExpired:
            raise PdfError(f"Chromium did not finish printing within {timeout:.0f} seconds") from None
        if not pdf.is_file() or pdf.stat().st_size == 0:
            detail = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no message"]
            raise PdfError(f"Chromium printed no PDF (exit status {done.returncode}: {detail[0]})")
        return pdf.read_bytes()
