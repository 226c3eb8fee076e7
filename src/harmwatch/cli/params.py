"""Command-line options built from a verb's request: no option is declared by hand.

``@request_command(HotspotsRequest)`` on a command that takes the request as its
first argument gives the command one Typer option per field its request offers
on the command line (:class:`~harmwatch.query.params.Param`: the flag, the help,
the default, the type), by setting a generated ``__signature__``: Typer reads
options from ``inspect.signature``. The command's own options (``--db``,
``--out``, ``--json`` …: what to do with the result, not what to compute) stay
in its own signature and follow the generated ones.

Values are checked by the request itself, not by Typer, so a bad one is refused
in the same words on every front, naming the option: ``--cell must be positive,
got -5`` (exit status 2, as every :class:`~harmwatch.errors.UserError`).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import typer

from harmwatch.query.params import CLI, ParamError, Request, Spec, read, text_of

R = TypeVar("R", bound=Request)
F = TypeVar("F", bound=Callable[..., Any])


def _annotation(spec: Spec) -> Any:
    p = spec.param
    if p.many:
        return list.__class_getitem__(p.type) | None
    if p.parse is not None or p.type is str:
        return str | None if not p.required else str
    return p.type | None if not p.required else p.type


def _default(spec: Spec) -> Any:
    p = spec.param
    if p.required:
        return ...
    default = spec.default(CLI)
    if p.many:
        return list(default) or None
    if p.parse is not None:
        return None if default in (None, ()) else text_of(spec, default)
    return default


def options(cls: type[Request], *, skip: Iterable[str] = ()) -> Iterator[inspect.Parameter]:
    """One Typer option per field ``cls`` offers on the command line, in field order."""
    skipped = set(skip)
    for spec in cls.specs():
        if not spec.offered(CLI) or spec.name in skipped:
            continue
        option = typer.Option(
            _default(spec), spec.flag, help=spec.help(CLI), metavar=spec.param.metavar
        )
        yield inspect.Parameter(
            spec.name, inspect.Parameter.KEYWORD_ONLY, default=option, annotation=_annotation(spec)
        )


def cli_request(cls: type[R], values: dict[str, Any]) -> R:
    """The request from the parsed options, or every problem, naming the options."""
    request, problems = read(cls, values, CLI)
    if request is None:
        raise ParamError(problems, cls.names(CLI))
    return request


def request_command(cls: type[R], *, skip: Iterable[str] = ()) -> Callable[[F], F]:
    """Give a command ``func(request, **own_options)`` the options of ``cls``.

    ``--db`` (when the command has it) comes first, then the request's options,
    then the command's other options. A :class:`ParamError` the verb raises later
    (a value the data make impossible) also names the options.
    """

    def decorate(func: F) -> F:
        signature = inspect.signature(func)
        own = [p for name, p in signature.parameters.items() if name != "request"]
        generated = list(options(cls, skip=skip))
        names = {p.name for p in generated}
        clash = names & {p.name for p in own}
        if clash:
            raise TypeError(f"{func.__name__} declares {sorted(clash)} itself")

        reads_records = "source" in names
        extra = list(_identity_options()) if reads_records else []

        @functools.wraps(func)
        def command(**kwargs: Any) -> Any:
            given = {name: kwargs.pop(name) for name in names if name in kwargs}
            identity = {p.name: kwargs.pop(p.name, None) for p in extra}
            request = cli_request(cls, given)
            try:
                if reads_records and getattr(request, "source", None) == "force-records":
                    return _on_force_records(func, request, identity, kwargs)
                return func(request, **kwargs)
            except ParamError as exc:
                raise exc.renamed(cls.names(CLI)) from None

        keyword = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in own]
        first = [p for p in keyword if p.name == "db"]
        rest = [p for p in keyword if p.name != "db"]
        command.__signature__ = signature.replace(  # type: ignore[attr-defined]
            parameters=[*first, *generated, *rest, *extra]
        )
        return command  # type: ignore[return-value]

    return decorate


def _identity_options() -> Iterator[inspect.Parameter]:
    """``--as``, ``--key-file``, ``--justification``, ``--database-url``: for --source force-records."""
    from .admin import DatabaseUrlOption
    from .identity import AsOption, JustificationOption, KeyFileOption

    for name, option, annotation in (
        ("as_user", AsOption, str | None),
        ("key_file", KeyFileOption, Path | None),
        ("justification", JustificationOption, str | None),
        ("database_url_", DatabaseUrlOption, str | None),
    ):
        yield inspect.Parameter(
            name, inspect.Parameter.KEYWORD_ONLY, default=option, annotation=annotation
        )


def _on_force_records(
    func: Callable[..., Any], request: Request, identity: dict[str, Any], kwargs: dict[str, Any]
) -> Any:
    """Run the command inside a scoped, logged reading of the force's own records.

    The records are personal data: the command signs in as a named user and the
    library decides, as for the web app, whether they get exact places or aggregates.
    """
    from harmwatch.crimes.service import reading

    from .admin import open_records
    from .identity import sign_in

    engine = open_records(identity.get("database_url_"))
    principal = sign_in(engine, identity.get("as_user"), identity.get("key_file"))
    with reading(
        engine, principal, what=f"{func.__name__.removesuffix('_command')} on force records",
        justification=identity.get("justification"), client="cli",
    ):  # fmt: skip
        return func(request, **kwargs)
