"""How long each kind of covert authorisation lasts, and the day it ceases.

The periods are kept as a dated, sourced table (``data/authorisation_periods.csv``:
kind, period and its unit, statute and section, the renewal period and where it
begins, the urgent-oral period where one applies, the source's title and the day the
table was checked against it), so a change in the law is one edited row, not code:

- directed and intrusive surveillance: 3 months (RIPA 2000 s.43(3)(c));
- a covert human intelligence source (CHIS): 12 months (RIPA s.43(3)(b));
- a juvenile CHIS: 4 months (the RIPA (Juveniles) Order 2000 as amended by
  SI 2018/715, which lengthened it from one month);
- property interference: 3 months (Police Act 1997 s.95);
- communications data: 1 month (Investigatory Powers Act 2016 s.65; communications
  data has been authorised under the IPA 2016 Part 3, not RIPA, since 2019);
- an urgent oral authorisation (or renewal): 72 hours from the time it took effect
  (RIPA s.43(3)(a); Police Act 1997 s.95(2)(a)); none for communications data here.

The citations are this project's reading: **a force's legal services should confirm
them** (and the table's ``checked_on``) before relying on an expiry.

**The period rule.** A period of N months "beginning with" day D includes D. By the
corresponding-date rule (*Dodds v Walker* [1981] 1 WLR 1441, HL: a period of months
ends on the day of the later month that bears the same number, or, where that month
has no such day, on its last day) the period runs up to the corresponding date of D,
N months on, and — because D itself counts — ends at the end of the day *before* it;
where the later month has no corresponding date (D is the 29th–31st), the period ends
at the end of that month's last day. "The end" is 23:59:59 Europe/London local time
(GMT or BST, whichever is in force then). So: granted 1 April, ceases 30 June; granted
1 January, 31 March; granted 1 March, 31 May; granted 30 November 2025 for 3 months,
there is no 30 February 2026, so it ceases at the end of 28 February 2026 (29 February
in 2028). The Home Office codes' worked example (an authorisation granted on 1 April
ceases at 23:59 on 30 June) and councils' published policies ("an authorisation
starting 1 January would come to an end on 31 March") agree with it.

**Renewal.** RIPA s.43(4) and Police Act 1997 s.95(3): a renewal is granted while the
authorisation is in force and the renewed period begins with the day on which it would
have ceased but for the renewal. This module implements that literally: the renewal
takes effect on the ceasing day itself (``with-ceasing-day``), so a 3-month renewal of
one ceasing 30 June begins with 30 June and ends 29 September. For communications data
the IPA 2016 s.65(3) says the renewed month does not begin until the end of the current
one (``after-period-ends``): it begins with the day after. A renewal granted orally in
an urgent case lasts 72 hours from the time it takes effect (the instant the current
period would have ended).
"""

from __future__ import annotations

import calendar
import csv
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cache
from importlib import resources
from typing import Literal
from zoneinfo import ZoneInfo

from harmwatch.errors import InputError

LONDON = ZoneInfo("Europe/London")
UTC = ZoneInfo("UTC")
#: The last moment of a day on which an authorisation ceases (local time).
END_OF_DAY = time(23, 59, 59)

RenewalBegins = Literal["with-ceasing-day", "after-period-ends"]


@dataclass(frozen=True)
class Period:
    """One row of the periods table."""

    kind: str
    title: str
    months: int
    statute: str
    section: str
    renewal_months: int
    renewal_begins: RenewalBegins
    renewal_section: str
    urgent_oral_hours: int | None
    urgent_oral_section: str | None
    source_title: str
    checked_on: date

    @property
    def citation(self) -> str:
        return f"{self.statute} {self.section}"

    @property
    def urgent_citation(self) -> str | None:
        """The urgent-oral period's source, with its statute when the table gives a section."""
        section = self.urgent_oral_section
        if section is None:
            return None
        return f"{self.statute} {section}" if section.startswith(("s.", "art.")) else section

    def described(self, *, urgent_oral: bool = False) -> str:
        if urgent_oral and self.urgent_oral_hours:
            return f"{self.urgent_oral_hours} hours from the time it took effect ({self.urgent_citation})"
        unit = "month" if self.months == 1 else "months"
        return f"{self.months} {unit} beginning with the day it took effect ({self.citation})"


def _row(raw: dict[str, str], line: int) -> Period:
    try:
        if raw["unit"] != "months" or raw["renewal_unit"] != "months":
            raise ValueError("periods are kept in months")
        begins = raw["renewal_begins"]
        if begins not in ("with-ceasing-day", "after-period-ends"):
            raise ValueError(f"renewal_begins {begins!r}")
        hours = raw["urgent_oral_hours"].strip()
        return Period(
            kind=raw["kind"],
            title=raw["title"],
            months=int(raw["period"]),
            statute=raw["statute"],
            section=raw["section"],
            renewal_months=int(raw["renewal_period"]),
            renewal_begins=begins,  # type: ignore[arg-type]
            renewal_section=raw["renewal_section"],
            urgent_oral_hours=int(hours) if hours else None,
            urgent_oral_section=raw["urgent_oral_section"].strip() or None,
            source_title=raw["source_title"],
            checked_on=date.fromisoformat(raw["checked_on"]),
        )
    except (KeyError, ValueError) as exc:
        # The bundled table is part of the program: a bad row is a defect, said plainly.
        raise RuntimeError(f"covert/data/authorisation_periods.csv line {line}: {exc}") from exc


@cache
def periods() -> dict[str, Period]:
    """The bundled table, by kind, in the table's order."""
    text = resources.files("harmwatch.covert").joinpath("data/authorisation_periods.csv")
    rows = csv.DictReader(text.read_text(encoding="utf-8").splitlines())
    return {p.kind: p for p in (_row(r, n) for n, r in enumerate(rows, start=2))}


def kinds() -> tuple[str, ...]:
    return tuple(periods())


def period_for(kind: str) -> Period:
    try:
        return periods()[kind]
    except KeyError:
        raise InputError(
            f"authorisation_kind: {kind!r} is not one of {', '.join(periods())}"
        ) from None


def last_day(begins_with: date, months: int) -> date:
    """The last day of a period of ``months`` months beginning with ``begins_with``.

    The day before the corresponding date ``months`` on; where that month has no
    corresponding date, its last day (see the module docstring).
    """
    index = begins_with.month - 1 + months
    year, month = begins_with.year + index // 12, index % 12 + 1
    days_in_month = calendar.monthrange(year, month)[1]
    if begins_with.day > days_in_month:
        return date(year, month, days_in_month)
    return date(year, month, begins_with.day) - timedelta(days=1)


def end_of(day: date) -> datetime:
    """23:59:59 Europe/London on ``day``, in UTC."""
    return datetime.combine(day, END_OF_DAY, tzinfo=LONDON).astimezone(UTC)


def local_date(instant: datetime) -> date:
    """The Europe/London calendar date of an aware instant."""
    if instant.tzinfo is None:
        raise ValueError("an instant must be timezone-aware")
    return instant.astimezone(LONDON).date()


def local_instant(day: date, at: time) -> datetime:
    """A Europe/London wall-clock time on ``day``, in UTC (a time the clocks skip moves on)."""
    local = datetime.combine(day, at, tzinfo=LONDON)
    # Round trip through UTC so a time inside the spring gap (01:30 on the last Sunday
    # of March) becomes the instant the clocks actually showed it.
    return local.astimezone(UTC)


def expiry(kind: str, granted_at: datetime, *, urgent_oral: bool) -> datetime:
    """When an authorisation of ``kind`` that took effect at ``granted_at`` ceases (UTC)."""
    period = period_for(kind)
    if urgent_oral:
        if period.urgent_oral_hours is None:
            raise InputError(f"urgent_oral: a {period.title} authorisation is not granted orally")
        return granted_at.astimezone(UTC) + timedelta(hours=period.urgent_oral_hours)
    return end_of(last_day(local_date(granted_at), period.months))


@dataclass(frozen=True)
class Renewed:
    """A renewal's period: the day it begins with, and when it ceases."""

    begins_on: date
    takes_effect_at: datetime
    expires_at: datetime


def renewal(kind: str, current_expiry: datetime, *, urgent_oral: bool) -> Renewed:
    """The period of a renewal of an authorisation that would cease at ``current_expiry``."""
    period = period_for(kind)
    ceasing_day = local_date(current_expiry)
    if urgent_oral:
        if period.urgent_oral_hours is None:
            raise InputError(f"urgent_oral: a {period.title} authorisation is not renewed orally")
        return Renewed(
            ceasing_day,
            current_expiry,
            current_expiry.astimezone(UTC) + timedelta(hours=period.urgent_oral_hours),
        )
    if period.renewal_begins == "after-period-ends":
        begins = ceasing_day + timedelta(days=1)
        takes_effect = datetime.combine(begins, time(0), tzinfo=LONDON).astimezone(UTC)
    else:
        begins, takes_effect = ceasing_day, current_expiry
    return Renewed(begins, takes_effect, end_of(last_day(begins, period.renewal_months)))
