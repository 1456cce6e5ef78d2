"""`inbox-worker backup DIR` copies what the program keeps while a real worker runs, without secrets."""
from __future__ import annotations

import contextlib
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from intake_world import application
from workers import WorkerProcess, worker_env

from inbox_worker.store.backup import config_without_secrets

# Rows that change at every poll of a running worker (its position, its lease), not records.
MOVING = {"worker_state", "leases"}
APPLICATIONS = 30


def _rows(path: Path) -> dict[str, list[tuple]]:
    with contextlib.closing(sqlite3.connect(path)) as conn:
        tables = [t for (t,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {t: sorted(conn.execute(f'SELECT * FROM "{t}"').fetchall(), key=repr)  # noqa: S608 - table names
                for t in tables if t not in MOVING}


def _recorded(path: Path) -> int:
    try:
        with contextlib.closing(sqlite3.connect(path, timeout=10)) as conn:
            return conn.execute("SELECT count(*) FROM incoming_messages WHERE state != 'new'").fetchone()[0]
    except sqlite3.OperationalError:  # not made yet
        return 0


def _backup(env: dict[str, str], folder: Path, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "inbox_worker", "backup", str(folder)], env=env, cwd=cwd,
                          capture_output=True, text=True, timeout=120)


def test_a_backup_taken_while_the_worker_runs_has_the_same_rows(dovecot, imap_user, smtp_server, tmp_path):
    """GIVEN a real `inbox-worker run` answering a backlog on SQLite (the online backup is SQLite's)
    WHEN a backup is taken in the middle of the work, and again once it is done while the worker still polls
    THEN the first copy is a whole database (integrity and foreign keys hold, every message file it
    names is copied) and the second has the same rows as the live database."""
    state = tmp_path / "state"
    config = tmp_path / "config.toml"
    # A password written into the config (against the advice) is kept out of the copy.
    config.write_text('[smtp]\npassword = "kept-out-of-backups"\n')
    env = worker_env(dovecot, imap_user, smtp_server, tmp_path, "sqlite:///inbox-worker.sqlite3",
                     INBOX_WORKER_PATHS__STATE_DIR=str(state), INBOX_WORKER_CONFIG=str(config),
                     INBOX_WORKER_PROGRAM__RAW_STORE_DIR="raw-mail")
    database = state / "inbox-worker.sqlite3"
    for n in range(APPLICATIONS):
        dovecot.append(imap_user, application(n))
    worker = WorkerProcess(env, tmp_path / "worker.log")
    try:
        assert worker.wait_for(lambda: _recorded(database) >= 5, timeout=120), worker.log()[-2000:]
        during = _backup(env, tmp_path / "during", tmp_path)
        assert during.returncode == 0, during.stdout + during.stderr
        assert worker.wait_for(lambda: _recorded(database) == APPLICATIONS, timeout=180), worker.log()[-2000:]
        after = _backup(env, tmp_path / "after", tmp_path)
        assert after.returncode == 0, after.stdout + after.stderr
        live = _rows(database)
        assert worker.proc.poll() is None, "the worker stopped during the backups"
    finally:
        worker.stop()

    copy = tmp_path / "during" / "state" / "inbox-worker.sqlite3"
    with contextlib.closing(sqlite3.connect(copy)) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        named = [sha for (sha,) in conn.execute("SELECT raw_sha256 FROM incoming_messages "
                                                "WHERE raw_sha256 IS NOT NULL")]
    assert named
    for sha in named:
        assert (tmp_path / "during" / "state" / "raw-mail" / sha[:2] / f"{sha}.eml").is_file(), sha

    copied = _rows(tmp_path / "after" / "state" / "inbox-worker.sqlite3")
    assert len(copied["applications"]) == APPLICATIONS
    assert copied == live
    kept = (tmp_path / "after" / "config.toml").read_text()
    assert "kept-out-of-backups" not in kept and "[smtp]" in kept
    assert "RESTORE.txt" in os.listdir(tmp_path / "after")


def test_on_postgresql_it_says_to_use_pg_dump_and_copies_the_rest(tmp_path):
    """With a PostgreSQL URL, `backup` prints the pg_dump to run (without the URL's password) and
    still copies the raw mail and the config; a used folder is refused."""
    state = tmp_path / "state"
    kept = state / "raw-mail" / "ab" / ("ab" + "0" * 62 + ".eml")
    kept.parent.mkdir(parents=True)
    kept.write_bytes(b"Subject: kept\r\n\r\nbody\r\n")
    config = tmp_path / "config.toml"
    config.write_text('# the program\'s own database\n[database]\n'
                      'url = "postgresql+psycopg://inbox:db-Secret-42@db.example.org/inbox"\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith("INBOX_WORKER_")}
    env.update(INBOX_WORKER_CONFIG=str(config), INBOX_WORKER_PATHS__STATE_DIR=str(state))
    done = _backup(env, tmp_path / "copy", tmp_path)
    assert done.returncode == 0, done.stderr
    assert "pg_dump" in done.stdout and "db-Secret-42" not in done.stdout + done.stderr
    assert (tmp_path / "copy" / "state" / "raw-mail" / "ab" / kept.name).read_bytes() == kept.read_bytes()
    copied_config = (tmp_path / "copy" / "config.toml").read_text()
    assert "db-Secret-42" not in copied_config and "# the program's own database" in copied_config
    again = _backup(env, tmp_path / "copy", tmp_path)
    assert again.returncode == 1 and "not an empty folder" in again.stderr


def test_the_config_copy_keeps_comments_and_drops_every_secret(tmp_path):
    """Passwords, tokens and a database URL's password are taken out wherever they are (a section,
    a program's inline table); comments and other settings stay."""
    original = Path(__file__).parent / "fixtures" / "backup" / "config-with-secrets.toml"
    out = config_without_secrets(original.read_text())
    for secret in ("imap-Secret-1", "smtp-Secret-2", "token-Secret-3", "north-Secret-4", "db-Secret-5"):
        assert secret not in out
    assert "# The program mailbox." in out and 'host = "imap.gmail.com"' in out
    assert "postgresql+psycopg://inbox:PASSWORD@db.example.org/inbox" in out
