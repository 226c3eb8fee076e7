"""The harmwatch web app: server-rendered pages and a JSON API over the same library calls.

``create_app(WebSettings(...))`` builds it; ``harmwatch serve`` runs it. Access
rules live in one route table (:mod:`harmwatch.web.rules`); accounts, sessions
and the access log come from :mod:`harmwatch.security`.
"""

from __future__ import annotations

from .app import create_app
from .settings import WebSettings

__all__ = ["WebSettings", "create_app"]
