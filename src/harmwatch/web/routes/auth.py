"""Sign-in and sign-out, the session's declared purpose, and the liveness probe.

Sign-in is logged here rather than by the audit middleware because the actor is
the name typed, known only once the form is read, and because a failed sign-in
is itself the event worth logging (lockout investigations start from it). The new
session and its sign-in entry commit together; a failed sign-in's count is committed
by the accounts library itself, so the lockout holds even though the sign-in failed.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from harmwatch.errors import UserError
from harmwatch.kernel.actions import AuditAction, Outcome
from harmwatch.kernel.justification import check_purpose
from harmwatch.kernel.refs import RecordRef, route
from harmwatch.security import audit
from harmwatch.security.accounts import AuthError, authenticate
from harmwatch.security.sessions import (
    end_session,
    purge_expired_sessions,
    set_purpose,
    start_session,
)

from ..deps import (
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    client_ip,
    client_of,
    context,
    current_user,
    new_login_token,
    render,
    safe_next,
    work,
)

router = APIRouter()


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
            user = authenticate(db, username, password, client=client, client_ip=client_ip(request))
            # A new sign-in never reuses a session: end the one this browser had.
            end_session(db, request.cookies.get(SESSION_COOKIE))
            # Expired sessions are not kept: personal data about staff, of no further use.
            purged = purge_expired_sessions(db)
            token, _csrf = start_session(db, user, client=client)
            audit.record(
                db,
                actor=user.username,
                action=AuditAction.SIGN_IN,
                target=route("/login"),
                client=client,
                details={"expired_sessions_purged": purged} if purged else None,
            )
    except AuthError as exc:
        ctx.record(
            actor=username.strip().lower()[:64] or "(blank)",
            action=AuditAction.SIGN_IN_FAILED,
            target=route("/login"),
            outcome=Outcome.REFUSED,
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
            db,
            actor=user.username,
            action=AuditAction.SIGN_OUT,
            target=route("/logout"),
            client=client_of(request),
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


@router.post("/purpose", include_in_schema=False)
def declare_purpose(
    request: Request,
    purpose: Annotated[str, Form(max_length=500)] = "",
    back: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    """Declare the case or operation this session works on (empty: clear it).

    It becomes the justification of every consultation that is not given its own,
    and is logged when declared, so the log shows what each later entry refers to.
    """
    user = current_user(request)
    text = " ".join(purpose.split())
    try:
        declared = check_purpose(text) if text else None
    except UserError as exc:
        return render(
            request, "error.html", 422, title="Purpose", heading="Purpose not set", message=str(exc)
        )
    with work(
        request,
        AuditAction.ALTERATION,
        RecordRef("session", user.username),
        details={
            "purpose": declared,
            "change": "declared purpose" if declared else "cleared purpose",
        },
    ) as w:
        set_purpose(w.db, request.cookies.get(SESSION_COOKIE), declared)
    return RedirectResponse(safe_next(back), status_code=303)
