"""Each verb's parameters are declared once: the CLI, the API and the page forms agree with its request.

For every request, the command's options, the route's query parameters and the
page's form fields are compared with the request's field specs: names, defaults,
help, bounds, patterns and allowed values. An option, a query parameter or a form
field added by hand in one place only, or a default changed in one place only,
fails here. What a front adds of its own (where to write a file, which format to
answer in) is listed explicitly below.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import typer
from fastapi import FastAPI
from typer import _click as click
from typer.testing import CliRunner

from harmwatch.cli.main import app as cli_app
from harmwatch.evaluation.requests import ChangeRequest, EvaluateRequest, TrendsRequest
from harmwatch.query.params import CLI, WEB, Request, Spec, text_of
from harmwatch.web.forms import read_form, web_specs
from harmwatch.web.rooms import evaluation as evaluation_room
from harmwatch.web.rooms import where as where_room
from harmwatch.where.requests import (
    AreaRankingRequest,
    EmergingHotspotsRequest,
    ForecastEvalRequest,
    HotspotsRequest,
    PatrolPlanRequest,
)

TEMPLATES = Path(__file__).resolve().parents[2] / "src" / "harmwatch" / "web" / "templates"

# command -> (its request, the options that say what to do with the result, not what to compute)
# Every verb that can read a force's own records (--source force-records) also takes
# who is asking and why: the command line's sign-in, not part of the request.
SIGN_IN = {"--as", "--key-file", "--justification", "--database-url"}
# Where the police.uk aggregation runs: how to compute, not what (no request field).
ENGINE = ("--engine", "--master", "--driver-memory", "--stage-dir")
COMMANDS: dict[str, tuple[type[Request], set[str]]] = {
    "hotspots": (
        HotspotsRequest,
        {"--db", "--out", "--format", "--map", "--json", *ENGINE, *SIGN_IN},
    ),
    "emerging-hotspots": (
        EmergingHotspotsRequest,
        {"--db", "--out", "--format", "--map", "--json", *SIGN_IN},
    ),
    "forecast-eval": (
        ForecastEvalRequest,
        {"--db", "--out", "--chart", "--curve", "--json", *SIGN_IN},
    ),
    "areas": (AreaRankingRequest, {"--db", "--out", "--json", *SIGN_IN}),
    "patrol-plan": (
        PatrolPlanRequest,
        {"--db", "--out", "--format", "--map", "--json", "--when-out", *SIGN_IN},
    ),
    "evaluate": (EvaluateRequest, {"--db", "--chart", "--json", *SIGN_IN}),
    "change": (ChangeRequest, {"--db", "--json", *ENGINE, *SIGN_IN}),
}
# route -> (its request, the parameters that choose the answer's representation)
ROUTES: dict[str, tuple[type[Request], set[str]]] = {
    "/api/hotspots": (HotspotsRequest, {"format", "cells"}),
    "/api/study-area": (HotspotsRequest, set()),
    "/api/forecast-eval": (ForecastEvalRequest, {"format"}),
    "/api/areas": (AreaRankingRequest, {"format"}),
    "/api/patrol": (PatrolPlanRequest, {"format"}),
    "/api/trends": (TrendsRequest, {"format"}),
    "/api/evaluate": (EvaluateRequest, {"format", "table"}),
    "/api/change": (ChangeRequest, {"format"}),
}
# template, the form's id -> (its request, the page's own names for fields of other requests)
FORMS: dict[tuple[str, str], tuple[type[Request], set[str]]] = {
    ("hotspots.html", "hotspot-filters"): (HotspotsRequest, {where_room.PATROL_BUDGET_FIELD}),
    ("evaluate.html", "evaluate-form"): (EvaluateRequest, set()),
    ("forecast.html", ""): (ForecastEvalRequest, set()),
}


def offered(cls: type[Request], front: str) -> list[Spec]:
    return [s for s in cls.specs() if s.offered(front)]


def click_options(name: str) -> dict[str, Any]:
    """The command's options as Typer built them, by flag."""
    group: Any = typer.main.get_command(cli_app)
    command = group.get_command(click.Context(group), name)
    return {
        decl: p
        for p in command.params
        if p.param_type_name == "option"
        for decl in p.opts
        if decl.startswith("--") and decl != "--help"
    }


def cli_default(spec: Spec) -> Any:
    default = spec.default(CLI)
    if spec.param.required or default in (None, ()):
        return None
    if spec.param.many:
        return list(default)
    if spec.param.parse is not None:
        return text_of(spec, default)
    return default


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_cli_options_are_the_request_specs(name: str) -> None:
    cls, own = COMMANDS[name]
    options = click_options(name)
    specs = offered(cls, CLI)
    assert set(options) - own == {s.flag for s in specs}, "an option not declared in the request"
    for spec in specs:
        option = options[spec.flag]
        assert option.help == spec.help(CLI), spec.name
        assert option.required == spec.param.required, spec.name
        default = option.default if option.default is not None else None
        assert (list(default) if isinstance(default, tuple) else default) == cli_default(spec), (
            spec.name
        )
        assert option.multiple == spec.param.many, spec.name


@pytest.fixture(scope="module")
def openapi() -> dict[str, Any]:
    app = FastAPI()
    for room in (where_room, evaluation_room):
        for router in room.routers:
            app.include_router(router)
    return app.openapi()


def _schema(parameter: dict[str, Any]) -> dict[str, Any]:
    schema = parameter["schema"]
    for option in schema.get("anyOf", [schema]):
        if option.get("type") != "null":
            return {**schema, **option}
    return schema


@pytest.mark.parametrize("path", sorted(ROUTES))
def test_api_parameters_are_the_request_specs(path: str, openapi: dict[str, Any]) -> None:
    cls, own = ROUTES[path]
    parameters = {p["name"]: p for p in openapi["paths"][path]["get"]["parameters"]}
    specs = offered(cls, WEB)
    assert set(parameters) - own == {s.url for s in specs}, (
        "a parameter not declared in the request"
    )
    for spec in specs:
        schema = _schema(parameters[spec.url])
        assert schema["description"] == spec.help(WEB), spec.name
        assert parameters[spec.url].get("required", False) == spec.param.required, spec.name
        default = spec.default(WEB)
        if default not in (None, ()):
            expected = list(default) if spec.param.many else default
            if spec.param.parse is not None:
                expected = text_of(spec, default)
            assert schema["default"] == expected, spec.name
        gt, ge, lt, le = spec.bounds(WEB)
        numeric = spec.param.parse is None and spec.param.type in (int, float)
        if numeric and not spec.param.choices:
            assert schema.get("exclusiveMinimum") == gt and schema.get("minimum") == ge, spec.name
            assert schema.get("exclusiveMaximum") == lt and schema.get("maximum") == le, spec.name
        if spec.param.choices:
            assert schema["enum"] == list(spec.param.choices), spec.name
        elif not spec.param.many and not numeric:
            assert schema.get("pattern") == spec.pattern(WEB), spec.name
        if spec.param.many:
            assert schema.get("maxItems") == spec.max_items(WEB), spec.name


def form_names(template: str, form_id: str) -> set[str]:
    html = (TEMPLATES / template).read_text(encoding="utf-8")
    start = html.index(f'id="{form_id}"') if form_id else html.index("<form")
    block = html[start : html.index("</form>", start)]
    return set(re.findall(r'\bname="(\w+)"', block))


@pytest.mark.parametrize(("template", "form_id"), sorted(FORMS))
def test_page_forms_use_the_request_names(template: str, form_id: str) -> None:
    cls, own = FORMS[(template, form_id)]
    names = form_names(template, form_id)
    web = {s.url for s in web_specs(cls)}
    assert names - own <= web, "a form field the request does not know"
    if template == "evaluate.html":
        assert names == web  # the evaluation form offers every parameter of the verb


def test_the_overview_forms_use_the_trends_and_change_names() -> None:
    html = (TEMPLATES / "overview.html").read_text(encoding="utf-8")
    names = set(re.findall(r'\bname="(\w+)"', html))
    known = {s.url for s in web_specs(TrendsRequest)} | {s.url for s in web_specs(ChangeRequest)}
    assert names <= known


# -- the same bound refuses the same value on every front ------------------------------------

runner = CliRunner()


def out_of_bounds(spec: Spec, front: str) -> float | None:
    gt, ge, lt, le = spec.bounds(front)
    if ge is not None:
        return ge - 1 if spec.param.type is int else ge / 2 if ge > 0 else -1.0
    if gt is not None:
        return gt - 1
    if le is not None:
        return le + 1
    if lt is not None:
        return lt + 1
    return None


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_bound_refuses_on_the_cli_and_on_the_page(name: str) -> None:
    cls = COMMANDS[name][0]
    base = ["--start", "2025-09", "--lsoa", "E01033803"] if cls is EvaluateRequest else []
    if cls is PatrolPlanRequest:
        base = ["--top", "3"]
    for spec in offered(cls, CLI):
        if spec.param.many or spec.param.parse is not None or spec.param.type not in (int, float):
            continue
        bad = out_of_bounds(spec, CLI)
        if bad is None:
            continue
        text = str(int(bad)) if spec.param.type is int else f"{bad:g}"
        result = runner.invoke(cli_app, [name, *base, spec.flag, text])
        assert result.exit_code == 2, (name, spec.flag, result.output)
        assert spec.flag in result.stderr, (name, spec.flag, result.stderr)
    for spec in web_specs(cls):
        if spec.param.many or spec.param.parse is not None or spec.param.type not in (int, float):
            continue
        bad = out_of_bounds(spec, WEB)
        if bad is None:
            continue
        params = {"start": "2025-09", "lsoa": "E01033803", spec.url: f"{bad:g}"}
        _, problems = read_form(cls, params)
        assert any(p.startswith(spec.label) for p in problems), (name, spec.url, problems)
