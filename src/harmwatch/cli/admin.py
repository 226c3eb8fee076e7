"""`harmwatch users …` and `harmwatch audit …`: accounts and the access log, from a shell.

Every command acts as a named user with a role (``--as USER`` and a password or an
operator key file, :mod:`harmwatch.cli.identity`) and is checked against the same
capabilities as the web app: managing accounts needs ``manage-users``, reading the
log ``read-audit``. Each change and its access-log entry are saved in one
transaction by the records kernel's unit of work; a refusal is logged too, as
``refused`` or ``denied``. The one act without a sign-in is creating the first admin
account of a new records database, and it is logged as the operating-system user
who ran it.
"""

from __future__ import annotations

import functools
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

from harmwatch.admin.room import MANAGE_USERS, READ_AUDIT
from harmwatch.errors import InputError
from harmwatch.kernel import refs
from harmwatch.kernel.actions import AuditAction, Outcome
from harmwatch.kernel.capabilities import Capability
from harmwatch.kernel.justification import Justification
from harmwatch.kernel.principal import Principal
from harmwatch.kernel.refs import RecordRef
from harmwatch.kernel.work import Entry, Work, log_alone, unit_of_work
from harmwatch.security import accounts, audit, operator_keys
from harmwatch.security.roles import Role
from harmwatch.storage.models import User
from harmwatch.storage.records import (
    DATABASE_URL_ENV,
    database_url,
    describe_url,
    make_engine,
    session_scope,
    upgrade,
)

from .common import console, err_console, print_json, user_errors
from .identity import AsOption, KeyFileOption, require_capability, sign_in

users_app = typer.Typer(
    help="Web-app accounts: create, disable, change role, force and units, keys, list.",
    no_args_is_help=True,
    add_completion=False,
)
audit_app = typer.Typer(
    help="The access log: verify its hash chain, export it.",
    no_args_is_help=True,
    add_completion=False,
)


def register(app: typer.Typer) -> None:
    """The admin room's commands: ``harmwatch users …`` and ``harmwatch audit …``."""
    app.add_typer(users_app, name="users")
    app.add_typer(audit_app, name="audit")


DatabaseUrlOption = typer.Option(
    None,
    "--database-url",
    help=(
        f"Records database URL (default: ${DATABASE_URL_ENV}, else records.sqlite in the "
        "data directory), e.g. postgresql+psycopg://user:pass@host/db."
    ),
)

F = TypeVar("F", bound=Callable[..., Any])


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


def open_records(url: str | None) -> Engine:
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


def _key_holder(work: Work, name: str) -> User:
    """The user whose keys are issued or revoked: oneself, or anyone for a manager of users."""
    if not _self(work.principal, name):
        require_capability(work.principal, MANAGE_USERS)
    user = accounts.get_user(work.db, name)
    if user is None:
        raise accounts.AccountError(f"no user named {accounts.normalise_username(name)!r}")
    return user


def _self(principal: Principal, name: str) -> bool:
    return accounts.normalise_username(name) == principal.username


def _user(name: str) -> RecordRef:
    return RecordRef("user", accounts.normalise_username(name) or "(blank)")


def _read_new_password(password_stdin: bool) -> str:
    if password_stdin:
        line = sys.stdin.readline()
        if not line:
            raise accounts.AccountError("--password-stdin: nothing was read from standard input")
        return line.rstrip("\r\n")
    return str(typer.prompt("Password", hide_input=True, confirmation_prompt=True))


def _acting(engine: Engine, as_user: str | None, key_file: Path | None) -> Principal:
    return sign_in(engine, as_user, key_file)


@contextmanager
def _signed_in_work(
    database_url_: str | None,
    as_user: str | None,
    key_file: Path | None,
    action: AuditAction,
    target: RecordRef,
    *,
    needs: Capability | None = MANAGE_USERS,
    details: dict[str, Any] | None = None,
    justification: Justification | None = None,
) -> Iterator[Work]:
    """Sign in, then one unit of work: the capability checked inside, so a refusal is logged."""
    engine = open_records(database_url_)
    principal = _acting(engine, as_user, key_file)
    with unit_of_work(
        engine,
        principal,
        action,
        target,
        client="cli",
        details=details,
        justification=justification,
    ) as work:
        if needs is not None:
            require_capability(principal, needs)
        yield work


def _refuse(
    engine: Engine,
    principal: Principal,
    action: AuditAction,
    target: RecordRef,
    exc: Exception,
    details: dict[str, Any],
) -> None:
    """Log a refusal that happened before any unit of work began (a password not read)."""
    log_alone(
        engine,
        principal,
        "cli",
        Entry(action, target, {**details, "error": str(exc)}),
        Outcome.REFUSED,
    )


@users_app.command("create")
@user_errors
@_database_errors
def create_command(
    name: str = typer.Argument(..., help="Username (letters, digits, . _ @ -; case-insensitive)."),
    role: Role = typer.Option(..., "--role", help="The user's role."),
    force: str = typer.Option(
        "", "--force", help="The user's force (police.uk name, e.g. hertfordshire)."
    ),
    unit: list[str] | None = typer.Option(
        None, "--unit", help="A unit of that force (repeatable)."
    ),
    password_stdin: bool = typer.Option(
        False,
        "--password-stdin",
        help="Read the new password from standard input (after the acting user's, if asked).",
    ),
    as_user: str | None = AsOption,
    key_file: Path | None = KeyFileOption,
    database_url_: str | None = DatabaseUrlOption,
) -> None:
    """Create an account (the password is asked twice, hidden, unless --password-stdin).

    On a new records database the first admin account can be created without --as:
    the only act that needs no sign-in, and it is logged.
    """
    engine = open_records(database_url_)
    with session_scope(engine) as db:
        bootstrap = not as_user and role is Role.ADMIN and not accounts.any_active_admin(db)
    principal = Principal.bootstrap() if bootstrap else _acting(engine, as_user, key_file)
    target = _user(name)
    details: dict[str, Any] = {"role": role.value, "force": force, "units": sorted(unit or [])}
    if bootstrap:
        details["bootstrap"] = "first admin of a new records database, no sign-in"
    # Asked before the transaction starts: a SQLite write lock must not wait on a person.
    try:
        password = _read_new_password(password_stdin)
    except accounts.AccountError as exc:
        _refuse(engine, principal, AuditAction.COLLECTION, target, exc, details)
        raise
    with unit_of_work(
        engine, principal, AuditAction.COLLECTION, target, client="cli", details=details
    ) as work:
        if not bootstrap:
            require_capability(principal, MANAGE_USERS)
        elif accounts.any_active_admin(work.db):  # someone else bootstrapped meanwhile
            raise accounts.AccountError(
                "an admin exists now: create further accounts --as an admin"
            )
        user = accounts.create_user(work.db, name, role, password, force=force, units=unit or ())
    console.print(f"created user {user.username!r} with role {user.role}", highlight=False)


@users_app.command("disable")
@user_errors
@_database_errors
def disable_command(
    name: str = typer.Argument(..., help="Username."),
    yes: bool = typer.Option(False, "--yes", help="Confirm disabling your own account."),
    as_user: str | None = AsOption,
    key_file: Path | None = KeyFileOption,
    database_url_: str | None = DatabaseUrlOption,
) -> None:
    """Disable an account and end its sessions (the account and its history are kept)."""
    with _signed_in_work(
        database_url_,
        as_user,
        key_file,
        AuditAction.ALTERATION,
        _user(name),
        details={"change": "disable"},
    ) as work:
        if _self(work.principal, name) and not yes:
            raise InputError("this disables your own account; add --yes if you mean it")
        before = accounts.get_user(work.db, name)
        was_disabled = bool(before and before.disabled)
        user = accounts.disable_user(work.db, name)
        work.details["already_disabled"] = was_disabled
    note = " (it already was)" if was_disabled else ""
    console.print(f"disabled user {user.username!r}{note}", highlight=False)


@users_app.command("set-role")
@user_errors
@_database_errors
def set_role_command(
    name: str = typer.Argument(..., help="Username."),
    role: Role = typer.Argument(..., help="The new role."),
    yes: bool = typer.Option(False, "--yes", help="Confirm changing your own role."),
    as_user: str | None = AsOption,
    key_file: Path | None = KeyFileOption,
    database_url_: str | None = DatabaseUrlOption,
) -> None:
    """Give a user another role (effective at their next request)."""
    with _signed_in_work(
        database_url_,
        as_user,
        key_file,
        AuditAction.ALTERATION,
        _user(name),
        details={"change": "set-role", "role": role.value},
    ) as work:
        before = accounts.get_user(work.db, name)
        work.details["previous_role"] = before.role if before else None
        if _self(work.principal, name) and role is not work.principal.role and not yes:
            raise InputError(
                f"this changes your own role to {role.value}: you would lose an admin's rights; "
                "add --yes if you mean it"
            )
        user = accounts.set_role(work.db, name, role)
    console.print(f"user {user.username!r} now has role {user.role}", highlight=False)


@users_app.command("set-units")
@user_errors
@_database_errors
def set_units_command(
    name: str = typer.Argument(..., help="Username."),
    force: str = typer.Option(
        ..., "--force", help="The user's force (police.uk name); '' for none."
    ),
    unit: list[str] | None = typer.Option(
        None, "--unit", help="A unit of that force (repeatable)."
    ),
    as_user: str | None = AsOption,
    key_file: Path | None = KeyFileOption,
    database_url_: str | None = DatabaseUrlOption,
) -> None:
    """Put a user in a force and its units: the records they may see follow from them."""
    with _signed_in_work(
        database_url_,
        as_user,
        key_file,
        AuditAction.ALTERATION,
        _user(name),
        details={"change": "set-units"},
    ) as work:
        before = accounts.get_user(work.db, name)
        if before is not None:
            work.details["previous"] = {
                "force": before.force,
                "units": sorted(accounts.user_units(before)),
            }
        user = accounts.set_units(work.db, name, force, unit or ())
        units = sorted(accounts.user_units(user))
        work.details["now"] = {"force": user.force, "units": units}
    console.print(
        f"user {user.username!r} is in {user.force or 'no force'}, units: {', '.join(units) or 'none'}",
        highlight=False,
    )


@users_app.command("issue-key")
@user_errors
@_database_errors
def issue_key_command(
    name: str = typer.Argument(..., help="Username the key acts as."),
    out: Path = typer.Option(..., "--out", help="New file to write the key to (mode 0600)."),
    label: str = typer.Option("", "--label", help="What the key is for (kept with its hash)."),
    as_user: str | None = AsOption,
    key_file: Path | None = KeyFileOption,
    database_url_: str | None = DatabaseUrlOption,
) -> None:
    """Issue an operator key file, so scripts can act as NAME without a password.

    An admin may issue one for anyone; any user for themself. Only the key's hash is
    stored: the file is the secret; keep it as you would a password.
    """
    if out.exists():
        raise operator_keys.OperatorKeyError(
            f"{out}: already exists; choose a new file for the key"
        )
    if not out.parent.exists():
        raise InputError(f"--out: folder {out.parent} does not exist")
    with _signed_in_work(
        database_url_,
        as_user,
        key_file,
        AuditAction.COLLECTION,
        RecordRef("operator-key", accounts.normalise_username(name)),
        needs=None,  # one's own key needs no capability; another's, manage-users
        details={"label": label, "file": str(out.resolve())},
    ) as work:
        user = _key_holder(work, name)
        text = operator_keys.issue_key(work.db, user, created_by=work.principal.actor, label=label)
        # Written inside the transaction: if the file cannot be written, no key is stored.
        operator_keys.write_key_file(out, text)
    console.print(
        f"wrote an operator key for {user.username!r} to {out} (mode 0600)", highlight=False
    )


@users_app.command("revoke-keys")
@user_errors
@_database_errors
def revoke_keys_command(
    name: str = typer.Argument(..., help="Username whose keys to revoke."),
    as_user: str | None = AsOption,
    key_file: Path | None = KeyFileOption,
    database_url_: str | None = DatabaseUrlOption,
) -> None:
    """Revoke every operator key of a user (at once; their key files stop working)."""
    with _signed_in_work(
        database_url_,
        as_user,
        key_file,
        AuditAction.ERASURE,
        RecordRef("operator-key", accounts.normalise_username(name)),
        needs=None,  # one's own keys need no capability; another's, manage-users
    ) as work:
        user = _key_holder(work, name)
        n = operator_keys.revoke_keys(work.db, user)
        work.details["revoked"] = n
    console.print(f"revoked {n} key(s) of {user.username!r}", highlight=False)


@users_app.command("list")
@user_errors
@_database_errors
def list_command(
    as_user: str | None = AsOption,
    key_file: Path | None = KeyFileOption,
    database_url_: str | None = DatabaseUrlOption,
    json_out: bool = typer.Option(False, "--json", help="Print JSON for scripts."),
) -> None:
    """List every account, disabled ones included."""
    with _signed_in_work(
        database_url_, as_user, key_file, AuditAction.CONSULTATION, RecordRef("user", "*")
    ) as work:
        users = accounts.list_users(work.db)
        work.details["rows"] = len(users)
    if json_out:
        print_json(
            [
                {
                    "username": u.username,
                    "role": u.role,
                    "force": u.force,
                    "units": sorted(accounts.user_units(u)),
                    "disabled": u.disabled,
                    "created_at": u.created_at.isoformat(),
                    "last_login_at": u.last_login_at.isoformat() if u.last_login_at else None,
                }
                for u in users
            ]
        )
        return
    table = Table(title=f"{len(users)} user(s)")
    for column in (
        "username",
        "role",
        "force",
        "units",
        "status",
        "created (UTC)",
        "last sign-in (UTC)",
    ):
        table.add_column(column)
    for u in users:
        table.add_row(
            u.username,
            u.role,
            u.force or "—",
            ", ".join(sorted(accounts.user_units(u))) or "—",
            "disabled" if u.disabled else "active",
            f"{u.created_at:%Y-%m-%d %H:%M}",
            f"{u.last_login_at:%Y-%m-%d %H:%M}" if u.last_login_at else "never",
        )
    console.print(table)


@audit_app.command("verify")
@user_errors
@_database_errors
def verify_command(
    as_user: str | None = AsOption,
    key_file: Path | None = KeyFileOption,
    database_url_: str | None = DatabaseUrlOption,
) -> None:
    """Check the access log's hash chain; exit 1 naming the first broken entry."""
    engine = open_records(database_url_)
    principal = _acting(engine, as_user, key_file)
    if not READ_AUDIT.granted(principal.role):
        with unit_of_work(engine, principal, AuditAction.VERIFY, refs.AUDIT_LOG, client="cli"):
            require_capability(principal, READ_AUDIT)  # refused, and logged as denied
    with session_scope(engine) as db:
        # From the first entry, whatever the checkpoint says; then the checkpoint the
        # access-log page starts from moves to here.
        result, _ = audit.verify_and_checkpoint(db, full=True)
    log_alone(
        engine,
        principal,
        "cli",
        Entry(
            AuditAction.VERIFY,
            refs.AUDIT_LOG,
            {
                "checked": result.checked,
                "first_broken_id": result.first_broken_id,
                "reason": result.reason,
                "unkeyed": result.unkeyed,
            },
        ),
        Outcome.OK if result.ok else Outcome.FAILED,
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
        raise InputError(
            f"{option}: {value!r} is not a date or time (use 2025-01-31 or 2025-01-31T14:00)"
        ) from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed


def _action_filter(value: str | None) -> AuditAction | str | None:
    if not value:
        return None
    try:
        return AuditAction(value)
    except ValueError:
        return value  # a word logged before the s.62 vocabulary, matched exactly


@audit_app.command("export")
@user_errors
@_database_errors
def export_command(
    out: Path = typer.Option(
        ..., "--out", help="File to write: CSV, or JSON lines if it ends in .jsonl."
    ),
    justification: str = typer.Option(
        ..., "--justification", help="Why the log is exported (kept in the log; 10+ characters)."
    ),
    actor: str | None = typer.Option(None, "--actor", help="Only this actor."),
    action: str | None = typer.Option(
        None, "--action", help="Only this action (a category finds its older words too)."
    ),
    since: str | None = typer.Option(None, "--since", help="From this UTC date/time (inclusive)."),
    until: str | None = typer.Option(None, "--until", help="Before this UTC date/time."),
    text: str | None = typer.Option(None, "--text", help="Only entries containing this text."),
    as_user: str | None = AsOption,
    key_file: Path | None = KeyFileOption,
    database_url_: str | None = DatabaseUrlOption,
) -> None:
    """Export the access log (oldest first), all of it or the entries matching the filters."""
    since_at = _parse_time(since, "--since")
    until_at = _parse_time(until, "--until")
    why = Justification.typed(justification)
    if not out.parent.exists():
        raise InputError(f"--out: folder {out.parent} does not exist")
    fmt = "jsonl" if out.suffix.lower() == ".jsonl" else "csv"
    filters = {
        "actor": actor,
        "action": action,
        "since": since_at.isoformat() if since_at else None,
        "until": until_at.isoformat() if until_at else None,
        "text": text,
    }
    with _signed_in_work(
        database_url_,
        as_user,
        key_file,
        AuditAction.DISCLOSURE,
        refs.file(str(out.resolve())),
        needs=READ_AUDIT,
        details={"format": fmt, "filters": {k: v for k, v in filters.items() if v}},
        justification=why,
    ) as work:
        entries = audit.iter_entries(
            work.db,
            actor=actor,
            action=_action_filter(action),
            since=since_at,
            until=until_at,
            text=text,
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
        work.details["rows"] = written
    console.print(f"wrote {written:,} entries to {out} ({fmt})", highlight=False)
