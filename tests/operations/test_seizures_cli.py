"""`harmwatch ops prices …` and `harmwatch ops revalue` as an analyst with an operator key."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from seizureworld import WHY, price_file, seize, tables_named, valuations_of
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from harmwatch.cli import ops_prices
from harmwatch.kernel.principal import Principal
from harmwatch.security.accounts import create_user
from harmwatch.security.operator_keys import issue_key, write_key_file
from harmwatch.security.roles import Role
from harmwatch.storage.models import User
from harmwatch.storage.records import make_engine, session_scope, upgrade

ops = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
ops_prices.register(ops)
runner = CliRunner()
FORCE, UNIT = "hertfordshire", "dacorum-cid"


def _user(db: Session, tmp_path: Path, name: str, role: Role) -> list[str]:
    user: User = create_user(
        db,
        name,
        role,
        "a long enough password",
        force=FORCE,
        units=[UNIT],
    )
    key = write_key_file(tmp_path / f"{name}.key", issue_key(db, user, created_by="test"))
    return ["--as", name, "--key-file", str(key)]


@pytest.fixture
def world(tmp_path: Path) -> tuple[str, list[str], list[str]]:
    url = f"sqlite:///{tmp_path / 'records.sqlite'}"
    engine = make_engine(url)
    upgrade(engine)
    with session_scope(engine) as db:
        analyst = _user(db, tmp_path, "ana", Role.ANALYST)
        officer = _user(db, tmp_path, "pc", Role.NEIGHBOURHOOD_OFFICER)
    engine.dispose()
    db_opt = ["--database-url", url]
    return url, [*analyst, *db_opt], [*officer, *db_opt]


def test_load_list_show_and_revalue(
    world: tuple[str, list[str], list[str]], tmp_path: Path
) -> None:
    url, analyst, officer = world
    engine = make_engine(url)
    pc = Principal("pc", Role.NEIGHBOURHOOD_OFFICER, FORCE, frozenset({UNIT}))
    rid = seize(engine, pc, quantity="1.5", unit="kg")  # valued by the shipped table
    bad = price_file(
        tmp_path, "bad.csv", "cocaine,powder,national,g,40,80", "heroin,pwder,national,g,1,2"
    )
    meta = [
        "--name",
        "herts",
        "--source",
        "Herts expert witness 2025",
        "--valid-from",
        "2025-01-01",
    ]
    refused = runner.invoke(ops, ["prices", "load", str(bad), *meta, *analyst])
    assert refused.exit_code == 2
    assert "error: bad.csv:3: form: 'pwder': one of herbal" in refused.output
    assert tables_named(engine, "herts") == 0
    good = price_file(tmp_path, "good.csv", "cocaine,powder,national,g,40,80")
    loaded = runner.invoke(ops, ["prices", "load", str(good), *meta, *analyst])
    assert loaded.exit_code == 0, loaded.output
    assert "loaded herts v1" in loaded.output and "1 prices, valid from 2025-01-01" in loaded.output
    bad_day = runner.invoke(
        ops, ["prices", "load", str(good), *meta[:4], "--valid-from", "1/1/25", *analyst]
    )
    assert bad_day.exit_code == 2 and "--valid-from" in bad_day.output
    denied = runner.invoke(ops, ["prices", "load", str(good), *meta, *officer])
    assert denied.exit_code == 2 and "may not load price tables" in denied.output

    listed = runner.invoke(ops, ["prices", "list", "--json", *officer])
    assert listed.exit_code == 0, listed.output
    tables = {t["title"]: t for t in json.loads(listed.output)["tables"]}
    assert set(tables) == {"herts v1", "illustrative street prices v1"}
    plain = runner.invoke(ops, ["prices", "list", *officer])
    assert "No open UK street-price table exists to ship" in plain.output
    shown = runner.invoke(ops, ["prices", "show", str(tables["herts v1"]["id"]), *officer])
    assert (
        shown.exit_code == 0 and "£40.00" in shown.output and "Herts expert witness" in shown.output
    )
    illustrative = tables["illustrative street prices v1"]["id"]
    shipped = runner.invoke(ops, ["prices", "show", str(illustrative), *officer])
    assert "ILLUSTRATIVE" in shipped.output

    no_reason = runner.invoke(
        ops, ["revalue", str(rid), "--reason", " ", "--justification", WHY, *analyst]
    )
    assert no_reason.exit_code == 2 and "reason:" in no_reason.output
    done = runner.invoke(
        ops,
        [
            "revalue",
            str(rid),
            "--reason",
            "the force's own table",
            "--justification",
            WHY,
            *analyst,
        ],
    )
    assert done.exit_code == 0, done.output
    assert f"revalued operation-result:{rid}: £60,000.00–£120,000.00 (herts v1)" in done.output
    back = runner.invoke(
        ops,
        ["revalue", str(rid), "--reason", "as first published", "--table", str(illustrative),
         "--justification", WHY, "--json", *analyst],
    )  # fmt: skip
    assert back.exit_code == 0, back.output
    assert json.loads(back.output)["low_pence"] == 7_500_000
    not_allowed = runner.invoke(
        ops, ["revalue", str(rid), "--reason", "try", "--justification", WHY, *officer]
    )
    assert not_allowed.exit_code == 2 and "may not revalue" in not_allowed.output
    assert [v[3] for v in valuations_of(engine, rid)] == [
        "on entry",
        "the force's own table",
        "as first published",
    ]
    engine.dispose()
