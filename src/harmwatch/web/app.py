"""``create_app``: the FastAPI application behind ``harmwatch serve``.

Pages are rendered on the server (Jinja2); the JSON API lives under ``/api`` and
describes itself at ``/api/openapi.json``. Every asset (Leaflet, the stylesheet,
the page scripts) is served from ``/static`` by the app itself: a police network
often has no internet, and a page that fetched a font or tile from a CDN would
tell a third party who is looking at which streets.
"""

from __future__ import annotations

import atexit
import gc
import logging
import os
from pathlib import Path
from urllib.parse import quote

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from harmwatch.errors import UserError
from harmwatch.kernel.rooms import adapters, import_adapter
from harmwatch.security.sessions import SessionReader
from harmwatch.storage.records import make_engine, upgrade

from .analysis import Analyses
from .cache import ResultCache, gate_for
from .deps import (
    AppContext,
    Forbidden,
    JustificationRequired,
    NotSignedIn,
    guard,
    render,
)
from .middleware import AuditMiddleware, InternalErrorMiddleware, SecurityHeadersMiddleware
from .routes import auth
from .settings import WebSettings
from .user_boundaries import BoundaryStore
from .writer import GroupCommitWriter

log = logging.getLogger("harmwatch.web")
STATIC_DIR = Path(__file__).parent / "static"


#: Where ``harmwatch serve --workers N`` hands each worker process its settings.
SETTINGS_ENV = "HARMWATCH_WEB_SETTINGS"


def create_app_from_environment() -> FastAPI:
    """The app of one worker process of ``harmwatch serve --workers N``.

    uvicorn starts each worker by importing this factory, so the settings travel in
    the environment (:data:`SETTINGS_ENV`, written by the serve command). Workers share
    the records database (on SQLite their writers take turns, each committing what
    queued meanwhile in one transaction; PostgreSQL serves them all; every request
    reads its session afresh, so a sign-out in one worker holds in all) and
    the analytics file through the store gate's file locks; each keeps its own result
    cache, and sees another worker's upload within a second (the store's version).
    """
    app = create_app(WebSettings.from_json(os.environ[SETTINGS_ENV]))
    freeze_startup_heap()
    return app


def freeze_startup_heap() -> None:
    """Exempt what a serving process built at start-up from the garbage collector's full passes.

    The app imports pandas, geopandas, scipy, statsmodels and the rest: some 340,000
    objects that live as long as the process. A full collection walks every one of
    them (a quarter of a second here), and under load it comes unasked every few
    seconds, stopping every request in flight for that long. Frozen, a full collection
    walks only what was made since (a few milliseconds). For serving processes only
    (``harmwatch serve``), not for a library caller or a test process, which go on
    making and dropping apps. At exit the heap is unfrozen first, so that extension
    modules see their objects freed as at any other shutdown.
    """
    gc.collect()
    gc.freeze()
    atexit.register(gc.unfreeze)


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api") or request.url.path == "/health"


def create_app(settings: WebSettings) -> FastAPI:
    """Build the app: records database migrated, analytics wired, every route guarded."""
    engine = make_engine(settings.database_url)
    upgrade(engine)
    analyses = Analyses(
        Path(settings.analytics_db),
        gate_for(Path(settings.analytics_db)),
        ResultCache(settings.cache_size),
        BoundaryStore(settings.boundary_dir),
    )
    ctx = AppContext(
        settings=settings,
        engine=engine,
        analyses=analyses,
        writer=GroupCommitWriter(engine),
        sessions=SessionReader(engine),
    )

    app = FastAPI(
        title="harmwatch",
        summary="Drug-harm analytics for UK police forces: hotspots, trends, forecasts.",
        version="0.1.0",
        openapi_url="/api/openapi.json",
        docs_url=None,  # Swagger UI and ReDoc load scripts from a CDN; the CSP forbids it
        redoc_url=None,
        dependencies=[Depends(guard)],
    )
    app.state.hw = ctx
    app.include_router(auth.router)
    for path in adapters("web"):
        for router in import_adapter(path).routers:
            app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    # Innermost first: a defect becomes a 500 with a reference before the access log
    # (which records the reference) and the security headers see the response.
    app.add_middleware(InternalErrorMiddleware)
    app.add_middleware(AuditMiddleware, record=ctx.record_async)
    app.add_middleware(SecurityHeadersMiddleware, secure=settings.secure_cookies)
    _install_error_pages(app)
    return app


def _install_error_pages(app: FastAPI) -> None:
    """JSON for the API, pages for people: the same failure, answered as each expects."""

    @app.exception_handler(NotSignedIn)
    async def not_signed_in(request: Request, exc: NotSignedIn) -> Response:
        if exc.kind == "api":
            return JSONResponse({"detail": "sign in first"}, status_code=401)
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        location = "/login" if request.method != "GET" else f"/login?next={quote(target)}"
        return RedirectResponse(location, status_code=303)

    @app.exception_handler(Forbidden)
    async def forbidden(request: Request, exc: Forbidden) -> Response:
        if exc.kind == "api":
            return JSONResponse({"detail": exc.message}, status_code=403)
        return render(
            request,
            "error.html",
            403,
            title="Not allowed",
            heading="Not allowed",
            message=exc.message,
        )

    @app.exception_handler(JustificationRequired)
    async def justification(request: Request, exc: JustificationRequired) -> Response:
        if exc.kind == "api":
            return JSONResponse({"detail": str(exc)}, status_code=400)
        fields = list(request.query_params.multi_items())
        if request.method == "POST":
            form = await request.form()
            fields += [(k, v) for k, v in form.multi_items() if isinstance(v, str)]
        skip = {"justification", "csrf_token"}
        return render(
            request,
            "justify.html",
            title="Justification needed",
            action=request.url.path,
            method="post" if request.method == "POST" else "get",
            hidden=[(k, v) for k, v in fields if k not in skip],
            given=dict(fields).get("justification", ""),
            message=str(exc),
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if _is_api(request):
            return JSONResponse(
                {"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers
            )
        heading = {404: "Not found", 405: "Not allowed here"}.get(exc.status_code, "Error")
        return render(
            request,
            "error.html",
            exc.status_code,
            title=heading,
            heading=heading,
            message=str(exc.detail),
        )

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        problems = [
            f"{'.'.join(str(p) for p in e.get('loc', ())[1:]) or 'request'}: {e.get('msg', '')}"
            for e in exc.errors()
        ]
        if _is_api(request):
            return JSONResponse({"detail": problems}, status_code=422)
        return render(
            request,
            "error.html",
            422,
            title="Bad request",
            heading="Some values could not be used",
            message="; ".join(problems),
        )

    async def user_error(request: Request, exc: Exception) -> Response:
        status = exc.http_status if isinstance(exc, UserError) else 422
        if _is_api(request):
            return JSONResponse({"detail": str(exc)}, status_code=status)
        heading = "Not allowed" if status == 403 else "Cannot do that"
        return render(
            request, "error.html", status, title=heading, heading=heading, message=str(exc)
        )

    app.add_exception_handler(UserError, user_error)
