"""The force-records tests' world (see recordsworld.py), made once per module."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from recordsworld import World, make_world


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, sample_db: Path) -> Iterator[World]:
    made = make_world(tmp_path_factory.mktemp("force-records"), sample_db)
    yield made
    made.engine.dispose()
