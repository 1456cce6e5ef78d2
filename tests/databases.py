"""Give each test a database of its own, on SQLite or on PostgreSQL.

The suite runs twice in CI: once on SQLite (the default) and once with
INBOX_WORKER_TEST_DATABASE=postgresql against the server at
INBOX_WORKER_TEST_POSTGRES (default: 127.0.0.1:5432 as user postgres). Each
test gets a database created for it and dropped after it.
"""
from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

KIND = os.environ.get("INBOX_WORKER_TEST_DATABASE", "sqlite")
ADMIN_URL = os.environ.get("INBOX_WORKER_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


@contextmanager
def fresh_database(tmp_path: Path) -> Iterator[str]:
    if KIND == "sqlite":
        yield f"sqlite:///{tmp_path / 'inbox-worker.sqlite3'}"
        return
    if KIND != "postgresql":
        raise RuntimeError(f"INBOX_WORKER_TEST_DATABASE={KIND!r}: use sqlite or postgresql")
    name = f"iw_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as e:
        admin.dispose()
        raise RuntimeError(f"PostgreSQL at {make_url(ADMIN_URL).render_as_string(hide_password=True)} is "
                           f"configured for the tests but cannot be used: {e}. Start it, or run the "
                           "tests on SQLite (unset INBOX_WORKER_TEST_DATABASE).") from None
    try:
        yield make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
