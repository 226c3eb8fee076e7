"""Who runs a records command: ``--as USER`` with a password or an operator key file.

Commands that read or change the records database (accounts, the access log,
subject access and review, and the personal-record rooms to come) act as a named
user with a role, exactly as the web app does, so the same policy applies and the
access log names a person, not an operating-system account. The analytics commands
over open police.uk data (``ingest``, ``hotspots`` …) work on the user's own DuckDB
file and need no sign-in.

Credentials: an operator key file (``--key-file`` or ``$HARMWATCH_OPERATOR_KEY``;
mode 0600, issued by ``harmwatch users issue-key``), else the password, asked for
without echo. A wrong password counts towards the same lockout as the web's.
Creating the first admin account is the only act without a sign-in
(:meth:`Principal.bootstrap`), and it is logged.
"""

from __future__ import annotations

import sys
from pathlib import Path

import typer
from sqlalchemy import Engine

from harmwatch.errors import UserError
from harmwatch.kernel.actions import AuditAction, Outcome
from harmwatch.kernel.capabilities import Capability
from harmwatch.kernel.policy import PolicyDenied
from harmwatch.kernel.principal import Principal
from harmwatch.kernel.refs import RecordRef
from harmwatch.security import accounts, audit
from harmwatch.security.operator_keys import KEY_ENV, authenticate_key, read_key_file
from harmwatch.storage.models import User
from harmwatch.storage.records import session_scope

AS_ENV = "HARMWATCH_AS"

AsOption = typer.Option(
    None,
    "--as",
    envvar=AS_ENV,
    help=f"Act as this harmwatch user (or ${AS_ENV}); the password is asked for unless "
    "--key-file is given.",
)
KeyFileOption = typer.Option(
    None,
    "--key-file",
    envvar=KEY_ENV,
    help=f"Operator key file (mode 0600) from `harmwatch users issue-key` (or ${KEY_ENV}).",
)
#: The reason for a read of personal records (DPA 2018 s.62(2)), kept in the access log.
JustificationOption = typer.Option(
    None, "--justification", help="Why (the case or operation; 10+ characters); kept in the log."
)


class SignInRefused(UserError):
    """The command line could not sign in as the user named."""


def _principal(user: User, via: str) -> Principal:
    return Principal(
        username=user.username,
        role=accounts.parse_role(user.role),
        force=user.force,
        units=accounts.user_units(user),
        via=via,  # type: ignore[arg-type]
    )


def _read_password(username: str) -> str:
    if sys.stdin is not None and not sys.stdin.isatty():
        # Scripts and tests: the first line of standard input.
        line = sys.stdin.readline()
        if not line:
            raise SignInRefused(
                f"--as {username}: no password on standard input (or use --key-file)"
            )
        return line.rstrip("\r\n")
    return str(typer.prompt(f"Password for {username}", hide_input=True))


def sign_in(engine: Engine, username: str | None, key_file: Path | None) -> Principal:
    """The principal a records command acts as; :class:`SignInRefused` when it cannot."""
    if not username:
        raise SignInRefused(
            f"this command acts on the records database as a named user: give --as USER "
            f"(or set ${AS_ENV}) and that user's password or --key-file"
        )
    name = accounts.normalise_username(username)
    try:
        if key_file is not None:
            key_user, secret = read_key_file(key_file)
            if accounts.normalise_username(key_user) != name:
                raise SignInRefused(f"{key_file}: the key is {key_user!r}'s, not {name!r}'s")
            with session_scope(engine) as db:
                return _principal(authenticate_key(db, name, secret), "cli-key")
        password = _read_password(name)
        with session_scope(engine) as db:
            return _principal(
                accounts.authenticate(db, name, password, client="cli"), "cli-password"
            )
    except (accounts.AuthError, UserError) as exc:
        with session_scope(engine) as db:
            audit.record(
                db,
                actor=name[:64] or "(blank)",
                action=AuditAction.SIGN_IN_FAILED,
                target=RecordRef("route", "cli"),
                outcome=Outcome.REFUSED,
                details={"reason": type(exc).__name__, "via": "key" if key_file else "password"},
                client="cli",
            )
        if isinstance(exc, SignInRefused):
            raise
        raise SignInRefused(f"--as {name}: {exc}") from None


def require_capability(principal: Principal, capability: Capability) -> None:
    """:class:`PolicyDenied` unless the principal's role holds ``capability``."""
    if not capability.granted(principal.role):
        raise PolicyDenied(
            f"{principal.username} ({principal.role or 'no role'}) may not do this: it needs "
            f"{capability.name}"
        )
