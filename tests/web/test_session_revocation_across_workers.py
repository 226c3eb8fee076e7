"""A sign-out, a disabled account or a new role, made through one worker, holds in every other.

Two server processes over the same records and analytics databases, as the workers
of ``harmwatch serve --workers 2`` are (two ``serve`` commands on two ports, so the
test chooses which process answers each request; uvicorn's workers are such
processes sharing one socket). The other process has already served the session
several times before the change, so anything it kept from those requests would
still be there; its very next request must be refused.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from webhelpers import CSRF_META, LOGIN_TOKEN, WebEnv, new_env, password_for

from harmwatch.security.roles import Role

USERS = {"admin": Role.ADMIN, "analyst": Role.ANALYST, "officer": Role.NEIGHBOURHOOD_OFFICER}
# Cheap routes, neither written to by the test: one any role may read, one only some may.
ANY_ROLE = "/api/meta"
HOTSPOT_ROLES = "/api/boundaries"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(env: WebEnv, home: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    server = subprocess.Popen(
        [
            sys.executable, "-m", "harmwatch.cli.main", "serve", "--port", str(port),
            "--db", str(env.analytics_db), "--database-url", env.database_url,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, "HARMWATCH_HOME": str(home)},
    )  # fmt: skip
    return server, f"http://127.0.0.1:{port}"


def _wait_ready(base: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 90
    while True:
        assert server.poll() is None, server.stderr.read().decode() if server.stderr else ""
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.3)


@pytest.fixture(scope="module")
def two_workers(
    tmp_path_factory: pytest.TempPathFactory, sample_db: Path
) -> Iterator[tuple[str, str]]:
    root = tmp_path_factory.mktemp("two-workers")
    env = new_env(root / "env", sample_db, USERS)
    servers = [_serve(env, root / "home") for _ in range(2)]
    try:
        for server, base in servers:
            _wait_ready(base, server)
        yield servers[0][1], servers[1][1]
    finally:
        for server, _ in servers:
            server.terminate()
        for server, _ in servers:
            try:
                server.wait(20)
            except subprocess.TimeoutExpired:
                server.kill()
            output = server.stderr.read().decode() if server.stderr else ""
            assert "Traceback" not in output, output[-3000:]


def _sign_in(base: str, username: str) -> tuple[str, str]:
    """Sign in through ``base``'s form; returns (session cookie, the session's CSRF token)."""
    with httpx.Client(base_url=base, timeout=30) as client:
        form = LOGIN_TOKEN.search(client.get("/login").text)
        assert form
        signed = client.post(
            "/login",
            data={"username": username, "password": password_for(username),
                  "csrf_token": form.group(1)},
        )  # fmt: skip
        assert signed.status_code == 303, signed.text
        cookie = client.cookies.get("hw_session")
        assert cookie
        csrf = CSRF_META.search(client.get("/").text)
        assert csrf
        return cookie, csrf.group(1)


def _get(base: str, cookie: str, path: str) -> int:
    return httpx.get(f"{base}{path}", cookies={"hw_session": cookie}, timeout=30).status_code


def _post(base: str, cookie: str, path: str, data: dict[str, str]) -> int:
    response = httpx.post(f"{base}{path}", cookies={"hw_session": cookie}, data=data, timeout=30)
    return response.status_code


def _served_repeatedly(base: str, cookie: str, path: str = ANY_ROLE) -> None:
    assert [_get(base, cookie, path) for _ in range(5)] == [200] * 5


def test_a_sign_out_in_one_worker_is_refused_by_the_other_at_once(
    two_workers: tuple[str, str],
) -> None:
    one, other = two_workers
    cookie, csrf = _sign_in(one, "analyst")
    _served_repeatedly(other, cookie)
    assert _post(one, cookie, "/logout", {"csrf_token": csrf}) == 303
    assert _get(other, cookie, ANY_ROLE) == 401
    assert _get(one, cookie, ANY_ROLE) == 401


def test_a_disabled_account_is_refused_by_the_other_worker_at_once(
    two_workers: tuple[str, str],
) -> None:
    one, other = two_workers
    cookie, _ = _sign_in(one, "officer")
    _served_repeatedly(other, cookie)
    admin, admin_csrf = _sign_in(one, "admin")
    assert _post(one, admin, "/admin/users/officer/disable", {"csrf_token": admin_csrf}) == 303
    assert _get(other, cookie, ANY_ROLE) == 401


def test_a_new_role_holds_in_the_other_worker_at_once(two_workers: tuple[str, str]) -> None:
    one, other = two_workers
    cookie, _ = _sign_in(other, "analyst")
    _served_repeatedly(other, cookie, HOTSPOT_ROLES)
    admin, admin_csrf = _sign_in(one, "admin")
    changed = _post(
        one, admin, "/admin/users/analyst/role", {"role": "pcc-viewer", "csrf_token": admin_csrf}
    )
    assert changed == 303
    assert _get(other, cookie, HOTSPOT_ROLES) == 403  # the session holds; the role is new
    assert _get(other, cookie, ANY_ROLE) == 200
