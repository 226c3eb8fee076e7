"""A board report as one self-contained HTML page, and as a PDF made from the same page.

The HTML carries everything it shows: its stylesheet inline, every chart and map
as a ``data:`` URI, no script, no web font, no link that a browser would fetch,
so it can be mailed, archived or opened with no network. The PDF is that HTML laid
out by WeasyPrint for print (A4, the marking and page numbers in the margins);
its fetcher allows ``data:`` URIs only and fails on anything else, so a report
can never reach out while it is printed.

:func:`render_html` and :func:`render_pdf` are what a web route serves;
:func:`write_report` is what the command line calls: the format from the file's
extension, written through a temporary file so that a failed run leaves nothing.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from harmwatch.errors import InputError

from .report import Report
from .report_tables import Figure

TEMPLATES = Path(__file__).parent / "templates"
FORMATS = {".html": "html", ".htm": "html", ".pdf": "pdf"}


class ReportFormatError(InputError):
    """An output file whose extension names no format a report is written in."""


def output_format(path: str | Path) -> str:
    """'html' or 'pdf' from the file's extension; anything else is refused."""
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise ReportFormatError(
            f"--out {path}: the extension {suffix or '(none)'!r} names no report format; "
            "use .html or .pdf"
        )
    return FORMATS[suffix]


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.tests["figure"] = lambda value: isinstance(value, Figure)
    return env


def render_html(report: Report) -> str:
    """The report as one HTML document with nothing to fetch."""
    css = (TEMPLATES / "report.css").read_text(encoding="utf-8")
    template = _environment().get_template("report.html")
    return template.render(r=report, css=css)


def render_pdf(report: Report) -> bytes:
    """The report as a PDF, laid out from :func:`render_html`'s page."""
    from weasyprint import HTML, URLFetcher

    fetcher = URLFetcher(allowed_protocols=("data",), fail_on_errors=True)
    document: Any = HTML(string=render_html(report), url_fetcher=fetcher)
    return bytes(document.write_pdf())


def write_report(report: Report, path: str | Path) -> Path:
    """Write the report as the extension says, whole or not at all."""
    out = Path(path)
    fmt = output_format(out)
    data = render_pdf(report) if fmt == "pdf" else render_html(report).encode("utf-8")
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(f".{out.name}.{secrets.token_hex(4)}.partial")
    try:
        # Created as any new file is (the umask decides who may read it), never over another.
        handle = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        os.replace(partial, out)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return out
