"""`harmwatch report` end to end: HTML and PDF written whole, an unknown extension refused before
any work, and nothing left behind (nor an old report replaced) when a run fails."""

from __future__ import annotations

from pathlib import Path

import pytest
from _oversight_report_world import Page, need_poppler, pdf_pages, pdf_text, squash
from typer.testing import CliRunner

from harmwatch.cli.main import app
from harmwatch.errors import InputError
from harmwatch.security.accounts import create_user
from harmwatch.security.operator_keys import issue_key, write_key_file
from harmwatch.security.roles import Role
from harmwatch.storage.records import make_engine, session_scope, upgrade

runner = CliRunner()
PERIOD = "2025-10:2025-12"


@pytest.fixture(scope="module")
def pcc_login(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """A PCC viewer with an operator key, in a records database holding no records."""
    folder = tmp_path_factory.mktemp("report-cli-records")
    url = f"sqlite:///{folder / 'records.sqlite'}"
    engine = make_engine(url)
    upgrade(engine)
    with session_scope(engine) as db:
        user = create_user(db, "pcc", Role.PCC_VIEWER, "a long enough password",
                           force="hertfordshire", units=[])  # fmt: skip
        key = write_key_file(folder / "pcc.key", issue_key(db, user, created_by="test"))
    engine.dispose()
    return ["--as", "pcc", "--key-file", str(key), "--database-url", url]


def _run(args: list[str]) -> tuple[int, str]:
    result = runner.invoke(app, ["report", *args])
    return result.exit_code, result.output


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_html_end_to_end(sample_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "board.html"
    code, output = _run(["--force", "hertfordshire", "--period", PERIOD, "--out", str(out),
                         "--db", str(sample_db)])  # fmt: skip
    assert code == 0, output
    assert "measure: Drug offences (police.uk)" in output  # the progress lines, on stderr
    assert f"wrote {out}" in output
    assert _leftovers(tmp_path) == ["board.html"]
    html = out.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>")
    text = Page(html).text
    assert "Hertfordshire Constabulary" in text and "OFFICIAL" in text
    assert "Records not read: sign in (--as)" in text


def test_pdf_end_to_end_as_the_pcc_viewer(
    sample_db: Path, tmp_path: Path, pcc_login: list[str]
) -> None:
    need_poppler()
    out = tmp_path / "board.pdf"
    code, output = _run(["--force", "hertfordshire", "--force", "bedfordshire", "--period",
                         PERIOD, "--out", str(out), "--db", str(sample_db), *pcc_login])  # fmt: skip
    assert code == 0, output
    assert _leftovers(tmp_path) == ["board.pdf"]
    assert out.read_bytes().startswith(b"%PDF-")
    assert pdf_pages(out) >= 10
    text = squash(pdf_text(out))
    assert "PUBLISHED VERSION" in text  # a PCC viewer gets it without --published
    # signed in, the rooms were asked: none holds a record, and the report says so
    assert "No operations recorded for Hertfordshire Constabulary, Bedfordshire Police" in text
    assert "No laboratory incident is recorded" in text


def test_an_unknown_extension_is_refused_before_any_work(sample_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "board.docx"
    code, output = _run(["--force", "hertfordshire", "--out", str(out), "--db", str(sample_db)])
    assert code == 2
    assert "'.docx' names no report format; use .html or .pdf" in output
    assert "computing" not in output  # refused before the measures were computed
    assert _leftovers(tmp_path) == []


def test_a_failed_run_leaves_nothing_and_keeps_the_old_report(
    sample_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from harmwatch.oversight import render

    out = tmp_path / "board.pdf"
    out.write_bytes(b"last quarter's report")

    def broken(report: object) -> bytes:
        raise InputError("the printer caught fire")

    monkeypatch.setattr(render, "render_pdf", broken)
    code, output = _run(["--force", "hertfordshire", "--period", PERIOD, "--out", str(out),
                         "--db", str(sample_db)])  # fmt: skip
    assert code == 2 and "the printer caught fire" in output
    assert _leftovers(tmp_path) == ["board.pdf"]
    assert out.read_bytes() == b"last quarter's report"


def test_a_bad_period_is_refused_naming_the_option(sample_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "board.html"
    code, output = _run(["--force", "hertfordshire", "--period", "2025-13", "--out", str(out),
                         "--db", str(sample_db)])  # fmt: skip
    assert code == 2 and "2025-13" in output
    assert _leftovers(tmp_path) == []


def test_write_report_removes_its_temporary_file_when_writing_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    from harmwatch.oversight import render

    monkeypatch.setattr(render, "render_html", lambda report: "<!DOCTYPE html><p>x</p>")

    def no_rename(src: str, dst: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", no_rename)
    with pytest.raises(OSError):
        render.write_report(object(), tmp_path / "board.html")  # type: ignore[arg-type]
    assert _leftovers(tmp_path) == []
