"""Verify every exhibit's history against its hash chain and the access log's anchors.

Each append to an exhibit's chain wrote the new head into the access-log entry of the
act that made it (:mod:`harmwatch.forensics.chain`). Verifying recomputes each chain
row by row and checks each row's hash against the one the log recorded, so both a
row edited in place and a chain rewritten consistently (every hash recomputed) are
found, and the first row that fails is named.

Only entries whose act succeeded (outcome ``ok``) anchor anything: a refused or failed
act was rolled back, and the heads its details carried were never stored. The anchors
are only as good as the log, so the log's own chain is checked first
(:func:`harmwatch.security.audit.verify`); a broken log is reported, not trusted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from harmwatch.kernel import policy
from harmwatch.kernel.actions import AuditAction, Outcome
from harmwatch.kernel.justification import resolve
from harmwatch.kernel.principal import Principal
from harmwatch.kernel.refs import RecordRef
from harmwatch.kernel.work import unit_of_work
from harmwatch.security import audit

from . import chain
from .kinds import EXHIBITS, READ_FORENSICS
from .models import ForensicExhibit


@dataclass
class VerifyReport:
    """What verifying found: exhibits checked, the log's state, each broken chain."""

    checked: int
    access_log_ok: bool
    access_log_reason: str
    broken: list[chain.Broken] = field(default_factory=list)
    references: dict[int, str] = field(default_factory=dict)  # exhibit id -> its reference

    @property
    def ok(self) -> bool:
        return self.access_log_ok and not self.broken

    @property
    def first(self) -> str | None:
        """The first thing that failed, in words (None when all is whole)."""
        if not self.access_log_ok:
            return f"the access log itself is broken: {self.access_log_reason}"
        if self.broken:
            b = self.broken[0]
            return f"{self.references.get(b.exhibit_id, b.exhibit_id)}: {b}"
        return None

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "checked": self.checked,
            "access_log_ok": self.access_log_ok,
            "access_log_reason": self.access_log_reason,
            "first": self.first,
            "broken": [
                {
                    "exhibit_id": b.exhibit_id,
                    "exhibit": self.references.get(b.exhibit_id),
                    "seq": b.seq,
                    "kind": b.kind,
                    "row_id": b.row_id,
                    "reason": b.reason,
                }
                for b in self.broken
            ],
        }


def anchors(db: Session) -> dict[tuple[int, int], str]:
    """The chain heads the access log recorded, by (exhibit, seq), from acts that succeeded."""
    entries = audit.query(db, limit=None)  # newest first
    return chain.anchored(e.details for e in reversed(entries) if e.outcome == Outcome.OK.value)


def verify_exhibits(
    engine: Engine,
    principal: Principal,
    *,
    justification: str | None,
    exhibit_id: int | None = None,
    client: str = "",
) -> VerifyReport:
    """Verify the chain of every exhibit the caller may see (or of one), against the log.

    A consultation of the exhibits (justified, logged); its entry says how many were
    checked and names each broken one.
    """
    target = RecordRef(EXHIBITS.kind, str(exhibit_id) if exhibit_id is not None else "*")
    with unit_of_work(
        engine, principal, AuditAction.CONSULTATION, target, client=client,
        details={"verify": "exhibit-chains"},
    ) as work:  # fmt: skip
        if not READ_FORENSICS.granted(principal.role):
            raise policy.PolicyDenied(f"your role ({principal.role}) may not verify exhibits")
        work.justify(resolve(principal, justification, what="verifying exhibits' chains"))
        if exhibit_id is not None:
            exhibits = [
                policy.visible_one(work.db, principal, ForensicExhibit, exhibit_id, what="exhibit")
            ]
        else:
            exhibits = list(
                work.db.scalars(
                    policy.scope(
                        principal,
                        select(ForensicExhibit).order_by(ForensicExhibit.id),
                        ForensicExhibit,
                    )
                )
            )
        log = audit.verify(work.db)
        logged = anchors(work.db)
        report = VerifyReport(
            checked=len(exhibits),
            access_log_ok=log.ok,
            access_log_reason=log.reason,
            references={e.id: e.reference for e in exhibits},
        )
        for e in exhibits:
            found = chain.verify(work.db, e.id, logged)
            if found is not None:
                report.broken.append(found)
        work.details.update(
            {
                "rows": len(exhibits),
                "records": [str(e.ref) for e in exhibits][:1000],
                "access_log_ok": log.ok,
                "broken": [str(b) for b in report.broken][:100],
            }
        )
        return report


__all__ = ["VerifyReport", "anchors", "verify_exhibits"]
