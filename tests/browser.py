"""Headless Chromium (Debian's package, nothing downloaded) looking at a page as a person would.

`measure` opens a page in a window of a given width and reports what the page
itself says once loaded: each image's natural width (0 when it did not load)
and the document's scroll width (wider than the window means a reader must
scroll sideways). A small script appended to a copy of the page writes those
figures into the DOM, and `--dump-dom` hands them back. `screenshot` takes a
picture of the page at that width.
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-extensions", "--hide-scrollbars", "--mute-audio", "--force-device-scale-factor=1")
_PROBE = """
<script>
window.addEventListener("load", function () {
  var root = document.documentElement;
  var figures = {
    scrollWidth: root.scrollWidth, bodyScrollWidth: document.body.scrollWidth, height: root.scrollHeight,
    innerWidth: window.innerWidth,
    images: Array.prototype.map.call(document.images, function (img) {
      return {src: img.getAttribute("src").slice(0, 60), naturalWidth: img.naturalWidth, alt: img.alt};
    })
  };
  var out = document.createElement("pre");
  out.id = "browser-figures";
  out.textContent = JSON.stringify(figures);
  document.body.appendChild(out);
});
</script>
"""


@dataclass(frozen=True)
class Figures:
    scroll_width: int
    body_scroll_width: int
    inner_width: int
    height: int
    images: list[dict]


def chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        raise RuntimeError("Chromium is not installed: `make servers` installs Debian's chromium package")
    return path


def _run(args: list[str], profile: Path, timeout: float = 90) -> subprocess.CompletedProcess:
    return subprocess.run([chromium(), *FLAGS, f"--user-data-dir={profile}", *args], capture_output=True,
                          timeout=timeout, check=False)


def measure(page: Path, width: int) -> Figures:
    """Open `page` (its images beside it) in a window `width` pixels wide and read the figures."""
    with tempfile.TemporaryDirectory(prefix="browser-") as folder:
        probe = page.with_name(page.stem + ".probe.html")
        html = page.read_text(encoding="utf-8")
        probe.write_text(re.sub(r"(?i)</body>", _PROBE.replace("\\", "\\\\") + "</body>", html, count=1),
                         encoding="utf-8")
        try:
            done = _run([f"--window-size={width},900", "--virtual-time-budget=5000", "--dump-dom",
                         probe.as_uri()], Path(folder))
        finally:
            probe.unlink()
    found = re.search(r'<pre id="browser-figures">(.*?)</pre>', done.stdout.decode("utf-8", "replace"), re.S)
    assert found, f"the page gave no figures: {done.stderr.decode('utf-8', 'replace')[-2000:]}"
    data = json.loads(found.group(1).replace("&quot;", '"').replace("&amp;", "&").replace("&lt;", "<")
                      .replace("&gt;", ">"))
    return Figures(data["scrollWidth"], data["bodyScrollWidth"], data["innerWidth"], data["height"],
                   data["images"])


def screenshot(page: Path, png: Path, width: int, height: int) -> None:
    """A picture of `page` as a window `width` by `height` pixels shows it."""
    with tempfile.TemporaryDirectory(prefix="browser-") as folder:
        done = _run([f"--window-size={width},{height}", "--virtual-time-budget=5000", f"--screenshot={png}",
                     page.as_uri()], Path(folder))
    assert png.is_file() and png.stat().st_size > 0, done.stderr.decode("utf-8", "replace")[-2000:]
