"""Backups: a consistent copy of what the program keeps, taken while the worker runs.

A SQLite database is copied with SQLite's online backup API, which reads one
consistent snapshot however the worker writes meanwhile (in WAL mode a plain
file copy could catch the database between a commit and its checkpoint). The
raw-mail store is copied after it: a message's file is written before the
record that names it, so every file the copied records name is there. The
config is copied with every password, token and database password taken out.
A PostgreSQL database is left to `pg_dump`, the tool that does it right.
Copies are readable by their owner only: they hold applicants' personal data.
"""
from __future__ import annotations

import contextlib
import os
import re
import shutil
import sqlite3
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from inbox_worker.places import SECRET_KEYS

# A kept message's file name (see rawstore); anything half-written is left out.
_KEPT = re.compile(r"[0-9a-f]{64}\.eml")


class BackupError(Exception):
    """The backup could not be made; the message says why and what to do."""


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL, None for any other database (or an in-memory one)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    return Path(parsed.database)


def database_exists(url: str, schema: str = "") -> bool:
    """Whether the database already holds the program's tables, without creating anything."""
    path = sqlite_path(url)
    if path is not None:
        if not path.is_file() or path.stat().st_size == 0:
            return False
        with contextlib.closing(sqlite3.connect(f"file:{quote(str(path))}?mode=ro", uri=True, timeout=30)) as conn:
            return conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'alembic_version'").fetchone() is not None
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            if schema:
                found = conn.execute(text("SELECT 1 FROM information_schema.tables WHERE table_schema = :s "
                                          "AND table_name = 'alembic_version'"), {"s": schema}).first()
                return found is not None
            return inspect(conn).has_table("alembic_version")
    finally:
        engine.dispose()


def copy_sqlite(source: Path, target: Path) -> None:
    """One consistent copy of a live SQLite database, by SQLite's online backup API."""
    target.parent.mkdir(parents=True, exist_ok=True)
    # Private from the first byte.
    os.close(os.open(target, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    with contextlib.closing(sqlite3.connect(source, timeout=60)) as src, \
            contextlib.closing(sqlite3.connect(target)) as dst:
        # All pages in one step: the copy holds one read snapshot from start to end, so the
        # worker's commits meanwhile are either all in it or not at all.
        src.backup(dst)
        verdict = dst.execute("PRAGMA integrity_check").fetchone()[0]
    if verdict != "ok":
        raise BackupError(f"the copy of {source} failed SQLite's integrity check ({verdict}); try again")


def copy_raw_mail(source: Path, target: Path) -> int:
    """Copy every kept message (files are never changed once written); the number copied."""
    copied = 0
    for path in _kept_messages(source):
        destination = target / path.relative_to(source)
        if not destination.parent.is_dir():
            destination.parent.mkdir(parents=True, mode=0o700)
        try:
            shutil.copy2(path, destination)
        except FileNotFoundError:  # erased meanwhile (retention, or a person's request)
            continue
        copied += 1
    return copied


def _kept_messages(root: Path) -> Iterator[Path]:
    if not root.is_dir():
        return
    for folder in sorted(root.iterdir()):
        if folder.is_dir():
            yield from (p for p in sorted(folder.iterdir()) if _KEPT.fullmatch(p.name))


def config_without_secrets(text_of_file: str) -> str:
    """The config file's text with every secret's value emptied (comments and layout kept).

    Raises BackupError when a secret cannot be taken out safely (then nothing is copied).
    """
    try:
        data = tomllib.loads(text_of_file)
    except tomllib.TOMLDecodeError as e:
        raise BackupError(f"the configuration is not valid TOML ({e}); it was not copied") from None
    secrets = [value for key, value in _items(data) if key in SECRET_KEYS and isinstance(value, str) and value]
    out = text_of_file
    for value in secrets:
        out = _replace_string(out, value, "")
    for key, value in _items(data):
        if key == "url" and isinstance(value, str) and "://" in value:
            with contextlib.suppress(Exception):
                parsed = make_url(value)
                if parsed.password:
                    # A placeholder to fill in on restore, not a password.
                    hidden = parsed.set(password="PASSWORD").render_as_string(hide_password=False)  # noqa: S106
                    out = _replace_string(out, value, hidden)
                    secrets.append(str(parsed.password))
    left = [s for s in secrets if s in out]
    if left or any(k in SECRET_KEYS and v for k, v in _items(tomllib.loads(out))):
        raise BackupError("the configuration holds a password the backup could not take out; move passwords "
                          "to the secrets file (see docs/deployment.md) and back up again")
    return out


def _items(data: Any) -> Iterator[tuple[str, Any]]:
    if isinstance(data, dict):
        for k, v in data.items():
            yield k, v
            yield from _items(v)
    elif isinstance(data, list):
        for v in data:
            yield from _items(v)


def _replace_string(text_of_file: str, value: str, replacement: str) -> str:
    """Replace a TOML string literal holding `value` (basic or literal quotes) with `replacement`."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    new = replacement.replace("\\", "\\\\").replace('"', '\\"')
    for literal in (f'"{escaped}"', f"'{value}'", f'"""{escaped}"""', f"'''{value}'''"):
        text_of_file = text_of_file.replace(literal, f'"{new}"')
    return text_of_file
