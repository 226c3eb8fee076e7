"""Forensic science providers, their ISO/IEC 17025 accreditation, and their laboratories.

A provider is an organisation, not a person: a plain table, read and written under
the room's capabilities (the forensic reviewer), every act logged. Its accreditation
— the body (UKAS), number, scope (the tests and methods accredited) and dates — is
what a review asks first of a result: was this test, on this day, within the scope
of an accreditation in force? :func:`accredited_on` answers the dates.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from harmwatch.errors import NotFoundError
from harmwatch.kernel import policy
from harmwatch.kernel.actions import AuditAction
from harmwatch.kernel.forms import FormRefused, Problem
from harmwatch.kernel.principal import Principal
from harmwatch.kernel.refs import RecordRef
from harmwatch.kernel.work import unit_of_work

from .forms import LABORATORY_FORM, PROVIDER_FORM
from .kinds import READ_FORENSICS, WRITE_FORENSICS
from .models import ForensicLaboratory, ForensicProvider

PROVIDER_KIND = "forensic-provider"


@dataclass
class ProviderView:
    id: int
    name: str
    accreditation_body: str
    accreditation_number: str
    accreditation_scope: str
    accredited_from: date | None
    accredited_until: date | None
    fictional: bool
    laboratories: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        out = dict(self.__dict__)
        for key in ("accredited_from", "accredited_until"):
            out[key] = out[key].isoformat() if out[key] else None
        return out


def accredited_on(provider: ForensicProvider | ProviderView, day: date) -> bool:
    """Whether the provider's accreditation was in force on ``day`` (both ends inclusive)."""
    if provider.accredited_from is None or day < provider.accredited_from:
        return False
    return provider.accredited_until is None or day <= provider.accredited_until


def _require(principal: Principal, capability: Any, what: str) -> None:
    if not capability.granted(principal.role):
        raise policy.PolicyDenied(f"your role ({principal.role}) may not {what} forensic providers")


def _view(db: Session, p: ForensicProvider) -> ProviderView:
    labs = db.scalars(
        select(ForensicLaboratory)
        .where(ForensicLaboratory.provider_id == p.id)
        .order_by(ForensicLaboratory.name)
    )
    return ProviderView(
        id=p.id,
        name=p.name,
        accreditation_body=p.accreditation_body,
        accreditation_number=p.accreditation_number,
        accreditation_scope=p.accreditation_scope,
        accredited_from=p.accredited_from,
        accredited_until=p.accredited_until,
        fictional=p.fictional,
        laboratories=[{"id": lab.id, "name": lab.name, "site": lab.site} for lab in labs],
    )


def _lab(db: Session, provider: ForensicProvider, values: Mapping[str, Any]) -> ForensicLaboratory:
    clean = LABORATORY_FORM.checked(values)
    name = " ".join(clean["name"].split())
    taken = db.scalar(
        select(ForensicLaboratory.id).where(
            ForensicLaboratory.provider_id == provider.id, ForensicLaboratory.name == name
        )
    )
    if taken is not None:
        raise FormRefused([Problem("name", f"{provider.name} already has a laboratory {name}")])
    lab = ForensicLaboratory(provider_id=provider.id, name=name, site=clean["site"] or "")
    db.add(lab)
    db.flush()
    return lab


def add_provider(
    engine: Engine,
    principal: Principal,
    values: Mapping[str, Any],
    *,
    laboratories: tuple[Mapping[str, Any], ...] = (),
    client: str = "",
) -> ProviderView:
    """Record a provider (and its laboratories); refused by field (a name already used)."""
    with unit_of_work(
        engine, principal, AuditAction.COLLECTION, RecordRef(PROVIDER_KIND, "new"), client=client
    ) as work:
        _require(principal, WRITE_FORENSICS, "record")
        clean = PROVIDER_FORM.checked(values)
        name = " ".join(clean["name"].split())
        problems = []
        if work.db.scalar(select(ForensicProvider.id).where(ForensicProvider.name == name)):
            problems.append(Problem("name", f"{name} is already recorded"))
        start, end = clean["accredited_from"], clean["accredited_until"]
        if start and end and end < start:
            problems.append(
                Problem("accredited_until", f"{end} is before accredited from ({start})")
            )
        if end and not start:
            problems.append(Problem("accredited_from", "an accreditation that ends has a start"))
        if problems:
            raise FormRefused(problems)
        provider = ForensicProvider(
            name=name,
            accreditation_body=clean["accreditation_body"] or "UKAS",
            accreditation_number=clean["accreditation_number"] or "",
            accreditation_scope=clean["accreditation_scope"] or "",
            accredited_from=start,
            accredited_until=end,
            fictional=bool(clean["fictional"]),
        )
        work.db.add(provider)
        work.db.flush()
        work.target(RecordRef(PROVIDER_KIND, str(provider.id)))
        labs = [_lab(work.db, provider, lab) for lab in laboratories]
        work.details.update({"name": name, "laboratories": [lab.name for lab in labs]})
        return _view(work.db, provider)


def add_laboratory(
    engine: Engine,
    principal: Principal,
    provider_id: int,
    values: Mapping[str, Any],
    *,
    client: str = "",
) -> ProviderView:
    """Add a laboratory to a provider."""
    ref = RecordRef(PROVIDER_KIND, str(provider_id))
    with unit_of_work(engine, principal, AuditAction.ALTERATION, ref, client=client) as work:
        _require(principal, WRITE_FORENSICS, "change")
        provider = work.db.get(ForensicProvider, provider_id)
        if provider is None:
            raise NotFoundError(f"no forensic provider {provider_id}")
        lab = _lab(work.db, provider, values)
        work.details["laboratory_added"] = {"id": lab.id, "name": lab.name}
        return _view(work.db, provider)


def list_providers(engine: Engine, principal: Principal, *, client: str = "") -> list[ProviderView]:
    """Every provider with its laboratories, by name (a logged consultation)."""
    with unit_of_work(
        engine, principal, AuditAction.CONSULTATION, RecordRef(PROVIDER_KIND, "*"), client=client
    ) as work:
        _require(principal, READ_FORENSICS, "see")
        found = list(work.db.scalars(select(ForensicProvider).order_by(ForensicProvider.name)))
        work.details["rows"] = len(found)
        return [_view(work.db, p) for p in found]


__all__ = [
    "PROVIDER_KIND",
    "ProviderView",
    "accredited_on",
    "add_laboratory",
    "add_provider",
    "list_providers",
]
