"""The database edge: engine, migrations, and one session scope per unit of work.

Every change the worker makes (a message recorded, its application stored,
the acknowledgement queued) happens inside one `unit_of_work()`, so either
all of it is committed or none of it is. `--dry-run` hands out a single
session whose commits only flush and which is rolled back at the end: the
run does everything it would do and leaves no trace.

A commit waits for the disk, except a unit of work opened with
`durable=False`: that one is as atomic and outlives a crash of the process,
but a power cut may undo it. Intake records each message that way, because
nothing outside the database acts on the record until the message is moved
out of the watched folder or its answer is sent, and both wait for
`make_durable()` first. Until then an undone record only means the message,
still where it was, is read again.
"""
from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).parent / "migrations"
# Any fixed number: the PostgreSQL advisory lock that serialises migrations.
MIGRATION_LOCK = 7_340_213
# The execution option of a unit of work whose commit does not wait for the disk.
_SYNC_DEFERRED = "inbox_worker.sync_deferred"
# A pooled SQLite connection's synchronous level (FULL or NORMAL), kept with the connection.
_SYNC_LEVEL = "inbox_worker.sync_level"
# SQLite: pages of write-ahead log after which a commit copies them into the database file.
WAL_CHECKPOINT_PAGES = 10_000


class DatabaseError(Exception):
    """The database cannot be opened or migrated; the message says what to do."""


class Database:
    def __init__(self, url: str, schema: str = ""):
        self.url = url
        self.schema = schema
        self.engine = _engine(url, schema)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._dry_session: Session | None = None

    def upgrade(self) -> None:
        """Bring the schema to the newest version (safe to run every start)."""
        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        try:
            with self.engine.begin() as conn:
                if conn.dialect.name == "postgresql":
                    # Workers starting together on a new database take turns: one migrates,
                    # the others then find nothing to do.
                    conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})

                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "head")
        except Exception as e:
            raise DatabaseError(f"could not prepare the database at {self.safe_url}: {e}. Check "
                                f"[database] url in the configuration.") from e

    @property
    def safe_url(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    @contextmanager
    def unit_of_work(self, *, durable: bool = True) -> Iterator[Session]:
        """A session that commits when the block ends cleanly and rolls back when it raises.

        `durable=False`: the commit does not wait for the disk (see the module's notes); only
        for work nothing outside the database acts on before `make_durable()`."""
        if self._dry_session is not None:
            # Dry run: one session for the whole run; a "commit" only flushes.
            nested = self._dry_session.begin_nested()
            try:
                yield self._dry_session
            except BaseException:
                nested.rollback()
                raise
            nested.commit()
            return
        session = self._sessions()
        try:
            if not durable:
                conn = session.connection(execution_options={_SYNC_DEFERRED: True})
                if conn.dialect.name == "postgresql":
                    conn.exec_driver_sql("SET LOCAL synchronous_commit TO OFF")  # this transaction's
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    @contextmanager
    def units_of_work(self) -> Iterator[UnitsOfWork]:
        """For many small units of work in a row (the outbox sends each email in one): each
        `with units.unit() as conn:` is a transaction, committed as `unit_of_work` commits it,
        on one connection kept for the whole run. Core statements only: there is no Session,
        whose making and ending cost more than such a unit's own statements."""
        if self._dry_session is not None:
            yield UnitsOfWork(self._dry_session.connection(), nested=True)
            return
        with self.engine.connect() as conn:
            yield UnitsOfWork(conn, nested=False)

    def make_durable(self) -> None:
        """Wait until every commit so far, `durable=False` ones included, is on the disk.

        Both databases write their log in order, so a commit that waits for the disk carries
        every commit before it there too: this makes one. (A transaction that changed nothing
        would not wait, so on SQLite it writes a row; on PostgreSQL a transaction id is enough.)
        """
        if self._dry_session is not None:
            return
        with self.unit_of_work() as s:
            if self.engine.dialect.name == "postgresql":
                s.execute(text("SELECT txid_current()"))
            else:
                s.execute(text("INSERT OR REPLACE INTO worker_state (key, value) VALUES ('durable', '')"))

    @contextmanager
    def dry_run(self) -> Iterator[None]:
        """Everything inside happens in one transaction that is rolled back at the end."""
        self._dry_session = self._sessions()
        try:
            yield
        finally:
            self._dry_session.rollback()
            self._dry_session.close()
            self._dry_session = None

    def dispose(self) -> None:
        self.engine.dispose()


class UnitsOfWork:
    """Units of work in a row on one connection (see `Database.units_of_work`)."""

    def __init__(self, conn: Connection, *, nested: bool) -> None:
        self._conn = conn
        # A dry run's units are savepoints in its one transaction, as `unit_of_work`'s are.
        self._nested = nested

    @contextmanager
    def unit(self) -> Iterator[Connection]:
        """One transaction: committed when the block ends cleanly, rolled back when it raises."""
        with self._conn.begin_nested() if self._nested else self._conn.begin():
            yield self._conn


def _engine(url: str, schema: str = "") -> Engine:
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        path = Path(url[len("sqlite:///"):])
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            # Personal data: readable by the owner only, from the first byte.
            fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
            os.close(fd)
    try:
        engine = create_engine(url, future=True)
    except ModuleNotFoundError as e:
        # The PostgreSQL driver is an extra: `pip install 'inbox-worker[postgresql]'`.
        raise DatabaseError(f"the database driver for {url.split(':', 1)[0]} is not installed ({e.name}); "
                            "install inbox-worker with it: pip install 'inbox-worker[postgresql]'") from None
    if schema and engine.dialect.name == "postgresql":
        _create_schema(url, schema)

        @event.listens_for(engine, "connect")
        def _program_schema(dbapi_conn, _record):
            # Every table this program uses lives in its own schema; unqualified names find them
            # there, so no query can reach another program's people. (`schema` is checked to be
            # [a-z0-9_] by the settings.)
            cur = dbapi_conn.cursor()
            cur.execute(f'SET search_path TO "{schema}"')
            cur.close()
            dbapi_conn.commit()

    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _sqlite_connect(dbapi_conn, record):
            # Let SQLAlchemy issue BEGIN itself: the sqlite3 module's own transaction
            # handling breaks SAVEPOINT, which the dry run relies on.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            # Every commit waits for the disk unless its unit of work says otherwise.
            cur.execute("PRAGMA synchronous=FULL")
            record.info[_SYNC_LEVEL] = "FULL"
            cur.execute("PRAGMA busy_timeout=10000")
            # A checkpoint copies every page changed since the last into the database file. The
            # same few index and table pages change with every message, so checkpointing after
            # each 1,000 pages of log (SQLite's default, about 80 messages of a backlog) wrote them
            # over and over, on the thread that records mail. Every 10,000 pages (a log of up to
            # 40 MB): intake's commits for a backlog of 2,000 messages took 0.33 s, not 0.59 s.
            cur.execute(f"PRAGMA wal_autocheckpoint={WAL_CHECKPOINT_PAGES}")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn):
            # WAL mode at NORMAL: the log is synced at checkpoints and at the next FULL commit.
            # SQLite takes the level only outside a transaction, so it is set here, before BEGIN,
            # and only when this unit wants another than the connection's last.
            level = "NORMAL" if conn.get_execution_options().get(_SYNC_DEFERRED) else "FULL"
            if conn.info.get(_SYNC_LEVEL) != level:
                conn.info.pop(_SYNC_LEVEL, None)  # unknown until the PRAGMA is through
                conn.exec_driver_sql(f"PRAGMA synchronous={level}")
                conn.info[_SYNC_LEVEL] = level
            conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def _create_schema(url: str, schema: str) -> None:
    """Make the program's schema before the engine first connects, so the engine sees it as
    its default schema from the start."""
    from sqlalchemy.exc import DBAPIError

    maker = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with maker.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
    except DBAPIError as e:
        # Two workers creating it at once: one wins, the other's error is harmless. Anything
        # else shows again, with its reason, at the first real query.
        if "already exists" not in str(e) and "duplicate" not in str(e).lower():
            log.debug("could not create schema %s: %s", schema, e)
    finally:
        maker.dispose()
