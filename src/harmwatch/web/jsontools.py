"""Plain JSON from library results: numpy scalars unwrapped, NaN as null, dates as ISO text.

Library tables carry numpy types and NaN (an undefined p-value, a PAI over an
empty area); ``json.dumps`` would write ``NaN``, which is not JSON and which a
browser's ``JSON.parse`` refuses.
"""

from __future__ import annotations

import json
import math
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd


def jsonable(value: Any) -> Any:
    """Plain JSON values: numpy scalars unwrapped, NaN and infinity as null, dates as ISO text."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [jsonable(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, datetime | date):
        return value.isoformat()
    if value is None or isinstance(value, str | int | bool):
        return value
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return str(value)


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [jsonable(r) for r in frame.to_dict(orient="records")]


def json_bytes(payload: Any) -> bytes:
    return json.dumps(jsonable(payload), separators=(",", ":"), allow_nan=False).encode()
