"""The oversight room's commands; each part registers its own (one module each)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """The oversight room's commands."""
