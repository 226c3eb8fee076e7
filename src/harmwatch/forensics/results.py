"""An exhibit's results: append-only versions per analyte, an amendment saying why.

A result is never changed: a correction is a new version of its analyte on the
exhibit (:func:`harmwatch.forensics.chain.append_result`), which must give its
``amendment_reason``, so what a court was told stays readable beside what replaced it.
The value is kept as the laboratory wrote it (``4.2``, ``<LOQ``, ``not detected``).

**Current** is the latest version that is not a retest's result: a retest is compared
with the original (the review's business), it does not silently replace it. An
analyte with only retest results has its latest as current.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from harmwatch.kernel.forms import FormRefused, Problem
from harmwatch.kernel.work import Work
from harmwatch.storage import models

from . import chain
from .forms import LONDON, RESULT_FORM, result_value
from .models import ExhibitResult, ForensicExhibit


@dataclass
class AnalyteResults:
    """Every version of one analyte's result on one exhibit, oldest first."""

    analyte: str
    versions: list[ExhibitResult] = field(default_factory=list)

    @property
    def current(self) -> ExhibitResult:
        originals = [v for v in self.versions if v.retest_id is None]
        return (originals or self.versions)[-1]

    def to_json(self) -> dict[str, Any]:
        current = self.current.id
        return {
            "analyte": self.analyte,
            "current_version": self.current.version,
            "versions": [{**result_json(v), "current": v.id == current} for v in self.versions],
        }


def result_json(r: ExhibitResult) -> dict[str, Any]:
    return {
        "id": r.id,
        "seq": r.seq,
        "analyte": r.analyte,
        "version": r.version,
        "value": r.value,
        "unit": r.unit,
        "method": r.method,
        "uncertainty": r.uncertainty,
        "reported_on": r.reported_on.isoformat() if r.reported_on else None,
        "amendment_reason": r.amendment_reason,
        "retest_id": r.retest_id,
        "recorded_at": r.recorded_at.isoformat(),
        "recorded_by": r.recorded_by,
        "entry_hash": r.entry_hash,
    }


def versions(rows: Sequence[ExhibitResult]) -> list[AnalyteResults]:
    """The results grouped by analyte (in the order first reported), versions in order."""
    grouped: dict[str, AnalyteResults] = {}
    for r in sorted(rows, key=lambda r: r.seq):
        grouped.setdefault(r.analyte, AnalyteResults(r.analyte)).versions.append(r)
    for g in grouped.values():
        g.versions.sort(key=lambda r: r.version)
    return list(grouped.values())


def _analyte(text: str) -> str:
    return " ".join(text.split())


def store(
    work: Work,
    exhibit: ForensicExhibit,
    values: Mapping[str, Any],
    *,
    amending: bool = False,
    retest_id: int | None = None,
) -> ExhibitResult:
    """Append a result version from a form's values (text as typed) to the exhibit's chain.

    ``amending``: the analyte must already have a result, and the reason is required; a
    first result of an analyte that already has one is refused on ``amendment_reason``
    (by :func:`chain.append_result`). The caller has checked the policy.
    """
    clean = RESULT_FORM.checked(values)
    analyte = _analyte(clean["analyte"])
    problems = []
    existing = chain.next_version(work.db, exhibit.id, analyte) - 1
    if amending and not existing:
        problems.append(Problem("analyte", f"{analyte} has no result on this exhibit to amend"))
    if amending and not clean["amendment_reason"]:
        problems.append(Problem("amendment_reason", "required: say why the result is amended"))
    if not amending and clean["amendment_reason"] and not existing:
        problems.append(Problem("amendment_reason", "a first result amends nothing"))
    reported = clean["reported_on"]
    today = models.utcnow().astimezone(LONDON).date()
    if reported is not None and reported > today:
        problems.append(Problem("reported_on", f"{reported} is in the future"))
    taken = exhibit.taken_at.astimezone(LONDON).date()
    if reported is not None and reported < taken:
        problems.append(
            Problem("reported_on", f"{reported} is before the exhibit was taken ({taken})")
        )
    if problems:
        raise FormRefused(problems)
    uncertainty = clean["uncertainty"]
    return chain.append_result(
        work,
        exhibit.id,
        analyte=analyte,
        value=result_value(clean["value"]),
        unit=" ".join(clean["unit"].split()),
        method=clean["method"] or "",
        uncertainty=str(uncertainty) if uncertainty is not None else None,
        reported_on=reported,
        amendment_reason=clean["amendment_reason"] or None,
        retest_id=retest_id,
    )


__all__ = ["AnalyteResults", "result_json", "store", "versions"]
