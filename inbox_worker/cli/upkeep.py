"""Setting up and keeping safe: `init` writes the documented config, `backup` copies what the program keeps."""
from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from inbox_worker.cli.common import SELECTED, ConfigOption, all_settings_from, database_absent, fail, setup_logging
from inbox_worker.config import ConfigError, load_settings
from inbox_worker.places import example_config

STATE_DIR_LINE = '# state_dir = "/var/lib/inbox-worker"'


def init(
    path: Annotated[Path | None, typer.Argument(help="Where to write the config, e.g. "
                                                "/etc/inbox-worker/config.toml.", show_default=False)] = None,
    state_dir: Annotated[str | None, typer.Option(
        "--state-dir", help="Write this state folder into the config ([paths] state_dir), so the commands "
        "you type find the service's records, e.g. /var/lib/inbox-worker.", show_default=False)] = None,
    config: Annotated[Path | None, typer.Option("--config", "-c", help="Where to write the config, as the "
                                                "other commands are told where to read it (the same as PATH).",
                                                show_default=False)] = None,
) -> None:
    """Write the documented example config to PATH (or --config), to edit; never over an existing file.

    Every setting is explained in it; it is set for Gmail. Passwords do not go in it: see
    docs/deployment.md for the secrets file.
    """
    if path is not None and config is not None and path != config:
        raise fail(f"two places given ({path} and --config {config}); give one")
    path = path or config
    if path is None:
        raise fail("say where to write it, e.g. `inbox-worker init /etc/inbox-worker/config.toml`", 2)
    text = example_config().read_text(encoding="utf-8")
    if state_dir:
        if not Path(state_dir).is_absolute():
            raise fail(f"--state-dir {state_dir!r} is not an absolute path; give the whole path, e.g. "
                       "/var/lib/inbox-worker")
        # A TOML basic string is written as JSON writes a string.
        text = text.replace(STATE_DIR_LINE, f"state_dir = {json.dumps(state_dir)}", 1)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("x", encoding="utf-8") as fh:
            fh.write(text)
    except FileExistsError:
        raise fail(f"{path} already exists; it was left as it is. Edit it, or give another path") from None
    except OSError as e:
        raise fail(f"cannot write {path}: {e.strerror}") from None
    try:
        load_settings(path)
    except ConfigError as e:  # the example itself is tested; this guards an edited --state-dir
        path.unlink()
        raise fail(str(e)) from None
    typer.echo(f"wrote {path}. Next: set the coordinators and the mailbox's address in it, put the passwords "
               "in the environment or the service's secrets file, then try "
               f"`inbox-worker run --once --dry-run --config {path}` (docs/deployment.md has the steps).")


def backup(
    folder: Annotated[Path, typer.Argument(help="A new or empty folder for this backup, e.g. "
                                           "/var/backups/inbox-worker/2026-05-04.")],
    config: ConfigOption = None,
) -> None:
    """Copy the database, the raw mail and the config (without passwords) into FOLDER, while the worker runs.

    SQLite is copied with its online backup API (one consistent snapshot); on PostgreSQL, back the
    records up with pg_dump (the command is printed) and this copies the rest. Restore steps are in
    docs/deployment.md and in FOLDER/RESTORE.txt.
    """
    from inbox_worker.store import backup as store

    everything = all_settings_from(config)
    setup_logging(False, everything)
    keys = [SELECTED["program"]] if SELECTED["program"] else everything.program_keys()
    chosen = [everything.for_program(k) for k in keys]
    for settings in chosen:
        if store.sqlite_path(settings.database.url) is not None:
            absent = database_absent(settings)
            if absent:
                raise fail(absent)
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise fail(f"{folder} is not an empty folder; give a new one for each backup, e.g. "
                   f"{folder / datetime.now(UTC).strftime('%Y-%m-%d')}")
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    state = Path(everything.paths.state_dir)
    notes = []
    try:
        for settings in chosen:
            prefix = f"[{settings.program_key}] " if len(chosen) > 1 else ""
            database = store.sqlite_path(settings.database.url)
            if database is not None:
                store.copy_sqlite(database, folder / _inside(database, state))
                typer.echo(f"{prefix}database copied: {database} -> {folder / _inside(database, state)}")
            else:
                dump = folder / f"{settings.program_key}.pgdump"
                schema = f" --schema={settings.database.schema_name}" if settings.database.schema_name else ""
                typer.echo(f"{prefix}the records are in PostgreSQL: back them up with pg_dump, for example\n"
                           f"  pg_dump --format=custom{schema} --file={dump} 'URL from [database] url'\n"
                           "  (restore with pg_restore; the URL's password is not printed here)")
                notes.append(f"{prefix}PostgreSQL: restore the records with pg_restore from the pg_dump file.")
            raw = Path(settings.program.raw_store_dir)
            count = store.copy_raw_mail(raw, folder / _inside(raw, state))
            typer.echo(f"{prefix}raw mail copied: {count} message(s) from {raw}")
        if everything.config_file is not None:
            text = store.config_without_secrets(everything.config_file.read_text(encoding="utf-8"))
            _private_write(folder / "config.toml", text)
            typer.echo(f"config copied without passwords: {everything.config_file} -> {folder / 'config.toml'}")
        else:
            typer.echo("no configuration file is in use (built-in defaults and the environment): none copied")
    except store.BackupError as e:
        raise fail(str(e)) from None
    _private_write(folder / "RESTORE.txt", _restore_note(everything, folder.resolve(), state, notes))
    typer.echo(f"backup done in {folder}; passwords are not in it (keep the secrets file apart). "
               "Restoring is said in RESTORE.txt there.")


def _inside(path: Path, state: Path) -> Path:
    """Where a file goes in the backup: as it sits in the state folder, else under `other/`."""
    try:
        return Path("state") / path.resolve().relative_to(state.resolve())
    except ValueError:
        return Path("other") / path.resolve().relative_to(path.resolve().anchor)


def _private_write(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with open(fd, "w", encoding="utf-8") as fh:
        fh.write(text)


def _restore_note(settings, folder: Path, state: Path, notes: list[str]) -> str:
    return "\n".join([
        f"inbox-worker backup, taken {datetime.now(UTC):%Y-%m-%d %H:%M} UTC.",
        "",
        f"state/   the state folder's database and raw mail (from {state})",
        "other/   files kept outside the state folder, under their full path",
        "config.toml   the configuration, passwords taken out",
        "",
        "To restore (docs/deployment.md says the same):",
        "  sudo systemctl stop inbox-worker inbox-worker-health.timer",
        f"  sudo cp -a {folder}/state/. {state}/",
        f"  sudo chown -R inbox-worker:inbox-worker {state}",
        "  sudo systemctl start inbox-worker inbox-worker-health.timer",
        "  inbox-worker status       (the counts should be those of the day of the backup)",
        *notes,
        "",
    ])
