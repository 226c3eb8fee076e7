"""Where harmwatch keeps its files when the user does not say."""

from __future__ import annotations

import os
from pathlib import Path

DB_ENV = "HARMWATCH_DB"
HOME_ENV = "HARMWATCH_HOME"


def data_home() -> Path:
    """``$HARMWATCH_HOME``, else ``$XDG_DATA_HOME/harmwatch``, else ``~/.local/share/harmwatch``."""
    if os.environ.get(HOME_ENV):
        return Path(os.environ[HOME_ENV])
    xdg = os.environ.get("XDG_DATA_HOME")
    base = Path(xdg) if xdg else Path.home() / ".local" / "share"
    return base / "harmwatch"


def analytics_db_path(explicit: str | os.PathLike[str] | None = None) -> tuple[Path, str]:
    """The DuckDB file to use and where that choice came from (for telling the user)."""
    if explicit:
        return Path(explicit), "--db"
    if os.environ.get(DB_ENV):
        return Path(os.environ[DB_ENV]), DB_ENV
    return data_home() / "analytics.duckdb", "default"
