"""Where inbox-worker finds its config, and where what it writes goes.

A config is looked for, when none is named, in `./inbox-worker.toml`, then
`~/.config/inbox-worker/config.toml`, then `/etc/inbox-worker/config.toml`.
Everything the program writes resolves against the state folder (a SQLite
file, the raw mail, dry-run mail), never against the config file's folder,
which may be a read-only `/etc`; only a template overrides folder, which is
read and never written, is relative to the config file. Pure functions of
paths: `config`, the one reader of the environment, hands them what it read.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

LOCAL_CONFIG = Path("inbox-worker.toml")
USER_CONFIG = Path(".config") / "inbox-worker" / "config.toml"  # under the home folder
SYSTEM_CONFIG = Path("/etc/inbox-worker/config.toml")
# Settings whose values are secrets wherever they appear (in a section or a program's own).
SECRET_KEYS = frozenset({"password", "client_secret", "refresh_token", "token_secret"})


def config_candidates(home: Path | None = None, cwd: Path | None = None) -> list[Path]:
    """Where a config is looked for, in order, when none is named."""
    if home is None:
        try:
            home = Path.home()
        except RuntimeError:  # a system user without a home folder
            home = Path("/nonexistent")
    cwd = cwd if cwd is not None else Path.cwd()
    return [cwd / LOCAL_CONFIG, home / USER_CONFIG, SYSTEM_CONFIG]


def in_folder(url: str, base: Path) -> str:
    """A SQLite URL with a relative file made absolute under `base`; any other URL as it is."""
    try:
        parsed = make_url(url)
    except Exception:  # not a URL at all: the database says so, with the setting, when it is opened
        return url
    path = parsed.database
    if parsed.get_backend_name() != "sqlite" or not path or path == ":memory:" or path.startswith("file:"):
        return url
    if Path(path).is_absolute():
        return url
    return parsed.set(database=str(base / path)).render_as_string(hide_password=False)


def anchor_templates(data: dict[str, Any], base: Path) -> dict[str, Any]:
    """A config file's data with relative template overrides folders made relative to `base`."""

    def anchored(section: dict[str, Any]) -> dict[str, Any]:
        folder = section.get("templates_dir")
        if folder and not Path(folder).is_absolute():
            return {**section, "templates_dir": str(base / folder)}
        return section

    out = dict(data)
    if isinstance(data.get("program"), dict):
        out["program"] = anchored(data["program"])
    if isinstance(data.get("programs"), list):
        out["programs"] = [{**entry, "program": anchored(entry["program"])}
                           if isinstance(entry, dict) and isinstance(entry.get("program"), dict) else entry
                           for entry in data["programs"]]
    return out


def flatten(data: dict[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    """(key, value) of every leaf of nested tables, keys without their table's name."""
    out: list[tuple[str, Any]] = []
    for k, v in data.items():
        out += flatten(v, f"{prefix}{k}.") if isinstance(v, dict) else [(k, v)]
    return out


def example_config() -> Path:
    """The documented example config shipped with the program (config.example.toml)."""
    package = Path(__file__).resolve().parent
    # In a wheel it is inside the package; in a checkout it is the top-level file.
    for candidate in (package / "example" / "config.example.toml", package.parent / "config.example.toml"):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError("the example configuration is missing; reinstall inbox-worker")
