"""The web's two readers of a request, both built from its field specs: the API and the forms.

- :func:`api_request` is a FastAPI dependency whose generated ``__signature__``
  declares one query parameter per field the request offers on the web, with
  its type, default, bounds, pattern and allowed values (the server's tighter
  limits where a spec has them), so the OpenAPI document and the fuzzer see
  exactly what the request accepts. FastAPI refuses a malformed value (422);
  the request itself refuses a combination (two targets, two budgets), naming
  the URL parameters (422 as well).
- :func:`read_form` reads the same names from a page's GET form, where an empty
  field means "the default" and every bad value is listed beside the form, in
  the page's words ("cell size must lie between 50 and 50000, got 10"), while
  the rest of the form still runs.

Both turn an uploaded boundary's id into the stored file's path and a label for
readers before the request is built: the library's
:class:`~harmwatch.query.place.Place` holds files, not uploads.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Awaitable, Callable, Iterable, Mapping
from types import SimpleNamespace
from typing import Annotated, Any, Literal, TypeVar

from fastapi import Query, Request

from harmwatch.errors import UserError
from harmwatch.query.params import (
    WEB,
    ParamError,
    Problem,
    Spec,
    as_query,
    construct,
    convert,
    merged,
    text_of,
)
from harmwatch.query.params import Request as VerbRequest

from .deps import context
from .user_boundaries import BoundaryStore

R = TypeVar("R", bound=VerbRequest)


def web_specs(cls: type[VerbRequest], skip: Iterable[str] = ()) -> list[Spec]:
    skipped = set(skip)
    return [s for s in cls.specs() if s.offered(WEB) and s.name not in skipped]


def _api_annotation(spec: Spec) -> Any:
    p = spec.param
    one: Any = Literal[p.choices] if p.choices else (str if p.parse else p.type)
    if p.many:
        one = list.__class_getitem__(one)
    gt, ge, lt, le = spec.bounds(WEB)
    numeric = p.type in (int, float) and p.parse is None and not p.choices
    query = Query(
        description=spec.help(WEB),
        pattern=None if p.choices or numeric or p.many else spec.pattern(WEB),
        max_length=spec.max_items(WEB) if p.many else p.max_length,
        gt=gt if numeric else None,
        ge=ge if numeric else None,
        lt=lt if numeric else None,
        le=le if numeric else None,
        allow_inf_nan=False if p.type is float and numeric else None,
    )
    if p.required:
        return Annotated[one, query]
    return Annotated[one | None, query]


def _api_default(spec: Spec) -> Any:
    if spec.param.required:
        return inspect.Parameter.empty
    default = spec.default(WEB)
    if default is None or default == ():
        return None
    if spec.param.many:
        return list(default)
    if spec.param.parse is not None:
        return text_of(spec, default)
    return default


def with_boundary(
    values: dict[str, Any], store: BoundaryStore | None, problems: list[Problem] | None = None
) -> dict[str, Any]:
    """``values`` with an uploaded boundary's id replaced by its file and a label.

    An unknown id raises :class:`~.user_boundaries.UnknownBoundaryError` (422),
    or, when ``problems`` is given (a page), is listed there and left out.
    """
    boundary_id = values.get("boundary")
    if not boundary_id:
        return values
    out = dict(values)
    try:
        if store is None:
            raise UserError("uploaded boundaries are not available here")
        out["boundary"] = str(store.path(boundary_id))
        out["boundary_label"] = store.label(boundary_id)
    except UserError as exc:
        if problems is None:
            raise
        problems.append(Problem("boundary", str(exc)))
        del out["boundary"]
    return out


def api_request(
    cls: type[R], *, skip: Iterable[str] = (), fixed: Mapping[str, Any] | None = None
) -> Callable[..., Awaitable[R]]:
    """A FastAPI dependency giving a route ``cls`` from its query parameters.

    ``fixed``: fields the web sets itself (e.g. ``baseline_fallback``), not asked.
    """
    specs = web_specs(cls, skip)
    parameters = [
        inspect.Parameter("request", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Request)
    ]
    for spec in specs:
        parameters.append(
            inspect.Parameter(
                spec.url,
                inspect.Parameter.KEYWORD_ONLY,
                default=_api_default(spec),
                annotation=_api_annotation(spec),
            )
        )

    # async, so FastAPI runs it on the event loop rather than handing every API request to
    # a worker thread (the largest per-request cost left on a cached map layer). Its only
    # I/O is an uploaded boundary's small metadata file, read when a boundary is named.
    async def dependency(request: Request, **given: Any) -> R:
        raw = {spec.name: given.get(spec.url) for spec in specs}
        values, problems = convert(cls, raw, WEB)
        if problems:
            raise ParamError(problems, cls.names("api"))
        values = with_boundary(values, context(request).analyses.boundaries)
        values.update(fixed or {})
        built, problems = construct(cls, values)
        if built is None:
            raise ParamError(problems, cls.names("api"))
        return built

    dependency.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    dependency.__name__ = f"{cls.__name__}_query"
    return dependency


def form_raw(cls: type[VerbRequest], params: Mapping[str, Any]) -> dict[str, Any]:
    """What a GET form sent for ``cls``'s fields, keyed by field name (lists kept for repeats)."""
    getlist = getattr(params, "getlist", None)
    raw: dict[str, Any] = {}
    for spec in web_specs(cls):
        name = spec.url
        if spec.param.many:
            if getlist is not None:
                raw[spec.name] = [str(v) for v in getlist(name)]
            elif name in params:
                value = params[name]
                raw[spec.name] = list(value) if isinstance(value, list | tuple) else [value]
        elif name in params:
            raw[spec.name] = params[name]
    return raw


def read_form(
    cls: type[R],
    params: Mapping[str, Any],
    store: BoundaryStore | None = None,
    *,
    strict: bool = False,
) -> tuple[R | None, list[str]]:
    """The request a page's GET form asks for, and every problem in the page's words.

    A bad value is listed and the field left at its default, so the page still
    runs (``strict``: no request at all while anything is wrong, for a page whose
    figures would mislead with a default in place of what was typed).
    """
    values, problems = convert(cls, form_raw(cls, params), WEB)
    values = with_boundary(values, store, problems)
    built, more = construct(cls, values)
    problems = merged(problems, more)
    labels = cls.names(WEB)
    messages = list(dict.fromkeys(p.render(labels) for p in problems))
    if strict and problems:
        return None, messages
    return built, messages


def links(request: VerbRequest, store: BoundaryStore | None = None, **extra: Any) -> dict[str, Any]:
    """URL parameters reproducing ``request`` (an uploaded boundary by its id), plus ``extra``."""
    out: dict[str, Any] = dict(as_query(request, WEB))
    boundary = getattr(request, "boundary", None)
    if boundary and "boundary" in out:
        found = store.id_for(boundary) if store is not None else None
        if found:
            out["boundary"] = found
        else:
            del out["boundary"]
    out.update(extra)
    return out


def form_view(
    request: VerbRequest | None, cls: type[VerbRequest], store: BoundaryStore | None = None
) -> SimpleNamespace:
    """The request's values as a form shows them: text for months, the boundary's id.

    With no request (the form could not be read) the defaults are shown.
    """
    shown: dict[str, Any] = {}
    for spec in cls.specs():
        value = getattr(request, spec.name) if request is not None else spec.default(WEB)
        if spec.param.parse is not None and value not in (None, ()):
            text = text_of(spec, value)
            value = text if isinstance(text, str) else ",".join(text)
        elif spec.param.parse is not None:
            value = ""
        shown[spec.name] = value
    boundary = shown.get("boundary")
    if boundary:
        shown["boundary"] = (store.id_for(boundary) if store is not None else None) or ""
    return SimpleNamespace(**shown)


def stem_for(kind: str, request: VerbRequest) -> str:
    """A download's file name: what, where, which crimes, how."""
    parts = [kind, *getattr(request, "forces", ()), *getattr(request, "crime_types", ())]
    method = getattr(request, "method", None)
    if method:
        parts.append(method)
    cell = getattr(request, "cell", None)
    if cell:
        parts.append(f"{cell:g}m")
    months = getattr(request, "months", ())
    if months:
        parts.append(str(text_of(request.spec("months"), months)).replace(":", "-to-"))
    stem = "-".join(str(p).lower().replace(" ", "-") for p in parts)
    return re.sub(r"-+", "-", stem)
