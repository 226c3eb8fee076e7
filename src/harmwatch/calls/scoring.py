"""Scoring a county-lines detector's output against a scenario's ground truth.

Both documents are JSON objects. The prediction has the keys of ``detect --json``:
``deal_lines`` (list of numbers), ``roles`` (number → ``line`` | ``controller`` |
``runner`` | ``user``) and ``cuckooed_cells`` (list of cell ids); the truth is the
generator's ``truth.json`` (the same three keys, plus ``lookalikes``: key → kind).
Numbers are compared as given: both sides use the analytics store's party keys
(E.164 ``+447700900123``, ``alpha:NAME``, ``short:84050``).

For each of deal lines, each role (controller, runner, user: the numbers given that role)
and cuckooed cells, with T the true set and P the predicted one:

- precision = \\|T ∩ P\\| / \\|P\\|, and 1 when P is empty (nothing claimed, nothing wrong);
- recall = \\|T ∩ P\\| / \\|T\\|, and 1 when T is empty (nothing to find, nothing missed);
- F1 = 2·precision·recall / (precision + recall), and 0 when both are 0.

So an empty prediction against an empty truth scores 1, 1, 1, and an empty prediction
against a non-empty truth scores precision 1, recall 0, F1 0.

``lookalikes_flagged`` counts the truth's look-alike keys (taxi, takeaway, school,
surgery, courier, number-change) that the prediction lists in ``deal_lines``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harmwatch.errors import InputError

ROLES = ("line", "controller", "runner", "user")
SCORED_ROLES = ("controller", "runner", "user")
LOOKALIKE_KINDS = ("taxi", "takeaway", "school", "surgery", "courier", "number-change")


@dataclass(frozen=True)
class SetScore:
    """Precision, recall and F1 of one predicted set against its true set."""

    true: int
    predicted: int
    hits: int
    precision: float
    recall: float
    f1: float

    @classmethod
    def of(cls, truth: set[str], pred: set[str]) -> SetScore:
        hits = len(truth & pred)
        precision = hits / len(pred) if pred else 1.0
        recall = hits / len(truth) if truth else 1.0
        total = precision + recall
        f1 = 2 * precision * recall / total if total else 0.0
        return cls(len(truth), len(pred), hits, precision, recall, f1)

    def to_dict(self) -> dict[str, float | int]:
        return {
            "true": self.true,
            "predicted": self.predicted,
            "hits": self.hits,
            "precision": self.precision,
            "recall": self.recall,
            "f1": self.f1,
        }


@dataclass(frozen=True)
class Scores:
    """All of one prediction's scores."""

    deal_lines: SetScore
    roles: dict[str, SetScore]
    cuckooed_cells: SetScore
    #: Look-alikes listed as deal lines: (key, kind), sorted by key.
    lookalikes_flagged: list[tuple[str, str]]

    def to_dict(self) -> dict[str, Any]:
        return {
            "deal_lines": self.deal_lines.to_dict(),
            "roles": {k: v.to_dict() for k, v in self.roles.items()},
            "cuckooed_cells": self.cuckooed_cells.to_dict(),
            "lookalikes_flagged": len(self.lookalikes_flagged),
            "lookalikes_flagged_list": [{"key": k, "kind": v} for k, v in self.lookalikes_flagged],
        }


def load_document(path: Path | str) -> dict[str, Any]:
    """A JSON object read from ``path``; refused with ``file: reason`` otherwise."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{p}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{p}: cannot be read: {exc}") from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{p}:{exc.lineno}: not JSON: {exc.msg}") from None
    if not isinstance(doc, dict):
        raise InputError(f"{p}: must be a JSON object, not {type(doc).__name__}")
    return doc


def _strings(doc: Mapping[str, Any], key: str, source: str) -> set[str]:
    if key not in doc:
        raise InputError(f"{source}: {key}: missing")
    value = doc[key]
    if not isinstance(value, list):
        raise InputError(f"{source}: {key}: must be a list, not {type(value).__name__}")
    for i, item in enumerate(value):
        if not isinstance(item, str):
            raise InputError(f"{source}: {key}[{i}]: must be a string, not {type(item).__name__}")
    return set(value)


def _roles(doc: Mapping[str, Any], source: str) -> dict[str, str]:
    if "roles" not in doc:
        raise InputError(f"{source}: roles: missing")
    value = doc["roles"]
    if not isinstance(value, dict):
        raise InputError(f"{source}: roles: must be an object, not {type(value).__name__}")
    for number, role in value.items():
        if role not in ROLES:
            raise InputError(
                f"{source}: roles: {number}: unknown role {role!r}; expected one of {', '.join(ROLES)}"
            )
    return dict(value)


def _lookalikes(doc: Mapping[str, Any], source: str) -> dict[str, str]:
    value = doc.get("lookalikes", {})
    if not isinstance(value, dict):
        raise InputError(f"{source}: lookalikes: must be an object, not {type(value).__name__}")
    for key, kind in value.items():
        if kind not in LOOKALIKE_KINDS:
            raise InputError(
                f"{source}: lookalikes: {key}: unknown kind {kind!r}; "
                f"expected one of {', '.join(LOOKALIKE_KINDS)}"
            )
    return dict(value)


def score(
    truth: Mapping[str, Any],
    pred: Mapping[str, Any],
    *,
    truth_source: str = "truth",
    pred_source: str = "pred",
) -> Scores:
    """Score ``pred`` against ``truth`` (rules in the module docstring).

    ``*_source`` names each document in errors (the CLI passes the file names).
    Raises :class:`InputError` ``source: key: reason`` for a malformed document.
    """
    true_lines = _strings(truth, "deal_lines", truth_source)
    pred_lines = _strings(pred, "deal_lines", pred_source)
    true_roles = _roles(truth, truth_source)
    pred_roles = _roles(pred, pred_source)
    true_cells = _strings(truth, "cuckooed_cells", truth_source)
    pred_cells = _strings(pred, "cuckooed_cells", pred_source)
    lookalikes = _lookalikes(truth, truth_source)
    roles = {
        role: SetScore.of(
            {n for n, r in true_roles.items() if r == role},
            {n for n, r in pred_roles.items() if r == role},
        )
        for role in SCORED_ROLES
    }
    flagged = sorted((k, kind) for k, kind in lookalikes.items() if k in pred_lines)
    return Scores(
        deal_lines=SetScore.of(true_lines, pred_lines),
        roles=roles,
        cuckooed_cells=SetScore.of(true_cells, pred_cells),
        lookalikes_flagged=flagged,
    )


def format_scores(scores: Scores) -> str:
    """A plain-text table of ``scores`` for a terminal."""
    rows = [("deal lines", scores.deal_lines)]
    rows += [(f"{role}s", s) for role, s in scores.roles.items()]
    rows.append(("cuckooed cells", scores.cuckooed_cells))
    out = [f"{'':<16}{'true':>6}{'pred':>6}{'hits':>6}{'precision':>11}{'recall':>8}{'F1':>7}"]
    for name, s in rows:
        out.append(
            f"{name:<16}{s.true:>6}{s.predicted:>6}{s.hits:>6}"
            f"{s.precision:>11.3f}{s.recall:>8.3f}{s.f1:>7.3f}"
        )
    out.append(f"look-alikes flagged as deal lines: {len(scores.lookalikes_flagged)}")
    out += [f"  {key} ({kind})" for key, kind in scores.lookalikes_flagged]
    return "\n".join(out)
