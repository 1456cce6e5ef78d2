"""The Alembic migrations build exactly the schema the models describe."""
from __future__ import annotations

from datetime import datetime

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import select, text

from inbox_worker.store.database import MIGRATIONS, Database
from inbox_worker.store.models import Application, AutoReply, Base


def test_migrations_match_the_models(database_url):
    """After `upgrade`, autogenerate finds nothing left to change."""
    db = Database(database_url)
    db.upgrade()
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    db.dispose()
    assert diff == []


def test_the_database_file_is_private(tmp_path):
    """The SQLite file holding applicants' data is readable by its owner only."""
    path = tmp_path / "private.sqlite3"
    Database(f"sqlite:///{path}").upgrade()
    assert path.stat().st_mode & 0o077 == 0


def test_answers_sent_before_the_auto_replies_table_still_count(tmp_path):
    """Upgrading a database of the previous version counts its automatic answers in auto_replies."""
    db = _old_database(tmp_path, "0003",
                       "INSERT INTO outgoing_messages (idempotency_key, template, recipients, subject, "
                       "message_id, raw, auto_reply, state, attempts, next_attempt_at, created_at) VALUES "
                       "('ack:1', 'acknowledgement', '[\"A@Example.org\"]', 's', '<1@x>', x'00', 1, "
                       "'sent', 1, '2026-04-10 09:00:00', '2026-04-10 09:00:00'), "
                       "('review:2', 'review_notice', '[\"c@example.org\"]', 's', '<2@x>', x'00', 0, "
                       "'sent', 1, '2026-04-10 09:00:00', '2026-04-10 09:00:00')")
    db.upgrade()
    with db.unit_of_work() as s:
        rows = [(r.address, r.at, r.outgoing_message_id) for r in s.scalars(select(AutoReply))]
    db.dispose()
    assert rows == [("a@example.org", datetime(2026, 4, 10, 9, 0), 1)]


def test_people_erased_before_the_erased_status_are_marked_erased(tmp_path):
    """Upgrading marks applications erased by an earlier version, so nobody matches them again."""
    db = _old_database(tmp_path, "0004",
                       "INSERT INTO applications (email, role, status, version, record, missing, created_at, "
                       "updated_at) VALUES ('erased-1@erased.invalid', 'protege', 'received', 1, '{}', '[]', "
                       "'2026-04-10 09:00:00', '2026-04-10 09:00:00'), ('ann@example.org', 'protege', "
                       "'received', 1, '{}', '[]', '2026-04-10 09:00:00', '2026-04-10 09:00:00')")
    db.upgrade()
    with db.unit_of_work() as s:
        statuses = dict(s.execute(select(Application.email, Application.status)).all())
    db.dispose()
    assert statuses == {"erased-1@erased.invalid": "erased", "ann@example.org": "received"}


def _old_database(tmp_path, revision: str, rows_sql: str) -> Database:
    """A SQLite database migrated only up to `revision`, holding the rows `rows_sql` inserts."""
    db = Database(f"sqlite:///{tmp_path / 'old.sqlite3'}")
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
        conn.execute(text(rows_sql))
    return db
