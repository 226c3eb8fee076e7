"""The county-lines scenario's parameters: what each means, its default, and where it comes from.

Every behaviour the generator models follows a public description of county lines:

- National Crime Agency, *County Lines Gang Violence, Exploitation & Drug Supply 2016*
  and *County Lines Violence, Exploitation & Drug Supply 2017* (National Briefing
  Reports), and *County Lines Drug Supply, Vulnerability and Harm 2018* (2019): a deal
  line is a dedicated mobile number held in the market town and controlled from an urban
  hub (London most often); runners, often children, travel from the hub and stay for
  days; lines advertise by bulk marketing texts; lines change numbers and handsets and
  keep their customers; dealers take over the homes of vulnerable people ("cuckooing").
- Home Office, *Criminal exploitation of children and vulnerable adults: county lines*
  guidance (2018, updated 2023): networks exporting drugs "using dedicated mobile phone
  lines or other form of 'deal line'"; children and vulnerable adults exploited to move
  and store drugs; cuckooing of a vulnerable person's home as a base.
- Home Office, *Serious Violence Strategy* (2018) and the Home Office County Lines
  Programme's descriptions: the line as a brand whose customer base outlives a change
  of number, and the line holder (runner) / controller division of roles.

None of those gives distributions (call lengths, ordering frequencies, cell counts). Every
number below is therefore a **modelling choice**, chosen to be plausible and to make a
detector's job hard; where a default is a modelling choice it says so. Nothing here is a
statistic about real county lines.
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Mapping
from datetime import date
from typing import Any

from harmwatch.errors import InputError


@dataclasses.dataclass(frozen=True)
class ScenarioParams:
    """One scenario's settings. Defaults give a ~250k-row, 42-day, 2,000-person town.

    Change one with :meth:`with_overrides` (``{"lines": "8"}``); the constructor checks
    every value and raises :class:`~harmwatch.errors.InputError` naming the field.
    """

    #: First day (UK local) of the period. Default: 42 days from Monday 5 October 2026, so the
    #: period holds the end of British Summer Time (Sunday 25 October 2026, 02:00 BST → 01:00 GMT).
    start_date: date = date(2026, 10, 5)
    #: Days in the period.
    days: int = 42
    #: Ordinary people (town residents and a small share living in the hub city).
    population: int = 2000
    #: Share of the population living in the hub city (relatives and friends of town people),
    #: so that a contact in London is not by itself a controller's sign. Modelling choice.
    hub_resident_share: float = 0.03
    #: Mean rows per ordinary person per day from their social circle (calls, texts, replies).
    #: Modelling choice (Ofcom's *Communications Market Report* gives national volumes, not
    #: per-person distributions).
    events_per_person_day: float = 2.5
    #: Share of ordinary people with a second number (a work phone). Modelling choice.
    two_number_share: float = 0.05
    #: Ordinary people who change number in the period and text "new number" to their
    #: whole contact book: the everyday look-alike of a deal line's number change.
    number_changers: int = 6
    #: Share of town residents who buy drugs from the lines (customers). Modelling choice.
    user_share: float = 0.05
    #: Fewest and most orders a week per customer. Modelling choice.
    orders_per_week_min: float = 1.0
    orders_per_week_max: float = 6.0
    #: County lines supplying the town at the start (a re-brand adds one line).
    lines: int = 5
    #: Shares of lines marketing by "flare" (bulk texts to the customer book within minutes,
    #: several times a week) and by "drip" (a few texts a day to a few customers); the rest
    #: market by word of mouth (no marketing texts). NCA assessments describe bulk marketing
    #: texts; the split is a modelling choice, made so that most lines do not flare.
    flare_share: float = 0.4
    drip_share: float = 0.3
    #: Lines that change number in the period (broadcast from the new number to the book).
    line_number_changes: int = 1
    #: Lines that swap handset in the period (same number, new IMEI).
    handset_swaps: int = 1
    #: Lines that close and re-brand: a new number, handset and possibly controller take
    #: over the customer base after a gap, with a broadcast to the old customers.
    rebrands: int = 1
    #: Fewest and most days between a closed line's last event and its successor's broadcast.
    rebrand_gap_min_days: int = 1
    rebrand_gap_max_days: int = 7
    #: Cuckooing cases: a customer's home becomes a line's base for several days.
    cuckooing: int = 2
    #: Fewest and most days a cuckooing lasts. Modelling choice.
    cuckoo_min_days: int = 3
    cuckoo_max_days: int = 8
    #: Share of runners under 18 on their shift dates. NCA and Home Office describe children
    #: as commonly exploited as runners; the share is a modelling choice.
    runner_minor_share: float = 0.5
    #: Look-alike businesses and services (none of them is a deal line).
    taxis: int = 3
    takeaways: int = 3
    schools: int = 2
    surgeries: int = 2
    couriers: int = 3
    #: Cells in the market town (a grid around Stevenage) and in the hub city (around the City
    #: of London). The cell ids and coordinates are SYNTHETIC, not real masts.
    town_cells: int = 64
    hub_cells: int = 15
    town_lat: float = 51.9017
    town_lon: float = -0.2019
    hub_lat: float = 51.5142
    hub_lon: float = -0.0931

    def __post_init__(self) -> None:
        def need(ok: bool, name: str, reason: str) -> None:
            if not ok:
                raise InputError(f"scenario parameter {name}: {reason}")

        need(self.days >= 14, "days", f"must be at least 14, got {self.days}")
        need(self.population >= 200, "population", f"must be at least 200, got {self.population}")
        for name in (
            "hub_resident_share",
            "two_number_share",
            "user_share",
            "flare_share",
            "drip_share",
            "runner_minor_share",
        ):
            value = getattr(self, name)
            need(0.0 <= value <= 1.0, name, f"must be between 0 and 1, got {value}")
        need(
            self.flare_share + self.drip_share <= 1.0 + 1e-9,
            "flare_share",
            "flare_share + drip_share must be at most 1 (the rest are word-of-mouth lines)",
        )
        need(self.events_per_person_day > 0, "events_per_person_day", "must be positive")
        need(
            0 < self.orders_per_week_min <= self.orders_per_week_max,
            "orders_per_week_min",
            "must be positive and at most orders_per_week_max",
        )
        need(self.lines >= 1, "lines", f"must be at least 1, got {self.lines}")
        for name in (
            "number_changers",
            "line_number_changes",
            "handset_swaps",
            "rebrands",
            "cuckooing",
            "taxis",
            "takeaways",
            "schools",
            "surgeries",
            "couriers",
        ):
            value = getattr(self, name)
            need(value >= 0, name, f"must not be negative, got {value}")
        need(
            self.line_number_changes + self.handset_swaps + self.rebrands <= self.lines,
            "lines",
            "line_number_changes + handset_swaps + rebrands must not exceed lines "
            "(each continuity event goes to a different line)",
        )
        need(self.cuckooing <= self.lines * 2, "cuckooing", "at most two cases per line")
        need(
            1 <= self.rebrand_gap_min_days <= self.rebrand_gap_max_days <= 14,
            "rebrand_gap_min_days",
            "need 1 <= rebrand_gap_min_days <= rebrand_gap_max_days <= 14",
        )
        need(
            1 <= self.cuckoo_min_days <= self.cuckoo_max_days <= self.days // 2,
            "cuckoo_min_days",
            "need 1 <= cuckoo_min_days <= cuckoo_max_days <= days / 2",
        )
        need(self.town_cells >= 16, "town_cells", "must be at least 16")
        need(self.hub_cells >= 4, "hub_cells", "must be at least 4")
        need(self.schools <= 4, "schools", "at most 4 (one alphanumeric sender name each)")
        need(self.surgeries <= 4, "surgeries", "at most 4 (one sender each)")
        need(self.takeaways <= 6, "takeaways", "at most 6 (one sender name each)")

    def to_dict(self) -> dict[str, Any]:
        """The parameters as JSON-ready values (dates as ISO 8601)."""
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            out[f.name] = value.isoformat() if isinstance(value, date) else value
        return out

    @classmethod
    def with_overrides(
        cls, overrides: Mapping[str, str], base: ScenarioParams | None = None
    ) -> ScenarioParams:
        """``base`` (the defaults when None) with ``name=value`` strings applied.

        Each name must be a field; each value must parse as the field's type (``int``,
        ``float``, or an ISO date ``2026-10-05``). Raises :class:`InputError` naming the
        parameter and why.
        """
        hints = typing.get_type_hints(cls)
        known = {f.name for f in dataclasses.fields(cls)}
        changes: dict[str, Any] = {}
        for name, text in overrides.items():
            if name not in known:
                raise InputError(
                    f"scenario parameter {name}: unknown; known: {', '.join(sorted(known))}"
                )
            kind = hints[name]
            raw = text.strip()
            try:
                if kind is int:
                    changes[name] = int(raw)
                elif kind is float:
                    changes[name] = float(raw)
                elif kind is date:
                    changes[name] = date.fromisoformat(raw)
                else:  # pragma: no cover - every field is one of the three
                    raise TypeError(kind)
            except ValueError:
                expected = {int: "an integer", float: "a number", date: "a date YYYY-MM-DD"}
                raise InputError(
                    f"scenario parameter {name}: expected {expected[kind]}, got {text!r}"
                ) from None
        return dataclasses.replace(base if base is not None else cls(), **changes)
