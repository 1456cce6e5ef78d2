"""The Alembic migrations build exactly the schema the models describe."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from inbox_worker.db import Database
from inbox_worker.models import Base


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
