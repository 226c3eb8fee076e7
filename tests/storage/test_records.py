"""The records database: where it is, how engines are made, migrations, transactions."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect, select, text

from harmwatch.kernel.rooms import installed_rooms
from harmwatch.storage import records
from harmwatch.storage.models import GENESIS_HASH, AuditChainHead, Base, User
from harmwatch.storage.records import (
    RecordsError,
    database_url,
    describe_url,
    make_engine,
    session_scope,
    upgrade,
)

TABLES = {
    "users",
    "login_sessions",
    "login_failures",
    "login_locks",
    "audit_log",
    "audit_chain_head",
    "operator_keys",
    "record_shares",
    "alembic_version",
    "intel_reports",
    "intel_entities",
    "intel_links",
    "intel_link_sources",
}


def test_database_url_explicit_then_environment_then_data_home(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("HARMWATCH_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("HARMWATCH_DATABASE_URL", raising=False)
    assert database_url() == f"sqlite:///{tmp_path / 'home' / 'records.sqlite'}"
    monkeypatch.setenv("HARMWATCH_DATABASE_URL", "postgresql+psycopg://u:p@h/db")
    assert database_url() == "postgresql+psycopg://u:p@h/db"
    assert database_url("sqlite:///x.sqlite") == "sqlite:///x.sqlite"


def test_default_sqlite_file_is_created_with_its_folder(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("HARMWATCH_HOME", str(tmp_path / "not" / "yet"))
    monkeypatch.delenv("HARMWATCH_DATABASE_URL", raising=False)
    engine = make_engine(database_url())
    upgrade(engine)
    engine.dispose()
    assert (tmp_path / "not" / "yet" / "records.sqlite").is_file()


def test_sqlite_engine_has_foreign_keys_wal_and_immediate_transactions(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'r.sqlite'}")
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    # BEGIN IMMEDIATE takes the write lock at the start: a second writer waits
    # (here: times out at once) instead of failing later mid-transaction.
    other = make_engine(f"sqlite:///{tmp_path / 'r.sqlite'}")
    with engine.begin() as conn:
        conn.execute(text("SELECT 1"))
        raw = other.raw_connection()
        try:
            raw.driver_connection.execute("PRAGMA busy_timeout = 0")  # type: ignore[union-attr]
            with pytest.raises(Exception, match="locked"):
                raw.driver_connection.execute("BEGIN IMMEDIATE")  # type: ignore[union-attr]
        finally:
            raw.close()
    engine.dispose()
    other.dispose()


def test_postgres_urls_get_the_psycopg_driver() -> None:
    engine = make_engine("postgresql://u:secret@127.0.0.1:1/db")
    assert engine.dialect.driver == "psycopg"
    engine = make_engine("postgres://u:secret@127.0.0.1:1/db")
    assert engine.dialect.driver == "psycopg"


def test_unsupported_backend_and_bad_urls_are_clear_errors() -> None:
    with pytest.raises(RecordsError, match=r"unsupported records database.*sqlite"):
        make_engine("mysql://u:secret@h/db")
    with pytest.raises(RecordsError, match="cannot parse"):
        make_engine("not a url")
    assert "secret" not in describe_url("postgresql+psycopg://u:secret@h/db")
    # RecordsError is a ValueError, so the CLI's @user_errors prints it and exits 2.
    assert issubclass(RecordsError, ValueError)


def _head_revision() -> str:
    """The newest revision the migration scripts define, so a new room's migration needs no edit here."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(records.MIGRATIONS_DIR).replace("%", "%%"))
    config.set_main_option("path_separator", "os")
    head = ScriptDirectory.from_config(config).get_current_head()
    assert head, "the migration scripts have no single head"
    return head


def test_upgrade_creates_the_schema_and_is_idempotent(records_url: str) -> None:
    engine = make_engine(records_url)
    upgrade(engine)
    upgrade(engine)
    assert set(inspect(engine).get_table_names()) >= TABLES
    with session_scope(engine) as db:
        head = db.scalars(select(AuditChainHead)).all()
        assert [(h.id, h.last_id, h.last_hash) for h in head] == [(1, 0, GENESIS_HASH)]
        assert (
            db.execute(text("SELECT version_num FROM alembic_version")).scalar() == _head_revision()
        )
    engine.dispose()


def test_concurrent_upgrades_of_a_fresh_database_do_not_collide(records_url: str) -> None:
    engines = [make_engine(records_url) for _ in range(3)]
    errors: list[BaseException] = []

    def run(engine: Engine) -> None:
        try:
            upgrade(engine)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(e,)) for e in engines]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    for e in engines:
        e.dispose()


def test_hand_written_migration_matches_the_orm_models(records_engine: Engine) -> None:
    # Every room's record models join Base.metadata when its room is imported.
    installed_rooms()
    with records_engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diffs = compare_metadata(context, Base.metadata)
    assert diffs == []


def test_triggers_exist_after_migration(records_engine: Engine) -> None:
    with records_engine.connect() as conn:
        if records_engine.dialect.name == "sqlite":
            names = set(
                conn.execute(
                    text("SELECT name FROM sqlite_master WHERE type = 'trigger'")
                ).scalars()
            )
        else:
            names = set(
                conn.execute(text("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")).scalars()
            )
    assert {"audit_log_no_update", "audit_log_no_delete"} <= names or {
        "audit_log_no_update_delete",
        "audit_log_no_truncate",
    } <= names
    assert "audit_chain_head_forward_only" in names


def test_session_scope_commits_on_success_and_rolls_back_on_error(
    records_engine: Engine,
) -> None:
    from harmwatch.storage.models import utcnow

    def user(name: str) -> User:
        now = utcnow()
        return User(
            username=name, role="analyst", password_hash="x", created_at=now, updated_at=now
        )

    with session_scope(records_engine) as db:
        db.add(user("kept"))
    with pytest.raises(RuntimeError), session_scope(records_engine) as db:
        db.add(user("dropped"))
        db.flush()
        raise RuntimeError("boom")
    with session_scope(records_engine) as db:
        names = set(db.scalars(select(User.username)))
    assert names == {"kept"}


def test_timestamps_read_back_aware_in_utc_to_the_microsecond(records_engine: Engine) -> None:
    from datetime import UTC, datetime, timedelta, timezone

    at = datetime(2025, 3, 30, 0, 59, 59, 123456, tzinfo=timezone(timedelta(hours=1)))
    with session_scope(records_engine) as db:
        db.add(User(username="t", role="analyst", password_hash="x", created_at=at, updated_at=at))
    with session_scope(records_engine) as db:
        got = db.scalars(select(User.created_at)).one()
    assert got == at and got.tzinfo == UTC and got.microsecond == 123456


def test_migrations_ship_inside_the_package() -> None:
    folder = records.MIGRATIONS_DIR
    assert (folder / "env.py").is_file()
    assert (folder / "script.py.mako").is_file()
    assert list((folder / "versions").glob("0001_*.py"))
    assert list((folder / "versions").glob("0002_*.py"))
    assert list((folder / "versions").glob("0003_*.py"))


def test_a_database_of_the_previous_release_upgrades_in_place(records_url: str) -> None:
    """Revision 0001 with accounts and a keyed log → 0002: nothing lost, the chain intact."""
    from harmwatch.security import accounts, audit, passwords
    from harmwatch.storage.models import utcnow

    engine = make_engine(records_url)
    upgrade(engine, "0001")
    now = utcnow()
    with session_scope(engine) as db:
        db.execute(
            text(
                "INSERT INTO users (username, role, password_hash, disabled, created_at, updated_at) "
                "VALUES ('olivia', 'analyst', :hash, :off, :now, :now)"
            ),
            {
                "hash": passwords.hash_password("a long enough password"),
                "off": False,
                "now": now.replace(tzinfo=None) if engine.dialect.name == "sqlite" else now,
            },
        )
        for word in ("create", "view", "export"):  # the words the previous release logged
            audit.append_entry(
                db,
                actor="cli:root",
                action=word,
                target="user:olivia",
                outcome="ok",
                details={},
                justification=None,
                client="cli",
            )
    upgrade(engine)
    with session_scope(engine) as db:
        assert (
            db.execute(text("SELECT version_num FROM alembic_version")).scalar() == _head_revision()
        )
        user = accounts.authenticate(db, "olivia", "a long enough password")
        assert (user.force, accounts.user_units(user)) == ("", frozenset())
        accounts.set_units(db, "olivia", "hertfordshire", ["dacorum-cid"])
        assert audit.verify(db).ok
        assert [e.action for e in audit.iter_entries(db)] == ["create", "view", "export"]
    engine.dispose()
