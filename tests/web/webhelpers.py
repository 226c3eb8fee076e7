"""Helpers shared by the web tests (a plain module: the test folders have no __init__.py)."""

from __future__ import annotations

import gzip
import json
import re
from dataclasses import dataclass
from pathlib import Path

from fastapi.testclient import TestClient
from httpx import Response

from harmwatch.cli.demo import sample_dir
from harmwatch.security import audit
from harmwatch.security.accounts import create_user
from harmwatch.security.roles import Role
from harmwatch.storage.analytics import copy_store
from harmwatch.storage.records import make_engine, session_scope, upgrade
from harmwatch.web import WebSettings

CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]*)"')
LOGIN_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def password_for(username: str) -> str:
    return f"{username}-correct-horse-battery"


@dataclass
class WebEnv:
    """A prepared pair of databases and the settings that serve them."""

    root: Path
    analytics_db: Path
    database_url: str

    def settings(self, **overrides: object) -> WebSettings:
        values: dict[str, object] = {
            "analytics_db": self.analytics_db,
            "database_url": self.database_url,
            "upload_dir": self.root / "uploads",
        }
        values.update(overrides)
        return WebSettings(**values)  # type: ignore[arg-type]


def make_records(url: str, users: dict[str, Role]) -> None:
    engine = make_engine(url)
    upgrade(engine)
    with session_scope(engine) as session:
        for username, role in users.items():
            create_user(session, username, role, password_for(username))
    engine.dispose()


ONE_PER_ROLE = {role.value: role for role in Role}


def new_env(root: Path, sample_db: Path, users: dict[str, Role] = ONE_PER_ROLE) -> WebEnv:
    root.mkdir(parents=True, exist_ok=True)
    db = root / "analytics.duckdb"
    copy_store(sample_db, db)
    url = f"sqlite:///{root / 'records.sqlite'}"
    make_records(url, users)
    return WebEnv(root=root, analytics_db=db, database_url=url)


#: A whole month of real police.uk stop-and-search (Bedfordshire, 2021-05: 225 searches), kept in
#: the repository for the analytics-store tests (tests/storage/data/README.md); the bundled
#: sample has street crimes only.
STOP_AND_SEARCH_MONTH = (
    Path(__file__).parents[1]
    / "storage"
    / "data"
    / "release-1"
    / "inputs"
    / "first"
    / "2021-05-bedfordshire-stop-and-search.csv.gz"
)


def with_stop_and_search(env: WebEnv) -> WebEnv:
    """``env`` with :data:`STOP_AND_SEARCH_MONTH` loaded into its analytics store too."""
    from harmwatch.sources.policeuk.ingest import ingest

    ingest([STOP_AND_SEARCH_MONTH], env.analytics_db)
    return env


def post_login(
    client: TestClient,
    username: str,
    password: str | None = None,
    *,
    next_url: str | None = None,
    page: str = "/login",
) -> Response:
    """Open the sign-in form (for its CSRF token) and post it, as a browser would."""
    form = client.get(page)
    token = LOGIN_TOKEN.search(form.text)
    assert token, form.text
    data = {
        "username": username,
        "password": password_for(username) if password is None else password,
        "csrf_token": token.group(1),
    }
    if next_url is not None:
        data["next"] = next_url
    return client.post("/login", data=data, follow_redirects=False)


def sign_in(client: TestClient, username: str, password: str | None = None) -> str:
    """Sign ``client`` in through the form; returns the session's CSRF token."""
    response = post_login(client, username, password, next_url="/")
    assert response.status_code == 303, response.text
    return csrf_of(client)


def csrf_of(client: TestClient) -> str:
    """The CSRF token of the client's session, as every page carries it."""
    page = client.get("/", follow_redirects=False)
    if page.status_code != 200:  # a role without the overview still has its pages
        page = client.get("/login")
    match = CSRF_META.search(page.text)
    assert match
    return match.group(1)


@dataclass
class SignedIn:
    client: TestClient
    csrf: str
    username: str


def sample_csv(month: str = "2025-01", force: str = "hertfordshire") -> str:
    path = sample_dir() / month / f"{month}-{force}-street.csv.gz"
    return gzip.decompress(path.read_bytes()).decode()


def corrupt_latitude(text: str, line: int) -> str:
    """The sample with one Latitude made impossible, at a known file line (header = line 1)."""
    rows = text.splitlines()
    cells = rows[line - 1].split(",")
    cells[5] = "95.123456"
    rows[line - 1] = ",".join(cells)
    return "\n".join(rows) + "\n"


def new_intelligence_env(root: Path, sample_db: Path) -> tuple[WebEnv, dict[str, int]]:
    """A web env whose every account works in Hertfordshire's ``demo-unit``, as the demo's do,
    with the demo's fictional intelligence seeded by the demo's own code; and the ids it made."""
    from harmwatch.intelligence import demo
    from harmwatch.security.accounts import set_units

    env = new_env(root, sample_db)
    engine = make_engine(env.database_url)
    with session_scope(engine) as db:
        for role in Role:
            set_units(db, role.value, "hertfordshire", ["demo-unit"])
    ids = demo.seed(engine, "hertfordshire", "demo-unit")
    engine.dispose()
    return env, ids


def small_call_scenario(out_dir: Path, seed: int = 7) -> dict[str, Path]:
    """A small SYNTHETIC county-lines scenario (300 people, 24 days) written by the generator:
    ``calls`` (calls.csv.gz), ``spec`` (spec.toml), ``truth``, ``people``, ``readme``."""
    from harmwatch.calls.synth.files import write_scenario
    from harmwatch.calls.synth.generator import generate
    from harmwatch.calls.synth.params import ScenarioParams

    params = ScenarioParams.with_overrides({"population": "300", "days": "24"})
    return write_scenario(generate(params, seed), out_dir)


def access_log_of(database_url: str, actor: str) -> list[dict[str, object]]:
    """Every access-log entry of ``actor``, oldest first, with its details parsed."""
    engine = make_engine(database_url)
    try:
        with session_scope(engine) as db:
            found = [audit.entry_dict(e) for e in audit.query(db, actor=actor, limit=None)]
    finally:
        engine.dispose()
    for entry in found:
        entry["details"] = json.loads(str(entry["details"] or "{}"))
    return found
