"""SYNTHETIC call data of a market town with county lines and their look-alikes, with the truth.

Everything generated is made up: numbers come from 07700 900000–999999 (Ofcom's drama
range 07700 900000–900999 and, above it, a block libphonenumber's metadata shows
unallocated) and business landlines from Ofcom's drama range 01632 960000–960999; cell
ids and coordinates are a grid laid over a Hertfordshire-like town and the City of
London, not real masts; IMEIs are random with a valid Luhn check digit.

Behaviours and the public descriptions they follow (titles in :mod:`.params`; every
distribution is a modelling choice, since none of those sources gives one):

Ordinary people
    Home and day cells (weekday 09–17 at the day cell), a social circle of 3–60 contacts
    (log-normal, half the ties inside a group of ~20 neighbours so circles cluster, the
    rest preferential so a few people know many), calls of 30 s–20 min (log-normal,
    15 % short "I'm outside" calls) and texts mostly 07:00–23:00, texts often answered.
    Some own a second number; some live in the hub city (so a London contact is normal).
    Number changers text "new number" from the new number to a contact book of 30–150
    within an hour, mostly from the same handset; the old number goes silent.
Customers (NCA threat assessments: customers order by call or text to the line)
    Buy from one or two lines, 1–6 orders a week, mostly 11:00–02:00, by text or a call
    under 40 s; the line often answers within minutes, and a runner carrying the line
    handset contacts the customer again 15–60 min later from a cell by the customer's
    home (the delivery). Customers of a line are drawn at random, so they rarely know
    each other.
County lines (NCA; Home Office county lines guidance 2018/2023)
    A deal-line number on a dedicated handset; 1–2 controllers in the hub city in frequent
    contact with the line and its runners, with few town contacts; 1–3 runners (a share
    under 18) whose personal phones sit in the line handset's cell during shifts of
    hours to days and are in the hub city between shifts. Marketing: "flare" (bulk texts
    to the customer book within minutes, several times a week), "drip" (a few texts a
    day), or word of mouth (none). Continuity: a number change (broadcast from the new
    number to the book; customers move over within hours, some texting the old number
    unanswered meanwhile), a handset swap (same number, new IMEI), a re-brand (the line
    closes; after 1–7 days a new number, handset and possibly controller take over the
    book with a broadcast). Cuckooing: a vulnerable customer's home cell is the line's
    base for days (handset and runner there) and that customer stops ordering.
Look-alikes (none is a deal line)
    Taxi firms (fixed cell, many repeat callers, 20–90 s calls, evening and weekend
    peaks, call-backs from "outside"); takeaways (fixed cell, 17–23 order calls of 1–3
    min, weekly promotion texts to hundreds, from the mobile or an alphanumeric sender);
    schools and surgeries (alphanumeric senders or short codes, weekday bulk reminders);
    couriers (a moving mobile texting or calling many distinct numbers once each, one
    also sending a morning batch); ordinary number changers.

A detector that flags bulk texts alone misses drip and word-of-mouth lines and flags
takeaways, schools, surgeries, a courier and number changers; deal lines differ in the
combination: repeat customers across days, night activity, tiny talk time, a moving
handset with a co-located personal phone, a frequent contact in the hub city.

All randomness comes from one ``numpy.random.default_rng(seed)``: the same seed and
parameters give the same scenario, and :func:`.files.write_scenario` the same bytes.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt
import pandas as pd

from harmwatch.errors import InputError

from .params import ScenarioParams

#: The generator's version; a change to what any seed generates must change it.
GENERATOR_VERSION = "county-lines-1"

IntArray = npt.NDArray[np.int64]
DAY = 86_400
HOUR = 3_600
#: Spacing of (line or person, time) keys in the sorted lookup tables.
_BIG = 10**11
_NEVER = np.int64(2**62)
_LONDON = ZoneInfo("Europe/London")

# Local-hour weights (00..23). Modelling choices shaped to the descriptions above.
_ORDINARY_HOURS = np.array(
    [0.3, 0.15, 0.08, 0.05, 0.05, 0.1, 0.4, 1.2, 2.2, 2.5, 2.6, 2.7,
     3.0, 2.8, 2.7, 2.8, 3.0, 3.3, 3.6, 3.8, 3.7, 3.2, 2.2, 1.0]
)  # fmt: skip
_ORDER_HOURS = np.array(
    [2.0, 1.5, 1.0, 0.4, 0.2, 0.1, 0.1, 0.2, 0.4, 0.7, 1.2, 2.0,
     2.5, 2.6, 2.7, 2.8, 3.0, 3.2, 3.4, 3.5, 3.6, 3.5, 3.2, 2.6]
)  # fmt: skip
_LINE_HOURS = np.array(
    [2.0, 1.8, 1.5, 1.0, 0.7, 0.5, 0.5, 0.6, 0.8, 1.0, 1.2, 1.5,
     1.6, 1.6, 1.6, 1.7, 1.8, 2.0, 2.2, 2.3, 2.4, 2.4, 2.3, 2.1]
)  # fmt: skip
_TAXI_HOURS = np.array(
    [2.5, 2.0, 1.2, 0.6, 0.4, 0.5, 0.9, 1.4, 1.2, 1.0, 1.0, 1.1,
     1.2, 1.1, 1.1, 1.3, 1.6, 2.0, 2.4, 2.6, 2.8, 3.0, 3.2, 3.0]
)  # fmt: skip

_TAKEAWAY_SENDERS = (
    "PizzaTown",
    "KebabKing",
    "CurryHouse",
    "WokExpress",
    "ChipShopUK",
    "BurgerBar",
)
_SCHOOL_SENDERS = ("HertsSchool", "OakfieldAc", "StMarysPri", "RiversideHS")
_SURGERY_SENDERS = ("ElmSurgery", "84050", "BirchMedic", "60060")

_FIRST = ("Alex", "Sam", "Jordan", "Casey", "Robin", "Jamie", "Charlie", "Frankie", "Riley",
          "Morgan", "Toby", "Ellis", "Kit", "Rowan", "Sasha", "Drew")  # fmt: skip
_LAST = ("Fictional", "Madeup", "Placeholder", "Examplesson", "Notreal", "Synthetica",
         "Testcase", "Mockford", "Dummyton", "Pretendley", "Fakeham", "Inventwood")  # fmt: skip


@dataclasses.dataclass(frozen=True)
class Scenario:
    """A generated scenario, in memory.

    ``events`` has one row per event, sorted by ``started_utc``: ``a_party``, ``b_party``
    (party keys as the analytics store holds them: E.164 ``+447700…``, ``alpha:NAME``,
    ``short:84050``), ``started_utc`` (naive UTC, seconds), ``duration_s``, ``event``
    (``call`` | ``sms``), ``imei`` (14-digit key; missing for landlines and senders),
    ``cell_id``, ``cell_lat``, ``cell_lon`` (the originator's cell). The ``*_written``
    tables and ``*_form`` columns say how each value is written in the operator file.
    """

    params: ScenarioParams
    seed: int
    events: pd.DataFrame
    truth: dict[str, Any]
    people: list[dict[str, str]]
    #: Per party, its four written forms (national, 44…, +44…, spaced; senders as named).
    party_written: npt.NDArray[np.str_]
    #: Per handset, its written forms: 15-digit, 14-digit, 16-digit IMEISV.
    handset_written: npt.NDArray[np.str_]
    a_form: npt.NDArray[np.int8]
    b_form: npt.NDArray[np.int8]
    imei_form: npt.NDArray[np.int8]


@dataclasses.dataclass
class _Line:
    line_id: str
    chain: int
    style: str
    start: int
    end: int
    area: int
    numbers: list[tuple[int, int, int]]
    handsets: list[tuple[int, int, int]]
    controllers: list[int]
    runners: list[int]
    continuity: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    cuckoo: list[tuple[int, int, int, int]] = dataclasses.field(default_factory=list)
    number_change: tuple[int, int] | None = None  # (time, old number)


class _World:
    """The parties, handsets, persons and event blocks of one scenario under construction."""

    def __init__(self, params: ScenarioParams, rng: np.random.Generator) -> None:
        self.p = params
        self.rng = rng
        self.end = params.days * DAY
        self.keys: list[str] = []
        self.written: list[tuple[str, str, str, str]] = []
        self._mobiles = rng.permutation(100_000)
        self._mobile_next = 0
        self._landlines = rng.permutation(1_000)
        self._landline_next = 0
        self.n_handsets = 0
        self.blocks: list[dict[str, np.ndarray]] = []
        self.user_first: np.ndarray = np.zeros(0, dtype=np.int64)
        self.user_second: np.ndarray = np.zeros(0, dtype=np.int64)
        self.imei14: list[str] = []
        self._cells()

    # -- identifiers ---------------------------------------------------------------------

    def mobiles(self, n: int) -> IntArray:
        if self._mobile_next + n > len(self._mobiles):
            raise InputError(
                "scenario parameter population: the synthetic range 07700 900000–999999 "
                "has too few numbers for this many people"
            )
        subs = self._mobiles[self._mobile_next : self._mobile_next + n]
        self._mobile_next += n
        first = len(self.keys)
        for s in subs:
            sub = f"{900000 + int(s)}"
            self.keys.append(f"+447700{sub}")
            self.written.append((f"07700{sub}", f"447700{sub}", f"+447700{sub}", f"07700 {sub}"))
        return np.arange(first, first + n, dtype=np.int64)

    def landline(self) -> int:
        sub = f"{960000 + int(self._landlines[self._landline_next])}"
        self._landline_next += 1
        self.keys.append(f"+441632{sub}")
        self.written.append((f"01632{sub}", f"441632{sub}", f"+441632{sub}", f"01632 {sub}"))
        return len(self.keys) - 1

    def sender(self, name: str) -> int:
        self.keys.append(f"short:{name}" if name.isdigit() else f"alpha:{name.upper()}")
        self.written.append((name, name, name, name))
        return len(self.keys) - 1

    def handsets(self, n: int) -> IntArray:
        first = self.n_handsets
        self.n_handsets += n
        return np.arange(first, first + n, dtype=np.int64)

    # -- cells ---------------------------------------------------------------------------

    def _cells(self) -> None:
        p, rng = self.p, self.rng
        lat: list[np.ndarray] = []
        lon: list[np.ndarray] = []
        for n, clat, clon, step in (
            (p.town_cells, p.town_lat, p.town_lon, 0.009),
            (p.hub_cells, p.hub_lat, p.hub_lon, 0.006),
        ):
            side = int(np.ceil(np.sqrt(n)))
            gy, gx = np.divmod(np.arange(n), side)
            # ~1 km spacing in the town, ~650 m in the city; jittered so it is not a lattice.
            lat.append(clat + (gy - (side - 1) / 2) * step + rng.uniform(-0.002, 0.002, n))
            lon.append(clon + (gx - (side - 1) / 2) * step * 1.6 + rng.uniform(-0.003, 0.003, n))
        self.cell_lat = np.round(np.concatenate(lat), 6)
        self.cell_lon = np.round(np.concatenate(lon), 6)
        n_town = p.town_cells
        self.town = np.arange(n_town)
        self.hub = np.arange(n_town, n_town + p.hub_cells)
        cis = rng.choice(90_000, size=n_town + p.hub_cells, replace=False) + 10_000
        lacs = np.where(np.arange(n_town + p.hub_cells) < n_town, 1201, 101)
        self.cell_ids = [f"234-15-{lac}-{ci}" for lac, ci in zip(lacs, cis, strict=True)]
        # Each cell's six nearest cells in its own area, itself first.
        nb = np.zeros((n_town + p.hub_cells, 6), dtype=np.int64)
        for area in (self.town, self.hub):
            dy = self.cell_lat[area][:, None] - self.cell_lat[area][None, :]
            dx = (self.cell_lon[area][:, None] - self.cell_lon[area][None, :]) * 0.62
            order = np.argsort(dy**2 + dx**2, axis=1, kind="stable")[:, :6]
            nb[area] = area[order]
        self.near = nb
        # Centre-weighted popularity of town cells for homes and workplaces.
        d2 = (self.cell_lat[self.town] - p.town_lat) ** 2 + (
            self.cell_lon[self.town] - p.town_lon
        ) ** 2
        w = np.exp(-d2 / (2 * 0.02**2)) + 0.3
        self.town_weight = w / w.sum()

    # -- events --------------------------------------------------------------------------

    def add(
        self,
        t: np.ndarray,
        *,
        ap: np.ndarray | int = -1,
        aparty: np.ndarray | int = -1,
        aslot: np.ndarray | int = 0,
        bp: np.ndarray | int = -1,
        bparty: np.ndarray | int = -1,
        bslot: np.ndarray | int = 0,
        sms: np.ndarray | bool = True,
        dur: np.ndarray | int = 0,
        cell: np.ndarray | int = -1,
        hs: np.ndarray | int = -1,
    ) -> None:
        """One block of events; a person (ap/bp) is resolved to a number, handset and cell later."""
        n = len(t)
        if n == 0:
            return

        def col(v: np.ndarray | int | bool, dtype: type) -> np.ndarray:
            return np.broadcast_to(np.asarray(v, dtype=dtype), (n,)).copy()

        sms_col = col(sms, np.bool_)
        self.blocks.append(
            {
                "t": np.asarray(t, dtype=np.int64),
                "ap": col(ap, np.int32),
                "aparty": col(aparty, np.int32),
                "aslot": col(aslot, np.int8),
                "bp": col(bp, np.int32),
                "bparty": col(bparty, np.int32),
                "bslot": col(bslot, np.int8),
                "sms": sms_col,
                "dur": np.where(sms_col, 0, col(dur, np.int32)).astype(np.int32),
                "cell": col(cell, np.int32),
                "hs": col(hs, np.int32),
            }
        )

    def times(
        self, n: int, hours: np.ndarray, days: np.ndarray | None = None, day_lo: int = 0
    ) -> IntArray:
        """``n`` local times (seconds from the period start): a day, an hour by weight, a second."""
        rng = self.rng
        if days is None:
            days = rng.integers(day_lo, self.p.days, size=n)
        hour = rng.choice(24, size=n, p=hours / hours.sum())
        return np.asarray(days * DAY + hour * HOUR + rng.integers(0, HOUR, size=n), dtype=np.int64)


def _mid_day(rng: np.random.Generator, days: int) -> int:
    """A day away from both ends of the period (a fifth of it, at least 2 days, each side)."""
    lo = max(2, days // 5)
    return int(rng.integers(lo, max(lo + 1, days - lo)))


def _short_call(rng: np.random.Generator, n: int, lo: int, hi: int) -> IntArray:
    return rng.integers(lo, hi + 1, size=n)


def _social_duration(rng: np.random.Generator, n: int) -> IntArray:
    long = np.clip(rng.lognormal(np.log(150), 1.0, n), 30, 1200).astype(np.int64)
    return np.where(rng.random(n) < 0.15, rng.integers(3, 41, n), long)


def _lookup(keys: np.ndarray, values: np.ndarray, owner: np.ndarray, t: np.ndarray) -> np.ndarray:
    """The value of the last entry of ``owner`` starting at or before ``t`` (``keys`` sorted)."""
    i = np.searchsorted(keys, owner.astype(np.int64) * _BIG + t, side="right") - 1
    return np.asarray(values[np.maximum(i, 0)])


def generate(params: ScenarioParams, seed: int) -> Scenario:
    """Generate the scenario for ``params`` and ``seed`` (see the module docstring)."""
    rng = np.random.default_rng(seed)
    w = _World(params, rng)
    p = params

    # ---- ordinary population --------------------------------------------------------
    n_pop = p.population
    n_hubres = round(n_pop * p.hub_resident_share)
    is_hub = np.arange(n_pop) < n_hubres
    town_people = np.flatnonzero(~is_hub)
    hub_people = np.flatnonzero(is_hub)
    home = np.where(
        is_hub,
        rng.choice(w.hub, size=n_pop),
        rng.choice(w.town, size=n_pop, p=w.town_weight),
    )
    daycell = np.where(
        rng.random(n_pop) < 0.35,
        home,
        np.where(
            is_hub, rng.choice(w.hub, size=n_pop), rng.choice(w.town, size=n_pop, p=w.town_weight)
        ),
    )

    # Customers first, so that they are kept out of the number changers and two-number owners
    # (their one number is their role in the truth).
    n_users = round(len(town_people) * p.user_share)
    users = np.sort(rng.choice(town_people, size=n_users, replace=False))
    others = np.setdiff1d(town_people, users)
    changers = np.sort(rng.choice(others, size=min(p.number_changers, len(others)), replace=False))
    eligible2 = np.setdiff1d(np.arange(n_pop), np.concatenate([users, changers]))
    two = rng.choice(eligible2, size=round(n_pop * p.two_number_share), replace=False)

    # ---- controllers and runners are extra persons living in the hub city ------------
    n_chains = p.lines
    ctrl_per_chain = np.where(rng.random(n_chains) < 0.7, 1, 2)
    run_per_chain = rng.integers(1, 4, size=n_chains)
    # A re-branded line may bring a new controller and new runners.
    n_extra_ctrl = 2 * p.rebrands
    n_extra_run = 3 * p.rebrands
    n_ctrl = int(ctrl_per_chain.sum()) + n_extra_ctrl
    n_run = int(run_per_chain.sum()) + n_extra_run
    ctrl_persons = np.arange(n_pop, n_pop + n_ctrl)
    run_persons = np.arange(n_pop + n_ctrl, n_pop + n_ctrl + n_run)
    n_persons = n_pop + n_ctrl + n_run
    home = np.concatenate([home, rng.choice(w.hub, size=n_ctrl + n_run)])
    daycell = np.concatenate([daycell, rng.choice(w.hub, size=n_ctrl + n_run)])
    is_runner = np.zeros(n_persons, dtype=bool)
    is_runner[run_persons] = True

    num0 = w.mobiles(n_persons)
    num1 = np.full(n_persons, -1, dtype=np.int64)
    num1[two] = w.mobiles(len(two))
    numN = num0.copy()
    tchange = np.full(n_persons, _NEVER, dtype=np.int64)
    h0 = w.handsets(n_persons)
    h1 = np.full(n_persons, -1, dtype=np.int64)
    h1[two] = w.handsets(len(two))
    hN = h0.copy()
    if len(changers):
        numN[changers] = w.mobiles(len(changers))
        tchange[changers] = (
            rng.integers(3, p.days - 3, size=len(changers)) * DAY
            + rng.integers(10, 21, size=len(changers)) * HOUR
        )
        swap = rng.random(len(changers)) >= 0.7
        hN[changers[swap]] = w.handsets(int(swap.sum()))

    # Social graph: half the ties inside a group of ~20 people sharing a home area (so
    # friends of friends are friends), half preferential on degree (heavy tail).
    degree = np.clip(np.round(rng.lognormal(np.log(9), 0.75, n_pop)), 3, 60).astype(np.int64)
    stubs = (degree + 1) // 2
    order = np.lexsort((rng.random(n_pop), home[:n_pop]))
    rank = np.empty(n_pop, dtype=np.int64)
    rank[order] = np.arange(n_pop)
    group_start = (rank // 20) * 20
    group_size = np.minimum(20, n_pop - group_start)
    src = np.repeat(np.arange(n_pop), stubs)
    local = rng.random(len(src)) < 0.5
    in_group = order[group_start[src] + (rng.random(len(src)) * group_size[src]).astype(np.int64)]
    cum = np.cumsum(degree / degree.sum())
    anyone = np.minimum(np.searchsorted(cum, rng.random(len(src))), n_pop - 1)
    dst = np.where(local, in_group, anyone)
    keep = src != dst
    lo_ = np.minimum(src, dst)[keep]
    hi_ = np.maximum(src, dst)[keep]
    pair = np.unique(lo_ * n_pop + hi_)
    ei, ej = pair // n_pop, pair % n_pop

    _social_events(w, ei, ej, num1, n_pop)
    _number_changer_broadcasts(w, changers, ei, ej, tchange, town_people)

    # ---- county lines -----------------------------------------------------------------
    lines, chain_lines = _make_lines(w, ctrl_per_chain, run_per_chain, ctrl_persons, run_persons)
    books = _customer_books(w, users, n_chains)
    victims = _plan_cuckooing(w, lines, chain_lines, books, home)
    shifts = _plan_shifts(w, lines)
    tables = _LineTables(lines, shifts, chain_lines, w, home)
    _line_events(w, lines, tables, books, users, victims, home, hub_people, town_people)

    # ---- look-alikes ------------------------------------------------------------------
    lookalikes: dict[str, str] = {}
    _lookalike_events(w, town_people, home, lookalikes)
    for c in changers:
        lookalikes[w.keys[num0[c]]] = "number-change"
        lookalikes[w.keys[numN[c]]] = "number-change"

    # ---- resolve persons, convert times, assemble -------------------------------------
    persons = _Persons(
        home, daycell, num0, num1, numN, tchange, h0, h1, hN, is_runner, tables, w.near
    )
    events, forms = _assemble(w, persons)
    truth, people = _truth(
        w, lines, shifts, books, users, lookalikes, num0, run_persons, ctrl_persons, seed
    )
    return Scenario(
        params=p,
        seed=seed,
        events=events,
        truth=truth,
        people=people,
        party_written=np.array(w.written, dtype=np.str_),
        handset_written=_imei_written(rng, w.imei14),
        a_form=forms[0],
        b_form=forms[1],
        imei_form=forms[2],
    )


def _social_events(w: _World, ei: np.ndarray, ej: np.ndarray, num1: np.ndarray, n_pop: int) -> None:
    rng, p = w.rng, w.p
    strength = rng.lognormal(0.0, 1.0, len(ei))
    sms_share = rng.uniform(0.2, 0.8, len(ei))
    reply_p = 0.4
    # Replies add rows; scale the base rate so the expected total matches the parameter.
    per_base = 1 + reply_p * float(sms_share.mean())
    lam = strength / strength.sum() * n_pop * p.days * p.events_per_person_day / per_base
    count = rng.poisson(lam)
    e = np.repeat(np.arange(len(ei)), count)
    n = len(e)
    flip = rng.random(n) < 0.5
    a = np.where(flip, ej[e], ei[e])
    b = np.where(flip, ei[e], ej[e])
    # A two-number owner uses the second number for a third of their ties.
    slot_i = ((num1[ei] >= 0) & (rng.random(len(ei)) < 0.35)).astype(np.int8)
    slot_j = ((num1[ej] >= 0) & (rng.random(len(ei)) < 0.35)).astype(np.int8)
    sa = np.where(flip, slot_j[e], slot_i[e])
    sb = np.where(flip, slot_i[e], slot_j[e])
    t = w.times(n, _ORDINARY_HOURS)
    sms = rng.random(n) < sms_share[e]
    w.add(t, ap=a, aslot=sa, bp=b, bslot=sb, sms=sms, dur=_social_duration(rng, n))
    r = sms & (rng.random(n) < reply_p)
    tr = t[r] + 5 + rng.exponential(120, int(r.sum())).astype(np.int64)
    w.add(tr, ap=b[r], aslot=sb[r], bp=a[r], bslot=sa[r], sms=True)


def _number_changer_broadcasts(
    w: _World,
    changers: np.ndarray,
    ei: np.ndarray,
    ej: np.ndarray,
    tchange: np.ndarray,
    town_people: np.ndarray,
) -> None:
    rng = w.rng
    for c in changers:
        friends = np.concatenate([ej[ei == c], ei[ej == c]])
        size = int(rng.integers(30, 151))
        extra = rng.choice(town_people, size=max(0, size - len(friends)) + 10, replace=False)
        book = np.unique(np.concatenate([friends, extra]))
        book = book[book != c][: max(size, len(friends))]
        t = tchange[c] + np.sort(rng.integers(0, HOUR, size=len(book)))
        # Sent as the new number (t >= tchange), so the person resolves to it.
        w.add(t, ap=c, bp=book, sms=True)
        rep = rng.random(len(book)) < 0.25
        tr = t[rep] + rng.integers(60, 4 * HOUR, size=int(rep.sum()))
        w.add(tr, ap=book[rep], bp=c, sms=True)


def _make_lines(
    w: _World,
    ctrl_per_chain: np.ndarray,
    run_per_chain: np.ndarray,
    ctrl_persons: np.ndarray,
    run_persons: np.ndarray,
) -> tuple[list[_Line], list[list[int]]]:
    rng, p, end = w.rng, w.p, w.end
    n_chains = p.lines
    # Largest-remainder allocation of marketing styles, shuffled: the shares hold even for
    # few lines, and which line gets which is random.
    shares = np.array([p.flare_share, p.drip_share, 1 - p.flare_share - p.drip_share])
    quota = shares * n_chains
    alloc = np.floor(quota).astype(int)
    rest = n_chains - alloc.sum()
    alloc[np.argsort(-(quota - alloc), kind="stable")[:rest]] += 1
    styles = rng.permutation(np.repeat(np.array(["flare", "drip", "word-of-mouth"]), alloc))
    roles = rng.permutation(n_chains)
    rebrand = set(roles[: p.rebrands].tolist())
    number_change = set(roles[p.rebrands : p.rebrands + p.line_number_changes].tolist())
    swap = set(roles[p.rebrands + p.line_number_changes :][: p.handset_swaps].tolist())

    ci = ri = 0
    extra_c = list(ctrl_persons[int(ctrl_per_chain.sum()) :])
    extra_r = list(run_persons[int(run_per_chain.sum()) :])
    lines: list[_Line] = []
    chain_lines: list[list[int]] = []
    for c in range(n_chains):
        ctrls = [int(x) for x in ctrl_persons[ci : ci + ctrl_per_chain[c]]]
        runs = [int(x) for x in run_persons[ri : ri + run_per_chain[c]]]
        ci += ctrl_per_chain[c]
        ri += run_per_chain[c]
        area = int(rng.choice(w.town, p=w.town_weight))
        number = int(w.mobiles(1)[0])
        handset = int(w.handsets(1)[0])
        start = -30 * DAY
        line = _Line(f"L{len(lines) + 1}", c, str(styles[c]), start, end + 2 * DAY, area,
                     [(number, start, end + 2 * DAY)], [(handset, start, end + 2 * DAY)],
                     ctrls, runs)  # fmt: skip
        lines.append(line)
        chain_lines.append([len(lines) - 1])
        if c in number_change:
            tc = _mid_day(rng, p.days) * DAY + int(rng.integers(12, 21)) * HOUR
            new = int(w.mobiles(1)[0])
            line.numbers = [(number, start, tc), (new, tc, line.end)]
            line.number_change = (tc, number)
            line.continuity.append(
                {"kind": "number-change", "t": tc, "from": w.keys[number], "to": w.keys[new]}
            )
            if rng.random() < 0.5:
                h2 = int(w.handsets(1)[0])
                line.handsets = [(handset, start, tc), (h2, tc, line.end)]
        elif c in swap:
            ts = _mid_day(rng, p.days) * DAY + int(rng.integers(9, 23)) * HOUR
            h2 = int(w.handsets(1)[0])
            line.handsets = [(handset, start, ts), (h2, ts, line.end)]
            line.continuity.append(
                {"kind": "handset-swap", "t": ts, "from": f"imei:{handset}", "to": f"imei:{h2}"}
            )
        elif c in rebrand:
            lo_day = max(3, p.days // 4)
            close_day = int(
                rng.integers(lo_day, max(lo_day + 1, p.days - p.rebrand_gap_max_days - 3))
            )
            close = close_day * DAY + int(rng.integers(2, 6)) * HOUR
            gap = int(rng.integers(p.rebrand_gap_min_days, p.rebrand_gap_max_days + 1))
            opened = (close_day + gap) * DAY + int(rng.integers(11, 20)) * HOUR
            line.end = close
            line.numbers = [(number, start, close)]
            line.handsets = [(handset, start, close)]
            new_ctrls = ctrls if rng.random() < 0.5 else [int(extra_c.pop(0))]
            new_runs = runs if rng.random() < 0.5 else [int(x) for x in extra_r[: len(runs)]]
            extra_r = extra_r[len(runs) :] if new_runs is not runs else extra_r
            n2 = int(w.mobiles(1)[0])
            hs2 = int(w.handsets(1)[0])
            succ = _Line(f"L{len(lines) + 1}", c, line.style, opened, end + 2 * DAY,
                         int(rng.choice(w.town, p=w.town_weight)),
                         [(n2, opened, end + 2 * DAY)], [(hs2, opened, end + 2 * DAY)],
                         new_ctrls, new_runs)  # fmt: skip
            record = {"kind": "rebrand", "t": opened, "from": w.keys[number], "to": w.keys[n2],
                      "from_line": line.line_id, "to_line": succ.line_id}  # fmt: skip
            line.continuity.append(record)
            succ.continuity.append(dict(record))
            lines.append(succ)
            chain_lines[c].append(len(lines) - 1)
    return lines, chain_lines


def _customer_books(w: _World, users: np.ndarray, n_chains: int) -> list[np.ndarray]:
    """Each chain's customers (person ids); a customer buys from one chain, or two."""
    rng = w.rng
    pop = rng.lognormal(0, 0.5, n_chains)
    pop /= pop.sum()
    first = rng.choice(n_chains, size=len(users), p=pop)
    second = rng.choice(n_chains, size=len(users), p=pop)
    has2 = (rng.random(len(users)) < 0.3) & (second != first)
    books = []
    for c in range(n_chains):
        books.append(users[(first == c) | (has2 & (second == c))])
    w.user_first = first
    w.user_second = np.where(has2, second, -1)
    return books


def _plan_cuckooing(
    w: _World,
    lines: list[_Line],
    chain_lines: list[list[int]],
    books: list[np.ndarray],
    home: np.ndarray,
) -> dict[int, tuple[int, int]]:
    """Victims and their windows: victim person -> (from, to), in local seconds."""
    rng, p = w.rng, w.p
    plain = [c for c in range(p.lines) if len(chain_lines[c]) == 1 and len(books[c])]
    rest = [c for c in range(p.lines) if len(chain_lines[c]) > 1 and len(books[c])]
    chosen = list(rng.permutation(plain)) + list(rng.permutation(rest)) if plain or rest else []
    victims: dict[int, tuple[int, int]] = {}
    # Two cases per line at most: cycle through the lines.
    picks = [chosen[i % len(chosen)] for i in range(p.cuckooing)] if chosen else []
    for c in picks:
        line = lines[chain_lines[c][-1]] if len(chain_lines[c]) > 1 else lines[chain_lines[c][0]]
        lo = max(5 * DAY, line.start + DAY)
        length = int(rng.integers(p.cuckoo_min_days, p.cuckoo_max_days + 1)) * DAY
        hi = min(w.end - 3 * DAY, line.end) - length
        candidates = [int(v) for v in books[c] if int(v) not in victims]
        if hi <= lo or not candidates:
            continue
        used = {cell for ln in lines for (_, cell, _, _) in ln.cuckoo}
        fresh = [v for v in candidates if int(home[v]) not in used] or candidates
        victim = int(rng.choice(fresh))
        start = int(rng.integers(lo // DAY, hi // DAY + 1)) * DAY + int(rng.integers(12, 22)) * HOUR
        line.cuckoo.append((victim, int(home[victim]), start, start + length))
        victims[victim] = (start, start + length)
    return victims


def _plan_shifts(w: _World, lines: list[_Line]) -> list[tuple[int, int, int, int, int]]:
    """Shifts (line index, runner person, start, end, base cell), each line in time order."""
    rng = w.rng
    out: list[tuple[int, int, int, int, int]] = []
    for li, line in enumerate(lines):
        t = max(line.start, -2 * DAY)
        stop = min(line.end, w.end + DAY)
        prev = -1
        while t < stop:
            length = int(rng.uniform(0.75, 4.0) * DAY)
            choices = [r for r in line.runners if r != prev] or line.runners
            runner = int(rng.choice(choices))
            base = int(rng.choice(w.near[line.area]))
            out.append((li, runner, t, min(t + length, stop), base))
            prev = runner
            # A lone runner goes back to the city between shifts; the handset stays put.
            t += length + (int(rng.uniform(0.5, 1.5) * DAY) if len(line.runners) == 1 else 0)
    return out


class _LineTables:
    """Vectorised lookups of a line's number, handset, base cell and active line per chain."""

    def __init__(
        self,
        lines: list[_Line],
        shifts: list[tuple[int, int, int, int, int]],
        chain_lines: list[list[int]],
        w: _World,
        home: np.ndarray,
    ) -> None:
        self.lines = lines

        def table(rows: list[tuple[int, int, int]]) -> tuple[np.ndarray, np.ndarray]:
            rows.sort()
            keys = np.array([o * _BIG + s for o, s, _ in rows], dtype=np.int64)
            return keys, np.array([v for _, _, v in rows], dtype=np.int64)

        self.num_keys, self.num_vals = table(
            [(li, s, n) for li, ln in enumerate(lines) for n, s, _ in ln.numbers]
        )
        self.hs_keys, self.hs_vals = table(
            [(li, s, h) for li, ln in enumerate(lines) for h, s, _ in ln.handsets]
        )
        # Per chain: which line is active from when (-1: closed, between a re-brand's lines).
        rows = []
        for c, lis in enumerate(chain_lines):
            rows.append((c, -(10**10), lis[0]))
            if len(lis) > 1:
                rows.append((c, lines[lis[0]].end, -1))
                rows.append((c, lines[lis[1]].start, lis[1]))
        self.chain_keys, self.chain_vals = table(rows)
        sh = sorted(shifts, key=lambda s: (s[0], s[2]))
        self.shift_line_keys = np.array([s[0] * _BIG + s[2] for s in sh], dtype=np.int64)
        self.shift_line = np.array([s[0] for s in sh], dtype=np.int64)
        self.shift_base = np.array([s[4] for s in sh], dtype=np.int64)
        by_runner = sorted(shifts, key=lambda s: (s[1], s[2]))
        self.run_keys = np.array([s[1] * _BIG + s[2] for s in by_runner], dtype=np.int64)
        self.run_person = np.array([s[1] for s in by_runner], dtype=np.int64)
        self.run_end = np.array([s[3] for s in by_runner], dtype=np.int64)
        self.run_start = np.array([s[2] for s in by_runner], dtype=np.int64)
        self.run_line = np.array([s[0] for s in by_runner], dtype=np.int64)
        self.area = np.array([ln.area for ln in lines], dtype=np.int64)
        self.cuckoo = [
            (li, cell, f, t) for li, ln in enumerate(lines) for _, cell, f, t in ln.cuckoo
        ]
        self.shifts = shifts

    def number(self, li: np.ndarray, t: np.ndarray) -> np.ndarray:
        return _lookup(self.num_keys, self.num_vals, li, t)

    def handset(self, li: np.ndarray, t: np.ndarray) -> np.ndarray:
        return _lookup(self.hs_keys, self.hs_vals, li, t)

    def active(self, chain: np.ndarray, t: np.ndarray) -> np.ndarray:
        return _lookup(self.chain_keys, self.chain_vals, chain, t)

    def base(self, li: np.ndarray, t: np.ndarray) -> np.ndarray:
        """The cell the line handset sits in: its shift's base, or the cuckooed home."""
        li = np.asarray(li, dtype=np.int64)
        i = np.searchsorted(self.shift_line_keys, li * _BIG + t, side="right") - 1
        i = np.maximum(i, 0)
        ok = self.shift_line[i] == li
        cell = np.where(ok, self.shift_base[i], self.area[li])
        for cl, ccell, f, to in self.cuckoo:
            cell = np.where((li == cl) & (t >= f) & (t < to), ccell, cell)
        return np.asarray(cell)

    def on_shift(self, person: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Whether each runner is on shift at ``t``, and for which line."""
        i = np.searchsorted(self.run_keys, person.astype(np.int64) * _BIG + t, side="right") - 1
        i = np.maximum(i, 0)
        if len(self.run_keys) == 0:
            return np.zeros(len(t), dtype=bool), np.zeros(len(t), dtype=np.int64)
        ok = (self.run_person[i] == person) & (t < self.run_end[i]) & (self.run_start[i] <= t)
        return ok, self.run_line[i]


def _line_events(
    w: _World,
    lines: list[_Line],
    tb: _LineTables,
    books: list[np.ndarray],
    users: np.ndarray,
    victims: dict[int, tuple[int, int]],
    home: np.ndarray,
    hub_people: np.ndarray,
    town_people: np.ndarray,
) -> None:
    rng, p, end = w.rng, w.p, w.end

    # -- orders, answers and deliveries --
    rate = rng.uniform(p.orders_per_week_min, p.orders_per_week_max, len(users))
    sms_pref = rng.uniform(0.3, 0.9, len(users))
    lag = np.minimum(rng.exponential(4 * HOUR, len(users)), 24 * HOUR).astype(np.int64)
    n_orders = rng.poisson(rate * p.days / 7)
    ui = np.repeat(np.arange(len(users)), n_orders)
    n = len(ui)
    second = w.user_second[ui]
    chain = np.where((second >= 0) & (rng.random(n) < 0.5), second, w.user_first[ui])
    t = w.times(n, _ORDER_HOURS)
    who = users[ui]
    li = tb.active(chain, t)
    keep = np.ones(n, dtype=bool)
    for v, (f, to) in victims.items():
        keep &= ~((who == v) & (t >= f) & (t < to))
    # While a re-branded line is closed, most customers wait; a few text the dead number.
    closed = li < 0
    keep &= ~closed | (rng.random(n) < 0.2)
    ui, chain, t, who, li, closed = (
        ui[keep],
        chain[keep],
        t[keep],
        who[keep],
        li[keep],
        closed[keep],
    )
    n = len(ui)
    prev_line = _lookup(tb.chain_keys, tb.chain_vals, chain, np.full(n, -(10**10) + 1))
    number = np.where(closed, tb.number(prev_line, t), tb.number(np.maximum(li, 0), t))
    answered = ~closed
    for k, ln in enumerate(lines):
        if ln.number_change is None:
            continue
        tc, old = ln.number_change
        late = (li == k) & (t >= tc) & (t < tc + lag[ui])
        number = np.where(late, old, number)
        answered &= ~late
    sms = rng.random(n) < sms_pref[ui]
    w.add(t, ap=who, bparty=number, sms=sms, dur=_short_call(rng, n, 5, 40))

    lia = np.maximum(li, 0)
    r = answered & (rng.random(n) < 0.55)
    tr = t[r] + rng.integers(30, 600, size=int(r.sum()))
    w.add(tr, aparty=tb.number(lia[r], tr), hs=tb.handset(lia[r], tr), cell=tb.base(lia[r], tr),
          bp=who[r], sms=rng.random(len(tr)) < 0.7, dur=_short_call(rng, len(tr), 5, 30))  # fmt: skip
    d = answered & (rng.random(n) < 0.75)
    td = t[d] + rng.integers(15 * 60, 60 * 60, size=int(d.sum()))
    near_home = w.near[home[who[d]], rng.integers(0, 3, size=len(td))]
    w.add(td, aparty=tb.number(lia[d], td), hs=tb.handset(lia[d], td), cell=near_home,
          bp=who[d], sms=rng.random(len(td)) < 0.6, dur=_short_call(rng, len(td), 5, 25))  # fmt: skip

    for li_, ln in enumerate(lines):
        lo = max(ln.start, 0)
        hi = min(ln.end, end)
        if hi <= lo:
            continue
        book = books[ln.chain]
        n_days = (hi - lo) / DAY
        # -- marketing --
        if ln.style == "flare" and len(book):
            for t0 in np.sort(rng.uniform(lo, hi, rng.poisson(3 * n_days / 7))).astype(np.int64):
                reached = book[rng.random(len(book)) < rng.uniform(0.6, 1.0)]
                ts = t0 + np.sort(rng.integers(0, int(rng.integers(60, 300)), size=len(reached)))
                _from_line(w, tb, li_, ts, bp=reached)
        elif ln.style == "drip" and len(book):
            k = rng.poisson(3 * n_days)
            ts = w.times(k, _ORDER_HOURS * (np.arange(24) >= 10) * (np.arange(24) < 22),
                         days=rng.integers(lo // DAY, max(lo // DAY + 1, hi // DAY), size=k))  # fmt: skip
            ts = ts[(ts >= lo) & (ts < hi)]
            _from_line(w, tb, li_, ts, bp=rng.choice(book, size=len(ts)))
        # -- broadcasts of a new number (number change, or a re-brand's first text) --
        for rec in ln.continuity:
            if rec["kind"] == "handset-swap" or (
                rec["kind"] == "rebrand" and rec["to_line"] != ln.line_id
            ):
                continue
            if len(book):
                ts = int(rec["t"]) + np.sort(
                    rng.integers(0, int(rng.integers(5, 21)) * 60, len(book))
                )
                _from_line(w, tb, li_, ts, bp=book)
        # -- controllers: frequent calls and texts with the line, at any hour --
        k = rng.poisson(6 * n_days)
        ts = w.times(
            k, _LINE_HOURS, days=rng.integers(lo // DAY, max(lo // DAY + 1, -(-hi // DAY)), size=k)
        )
        ts = ts[(ts >= lo) & (ts < hi)]
        ctrl = rng.choice(np.array(ln.controllers), size=len(ts))
        out = rng.random(len(ts)) < 0.5
        sms = rng.random(len(ts)) < 0.6
        dur = np.clip(rng.lognormal(np.log(40), 0.8, len(ts)), 5, 300).astype(np.int64)
        _from_line(w, tb, li_, ts[out], bp=ctrl[out], sms=sms[out], dur=dur[out])
        w.add(ts[~out], ap=ctrl[~out], bparty=tb.number(np.full((~out).sum(), li_), ts[~out]),
              sms=sms[~out], dur=dur[~out])  # fmt: skip

    # -- controllers' and runners' own phones --
    if len(hub_people) == 0:
        hub_people = town_people
    seen: set[int] = set()
    for ln in lines:
        for boss in ln.controllers:
            if boss in seen:
                continue
            seen.add(boss)
            _personal(w, boss, rng.choice(hub_people, size=int(rng.integers(5, 11))), 5.0)
            _personal(w, boss, rng.choice(town_people, size=int(rng.integers(0, 3))), 0.3)
        for runner in ln.runners:
            if runner in seen:
                continue
            seen.add(runner)
            _personal(w, runner, rng.choice(hub_people, size=int(rng.integers(3, 9))), 4.0)
            _personal(w, runner, np.array(ln.controllers), 1.5)


def _from_line(
    w: _World,
    tb: _LineTables,
    li: int,
    ts: np.ndarray,
    *,
    bp: np.ndarray,
    sms: np.ndarray | bool = True,
    dur: np.ndarray | int = 0,
) -> None:
    lis = np.full(len(ts), li, dtype=np.int64)
    w.add(ts, aparty=tb.number(lis, ts), hs=tb.handset(lis, ts), cell=tb.base(lis, ts),
          bp=bp, sms=sms, dur=dur)  # fmt: skip


def _personal(w: _World, person: int, contacts: np.ndarray, per_day: float) -> None:
    """A person's calls and texts with ``contacts``, both ways, at any hour."""
    rng = w.rng
    if len(contacts) == 0:
        return
    k = rng.poisson(per_day * w.p.days)
    ts = w.times(k, _LINE_HOURS)
    other = rng.choice(contacts, size=k)
    out = rng.random(k) < 0.5
    sms = rng.random(k) < 0.6
    dur = np.clip(rng.lognormal(np.log(90), 1.0, k), 5, 1500).astype(np.int64)
    w.add(ts[out], ap=person, bp=other[out], sms=sms[out], dur=dur[out])
    w.add(ts[~out], ap=other[~out], bp=person, sms=sms[~out], dur=dur[~out])


def _lookalike_events(
    w: _World, town_people: np.ndarray, home: np.ndarray, lookalikes: dict[str, str]
) -> None:
    rng, p = w.rng, w.p
    n_town = len(town_people)
    scale = n_town / 2000
    day = np.arange(p.days)
    dow = (p.start_date.weekday() + day) % 7
    weekend = (dow >= 4).astype(float) * 0.6 + 1.0  # Friday to Sunday busier

    def fixed_cell() -> int:
        return int(rng.choice(w.town, p=w.town_weight))

    def pool(share: float) -> tuple[np.ndarray, np.ndarray]:
        members = rng.choice(town_people, size=max(5, int(share * n_town)), replace=False)
        weight = rng.lognormal(0, 1.2, len(members))
        return members, weight / weight.sum()

    for k in range(p.taxis):
        party = w.landline() if k == 0 else int(w.mobiles(1)[0])
        mobile = k != 0
        hs = int(w.handsets(1)[0]) if mobile else -1
        cell = fixed_cell() if mobile else -1
        lookalikes[w.keys[party]] = "taxi"
        members, weight = pool(0.25)
        counts = rng.poisson(8 * scale * weekend)
        ts = w.times(int(counts.sum()), _TAXI_HOURS, days=np.repeat(day, counts))
        who = rng.choice(members, size=len(ts), p=weight)
        w.add(ts, ap=who, bparty=party, sms=False, dur=_short_call(rng, len(ts), 20, 90))
        cb = rng.random(len(ts)) < 0.3
        tcb = ts[cb] + rng.integers(5 * 60, 20 * 60, size=int(cb.sum()))
        outside = w.near[home[who[cb]], 0] if mobile else np.full(len(tcb), -1)
        w.add(tcb, aparty=party, hs=hs, cell=outside, bp=who[cb], sms=False,
              dur=_short_call(rng, len(tcb), 5, 20))  # fmt: skip

    for k in range(p.takeaways):
        mobile = k % 2 == 0
        party = int(w.mobiles(1)[0]) if mobile else w.landline()
        hs = int(w.handsets(1)[0]) if mobile else -1
        cell = fixed_cell()
        lookalikes[w.keys[party]] = "takeaway"
        members, weight = pool(0.2)
        counts = rng.poisson(6 * scale * weekend)
        evening = (np.arange(24) >= 17) & (np.arange(24) < 23)
        ts = w.times(int(counts.sum()), evening.astype(float), days=np.repeat(day, counts))
        who = rng.choice(members, size=len(ts), p=weight)
        w.add(ts, ap=who, bparty=party, sms=False, dur=_short_call(rng, len(ts), 60, 180))
        sender = party if mobile else w.sender(_TAKEAWAY_SENDERS[k])
        lookalikes[w.keys[sender]] = "takeaway"
        promo = rng.choice(
            town_people, size=min(n_town, int(rng.uniform(150, 350) * scale)), replace=False
        )
        promo_day = int(rng.integers(0, 7))
        for d in day[dow == promo_day]:
            t0 = int(d) * DAY + 16 * HOUR + int(rng.integers(0, 2 * HOUR))
            ts = t0 + np.sort(rng.integers(0, int(rng.integers(5, 16)) * 60, size=len(promo)))
            w.add(ts, aparty=sender, hs=hs if mobile else -1, cell=cell if mobile else -1, bp=promo)

    for k in range(p.schools):
        sender = w.sender(_SCHOOL_SENDERS[k])
        lookalikes[w.keys[sender]] = "school"
        parents = rng.choice(town_people, size=min(n_town, int(300 * scale)), replace=False)
        for d in day[dow < 5]:
            if rng.random() < 0.4:
                hour = 8 if rng.random() < 0.5 else 15
                t0 = int(d) * DAY + hour * HOUR + int(rng.integers(0, HOUR))
                w.add(
                    t0 + np.sort(rng.integers(0, 300, size=len(parents))), aparty=sender, bp=parents
                )
            m = rng.poisson(3)
            w.add(int(d) * DAY + 9 * HOUR + rng.integers(0, HOUR, size=m), aparty=sender,
                  bp=rng.choice(parents, size=m))  # fmt: skip

    for k in range(p.surgeries):
        sender = w.sender(_SURGERY_SENDERS[k])
        lookalikes[w.keys[sender]] = "surgery"
        for d in day[dow < 5]:
            m = int(rng.uniform(15, 40) * max(scale, 0.5))
            t0 = int(d) * DAY + 10 * HOUR + int(rng.integers(0, HOUR))
            w.add(t0 + np.sort(rng.integers(0, 300, size=m)), aparty=sender,
                  bp=rng.choice(town_people, size=m, replace=False))  # fmt: skip
            m = rng.poisson(4)
            w.add(int(d) * DAY + 9 * HOUR + rng.integers(0, 8 * HOUR, size=m), aparty=sender,
                  bp=rng.choice(town_people, size=m))  # fmt: skip

    for k in range(p.couriers):
        party = int(w.mobiles(1)[0])
        hs = int(w.handsets(1)[0])
        lookalikes[w.keys[party]] = "courier"
        for d in day[dow != 6]:
            m = int(rng.integers(20, 61))
            to = rng.choice(town_people, size=min(m, n_town), replace=False)
            # A round: stops ordered by area, through the working day, the van moving with them.
            to = to[np.argsort(home[to], kind="stable")]
            ts = int(d) * DAY + 9 * HOUR + np.sort(rng.integers(0, 9 * HOUR, size=len(to)))
            cells = w.near[home[to], rng.integers(0, 2, size=len(to))]
            sms = rng.random(len(to)) < 0.7
            w.add(
                ts,
                aparty=party,
                hs=hs,
                cell=cells,
                bp=to,
                sms=sms,
                dur=_short_call(rng, len(to), 10, 40),
            )
            if k == 0:
                t0 = int(d) * DAY + 7 * HOUR + 30 * 60
                w.add(t0 + np.sort(rng.integers(0, 180, size=len(to))), aparty=party, hs=hs,
                      cell=int(w.near[home[to[0]], 0]), bp=to)  # fmt: skip
            back = rng.random(len(to)) < 0.1
            w.add(ts[back] + rng.integers(60, 1800, size=int(back.sum())), ap=to[back],
                  bparty=party, sms=False, dur=_short_call(rng, int(back.sum()), 10, 60))  # fmt: skip


@dataclasses.dataclass
class _Persons:
    home: np.ndarray
    daycell: np.ndarray
    num0: np.ndarray
    num1: np.ndarray
    numN: np.ndarray
    tchange: np.ndarray
    h0: np.ndarray
    h1: np.ndarray
    hN: np.ndarray
    is_runner: np.ndarray
    tables: _LineTables
    near: np.ndarray

    def party(self, person: np.ndarray, slot: np.ndarray, t: np.ndarray) -> np.ndarray:
        second = (slot == 1) & (self.num1[person] >= 0)
        changed = t >= self.tchange[person]
        return np.where(
            second, self.num1[person], np.where(changed, self.numN[person], self.num0[person])
        )

    def handset(self, person: np.ndarray, slot: np.ndarray, t: np.ndarray) -> np.ndarray:
        second = (slot == 1) & (self.h1[person] >= 0)
        changed = t >= self.tchange[person]
        return np.where(
            second, self.h1[person], np.where(changed, self.hN[person], self.h0[person])
        )

    def cell(
        self, person: np.ndarray, t: np.ndarray, rng: np.random.Generator, start_weekday: int
    ) -> np.ndarray:
        hour = (t // HOUR) % 24
        dow = (start_weekday + t // DAY) % 7
        at_work = (dow < 5) & (hour >= 9) & (hour < 17)
        cell = np.where(at_work, self.daycell[person], self.home[person])
        roam = rng.random(len(t)) < 0.15
        cell = np.where(roam, self.near[cell, rng.integers(1, 6, size=len(t))], cell)
        runner = np.flatnonzero(self.is_runner[person])
        if len(runner):
            on, line = self.tables.on_shift(person[runner], t[runner])
            # On shift the runner carries the line handset: same cell, exactly.
            cell[runner] = np.where(
                on, self.tables.base(line, t[runner]), self.home[person[runner]]
            )
        return np.asarray(cell)


def _assemble(
    w: _World, persons: _Persons
) -> tuple[pd.DataFrame, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    rng, p = w.rng, w.p
    cols = {k: np.concatenate([b[k] for b in w.blocks]) for k in w.blocks[0]}
    w.blocks.clear()
    t = cols["t"]
    keep = (t >= 0) & (t < w.end)
    cols = {k: v[keep] for k, v in cols.items()}
    t = cols["t"]
    ap, bp = cols["ap"], cols["bp"]
    a = ap >= 0
    aparty = cols["aparty"].astype(np.int64)
    hs = cols["hs"].astype(np.int64)
    cell = cols["cell"].astype(np.int64)
    aparty[a] = persons.party(ap[a], cols["aslot"][a], t[a])
    need_hs = a & (hs < 0)
    hs[need_hs] = persons.handset(ap[need_hs], cols["aslot"][need_hs], t[need_hs])
    need_cell = a & (cell < 0)
    cell[need_cell] = persons.cell(ap[need_cell], t[need_cell], rng, p.start_date.weekday())
    b = bp >= 0
    bparty = cols["bparty"].astype(np.int64)
    bparty[b] = persons.party(bp[b], cols["bslot"][b], t[b])
    del cols["ap"], cols["bp"], cols["aslot"], cols["bslot"]

    utc = _local_to_utc(rng, p.start_date, t)
    order = np.argsort(utc, kind="stable")
    utc = utc[order]
    sms = cols["sms"][order]
    aparty, bparty, hs, cell = aparty[order], bparty[order], hs[order], cell[order]
    n = len(order)
    keys = w.keys
    imei14 = _imei14(rng, w.n_handsets)
    events = pd.DataFrame(
        {
            "a_party": pd.Categorical.from_codes(aparty, categories=keys),
            "b_party": pd.Categorical.from_codes(bparty, categories=keys),
            "started_utc": utc.astype("datetime64[s]"),
            "duration_s": cols["dur"][order],
            "event": pd.Categorical.from_codes(sms.astype(np.int8), categories=["call", "sms"]),
            "imei": pd.Categorical.from_codes(hs, categories=imei14),
            "cell_id": pd.Categorical.from_codes(cell, categories=w.cell_ids),
            "cell_lat": np.where(cell >= 0, w.cell_lat[cell], np.nan),
            "cell_lon": np.where(cell >= 0, w.cell_lon[cell], np.nan),
        }
    )
    w.imei14 = imei14
    forms = (
        rng.choice(4, size=n, p=[0.4, 0.25, 0.25, 0.1]).astype(np.int8),
        rng.choice(4, size=n, p=[0.4, 0.25, 0.25, 0.1]).astype(np.int8),
        rng.choice(3, size=n, p=[0.85, 0.1, 0.05]).astype(np.int8),
    )
    return events, forms


def _local_to_utc(rng: np.random.Generator, start: date, t: np.ndarray) -> np.ndarray:
    """UK wall-clock seconds from ``start`` to UTC epoch seconds.

    An hour that occurs twice (autumn) is read as BST or GMT at random; one that does not
    exist (spring) is read as the hour after the change.
    """
    start_epoch = int(
        (datetime(start.year, start.month, start.day) - datetime(1970, 1, 1)).total_seconds()
    )
    n_hours = int(t.max() // HOUR) + 2 if len(t) else 1
    naive = pd.DatetimeIndex((start_epoch + np.arange(n_hours) * HOUR).astype("datetime64[s]"))
    offsets = []
    for dst in (True, False):
        aware = naive.tz_localize(
            "Europe/London", ambiguous=np.full(n_hours, dst), nonexistent="NaT"
        )
        utc = aware.tz_convert("UTC").tz_localize(None)
        off = np.array((naive - utc).total_seconds(), dtype=np.float64)
        offsets.append(off)
    off_dst, off_std = offsets
    # A missing hour takes the offset in force before the change.
    missing = np.isnan(off_dst)
    off_dst[missing] = np.concatenate([[0.0], off_dst[:-1]])[missing]
    off_std[missing] = off_dst[missing]
    h = t // HOUR
    pick_dst = rng.random(len(t)) < 0.5
    off = np.where(pick_dst, off_dst[h], off_std[h]).astype(np.int64)
    return start_epoch + t - off


def _imei14(rng: np.random.Generator, n: int) -> list[str]:
    # TAC-like 8 digits beginning 35 and a 6-digit serial: random, so not a real model's TAC.
    seen: set[str] = set()
    out: list[str] = []
    while len(out) < n:
        body = rng.integers(0, 10**12, size=n - len(out))
        for v in body:
            s = f"35{int(v):012d}"
            if s not in seen:
                seen.add(s)
                out.append(s)
    return out


def _luhn(body14: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(body14)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return str((10 - total % 10) % 10)


def _imei_written(rng: np.random.Generator, imei14: list[str]) -> npt.NDArray[np.str_]:
    """Each handset's 15-digit IMEI (with its Luhn digit), 14-digit form, and 16-digit IMEISV."""
    sv = rng.integers(1, 100, size=len(imei14))
    rows = [(f"{b}{_luhn(b)}", b, f"{b}{int(v):02d}") for b, v in zip(imei14, sv, strict=True)]
    return np.array(rows, dtype=np.str_).reshape(len(imei14), 3)


def _local_iso_utc(start: date, t: int) -> str:
    """A local time (seconds from the period start) as ISO 8601 UTC with ``Z``."""
    local = datetime(start.year, start.month, start.day) + timedelta(seconds=int(t))
    aware = local.replace(tzinfo=_LONDON)
    return aware.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _truth(
    w: _World,
    lines: list[_Line],
    shifts: list[tuple[int, int, int, int, int]],
    books: list[np.ndarray],
    users: np.ndarray,
    lookalikes: dict[str, str],
    num0: np.ndarray,
    run_persons: np.ndarray,
    ctrl_persons: np.ndarray,
    seed: int,
) -> tuple[dict[str, Any], list[dict[str, str]]]:
    rng, p, keys = w.rng, w.p, w.keys
    first_day = p.start_date
    last_day = p.start_date + timedelta(days=p.days - 1)

    def day(t: int) -> str:
        return (first_day + timedelta(days=int(np.clip(t, 0, w.end - 1)) // DAY)).isoformat()

    def person(x: int) -> str:
        return keys[int(num0[x])]

    roles: dict[str, str] = {}
    for u in users:
        roles[person(int(u))] = "user"
    for r in run_persons:
        roles[person(int(r))] = "runner"
    for c in ctrl_persons:
        roles[person(int(c))] = "controller"
    deal: set[str] = set()
    out_lines: list[dict[str, Any]] = []
    used_runners: set[int] = set()
    used_ctrls: set[int] = set()
    for li, ln in enumerate(lines):
        for n, _, _ in ln.numbers:
            deal.add(keys[n])
            roles[keys[n]] = "line"
        used_runners.update(ln.runners)
        used_ctrls.update(ln.controllers)
        continuity = []
        for rec in ln.continuity:
            item = {
                "kind": rec["kind"],
                "date": day(int(rec["t"])),
                "from": rec["from"],
                "to": rec["to"],
            }
            if rec["kind"] == "handset-swap":
                item["from"] = w.imei14[int(rec["from"].split(":")[1])]
                item["to"] = w.imei14[int(rec["to"].split(":")[1])]
            if rec["kind"] == "rebrand":
                item["from_line"] = rec["from_line"]
                item["to_line"] = rec["to_line"]
            continuity.append(item)
        out_lines.append(
            {
                "line_id": ln.line_id,
                "marketing": ln.style,
                "numbers": [
                    {"number": keys[n], "from": day(s), "to": day(e - 1)} for n, s, e in ln.numbers
                ],
                "handsets": [
                    {"imei14": w.imei14[h], "from": day(s), "to": day(e - 1)}
                    for h, s, e in ln.handsets
                ],
                "controllers": [person(c) for c in ln.controllers],
                "runners": [person(r) for r in ln.runners],
                "customers": sorted(person(int(u)) for u in books[ln.chain]),
                "continuity": continuity,
                "cuckooing": [
                    {
                        "cell_id": w.cell_ids[cell],
                        "victim": person(v),
                        "from": day(f),
                        "to": day(t - 1),
                    }
                    for v, cell, f, t in ln.cuckoo
                ],
                "shifts": [
                    {
                        "runner": person(r),
                        "from": _local_iso_utc(first_day, max(s, 0)),
                        "to": _local_iso_utc(first_day, min(e, w.end)),
                        "cell_id": w.cell_ids[base],
                    }
                    for sl, r, s, e, base in shifts
                    if sl == li and e > 0 and s < w.end
                ],
            }
        )
    # Spare controllers and runners (kept for a re-brand that did not need them) have no role.
    for x in set(map(int, run_persons)) - used_runners:
        roles.pop(person(x), None)
    for x in set(map(int, ctrl_persons)) - used_ctrls:
        roles.pop(person(x), None)

    people: list[dict[str, str]] = []

    def add_person(x: int, role: str, dob: date) -> None:
        name = f"{_FIRST[int(rng.integers(len(_FIRST)))]} {_LAST[int(rng.integers(len(_LAST)))]}"
        people.append(
            {"number": person(x), "name": name, "date_of_birth": dob.isoformat(), "role": role}
        )

    minors: list[str] = []
    for r in sorted(used_runners):
        if rng.random() < p.runner_minor_share:
            # Under 18 on every day of the period: 14-17 years old on its last day.
            age_days = int(rng.integers(14, 18)) * 365.25 + int(rng.integers(30, 330))
            add_person(r, "runner", last_day - timedelta(days=int(age_days)))
            minors.append(person(r))
        else:
            add_person(r, "runner", first_day - timedelta(days=int(rng.uniform(18.3, 25) * 365.25)))
    for c in sorted(used_ctrls):
        add_person(c, "controller", first_day - timedelta(days=int(rng.uniform(20, 36) * 365.25)))
    victims = sorted({v for ln in lines for v, _, _, _ in ln.cuckoo})
    for v in victims:
        add_person(
            v, "cuckooing-victim", first_day - timedelta(days=int(rng.uniform(30, 70) * 365.25))
        )
    others = np.setdiff1d(users, np.array(victims, dtype=np.int64))
    for u in rng.choice(others, size=min(20, len(others)), replace=False) if len(others) else []:
        add_person(int(u), "user", first_day - timedelta(days=int(rng.uniform(18, 60) * 365.25)))

    truth: dict[str, Any] = {
        "synthetic": True,
        "generator_version": GENERATOR_VERSION,
        "seed": seed,
        "params": p.to_dict(),
        "deal_lines": sorted(deal),
        "roles": dict(sorted(roles.items())),
        "cuckooed_cells": sorted({c["cell_id"] for ln in out_lines for c in ln["cuckooing"]}),
        "lookalikes": dict(sorted(lookalikes.items())),
        "runners_under_18": sorted(minors),
        "lines": out_lines,
    }
    return truth, people
