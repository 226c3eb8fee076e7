"""A real PostgreSQL server for the tests, started and stopped by the test run itself.

The records-database tests run against SQLite and PostgreSQL. Rather than needing a
server set up by hand, the first test that asks for one starts a throw-away cluster:
``initdb`` into a temporary folder, ``pg_ctl start`` on a free port on 127.0.0.1 (its
unix socket in the same folder), ``fsync=off`` for speed, password authentication
(SCRAM) with a random password. One server serves the whole session (every conftest
that re-exports these fixtures shares it); each test gets a database of its own,
dropped afterwards. The server stops and its folder is removed at the end of the run.

initdb and postgres refuse to run as root, so when the tests run as root the server
runs as the ``postgres`` user (``runuser -u postgres``), which Debian's postgresql
package creates. If the server binaries are missing the fixture fails (it does not
skip) and says which package to install.

Use from a conftest or test module::

    from _postgres import pg_server, records_url  # noqa: F401  (fixtures)

(``tests/`` is on ``sys.path`` under pytest's default import mode; the conftests
add it when it is not.)
"""

from __future__ import annotations

import glob
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine

BACKENDS = ["sqlite", "postgresql"]
PG_BIN_ENV = "HARMWATCH_TEST_PG_BIN"
_INSTALL_HINT = (
    "PostgreSQL server binaries (initdb, pg_ctl, postgres) not found: the records-database "
    "tests start their own PostgreSQL server. Install Debian's package: "
    "`apt-get install -y postgresql` (scripts/system-deps.sh does this), or set "
    f"{PG_BIN_ENV} to the folder holding initdb and pg_ctl."
)


@dataclass
class PostgresServer:
    """A running throw-away cluster: where it is and how to reach it."""

    root: Path
    port: int
    password: str
    bindir: Path
    as_user: list[str]

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres:{self.password}@127.0.0.1:{self.port}/{database}"

    def admin(self, sql: str) -> None:
        """Run one statement outside a transaction (CREATE/DROP DATABASE)."""
        import psycopg

        with psycopg.connect(
            host="127.0.0.1",
            port=self.port,
            user="postgres",
            password=self.password,
            dbname="postgres",
            autocommit=True,
        ) as conn:
            conn.execute(sql)  # type: ignore[arg-type]

    def stop(self) -> None:
        subprocess.run(
            [
                *self.as_user,
                str(self.bindir / "pg_ctl"),
                "-D",
                str(self.root / "data"),
                "-m",
                "immediate",
                "-w",
                "stop",
            ],
            check=False,
            capture_output=True,
        )
        shutil.rmtree(self.root, ignore_errors=True)


def find_bindir() -> Path | None:
    """The folder with initdb and pg_ctl: $HARMWATCH_TEST_PG_BIN, Debian's newest, or PATH."""
    candidates: list[Path] = []
    if os.environ.get(PG_BIN_ENV):
        candidates.append(Path(os.environ[PG_BIN_ENV]))
    debian = sorted(
        glob.glob("/usr/lib/postgresql/*/bin"),
        key=lambda p: int(Path(p).parent.name) if Path(p).parent.name.isdigit() else 0,
        reverse=True,
    )
    candidates.extend(Path(p) for p in debian)
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(Path(on_path).parent)
    for folder in candidates:
        if (folder / "initdb").exists() and (folder / "pg_ctl").exists():
            return folder
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server() -> PostgresServer:
    """initdb + pg_ctl start; raises RuntimeError with the server's log on failure."""
    bindir = find_bindir()
    if bindir is None:
        raise FileNotFoundError(_INSTALL_HINT)
    as_root = os.geteuid() == 0
    # As root, under /tmp: $TMPDIR may be a folder the postgres user cannot enter.
    root = Path(tempfile.mkdtemp(prefix="harmwatch-pg-", dir="/tmp" if as_root else None))
    try:
        return _start_in(root, bindir, as_root)
    except BaseException:
        shutil.rmtree(root, ignore_errors=True)
        raise


def _start_in(root: Path, bindir: Path, as_root: bool) -> PostgresServer:
    as_user: list[str] = []
    owner: tuple[int, int] | None = None
    if as_root:
        try:
            pg = pwd.getpwnam("postgres")
        except KeyError:
            raise RuntimeError(
                "tests run as root, and PostgreSQL refuses root; the `postgres` user that "
                "Debian's postgresql package creates does not exist (apt-get install -y postgresql)"
            ) from None
        if not shutil.which("runuser"):
            raise RuntimeError("tests run as root but `runuser` (util-linux) is missing")
        owner = (pg.pw_uid, pg.pw_gid)
        os.chown(root, *owner)
        as_user = ["runuser", "-u", "postgres", "--"]
    password = secrets.token_hex(16)
    pwfile = root / "pwfile"
    pwfile.write_text(password + "\n")
    if owner:
        os.chown(pwfile, *owner)
    data = root / "data"
    init = subprocess.run(
        [
            *as_user,
            str(bindir / "initdb"),
            "-D",
            str(data),
            "-U",
            "postgres",
            "--auth=scram-sha-256",
            f"--pwfile={pwfile}",
            "-E",
            "UTF8",
            "--no-locale",
            "--no-sync",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    pwfile.unlink()
    if init.returncode != 0:
        raise RuntimeError(f"initdb failed:\n{init.stdout}\n{init.stderr}")
    last_error = ""
    for _ in range(5):  # the free port can be taken between choosing it and binding it
        port = _free_port()
        options = (
            f"-c listen_addresses=127.0.0.1 -p {port} -k {root} -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=100"
        )
        started = subprocess.run(
            [
                *as_user,
                str(bindir / "pg_ctl"),
                "-D",
                str(data),
                "-l",
                str(root / "server.log"),
                "-o",
                options,
                "-w",
                "-t",
                "60",
                "start",
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if started.returncode == 0:
            return PostgresServer(root, port, password, bindir, as_user)
        log = (
            (root / "server.log").read_text(errors="replace")
            if (root / "server.log").exists()
            else ""
        )
        last_error = f"{started.stdout}\n{started.stderr}\n{log[-4000:]}"
    raise RuntimeError(f"could not start PostgreSQL:\n{last_error}")


_SERVER: PostgresServer | None = None


@pytest.fixture(scope="session")
def pg_server(request: pytest.FixtureRequest) -> PostgresServer:
    """The session's PostgreSQL server, started on first use (one per test run)."""
    global _SERVER
    if _SERVER is None:
        problem = ""
        try:
            _SERVER = start_server()
        except FileNotFoundError as exc:
            problem = str(exc)
        except RuntimeError as exc:
            problem = f"PostgreSQL test server: {exc}"
        if _SERVER is None:  # failed outside the except block, so the message shows once
            pytest.fail(problem, pytrace=False)
        server = _SERVER

        def _stop() -> None:
            global _SERVER
            server.stop()
            _SERVER = None

        request.config.add_cleanup(_stop)
    return _SERVER


@pytest.fixture
def fresh_postgres_url(pg_server: PostgresServer) -> Iterator[str]:
    """The URL of a new, empty PostgreSQL database, dropped after the test."""
    name = f"hw_{uuid.uuid4().hex[:16]}"
    pg_server.admin(f'CREATE DATABASE "{name}"')
    try:
        yield pg_server.url(name)
    finally:
        pg_server.admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=BACKENDS)
def records_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty records database on each backend in turn: a SQLite file, then PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'records.sqlite'}"
    return str(request.getfixturevalue("fresh_postgres_url"))


@pytest.fixture
def records_engine(records_url: str) -> Iterator[Engine]:
    """A migrated records database on each backend in turn."""
    from harmwatch.storage.records import make_engine, upgrade

    engine = make_engine(records_url)
    upgrade(engine)
    try:
        yield engine
    finally:
        engine.dispose()


@pytest.fixture
def fast_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cheap Argon2id parameters, so tests that sign in many times run quickly.

    The real parameters are tested on their own (tests/security/test_passwords.py).
    """
    from argon2 import PasswordHasher, Type

    from harmwatch.security import passwords

    monkeypatch.setattr(
        passwords,
        "HASHER",
        PasswordHasher(time_cost=1, memory_cost=256, parallelism=1, type=Type.ID),
    )
