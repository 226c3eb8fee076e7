"""`harmwatch users …` and `harmwatch audit …`: accounts and the access log, from a shell.

Whoever can run these can reach the records database directly, so they need no
sign-in; but each one, refused or not, is itself written to the access log with the
actor ``cli:<os user>``, in the same transaction as the change it makes.
"""

from __future__ import annotations

import functools
import getpass
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import typer
from rich.table import Table
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError, OperationalError

from harmwatch.security import accounts, audit
from harmwatch.security.roles import Role
from harmwatch.storage.records import (
    DATABASE_URL_ENV,
    Session,
    database_url,
    describe_url,
    make_engine,
    session_scope,
    upgrade,
)

from .common import console, err_console, print_json, user_errors

users_app = typer.Typer(
    help="Web-app accounts: create, disable, change role, list.",
    no_args_is_help=True,
    add_completion=False,
)
audit_app = typer.Typer(
    help="The access log: verify its hash chain, export it.",
    no_args_is_help=True,
    add_completion=False,
)

DatabaseUrlOption = typer.Option(
    None,
    "--database-url",
    help=(
        f"Records database URL (default: ${DATABASE_URL_ENV}, else records.sqlite in the "
        "data directory), e.g. postgresql+psycopg://user:pass@host/db."
    ),
)

F = TypeVar("F", bound=Callable[..., Any])


def cli_actor() -> str:
    """``cli:<os user>``: the access-log actor for everything done from the command line."""
    try:
        name = getpass.getuser()
    except (KeyError, OSError):
        name = f"uid-{os.getuid()}" if hasattr(os, "getuid") else "unknown"
    return f"cli:{name}"


def _database_errors(func: F) -> F:
    """A database that cannot be reached or used is a user error: one line, exit 2."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (OperationalError, DBAPIError) as exc:
            detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
            sys.stderr.write(f"error: records database: {detail}\n")
            raise typer.Exit(2) from None

    return wrapper  # type: ignore[return-value]


def _open(url: str | None) -> Engine:
    resolved = database_url(url)
    if not url and not os.environ.get(DATABASE_URL_ENV):
        err_console.print(
            f"[dim]records database: {describe_url(resolved)} "
            f"(default; --database-url or {DATABASE_URL_ENV} to change)[/dim]",
            highlight=False,
        )
    engine = make_engine(resolved)
    upgrade(engine)
    return engine


@contextmanager
def _audited(
    engine: Engine, *, action: str, target: str, details: dict[str, Any] | None = None
) -> Iterator[tuple[Session, dict[str, Any]]]:
    """Run a change and log it in one transaction; log a refusal in its own.

    Yields the session and a dict the body may add details to.
    """
    extra: dict[str, Any] = dict(details or {})
    try:
        with session_scope(engine) as db:
            yield db, extra
            audit.record(
                db, actor=cli_actor(), action=action, target=target, details=extra, client="cli"
            )
    except (accounts.AccountError, audit.AuditError) as exc:
        _record_refusal(engine, action=action, target=target, details=extra, error=exc)
        raise


def _record_refusal(
    engine: Engine, *, action: str, target: str, details: dict[str, Any], error: Exception
) -> None:
    """Log a refused command in a transaction of its own (the command's rolled back)."""
    with session_scope(engine) as db:
        audit.record(
            db,
            actor=cli_actor(),
            action=action,
            target=target,
            outcome="failed",
            details={**details, "error": str(error)},
            client="cli",
        )


def _read_password(password_stdin: bool) -> str:
    if password_stdin:
        line = sys.stdin.readline()
        if not line:
            raise accounts.AccountError("--password-stdin: nothing was read from standard input")
        return line.rstrip("\r\n")
    return str(typer.prompt("Password", hide_input=True, confirmation_prompt=True))


@users_app.command("create")
@user_errors
@_database_errors
def create_command(
    name: str = typer.Argument(..., help="Username (letters, digits, . _ @ -; case-insensitive)."),
    role: Role = typer.Option(..., "--role", help="The user's role."),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the password from the first line of standard input."
    ),
    database_url_: str | None = DatabaseUrlOption,
) -> None:
    """Create an account (the password is asked twice, hidden, unless --password-stdin)."""
    engine = _open(database_url_)
    target = f"user:{accounts.normalise_username(name)}"
    details = {"role": role.value}
    # Asked before the transaction starts: a SQLite write lock must not wait on a person.
    try:
        password = _read_password(password_stdin)
    except accounts.AccountError as exc:
        _record_refusal(engine, action="create", target=target, details=details, error=exc)
        raise
    with _audited(engine, action="create", target=target, details=details) as (db, _):
        user = accounts.create_user(db, name, role, password)
    console.print(f"created user {user.username!r} with role {user.role}", highlight=False)


@users_app.command("disable")
@user_errors
@_database_errors
def disable_command(
    name: str = typer.Argument(..., help="Username."),
    database_url_: str | None = DatabaseUrlOption,
) -> None:
    """Disable an account and end its sessions (the account and its history are kept)."""
    engine = _open(database_url_)
    with _audited(
        engine,
        action="change",
        target=f"user:{accounts.normalise_username(name)}",
        details={"change": "disable"},
    ) as (db, extra):
        before = accounts.get_user(db, name)
        was_disabled = bool(before and before.disabled)
        user = accounts.disable_user(db, name)
        extra["already_disabled"] = was_disabled
    note = " (it already was)" if was_disabled else ""
    console.print(f"disabled user {user.username!r}{note}", highlight=False)


@users_app.command("set-role")
@user_errors
@_database_errors
def set_role_command(
    name: str = typer.Argument(..., help="Username."),
    role: Role = typer.Argument(..., help="The new role."),
    database_url_: str | None = DatabaseUrlOption,
) -> None:
    """Give a user another role (effective at their next request)."""
    engine = _open(database_url_)
    with _audited(
        engine,
        action="change",
        target=f"user:{accounts.normalise_username(name)}",
        details={"change": "set-role", "role": role.value},
    ) as (db, extra):
        before = accounts.get_user(db, name)
        extra["previous_role"] = before.role if before else None
        user = accounts.set_role(db, name, role)
    console.print(f"user {user.username!r} now has role {user.role}", highlight=False)


@users_app.command("list")
@user_errors
@_database_errors
def list_command(
    database_url_: str | None = DatabaseUrlOption,
    json_out: bool = typer.Option(False, "--json", help="Print JSON for scripts."),
) -> None:
    """List every account, disabled ones included."""
    engine = _open(database_url_)
    with _audited(engine, action="view", target="users") as (db, extra):
        users = accounts.list_users(db)
        extra["rows"] = len(users)
    if json_out:
        print_json(
            [
                {
                    "username": u.username,
                    "role": u.role,
                    "disabled": u.disabled,
                    "created_at": u.created_at.isoformat(),
                    "last_login_at": u.last_login_at.isoformat() if u.last_login_at else None,
                }
                for u in users
            ]
        )
        return
    table = Table(title=f"{len(users)} user(s)")
    for column in ("username", "role", "status", "created (UTC)", "last sign-in (UTC)"):
        table.add_column(column)
    for u in users:
        table.add_row(
            u.username,
            u.role,
            "disabled" if u.disabled else "active",
            f"{u.created_at:%Y-%m-%d %H:%M}",
            f"{u.last_login_at:%Y-%m-%d %H:%M}" if u.last_login_at else "never",
        )
    console.print(table)


@audit_app.command("verify")
@user_errors
@_database_errors
def verify_command(database_url_: str | None = DatabaseUrlOption) -> None:
    """Check the access log's hash chain; exit 1 naming the first broken entry."""
    engine = _open(database_url_)
    with session_scope(engine) as db:
        result = audit.verify(db)
    with session_scope(engine) as db:
        audit.record(
            db,
            actor=cli_actor(),
            action="verify",
            target="audit_log",
            outcome="ok" if result.ok else "failed",
            details={
                "checked": result.checked,
                "first_broken_id": result.first_broken_id,
                "reason": result.reason,
                "unkeyed": result.unkeyed,
            },
            client="cli",
        )
    if result.key_file:
        console.print(f"chain key: {result.key_file}", highlight=False)
    if result.unkeyed:
        err_console.print(
            f"[yellow]warning[/yellow] {result.unkeyed:,} entries are chained without the key "
            "(written before it existed): someone with database access could have rewritten "
            "them without it showing",
            highlight=False,
        )
    if result.ok:
        console.print(
            f"access log intact: {result.checked:,} entries checked; last hash {result.last_hash}",
            highlight=False,
        )
        return
    sys.stderr.write(
        f"access log BROKEN at entry {result.first_broken_id}: {result.reason} "
        f"({result.checked:,} entries before it check out)\n"
    )
    raise typer.Exit(1)


def _parse_time(value: str | None, option: str) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(
            f"{option}: {value!r} is not a date or time (use 2025-01-31 or 2025-01-31T14:00)"
        ) from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed


@audit_app.command("export")
@user_errors
@_database_errors
def export_command(
    out: Path = typer.Option(
        ..., "--out", help="File to write: CSV, or JSON lines if it ends in .jsonl."
    ),
    actor: str | None = typer.Option(None, "--actor", help="Only this actor."),
    action: str | None = typer.Option(None, "--action", help="Only this action."),
    since: str | None = typer.Option(None, "--since", help="From this UTC date/time (inclusive)."),
    until: str | None = typer.Option(None, "--until", help="Before this UTC date/time."),
    text: str | None = typer.Option(None, "--text", help="Only entries containing this text."),
    database_url_: str | None = DatabaseUrlOption,
) -> None:
    """Export the access log (oldest first), all of it or the entries matching the filters."""
    since_at = _parse_time(since, "--since")
    until_at = _parse_time(until, "--until")
    if not out.parent.exists():
        raise FileNotFoundError(f"--out: folder {out.parent} does not exist")
    fmt = "jsonl" if out.suffix.lower() == ".jsonl" else "csv"
    engine = _open(database_url_)
    filters = {
        "actor": actor,
        "action": action,
        "since": since_at.isoformat() if since_at else None,
        "until": until_at.isoformat() if until_at else None,
        "text": text,
    }
    with _audited(
        engine,
        action="export",
        target=str(out.resolve()),
        details={"format": fmt, "filters": {k: v for k, v in filters.items() if v}},
    ) as (db, extra):
        entries = audit.iter_entries(
            db, actor=actor, action=action, since=since_at, until=until_at, text=text
        )
        # Write beside the target and rename, so a failed export never leaves half a file.
        tmp = out.with_name(out.name + ".part")
        try:
            with tmp.open("w", encoding="utf-8", newline="") as fh:
                writer = audit.export_jsonl if fmt == "jsonl" else audit.export_csv
                written = writer(entries, fh)
            tmp.replace(out)
        finally:
            tmp.unlink(missing_ok=True)
        extra["rows"] = written
    console.print(f"wrote {written:,} entries to {out} ({fmt})", highlight=False)
