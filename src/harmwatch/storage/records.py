"""The records database: accounts, login sessions and the access log.

SQLite (one file in the data directory) by default, so a single analyst needs no
server; PostgreSQL (``HARMWATCH_DATABASE_URL=postgresql+psycopg://…``) for a force
running the web app for many users. The schema is created and upgraded by the Alembic
migrations shipped inside the package (:func:`upgrade`), so users need no alembic.ini.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session

from harmwatch.errors import InputError

from .paths import data_home

__all__ = [
    "DATABASE_URL_ENV",
    "RecordsError",
    "Session",
    "database_url",
    "describe_url",
    "make_engine",
    "read_only",
    "session_scope",
    "upgrade",
]

DATABASE_URL_ENV = "HARMWATCH_DATABASE_URL"
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

# How long a SQLite writer waits for another to finish before giving up.
SQLITE_BUSY_TIMEOUT_S = 30.0
# Any constant: the key of the PostgreSQL advisory lock that serialises migrations
# when several processes (web workers, CLI) start on a fresh database at once.
_MIGRATION_LOCK_KEY = 0x6861726D  # "harm"


class RecordsError(InputError):
    """The records database cannot be used as asked (bad URL, unsupported backend)."""


def database_url(explicit: str | None = None) -> str:
    """The records database to use: ``explicit``, else ``$HARMWATCH_DATABASE_URL``, else a
    SQLite file ``records.sqlite`` in the data directory."""
    if explicit:
        return explicit
    if os.environ.get(DATABASE_URL_ENV):
        return os.environ[DATABASE_URL_ENV]
    return f"sqlite:///{data_home() / 'records.sqlite'}"


def describe_url(url: str) -> str:
    """The URL with any password replaced by ``***``, safe to print or log."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparsable database URL>"


def make_engine(url: str) -> Engine:
    """An engine for the records database.

    SQLite: foreign keys on, WAL (readers never wait for the writer), a busy timeout,
    and every transaction started with ``BEGIN IMMEDIATE``. SQLite's default deferred
    transactions take the write lock only at the first write, and in WAL mode a
    transaction that has already read cannot then wait for that lock: it fails at once
    with "database is locked". Nearly every request here writes (last-seen time, the
    access log), so taking the lock up front makes concurrent writers queue instead of
    fail, and serialises access-log appends.

    PostgreSQL: ``postgresql://`` is read as ``postgresql+psycopg://`` (psycopg 3 is the
    driver harmwatch installs); connections are checked before use.
    """
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise RecordsError(f"cannot parse database URL {url!r}: {exc}") from None
    backend = parsed.get_backend_name()
    if backend == "postgres":
        parsed = parsed.set(drivername="postgresql")
        backend = "postgresql"
    if backend == "postgresql":
        if parsed.get_driver_name() in ("", "psycopg2"):
            parsed = parsed.set(drivername="postgresql+psycopg")
        return create_engine(parsed, pool_pre_ping=True)
    if backend == "sqlite":
        return _sqlite_engine(parsed.render_as_string(hide_password=False))
    raise RecordsError(
        f"unsupported records database {describe_url(url)!r}: use sqlite:///FILE or "
        "postgresql+psycopg://USER:PASSWORD@HOST/DB"
    )


def _sqlite_engine(url: str) -> Engine:
    parsed = make_url(url)
    database = parsed.database or ""
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S}, pool_size=20, max_overflow=20
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Stop the sqlite3 module issuing its own BEGIN; we issue BEGIN IMMEDIATE.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {int(SQLITE_BUSY_TIMEOUT_S * 1000)}")
            cursor.execute("PRAGMA foreign_keys = ON")
            _ensure_wal(cursor)
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # A reader (see read_only) takes no write lock: in WAL mode it never waits.
        read_only = connection.get_execution_options().get(_READ_ONLY_OPTION)
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

    return engine


_READ_ONLY_OPTION = "harmwatch_read_only"


def read_only(engine: Engine) -> Engine:
    """The same database for transactions that only read.

    On SQLite their transactions start with a plain ``BEGIN`` instead of ``BEGIN
    IMMEDIATE``, so a lookup (a session on every request) neither takes nor waits
    for the write lock. A write attempted through it fails rather than queue.
    """
    return engine.execution_options(**{_READ_ONLY_OPTION: True})


def _ensure_wal(cursor: Any) -> None:
    """Switch the file to WAL (a lasting property of the file, so usually already done).

    The switch needs a moment of exclusive access and, unlike other statements, does
    not wait for it: when several processes open a new file at once, retry.
    """
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_S
    while True:
        try:
            mode = cursor.execute("PRAGMA journal_mode").fetchone()[0]
            if str(mode).lower() in ("wal", "memory"):
                return
            cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Create or migrate the schema to the newest revision (or ``revision``, for tests of
    an older release's database); does nothing when already there.

    Runs the package's own migrations with a configuration built here, so it works
    from an installed package without an alembic.ini.
    """
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
    config.set_main_option("path_separator", "os")
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # Two processes migrating a fresh database at once would both try to
            # create the tables; the second waits here and then finds it done.
            connection.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK_KEY}
            )
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session whose work is committed when the block ends and rolled back on error.

    Objects stay usable after the block (``expire_on_commit=False``), so a caller can
    print or render what it just created without another query.
    """
    session = Session(engine, expire_on_commit=False)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
