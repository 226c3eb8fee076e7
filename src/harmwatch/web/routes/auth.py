"""Sign-in and sign-out, and the liveness probe.

Sign-in is logged here rather than by the audit middleware because the actor is
the name typed, known only once the form is read, and because a failed sign-in
is itself the event worth logging (lockout investigations start from it).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from harmwatch.security import audit
from harmwatch.security.accounts import AuthError, authenticate
from harmwatch.security.sessions import end_session, start_session

from ..deps import (
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    client_of,
    context,
    current_user,
    new_login_token,
    render,
)

router = APIRouter()


def safe_next(target: str | None) -> str:
    """Only a path on this site: never ``//host`` or ``https://…`` (no open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def _login_page(
    request: Request, next_path: str, error: str = "", status: int = 200
) -> HTMLResponse:
    token = new_login_token()
    response = render(
        request,
        "login.html",
        status,
        title="Sign in",
        login_token=token,
        next_path=safe_next(next_path),
        error=error,
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=context(request).settings.secure_cookies,
        path="/login",
    )
    return response


@router.get("/health", tags=["meta"])
def health() -> dict[str, str]:
    """Liveness: the process answers. Says nothing about the data."""
    return {"status": "ok"}


@router.get("/login", response_class=HTMLResponse, include_in_schema=False)
def login_form(request: Request, next: str = "/") -> HTMLResponse:
    return _login_page(request, next)


@router.post("/login", response_class=HTMLResponse, include_in_schema=False)
def login_submit(
    request: Request,
    username: Annotated[str, Form(max_length=255)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    ctx = context(request)
    client = client_of(request)
    try:
        with ctx.db() as db:
            user = authenticate(db, username, password, client=client)
            # A new sign-in never reuses a session: end the one this browser had.
            end_session(db, request.cookies.get(SESSION_COOKIE))
            token, _csrf = start_session(db, user, client=client)
            audit.record(db, actor=user.username, action="sign-in", target="/login", client=client)
    except AuthError as exc:
        ctx.record(
            actor=username.strip().lower()[:64] or "(blank)",
            action="sign-in-failed",
            target="/login",
            outcome="refused",
            details={"reason": type(exc).__name__},
            client=client,
        )
        return _login_page(request, next, error=str(exc), status=401)
    response = RedirectResponse(safe_next(next), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=ctx.settings.secure_cookies,
        path="/",
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.post("/logout", include_in_schema=False)
def logout(request: Request) -> Response:
    ctx = context(request)
    user = current_user(request)
    with ctx.db() as db:
        end_session(db, request.cookies.get(SESSION_COOKIE))
        audit.record(
            db, actor=user.username, action="sign-out", target="/logout", client=client_of(request)
        )
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(
        SESSION_COOKIE,
        path="/",
        httponly=True,
        samesite="strict",
        secure=ctx.settings.secure_cookies,
    )
    return response
