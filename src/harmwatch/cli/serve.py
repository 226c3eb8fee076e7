"""`harmwatch serve`: run the web app; `--demo` sets up the bundled sample and accounts first.

Thin, like the other commands: it resolves the two databases, migrates the
records database and hands both to :func:`harmwatch.web.create_app`.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import typer
from rich.table import Table

from harmwatch.kernel.actions import AuditAction
from harmwatch.kernel.principal import Principal
from harmwatch.kernel.refs import RecordRef
from harmwatch.kernel.work import unit_of_work
from harmwatch.security.accounts import AccountError, any_active_admin, create_user
from harmwatch.security.roles import Role
from harmwatch.sources.policeuk.ingest import ingest
from harmwatch.storage.paths import data_home
from harmwatch.storage.records import (
    database_url,
    describe_url,
    make_engine,
    session_scope,
    upgrade,
)

from .common import DbOption, console, err_console, resolve_db, user_errors
from .demo import sample_dir

LOOPBACK = {"127.0.0.1", "localhost", "::1"}
#: How long a worker of ``--workers N`` may take to start (or answer) before uvicorn
#: gives up on it and starts another.
WORKER_START_S = 60
# The demo's accounts work in one force and unit, so the record policy has something to check.
DEMO_FORCE = "hertfordshire"
DEMO_UNITS = ("demo-unit",)


def _demo_setup(db: Path | None, url: str | None) -> tuple[Path, str]:
    """Load the sample, create one account per role with a fresh password, print them.

    Without ``--database-url`` the demo keeps its own records database under the
    data directory and starts it afresh each time, so its printed passwords always
    work and it never adds accounts to a real records database.
    """
    home = data_home() / "demo"
    db_path = db or home / "analytics.duckdb"
    if url is None:
        records = home / "records.sqlite"
        for suffix in ("", "-wal", "-shm", ".audit-key"):  # the key belongs to this log only
            Path(f"{records}{suffix}").unlink(missing_ok=True)
        url = f"sqlite:///{records}"
    console.print(f"Loading the bundled police.uk sample into {db_path} …")
    loaded = ingest([sample_dir()], db_path)
    console.print(
        f"{sum(f.status == 'loaded' for f in loaded.files)} file(s) loaded, "
        f"{sum(f.status == 'unchanged' for f in loaded.files)} already loaded and unchanged."
    )
    engine = make_engine(url)
    upgrade(engine)
    with session_scope(engine) as records_db:
        has_admin = any_active_admin(records_db)
    if has_admin:
        # Accounts are created without a sign-in only in a records database that has no
        # admin yet; an existing one keeps its accounts, and its users sign in with them.
        engine.dispose()
        console.print(
            f"The records database {describe_url(url)} already has an admin: no demo accounts "
            "were created; sign in with an existing account.",
            highlight=False,
        )
        return db_path, url
    table = Table(title="Demo accounts (one per role; passwords are new each run)")
    table.add_column("username")
    table.add_column("role")
    table.add_column("password")
    # A new records database of its own: setting it up is the bootstrap act (no sign-in
    # exists yet), logged as the operating-system user who ran the demo.
    acting = Principal.bootstrap()
    for role in Role:
        password = secrets.token_urlsafe(12)
        try:
            with unit_of_work(
                engine,
                acting,
                AuditAction.COLLECTION,
                RecordRef("user", role.value),
                client="cli",
                details={
                    "role": role.value,
                    "force": DEMO_FORCE,
                    "bootstrap": "demo set-up of a new records database",
                },
            ) as work:
                create_user(work.db, role.value, role, password, force=DEMO_FORCE, units=DEMO_UNITS)
        except AccountError as exc:
            table.add_row(role.value, role.value, f"(kept: {exc})")
            continue
        table.add_row(role.value, role.value, password)
    from harmwatch.intelligence import demo as intelligence_demo

    intelligence_demo.seed(engine, DEMO_FORCE, DEMO_UNITS[0])
    from harmwatch.calls import demo as calls_demo

    console.print("Generating and importing the demo's SYNTHETIC call data …")
    calls = calls_demo.seed(engine, db_path, home / "calls", DEMO_FORCE, DEMO_UNITS[0])
    from harmwatch.crimes import demo as crimes_demo

    console.print("Generating and importing the demo's SYNTHETIC force crime records …")
    force_records = crimes_demo.seed(
        engine, db_path, home / "force-records", DEMO_FORCE, DEMO_UNITS[0]
    )
    from harmwatch.operations import demo as operations_demo

    console.print("Recording the demo's fictional operation and its SYNTHETIC results …")
    operation = operations_demo.seed(engine, DEMO_FORCE, DEMO_UNITS[0])
    from harmwatch.covert import demo as covert_demo
    from harmwatch.programmes import demo as programmes_demo

    covert_demo.seed(engine, DEMO_FORCE, DEMO_UNITS[0])
    from harmwatch.forensics import demo as forensic_demo

    console.print("Generating and importing the demo's SYNTHETIC forensic casework …")
    forensic_demo.seed(engine, DEMO_FORCE, DEMO_UNITS[0])
    programmes = programmes_demo.seed_demo(
        engine, Principal("analyst", Role.ANALYST, DEMO_FORCE, frozenset(DEMO_UNITS), "system")
    )
    engine.dispose()
    console.print(table)
    console.print(f"Intelligence: {intelligence_demo.SYNTHETIC_NOTE}", highlight=False)
    console.print(
        f"County lines: {calls_demo.SYNTHETIC_NOTE} {calls['rows']:,} rows imported; sign in "
        "as intelligence-officer and open County lines to detect.",
        highlight=False,
    )
    console.print(
        f"Force records: {crimes_demo.SYNTHETIC_NOTE} {force_records['rows']:,} records imported; "
        "sign in as analyst and open Force records, or choose the source on any map.",
        highlight=False,
    )
    console.print(
        f"Operations: {operations_demo.SYNTHETIC_NOTE} {operation['operation']} has "
        f"{sum(v for k, v in operation.items() if isinstance(v, int) and k != 'operation_id')} "
        "results; sign in as analyst (or pcc-viewer, for the figures only) and open Operations.",
        highlight=False,
    )
    console.print(
        f"Authorisations: {covert_demo.SYNTHETIC_NOTE} Sign in as intelligence-officer and open "
        f"Authorisations. Programmes: {len(programmes)} SYNTHETIC programmes with pseudonymous "
        "participants; open Programmes.",
        highlight=False,
    )
    console.print(
        f"Forensic review: {forensic_demo.SYNTHETIC_NOTE} Sign in as forensic-reviewer and open "
        "Forensic review.",
        highlight=False,
    )
    return db_path, url


@user_errors
def serve_command(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(8000, "--port", help="Port to listen on."),
    db: Path | None = DbOption,
    database_url_opt: str | None = typer.Option(
        None,
        "--database-url",
        help="Records database (users, sessions, access log); default: $HARMWATCH_DATABASE_URL, "
        "else records.sqlite in the data directory.",
    ),
    secure_cookies: bool = typer.Option(
        False,
        "--secure-cookies",
        help="Mark cookies Secure and send HSTS: use whenever users reach the app over HTTPS.",
    ),
    trusted_proxy: list[str] | None = typer.Option(
        None,
        "--trusted-proxy",
        help="Address of a reverse proxy whose X-Forwarded-For names the client (repeatable).",
    ),
    workers: int = typer.Option(
        1,
        "--workers",
        min=1,
        max=64,
        help="Worker processes (one per core suits a busy force; each keeps its own cache).",
    ),
    demo: bool = typer.Option(
        False,
        "--demo",
        help="Load the bundled sample, create one account per role with printed passwords, serve.",
    ),
) -> None:
    """Serve the web app: hotspot map, trends, forecast check, data uploads, access log."""
    import uvicorn

    from harmwatch.web import WebSettings, create_app
    from harmwatch.web.app import SETTINGS_ENV, freeze_startup_heap

    if demo:
        db_path, url = _demo_setup(db, database_url_opt)
    else:
        db_path = resolve_db(db)
        url = database_url(database_url_opt)
    if host not in LOOPBACK and not secure_cookies:
        err_console.print(
            "[yellow]warning[/yellow] listening beyond this machine without --secure-cookies: "
            "put the app behind HTTPS and pass --secure-cookies",
            highlight=False,
        )
    settings = WebSettings(
        analytics_db=db_path,
        database_url=url,
        secure_cookies=secure_cookies,
        demo=demo,
        trusted_proxies=frozenset(trusted_proxy or ()),
    )
    shown = f"[{host}]" if ":" in host else host
    console.print(f"analytics database: {db_path}", highlight=False)
    console.print(f"records database:   {describe_url(url)}", highlight=False)
    console.print(f"Open http://{shown}:{port}/login and sign in (Ctrl+C stops).", highlight=False)
    if workers == 1:
        app = create_app(settings)
        freeze_startup_heap()
        uvicorn.run(app, host=host, port=port, log_level="info", server_header=False)
        return
    # Several processes: uvicorn imports the app in each, so the settings go by the
    # environment; the records database is migrated once, here, before they start.
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    os.environ[SETTINGS_ENV] = settings.to_json()
    console.print(f"{workers} worker processes", highlight=False)
    uvicorn.run(
        "harmwatch.web.app:create_app_from_environment",
        factory=True,
        workers=workers,
        host=host,
        port=port,
        log_level="info",
        server_header=False,
        # uvicorn kills a worker that has not answered its supervisor's ping within this
        # (5 s by default), and a new worker only answers once it has imported this
        # command's modules (pandas, geopandas, scipy …): on a busy machine that takes
        # longer, and workers were killed and started again, over and over.
        timeout_worker_healthcheck=WORKER_START_S,
    )


def register(app: typer.Typer) -> None:
    """The command line's own `serve` command."""
    app.command("serve")(serve_command)
