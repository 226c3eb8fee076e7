"""The oversight room's commands; each part registers its own (one module each)."""

from __future__ import annotations

import typer

from . import oversight_measures, oversight_police, oversight_report


def register(app: typer.Typer) -> None:
    """The oversight room's commands."""
    oversight_measures.register(app)
    oversight_police.register(app)
    oversight_report.register(app)
