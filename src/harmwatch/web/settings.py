"""What a running web app needs to know: where the data live and how strict to be.

Kept as one small frozen dataclass so that tests, the benchmark and ``harmwatch
serve`` build the app the same way, and nothing is read from the environment
behind the caller's back.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class WebSettings:
    """Settings for :func:`harmwatch.web.create_app`.

    ``analytics_db``: the DuckDB file the analyses read and uploads write.
    ``database_url``: the records database (users, sessions, access log).
    ``secure_cookies``: mark the session cookie ``Secure`` and send HSTS; turn it on
    whenever the app is reached over HTTPS (behind a TLS proxy), off only on loopback.
    ``demo``: show a banner saying the data and accounts are a demonstration.
    ``cache_size``: computed analyses and rendered layers kept in memory (0 turns the
    cache off; the load benchmark uses that as its baseline). One map costs about four
    entries (the run, its layer, the layer gzipped, the study area); the largest layer
    over the sample's three counties is about 6 MB, so 256 entries stay well under 1 GB.
    ``upload_dir``: where uploaded study-area boundaries are kept (default: a
    ``web-uploads`` folder beside the analytics database).
    ``max_upload_bytes``: refuse police.uk uploads larger than this in total.
    ``ingest_wait_s``: how long an upload waits for another load (by any app server
    behind the same records database, or ``harmwatch ingest``) to finish before it is
    refused, naming that load.
    ``trusted_proxies``: addresses of reverse proxies whose ``X-Forwarded-For`` names the
    real client (for the access log and per-client sign-in lockouts); from anyone else
    the header is ignored, since a client could otherwise claim any address.
    """

    analytics_db: Path
    database_url: str
    secure_cookies: bool = False
    demo: bool = False
    cache_size: int = 256
    upload_dir: Path | None = None
    max_upload_bytes: int = 1024 * 1024 * 1024
    max_boundary_bytes: int = 20 * 1024 * 1024
    trusted_proxies: frozenset[str] = frozenset()
    ingest_wait_s: float = 300.0

    @property
    def uploads_root(self) -> Path:
        return self.upload_dir or Path(self.analytics_db).parent / "web-uploads"

    @property
    def boundary_dir(self) -> Path:
        return self.uploads_root / "boundaries"

    @property
    def police_upload_dir(self) -> Path:
        """Uploaded police.uk files, kept because the loads' provenance names them."""
        return self.uploads_root / "police-uk"

    def to_json(self) -> str:
        """The settings as JSON, for worker processes started with ``--workers``."""
        values: dict[str, Any] = {}
        for key, value in asdict(self).items():
            if isinstance(value, Path):
                value = str(value)
            elif isinstance(value, frozenset):
                value = sorted(value)
            values[key] = value
        return json.dumps(values)

    @classmethod
    def from_json(cls, text: str) -> WebSettings:
        values = json.loads(text)
        kinds = {f.name: f.type for f in fields(cls)}
        for key, value in list(values.items()):
            kind = str(kinds.get(key, ""))
            if "Path" in kind and value is not None:
                values[key] = Path(value)
            elif "frozenset" in kind:
                values[key] = frozenset(value)
        return cls(**values)
