"""A SYNTHETIC generator of three forces' toxicology casework, with a provider incident.

harmwatch needs forensic casework for its demo and tests without real case files, so
this module invents some that looks like what Bedfordshire, Cambridgeshire and
Hertfordshire held when a provider's quality-control data were found manipulated:
years of drug-driving blood samples, some urine samples and drug exhibits, each case
where the criminal justice system would have it by the review date, each exhibit's
custody, and **one provider incident** whose affected samples and cases the generator
counts itself (``truth.json``), so a review's counts can be checked against them.

Everything is invented and labelled: case and exhibit references start
``SYNTHETIC-``, people are "SYNTHETIC …", every provider, laboratory and courier is
a made-up name marked ``(FICTIONAL)``. The rates below are **plausible
illustrations, not fitted to any force's data**.

Cases (per force and year, ``cases_per_year`` × ``s5a_growth`` from the s5A year)
    Mostly drug driving: before 2 March 2015 the s.4 Road Traffic Act 1988 offence
    (unfit through drugs, ``RTA4``), after it mostly s.5A (a specified drug above its
    limit, ``RTA5A``), which multiplied blood testing. ``drug_exhibit_share`` of cases
    are possession or supply cases (HO classes 92E, 92A) with a seized drug exhibit.
    ``second_sample_share`` of drug-driving cases have a second blood sample (taken
    30–90 minutes later); ``urine_share`` a urine sample as well.

Results
    A blood sample's drugs follow a mix of profiles (cannabis alone the most, then
    cocaine — with its metabolite benzoylecgonine —, both, benzodiazepines,
    ketamine, MDMA, amphetamine, opioids); each analyte's value is log-normal
    around a median that is a multiple of its s5A limit (most results are above the
    limit, a fair share near it, some below), rounded as a laboratory reports it.
    The reported expanded uncertainty is 20 % of the value below five times the
    limit, 12 % above. Analyte names are those of the s5A table (THC, cocaine,
    benzoylecgonine …); units µg/L. ``amendment_share`` of results are re-reported
    later as a second version with an amendment reason.

Dates (sent 1–10 days after taking, received 1–3 days later, tested 5–45 days
after that, reported 1–10 days later; nothing after ``as_of``, the review date)
    A sample not yet reported by ``as_of`` has no result rows. Its case's status
    follows from its dates and results: no result yet → under investigation; an
    s5A case below every limit → discontinued; else charged 7–40 days after the
    report, first hearing 3–8 weeks later at the magistrates' court (crown for
    supply), where most plead guilty (convicted); a plea of not guilty goes to
    trial 2–7 months later (convicted or acquitted). Cases still in the system at
    ``as_of`` are charged or awaiting trial, with their next hearing after ``as_of``.

Custody (per exhibit, Europe/London wall times)
    seized, sealed (seal number), stored (force store), transferred (courier),
    received (laboratory, same seal), opened and resealed (new seal) for testing,
    then returned to the force store or stored at the laboratory. Planted:
    ``seal_mismatch_share`` of received events show another seal number, and
    ``custody_gap_share`` of exhibits lack their received event (both listed in
    ``truth.json``). ``none_left_share`` of tested samples have nothing left.

The incident
    At the fictional provider Northgate Toxicology Ltd, laboratory Marston, two of
    its four analysts' blood and urine toxicology **tested** between
    ``incident_from`` and ``incident_to`` is affected (in the default, 1 November
    five years before the last year to 90 days before ``as_of``).

:func:`generate` is pure (parameters and seed → data); :func:`write_export` writes
the three exports per force, their import specs, ``truth.json`` and ``README.txt``.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import math
import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo

from harmwatch.errors import InputError

GENERATOR_VERSION = "1"
DEFAULT_SEED = 20170201
ZONE = ZoneInfo("Europe/London")
FORCES = ("bedfordshire", "cambridgeshire", "hertfordshire")
_FORCE_CODE = {"bedfordshire": "BED", "cambridgeshire": "CAM", "hertfordshire": "HER"}
DATE_FORMAT = "%d/%m/%Y"
TIME_FORMAT = "%d/%m/%Y %H:%M"
S5A_FROM = date(2015, 3, 2)
AMPHETAMINE_FROM = date(2015, 4, 14)

#: The s5A limits in blood (µg/L) the generator draws values around.
LIMITS: Mapping[str, float] = MappingProxyType(
    {
        "THC": 2, "cocaine": 10, "benzoylecgonine": 50, "ketamine": 20, "LSD": 1,
        "methylamphetamine": 10, "MDMA": 10, "6-monoacetylmorphine": 5, "clonazepam": 50,
        "diazepam": 550, "flunitrazepam": 300, "lorazepam": 100, "methadone": 500,
        "morphine": 80, "oxazepam": 300, "temazepam": 1000, "amphetamine": 250,
    }
)  # fmt: skip

#: (weight, ((analyte, median as a multiple of its limit, log-sd), ...)).
PROFILES: tuple[tuple[float, tuple[tuple[str, float, float], ...]], ...] = (
    (0.42, (("THC", 2.2, 0.7),)),
    (0.24, (("cocaine", 2.0, 0.9), ("benzoylecgonine", 5.0, 0.8))),
    (0.08, (("THC", 1.8, 0.7), ("cocaine", 1.6, 0.9), ("benzoylecgonine", 4.0, 0.8))),
    (0.06, (("diazepam", 0.8, 0.8),)),
    (0.02, (("clonazepam", 1.0, 0.8),)),
    (0.04, (("ketamine", 2.5, 1.0),)),
    (0.04, (("MDMA", 4.0, 0.9),)),
    (0.04, (("amphetamine", 0.9, 0.8),)),
    (0.01, (("methylamphetamine", 3.0, 0.9),)),
    (0.03, (("morphine", 1.2, 0.7), ("6-monoacetylmorphine", 1.5, 0.8))),
    (0.02, (("methadone", 0.7, 0.7),)),
)

PROVIDERS: Mapping[str, Mapping[str, tuple[str, ...]]] = MappingProxyType(
    {
        "Northgate Toxicology Ltd (FICTIONAL)": {
            "Marston Laboratory (FICTIONAL)": (
                "SYNTHETIC analyst R. Halden", "SYNTHETIC analyst P. Okafor",
                "SYNTHETIC analyst J. Mercer", "SYNTHETIC analyst S. Lund",
            ),
            "Kelbrook Laboratory (FICTIONAL)": (
                "SYNTHETIC analyst T. Brae", "SYNTHETIC analyst M. Castell",
            ),
        },
        "Alder Forensic Services (FICTIONAL)": {
            "Alder Park Laboratory (FICTIONAL)": (
                "SYNTHETIC analyst K. Imrie", "SYNTHETIC analyst D. Varga",
                "SYNTHETIC analyst L. Whit",
            ),
        },
        "Fenwick Analytical Ltd (FICTIONAL)": {
            "Fenwick Bridge Laboratory (FICTIONAL)": (
                "SYNTHETIC analyst A. Rook", "SYNTHETIC analyst C. Penn",
            ),
        },
    }
)  # fmt: skip
INCIDENT_PROVIDER = "Northgate Toxicology Ltd (FICTIONAL)"
INCIDENT_LABORATORY = "Marston Laboratory (FICTIONAL)"
INCIDENT_ANALYSTS = ("SYNTHETIC analyst R. Halden", "SYNTHETIC analyst P. Okafor")
INCIDENT_TESTS = ("blood-toxicology", "urine-toxicology")
COURIER = "SYNTHETIC courier, Swiftline Couriers (FICTIONAL)"

OFFENCES = {
    "RTA4": "Driving or attempting to drive when unfit through drugs (s.4 RTA 1988)",
    "RTA5A": "Driving with a specified controlled drug above the specified limit (s.5A RTA 1988)",
    "92A": "Possession with intent to supply a controlled drug of Class A",
    "92E": "Possession of a controlled drug of Class A",
}
#: The file's words for each canonical value (the spec maps them back).
CJ_LABELS = {
    "under-investigation": "Under Investigation", "charged": "Charged",
    "awaiting-trial": "Awaiting Trial", "convicted": "Convicted", "acquitted": "Acquitted",
    "discontinued": "Discontinued",
}  # fmt: skip
CUSTODY_LABELS = {
    "in-custody": "In Custody", "remanded": "Remanded", "bailed": "Bailed",
    "released": "Released Under Investigation", "not-applicable": "N/A",
}  # fmt: skip
COURT_LABELS = {"magistrates": "Magistrates' Court", "crown": "Crown Court"}
TYPE_LABELS = {"blood": "Blood", "urine": "Urine", "drug-exhibit": "Drug Exhibit"}

CASE_COLUMNS = (
    "Case Ref", "Offence Code", "Offence", "CJ Status", "Next Hearing", "Custody Status",
    "Decision Date", "Court", "OIC", "Defendant",
)  # fmt: skip
LIMS_COLUMNS = (
    "Exhibit Ref", "Case Ref", "Sample Type", "Test", "Provider", "Laboratory", "Analyst",
    "Date Taken", "Date Sent", "Date Received", "Date Tested", "Date Reported",
    "Qty Remaining", "Qty Unit", "Storage", "Analyte", "Result", "Result Unit", "Method",
    "Uncertainty (+/-)", "Amendment Reason",
)  # fmt: skip
CUSTODY_COLUMNS = (
    "Exhibit Ref", "Date/Time", "Action", "Handled By", "Location", "Seal No", "Condition",
    "Notes",
)  # fmt: skip

_CASE_SPEC_COLUMNS = {
    "reference": "Case Ref", "offence_code": "Offence Code", "offence": "Offence",
    "cj_status": "CJ Status", "next_hearing_on": "Next Hearing",
    "custody_status": "Custody Status", "decided_on": "Decision Date", "court": "Court",
    "officer_in_charge": "OIC", "subject_label": "Defendant",
}  # fmt: skip
_LIMS_SPEC_COLUMNS = {
    "exhibit_reference": "Exhibit Ref", "case_reference": "Case Ref",
    "exhibit_type": "Sample Type", "test_requested": "Test", "provider": "Provider",
    "laboratory": "Laboratory", "analyst": "Analyst", "taken_at": "Date Taken",
    "sent_on": "Date Sent", "received_on": "Date Received", "tested_on": "Date Tested",
    "reported_on": "Date Reported", "remaining_quantity": "Qty Remaining",
    "remaining_unit": "Qty Unit", "storage_location": "Storage", "analyte": "Analyte",
    "value": "Result", "unit": "Result Unit", "method": "Method",
    "uncertainty": "Uncertainty (+/-)", "amendment_reason": "Amendment Reason",
}  # fmt: skip
_CUSTODY_SPEC_COLUMNS = {
    "exhibit_reference": "Exhibit Ref", "at": "Date/Time", "action": "Action",
    "handled_by": "Handled By", "location": "Location", "seal_number": "Seal No",
    "condition": "Condition", "notes": "Notes",
}  # fmt: skip


def _frozen(table: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(table))


@dataclass(frozen=True)
class ForensicParams:
    """Every rate of the generator (see the module docstring); defaults are illustrative."""

    years: tuple[int, int] = (2012, 2019)
    #: The review date: nothing happens after it (default 31 December of the last year).
    as_of: date | None = None
    #: Cases a year before s5A, per force (after: × ``s5a_growth``).
    cases_per_year: Mapping[str, int] = field(
        default_factory=lambda: _frozen(
            {"bedfordshire": 14, "cambridgeshire": 20, "hertfordshire": 26}
        )
    )
    s5a_growth: float = 2.0
    drug_exhibit_share: float = 0.10
    second_sample_share: float = 0.3
    urine_share: float = 0.06
    none_left_share: float = 0.07
    seal_mismatch_share: float = 0.01
    custody_gap_share: float = 0.01
    amendment_share: float = 0.01
    not_guilty_share: float = 0.15
    acquittal_share: float = 0.3
    #: Each force's share of blood and urine toxicology per provider.
    provider_mix: Mapping[str, Mapping[str, float]] = field(
        default_factory=lambda: _frozen(
            {
                "bedfordshire": {
                    INCIDENT_PROVIDER: 0.45, "Alder Forensic Services (FICTIONAL)": 0.35,
                    "Fenwick Analytical Ltd (FICTIONAL)": 0.20,
                },
                "cambridgeshire": {
                    INCIDENT_PROVIDER: 0.40, "Alder Forensic Services (FICTIONAL)": 0.25,
                    "Fenwick Analytical Ltd (FICTIONAL)": 0.35,
                },
                "hertfordshire": {
                    INCIDENT_PROVIDER: 0.55, "Alder Forensic Services (FICTIONAL)": 0.25,
                    "Fenwick Analytical Ltd (FICTIONAL)": 0.20,
                },
            }
        )
    )  # fmt: skip
    #: Share of Northgate's toxicology done at Marston (the rest at Kelbrook).
    marston_share: float = 0.7
    incident_from: date | None = None
    incident_to: date | None = None

    def __post_init__(self) -> None:
        first, last = self.years
        if not 2000 <= first <= last <= 2100:
            raise InputError(f"years: {first}-{last} is not a range of years from 2000")
        if self.as_of is not None and self.as_of < date(last, 1, 1):
            raise InputError(f"as_of: {self.as_of} is before the last year ({last})")
        unknown = sorted(set(self.cases_per_year) - set(FORCES))
        if unknown:
            raise InputError(f"cases_per_year: {', '.join(unknown)}: forces are {FORCES}")
        window = (self.window_from, self.window_to)
        if window[0] > window[1]:
            raise InputError(f"incident: {window[0]} is after {window[1]}")

    @property
    def review_date(self) -> date:
        return self.as_of or date(self.years[1], 12, 31)

    @property
    def window_from(self) -> date:
        return self.incident_from or date(max(self.years[0], self.years[1] - 5), 11, 1)

    @property
    def window_to(self) -> date:
        return self.incident_to or self.review_date - timedelta(days=30)

    def to_dict(self) -> dict[str, Any]:
        return {
            "years": list(self.years),
            "as_of": self.review_date.isoformat(),
            "cases_per_year": dict(self.cases_per_year),
            "s5a_growth": self.s5a_growth,
            "drug_exhibit_share": self.drug_exhibit_share,
            "second_sample_share": self.second_sample_share,
            "urine_share": self.urine_share,
            "none_left_share": self.none_left_share,
            "seal_mismatch_share": self.seal_mismatch_share,
            "custody_gap_share": self.custody_gap_share,
            "amendment_share": self.amendment_share,
            "not_guilty_share": self.not_guilty_share,
            "acquittal_share": self.acquittal_share,
            "provider_mix": {k: dict(v) for k, v in self.provider_mix.items()},
            "marston_share": self.marston_share,
            "incident_from": self.window_from.isoformat(),
            "incident_to": self.window_to.isoformat(),
        }


def parse_years(text: str) -> tuple[int, int]:
    """``2012-2019`` (or one year) as (first, last)."""
    parts = text.strip().split("-")
    try:
        first, last = (int(parts[0]), int(parts[-1])) if len(parts) <= 2 else (0, -1)
    except ValueError:
        first, last = 0, -1
    if not 2000 <= first <= last <= 2100:
        raise InputError(f"years: {text!r} is not a range such as 2012-2019")
    return first, last


@dataclass
class SyntheticForensics:
    """Generated casework: per force, the rows of each export (column → text), and the truth."""

    params: ForensicParams
    seed: int
    cases: dict[str, list[dict[str, str]]]
    lims: dict[str, list[dict[str, str]]]
    custody: dict[str, list[dict[str, str]]]
    truth: dict[str, Any]


@dataclass
class _Sample:
    reference: str
    exhibit_type: str
    test: str
    provider: str
    laboratory: str
    analyst: str
    taken: datetime  # aware UTC
    sent: date | None
    received: date | None
    tested: date | None
    reported: date | None
    results: list[tuple[str, float]]  # analyte, value (µg/L or % purity)


def _local_text(at: datetime) -> str:
    return at.astimezone(ZONE).strftime(TIME_FORMAT)


def _wall(day: date, hour: int, minute: int) -> datetime:
    """An aware UTC instant for a Europe/London wall time that exists (a skipped spring hour
    moves on an hour, as the spec's ``nonexistent = "shift-forward"`` would read it)."""
    naive = datetime(day.year, day.month, day.day, hour, minute)
    at = naive.replace(tzinfo=ZONE, fold=0)
    if at.astimezone(UTC).astimezone(ZONE).replace(tzinfo=None) != naive:
        at = (naive + timedelta(hours=1)).replace(tzinfo=ZONE)
    return at.astimezone(UTC)


def _d(day: date | None) -> str:
    return day.strftime(DATE_FORMAT) if day else ""


def _reported_value(value: float) -> str:
    if value < 10:
        return f"{value:.1f}"
    return str(round(value))


def _uncertainty(analyte: str, value: float) -> str:
    limit = LIMITS.get(analyte)
    relative = 0.20 if limit is None or value < 5 * limit else 0.12
    return _reported_value(value * relative)


class _Gen:
    def __init__(self, params: ForensicParams, seed: int) -> None:
        self.p = params
        self.rng = random.Random(seed)
        self.as_of = params.review_date
        self.seals = 100000

    def seal(self) -> str:
        self.seals += self.rng.randint(1, 40)
        return f"SYN{self.seals:07d}"

    def after(self, day: date | None, low: int, high: int) -> date | None:
        if day is None:
            return None
        later = day + timedelta(days=self.rng.randint(low, high))
        return later if later <= self.as_of else None

    def provider(self, force: str, test: str) -> tuple[str, str, str]:
        rng = self.rng
        if test == "drug-identification":
            name = rng.choice(("Alder Forensic Services (FICTIONAL)",
                               "Fenwick Analytical Ltd (FICTIONAL)", INCIDENT_PROVIDER))  # fmt: skip
        else:
            mix = self.p.provider_mix[force]
            name = rng.choices(list(mix), weights=list(mix.values()))[0]
        labs = PROVIDERS[name]
        if name == INCIDENT_PROVIDER:
            lab = (
                INCIDENT_LABORATORY
                if test != "drug-identification" and rng.random() < self.p.marston_share
                else "Kelbrook Laboratory (FICTIONAL)"
            )
        else:
            lab = next(iter(labs))
        return name, lab, rng.choice(labs[lab])

    def taken_at(self, year: int) -> datetime | None:
        start = date(year, 1, 1)
        day = start + timedelta(days=self.rng.randrange(366 if year % 4 == 0 else 365))
        if day > self.as_of - timedelta(days=1):
            return None
        # Drug-driving stops peak in the evening and at night.
        hour = self.rng.choices(range(24), weights=[4, 4, 3, 2, 1, 1, 1, 2, 3, 3, 3, 3,
                                                    3, 3, 4, 5, 6, 6, 6, 6, 6, 6, 5, 5])[0]  # fmt: skip
        return _wall(day, hour, self.rng.randrange(60))

    def values(self, profile: tuple[tuple[str, float, float], ...]) -> list[tuple[str, float]]:
        out = []
        for analyte, median, sd in profile:
            limit = LIMITS[analyte]
            value = limit * median * math.exp(self.rng.gauss(0, sd))
            out.append((analyte, max(value, 0.3 * limit)))
        return out

    def sample(self, force: str, reference: str, kind: str, taken: datetime) -> _Sample:
        test = {"blood": "blood-toxicology", "urine": "urine-toxicology"}.get(
            kind, "drug-identification"
        )
        provider, lab, analyst = self.provider(force, test)
        taken_day = taken.astimezone(ZONE).date()
        sent = self.after(taken_day, 1, 10)
        received = self.after(sent, 1, 3)
        tested = self.after(received, 5, 45 if kind != "drug-exhibit" else 90)
        reported = self.after(tested, 1, 10)
        return _Sample(
            reference, kind, test, provider, lab, analyst, taken, sent, received, tested,
            reported, [],
        )  # fmt: skip


def _affected(sample: _Sample, params: ForensicParams) -> bool:
    return (
        sample.provider == INCIDENT_PROVIDER
        and sample.laboratory == INCIDENT_LABORATORY
        and sample.analyst in INCIDENT_ANALYSTS
        and sample.test in INCIDENT_TESTS
        and sample.tested is not None
        and params.window_from <= sample.tested <= params.window_to
    )


def generate(params: ForensicParams | None = None, seed: int = DEFAULT_SEED) -> SyntheticForensics:
    """The casework of :data:`FORCES` under ``params``, drawn from ``seed`` (pure)."""
    params = params or ForensicParams()
    gen = _Gen(params, seed)
    rng = gen.rng
    out = SyntheticForensics(params, seed, {}, {}, {}, {})
    affected: dict[str, Any] = {}
    planted: dict[str, list[str]] = {"seal_mismatches": [], "custody_gaps": [], "amendments": []}
    none_left = 0
    for force in FORCES:
        code = _FORCE_CODE[force]
        cases: list[dict[str, str]] = []
        lims: list[dict[str, str]] = []
        custody: list[dict[str, str]] = []
        counts: dict[str, Any] = {"cases": 0, "samples": 0, "by_cj_status": {}}
        base = params.cases_per_year.get(force, 0)
        for year in range(params.years[0], params.years[1] + 1):
            growth = params.s5a_growth if year >= S5A_FROM.year else 1.0
            n = max(0, round(base * growth * rng.uniform(0.85, 1.15)))
            for number in range(1, n + 1):
                taken = gen.taken_at(year)
                if taken is None:
                    continue
                reference = f"SYNTHETIC-{code}-{year}-{number:05d}"
                case, samples = _case(gen, force, reference, taken)
                cases.append(case)
                hit = [s for s in samples if _affected(s, params)]
                if hit:
                    status = _canonical(CJ_LABELS, case["CJ Status"])
                    split = counts["by_cj_status"].setdefault(status, {"cases": 0, "samples": 0})
                    counts["cases"] += 1
                    counts["samples"] += len(hit)
                    split["cases"] += 1
                    split["samples"] += len(hit)
                for sample in samples:
                    rows, amended, left = _lims_rows(gen, sample, force, reference)
                    lims.extend(rows)
                    none_left += 0 if left else 1
                    if amended:
                        planted["amendments"].append(sample.reference)
                    events, mismatch, gap = _custody_rows(gen, sample, force, case["OIC"])
                    custody.extend(events)
                    if mismatch:
                        planted["seal_mismatches"].append(sample.reference)
                    if gap:
                        planted["custody_gaps"].append(sample.reference)
        out.cases[force], out.lims[force], out.custody[force] = cases, lims, custody
        counts["by_cj_status"] = dict(sorted(counts["by_cj_status"].items()))
        affected[force] = counts
    total: dict[str, Any] = {"cases": 0, "samples": 0, "by_cj_status": {}}
    for counts in affected.values():
        total["cases"] += counts["cases"]
        total["samples"] += counts["samples"]
        for status, split in counts["by_cj_status"].items():
            into = total["by_cj_status"].setdefault(status, {"cases": 0, "samples": 0})
            into["cases"] += split["cases"]
            into["samples"] += split["samples"]
    total["by_cj_status"] = dict(sorted(total["by_cj_status"].items()))
    out.truth = {
        "synthetic": True,
        "generator_version": GENERATOR_VERSION,
        "seed": seed,
        "params": params.to_dict(),
        "incident": {
            "name": "SYNTHETIC: Northgate Toxicology quality-control data manipulation",
            "provider": INCIDENT_PROVIDER,
            "laboratory": INCIDENT_LABORATORY,
            "tests": list(INCIDENT_TESTS),
            "analysts": list(INCIDENT_ANALYSTS),
            "window_from": params.window_from.isoformat(),
            "window_to": params.window_to.isoformat(),
            "window_applies_to": "tested_on",
        },
        "affected": {**affected, "total": total},
        "planted": {**planted, "no_sample_left": none_left},
        "rows": {
            force: {
                "cases": len(out.cases[force]),
                "lims": len(out.lims[force]),
                "custody": len(out.custody[force]),
            }
            for force in FORCES
        },
    }
    return out


def _canonical(labels: Mapping[str, str], text: str) -> str:
    return next(k for k, v in labels.items() if v == text)


def _case(
    gen: _Gen, force: str, reference: str, taken: datetime
) -> tuple[dict[str, str], list[_Sample]]:
    rng, p = gen.rng, gen.p
    day = taken.astimezone(ZONE).date()
    samples: list[_Sample] = []
    if rng.random() < p.drug_exhibit_share:
        offence = "92A" if rng.random() < 0.45 else "92E"
        sample = gen.sample(force, f"{reference}-X1", "drug-exhibit", taken)
        sample.results = [("cocaine", rng.uniform(8, 85))]
        samples.append(sample)
    else:
        offence = "RTA5A" if day >= S5A_FROM else "RTA4"
        profile = rng.choices([pr for _, pr in PROFILES], weights=[w for w, _ in PROFILES])[0]
        first = gen.sample(force, f"{reference}-X1", "blood", taken)
        first.results = gen.values(profile)
        samples.append(first)
        if rng.random() < p.second_sample_share:
            later = taken + timedelta(minutes=rng.randint(30, 90))
            second = gen.sample(force, f"{reference}-X2", "blood", later)
            if rng.random() < 0.85:  # usually sent and tested with the first
                second.provider, second.laboratory = first.provider, first.laboratory
                second.analyst, second.sent, second.received = (
                    first.analyst,
                    first.sent,
                    first.received,
                )
                second.tested, second.reported = first.tested, first.reported
            # Drugs clear slowly: the second sample reads a little lower.
            second.results = [(a, v * rng.uniform(0.75, 0.98)) for a, v in first.results]
            samples.append(second)
        if rng.random() < p.urine_share or (offence == "RTA4" and rng.random() < 0.2):
            urine = gen.sample(force, f"{reference}-X{len(samples) + 1}", "urine", taken)
            urine.results = [(a, v * rng.uniform(2, 6)) for a, v in first.results]
            samples.append(urine)
    reported = [s.reported for s in samples if s.reported]
    status, hearing, custody, decided, court = "under-investigation", None, "released", None, None
    crown = offence == "92A"
    if len(reported) == len(samples):
        last = max(d for d in reported if d is not None)
        above = _above_limit(samples, day) if offence == "RTA5A" else rng.random() < 0.8
        if not above:
            decided = gen.after(last, 7, 30)
            status = "discontinued" if decided else "under-investigation"
        else:
            charged = gen.after(last, 14, 90)
            if charged is not None:
                first_hearing = charged + timedelta(days=rng.randint(28, 84))
                court = "crown" if crown else "magistrates"
                if first_hearing > gen.as_of:
                    status, hearing = "charged", first_hearing
                elif rng.random() >= p.not_guilty_share:
                    status, decided = "convicted", first_hearing
                else:
                    trial = first_hearing + timedelta(days=rng.randint(60, 210))
                    if trial > gen.as_of:
                        status, hearing = "awaiting-trial", trial
                    elif rng.random() < p.acquittal_share:
                        status, decided = "acquitted", trial
                    else:
                        status, decided = "convicted", trial
    if status in ("charged", "awaiting-trial"):
        custody = "remanded" if crown and rng.random() < 0.3 else "bailed"
    elif status == "under-investigation":
        custody = rng.choice(("released", "bailed"))
    else:
        custody = "not-applicable"
    row = {
        "Case Ref": reference,
        "Offence Code": offence,
        "Offence": OFFENCES[offence],
        "CJ Status": CJ_LABELS[status],
        "Next Hearing": _d(hearing),
        "Custody Status": CUSTODY_LABELS[custody],
        "Decision Date": _d(decided),
        "Court": COURT_LABELS[court] if court else "",
        "OIC": f"SYNTHETIC PC {rng.randint(1000, 9999)}",
        "Defendant": f"SYNTHETIC subject {reference.removeprefix('SYNTHETIC-')}",
    }
    return row, samples


def _above_limit(samples: list[_Sample], day: date) -> bool:
    for sample in samples:
        if sample.exhibit_type != "blood":
            continue
        for analyte, value in sample.results:
            if analyte == "amphetamine" and day < AMPHETAMINE_FROM:
                continue
            if value > LIMITS[analyte]:
                return True
    return False


def _lims_rows(
    gen: _Gen, sample: _Sample, force: str, case_reference: str
) -> tuple[list[dict[str, str]], bool, bool]:
    """The sample's LIMS rows, whether a result was amended, whether any is left."""
    rng = gen.rng
    unit = "g" if sample.exhibit_type == "drug-exhibit" else "mL"
    left = True
    if sample.tested is None:
        quantity = rng.uniform(8, 10) if unit == "mL" else rng.uniform(1, 30)
    elif rng.random() < gen.p.none_left_share:
        quantity, left = 0.0, False
    else:
        quantity = rng.uniform(0.5, 4.5) if unit == "mL" else rng.uniform(0.2, 25)
    if not left:
        storage = "none remaining (consumed in testing)"
    elif sample.tested is not None and rng.random() < 0.4:
        storage = f"{sample.laboratory} sample store"
    else:
        storage = f"SYNTHETIC {force.title()} forensic store, freezer F{rng.randint(1, 6)}"
    common = {
        "Exhibit Ref": sample.reference,
        "Case Ref": case_reference,
        "Sample Type": TYPE_LABELS[sample.exhibit_type],
        "Test": sample.test,
        "Provider": sample.provider,
        "Laboratory": sample.laboratory,
        "Analyst": sample.analyst if sample.tested else "",
        "Date Taken": _local_text(sample.taken),
        "Date Sent": _d(sample.sent),
        "Date Received": _d(sample.received),
        "Date Tested": _d(sample.tested),
        "Date Reported": _d(sample.reported),
        "Qty Remaining": f"{quantity:.1f}",
        "Qty Unit": unit,
        "Storage": storage,
    }
    blank = {"Analyte": "", "Result": "", "Result Unit": "", "Method": "",
             "Uncertainty (+/-)": "", "Amendment Reason": ""}  # fmt: skip
    if sample.reported is None:
        return [{**common, **blank}], False, left
    rows = []
    amended = False
    for analyte, value in sample.results:
        drug = sample.exhibit_type == "drug-exhibit"
        result = {
            "Analyte": analyte,
            "Result": f"{value:.0f}" if drug else _reported_value(value),
            "Result Unit": "% purity" if drug else "µg/L",
            "Method": "GC-MS" if drug else "LC-MS/MS",
            "Uncertainty (+/-)": f"{value * 0.05:.0f}" if drug else _uncertainty(analyte, value),
            "Amendment Reason": "",
        }
        rows.append({**common, **result})
        if not drug and rng.random() < gen.p.amendment_share:
            corrected = value * rng.uniform(0.9, 1.1)
            rows.append(
                {
                    **common,
                    **result,
                    "Result": _reported_value(corrected),
                    "Uncertainty (+/-)": _uncertainty(analyte, corrected),
                    "Amendment Reason": "SYNTHETIC: transcription error corrected in a "
                    "reissued report",
                }
            )
            amended = True
    return rows, amended, left


def _custody_rows(
    gen: _Gen, sample: _Sample, force: str, officer: str
) -> tuple[list[dict[str, str]], bool, bool]:
    """The exhibit's custody events (up to ``as_of``), a planted seal mismatch, a gap."""
    rng = gen.rng
    store = f"SYNTHETIC {force.title()} forensic store"
    suite = f"SYNTHETIC {force.title()} custody suite {rng.choice('ABC')}"
    seal = gen.seal()
    lab = f"{sample.laboratory}, {sample.provider}"
    events: list[tuple[datetime, str, str, str, str, str]] = []
    t = sample.taken
    events.append((t, "seized", officer, suite, "", "taken by the forensic medical examiner"))
    t += timedelta(minutes=rng.randint(3, 20))
    events.append((t, "sealed", officer, suite, seal, ""))
    t += timedelta(minutes=rng.randint(40, 180))
    events.append((t, "stored", "SYNTHETIC property officer", store, seal, "refrigerated"))
    mismatch = gap = False

    def at(day: date, low: int, high: int) -> datetime:
        return _wall(day, rng.randint(low, high), rng.randrange(60))

    if sample.sent:
        events.append((at(sample.sent, 8, 11), "transferred", COURIER, f"to {lab}", seal, ""))
    if sample.received:
        if rng.random() < gen.p.custody_gap_share:
            gap = True
        else:
            shown = seal
            if rng.random() < gen.p.seal_mismatch_share:
                shown, mismatch = seal[:-1] + str((int(seal[-1]) + 3) % 10), True
            events.append((at(sample.received, 12, 16), "received",
                           f"SYNTHETIC reception, {sample.laboratory}", lab, shown, ""))  # fmt: skip
    if sample.tested:
        opened = at(sample.tested, 8, 11)
        events.append((opened, "opened", sample.analyst, lab, seal, "opened for testing"))
        seal = gen.seal()
        events.append((opened + timedelta(hours=rng.randint(2, 5)), "resealed",
                       sample.analyst, lab, seal, ""))  # fmt: skip
    if sample.reported:
        back = gen.after(sample.reported, 10, 40)
        if back is not None:
            if rng.random() < 0.6:
                events.append((at(back, 9, 12), "transferred", COURIER, f"to {store}", seal, ""))
                events.append((at(back, 13, 16), "returned", "SYNTHETIC property officer",
                               store, seal, ""))  # fmt: skip
            else:
                events.append((at(back, 9, 16), "stored", f"SYNTHETIC store, {sample.laboratory}",
                               f"{lab} sample store", seal, "retained by the laboratory"))  # fmt: skip
    limit = datetime(gen.as_of.year, gen.as_of.month, gen.as_of.day, 23, 0, tzinfo=UTC)
    rows = [
        {
            "Exhibit Ref": sample.reference,
            "Date/Time": _local_text(when),
            "Action": action.title(),
            "Handled By": who,
            "Location": where,
            "Seal No": seal_no,
            "Condition": "Intact",
            "Notes": notes,
        }
        for when, action, who, where, seal_no, notes in events
        if when <= limit
    ]
    return rows, mismatch, gap


# -- writing -------------------------------------------------------------------------


def _toml_string(text: str) -> str:
    return json.dumps(text)  # a JSON string is a TOML basic string


def spec_toml(kind: str, seed: int) -> str:
    """The import spec of one of the three exports (``importspec`` format)."""
    columns = {
        "case-management": _CASE_SPEC_COLUMNS,
        "lims": _LIMS_SPEC_COLUMNS,
        "custody": _CUSTODY_SPEC_COLUMNS,
    }[kind]
    lines = [
        "[spec]",
        f"name = {_toml_string(f'synthetic-forensic-{kind}')}",
        f"description = {_toml_string(f'SYNTHETIC {kind} export from harmwatch synth forensics (seed {seed})')}",
        'delimiter = ","',
        "header = true",
        'encoding = "utf-8"',
        "",
        "[columns]",
        *(f"{k} = {_toml_string(v)}" for k, v in columns.items()),
        "",
    ]
    if kind != "case-management":
        lines += [
            "[time]",
            f"format = {_toml_string(TIME_FORMAT)}",
            'zone = "Europe/London"',
            'ambiguous = "earlier"',
            'nonexistent = "shift-forward"',
            "",
        ]

    def choices(table: str, labels: Mapping[str, str], extra: Mapping[str, list[str]]) -> None:
        lines.append(f"[{table}]")
        for key, label in labels.items():
            values = [label, *extra.get(key, [])]
            lines.append(f"{_toml_string(key)} = [{', '.join(_toml_string(v) for v in values)}]")
        lines.append("")

    if kind == "case-management":
        choices("cj_status", CJ_LABELS, {"discontinued": ["NFA"]})
        choices("custody_status", CUSTODY_LABELS, {"released": ["RUI", "Released"]})
        choices("court", COURT_LABELS, {})
    elif kind == "lims":
        choices("exhibit_type", TYPE_LABELS, {"drug-exhibit": ["Drug", "Powder", "Tablet"]})
    else:
        choices("action", {a: a.title() for a in _ACTIONS}, {})
        choices(
            "condition", {c: c.title() for c in ("intact", "damaged", "leaking", "seal-broken")}, {}
        )
    lines += ["[options]", f"date_format = {_toml_string(DATE_FORMAT)}", "synthetic = true"]
    if kind == "lims":
        lines += ["fictional = true", ""]
        for name in PROVIDERS:
            lines += [
                f"[options.providers.{_toml_string(name)}]",
                'accreditation_body = "UKAS (SYNTHETIC entry)"',
                f"accreditation_number = {_toml_string('SYNTHETIC-' + name[:3].upper())}",
                'accreditation_scope = "ISO/IEC 17025: toxicology of blood and urine (LC-MS/MS); '
                'identification and purity of controlled drugs (GC-MS)"',
                "accredited_from = 2008-04-01",
                "",
            ]
    lines.append("")
    return "\n".join(lines)


_ACTIONS = (
    "seized", "sealed", "transferred", "received", "opened", "resealed", "stored", "returned",
    "destroyed",
)  # fmt: skip


@dataclass(frozen=True)
class ExportFiles:
    """The paths :func:`write_export` wrote; ``exports[force][kind]`` is a CSV (or .csv.gz)."""

    exports: dict[str, dict[str, Path]]
    specs: dict[str, Path]
    truth: Path
    readme: Path


def _csv_bytes(columns: tuple[str, ...], rows: list[dict[str, str]]) -> bytes:
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return text.getvalue().encode("utf-8")


def write_export(data: SyntheticForensics, out_dir: Path | str, *, gz: bool = False) -> ExportFiles:
    """Write per force ``SYNTHETIC-<force>-<kind>.csv`` (``.csv.gz`` with ``gz``; gzip with
    no timestamp, so the same seed writes the same bytes), the three specs
    ``SYNTHETIC-<kind>.spec.toml``, ``truth.json`` and ``README.txt`` into ``out_dir``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    exports: dict[str, dict[str, Path]] = {}
    layouts = (
        ("case-management", CASE_COLUMNS, data.cases),
        ("lims", LIMS_COLUMNS, data.lims),
        ("custody", CUSTODY_COLUMNS, data.custody),
    )
    for force in FORCES:
        exports[force] = {}
        for kind, columns, rows in layouts:
            body = _csv_bytes(columns, rows[force])
            path = out / f"SYNTHETIC-{force}-{kind}.csv{'.gz' if gz else ''}"
            if gz:
                path.write_bytes(gzip.compress(body, mtime=0))
            else:
                path.write_bytes(body)
            exports[force][kind] = path
    specs = {}
    for kind, _, _ in layouts:
        specs[kind] = out / f"SYNTHETIC-{kind}.spec.toml"
        specs[kind].write_text(spec_toml(kind, data.seed), encoding="utf-8")
    truth = out / "truth.json"
    truth.write_text(json.dumps(data.truth, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    readme = out / "README.txt"
    readme.write_text(_readme(data, exports, specs), encoding="utf-8")
    return ExportFiles(exports, specs, truth, readme)


def _readme(
    data: SyntheticForensics, exports: dict[str, dict[str, Path]], specs: dict[str, Path]
) -> str:
    truth = data.truth
    incident = truth["incident"]
    lines = [
        "SYNTHETIC DATA — NOT REAL FORENSIC CASEWORK",
        "",
        "Made-up toxicology casework of three forces, generated by harmwatch (synth",
        "forensics). Every case, exhibit, person, provider, laboratory and courier is",
        "invented: references start SYNTHETIC-, people are 'SYNTHETIC ...', organisations",
        "are marked (FICTIONAL). The rates are plausible illustrations, not fitted to any",
        "force's data.",
        "",
        f"generator version: {GENERATOR_VERSION}",
        f"seed: {data.seed}",
        f"years: {data.params.years[0]}-{data.params.years[1]}; review date (as_of): "
        f"{data.params.review_date.isoformat()}",
        "",
        "files (import each force's three in this order, as a user of that force):",
    ]
    for force, paths in exports.items():
        lines.append(f"  {force}:")
        for kind, path in paths.items():
            lines.append(f"    {path.name}  ({kind}; spec {specs[kind].name})")
    lines += [
        "  truth.json  the incident, its affected counts, planted anomalies",
        "",
        f"  e.g. harmwatch forensic import {exports[FORCES[0]]['case-management'].name} "
        f"--kind case-management --spec {specs['case-management'].name} --as USER",
        "",
        "the incident:",
        f"  {incident['name']}",
        f"  provider {incident['provider']}, laboratory {incident['laboratory']}",
        f"  tests {', '.join(incident['tests'])}; analysts {', '.join(incident['analysts'])}",
        f"  samples TESTED from {incident['window_from']} to {incident['window_to']}",
        "",
        "affected (counted by the generator: a case with two affected samples is one case):",
    ]
    for force in (*FORCES, "total"):
        counts = truth["affected"][force]
        lines.append(f"  {force}: {counts['cases']} cases, {counts['samples']} samples")
    planted = truth["planted"]
    lines += [
        "",
        "planted anomalies (exhibit references in truth.json):",
        f"  seal mismatches at receipt: {len(planted['seal_mismatches'])}",
        f"  custody gaps (no received event): {len(planted['custody_gaps'])}",
        f"  amended results (a second version with a reason): {len(planted['amendments'])}",
        f"  samples with nothing left: {planted['no_sample_left']}",
        "",
        "parameters:",
        *(f"  {k} = {json.dumps(v, ensure_ascii=False)}" for k, v in data.params.to_dict().items()),
        "",
    ]
    return "\n".join(lines)
