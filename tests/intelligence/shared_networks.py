"""The shared network files the graph tests run on (a plain module: test folders have no __init__).

Found from this file, not imported from a conftest: several test folders have a
``conftest`` module, and which one ``import conftest`` finds depends on what ran first.
"""

from __future__ import annotations

from pathlib import Path

import pytest

NETWORKS = Path(__file__).resolve().parents[3] / "shared" / "data" / "networks"
FILES = (
    sorted(NETWORKS.glob("*.csv")) + sorted((NETWORKS / "caviar-phases").glob("phase*.csv"))
    if NETWORKS.exists()
    else []
)
FILE_PARAMS = [pytest.param(p, id=p.name) for p in FILES] or [
    pytest.param(None, marks=pytest.mark.skip(reason=f"network data not found at {NETWORKS}"))
]
needs_networks = pytest.mark.skipif(
    not NETWORKS.exists(), reason=f"network data not found at {NETWORKS}"
)
