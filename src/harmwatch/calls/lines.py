"""From flagged numbers to county lines: continuity, roles, cuckooed cells, customer counts.

Continuity. A line outlives its numbers and handsets (Home Office county lines
guidance: lines change handsets and numbers to frustrate investigation and keep the
"brand" and its customers). Two numbers are one line when

- they used the same handset (the 14-digit IMEI key) — a number change on one phone,
  or a handset swap seen from the other side; or
- one takes over the other's customers: at least ``successor_share`` of the old
  number's customers order from the new one, starting no more than
  ``successor_gap_days`` after the old number's last activity, and the new number's
  inbound contacts are orders (``short_share``). A gap of more than two days with no
  shared handset is reported as a *re-brand* (a new line taking over a closed line's
  customer base) rather than a number change, because the customers moved without a
  "new number" on the same phone.

A successor found this way is a deal line even if it was too new to be flagged on
its own, which is how the detector follows a line that changed number near the end
of the data.

Roles, for each line: *controllers* are counterparts usually located more than
``remote_km`` away in contact on ``controller_days`` days; *runners* are phones in
the line handset's cell (within ``colocation_minutes``) in ``runner_cells`` different
cells or more — following the handset as it moves — on ``runner_days`` days or more,
that are also seen more than ``remote_km`` away (travelling from the hub city) and do
not order from it; *users* ordered from it
(``user_min_orders``). A number with two roles is given the first of controller,
runner, user — a runner who also orders is still a runner.

Cuckooing: the line handset spends ``cuckoo_nights`` days running mostly in one cell
(days run 06:00–06:00 local, so a night belongs to the day before it); the stay is
under half of the line's days, in a cell the handset is otherwise rarely based in (its
usual cell on at most ``cuckoo_other_days`` other days — a line's ordinary bases
recur); the cell is the usual night cell of one of its customers; and that customer —
who at their own rate over the line's other days would have ordered at least
``cuckoo_expected_orders`` times in the stay — ordered none. Dealers in the home supply
its occupant directly, which is why the buying stops (Home Office county lines guidance
on cuckooing). The cell is reported with that customer as the possible victim. No one
of these is evidence of cuckooing alone; together they say where to look.

Customer counts (:func:`customer_counts`): the case-file figure counts each customer
once for each day they initiated contact with any of the line's numbers, leaving out
calls shorter than ``count_min_call_s`` and SMS arriving within ``auto_reply_s`` of the
line's own message to them (automated replies); the "confirmed" figure keeps only
those the line answered (a call that connected) or the line or one of its runners
contacted back within ``confirm_minutes``. Both come from the same rows, listed in the schedule.

This module runs on DuckDB, on one machine, whichever engine scored the numbers: it
reads only the rows around the flagged numbers (with Spark, :mod:`.distributed`
hands those rows back), and its loops follow one number at a time. Nothing here
depends on the order rows are stored in — a day's usual cell on a tie is the lower
cell id, a phone following two lines' handsets is the runner of the one it was with
on most days (then most occasions, then the earlier line) — so the store's rows and
that hand-off give the same lines.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import duckdb

from . import detection
from .rules import DetectionRules

#: A number's customers must be at least this many for another number to be its
#: successor by taking them over (fewer, and a share of them means little).
SUCCESSOR_MIN_BOOK = 5


@dataclass
class LineNumber:
    number: str
    first_seen: date
    last_seen: date
    how: str  # "flagged" | "shared handset" | "took over customers"


@dataclass
class Continuity:
    kind: str  # number-change | handset-swap | rebrand
    on: date
    from_number: str
    to_number: str
    evidence: str


@dataclass
class CuckooedCell:
    cell_id: str
    lat: float | None
    lon: float | None
    victim: str
    nights: int
    first_night: date
    last_night: date
    victim_stopped_ordering: bool


@dataclass
class DetectedLine:
    line_id: str
    numbers: list[LineNumber]
    handsets: list[dict[str, Any]]
    controllers: list[str]
    runners: list[str]
    users: list[str]
    continuity: list[Continuity] = field(default_factory=list)
    cuckooed: list[CuckooedCell] = field(default_factory=list)
    evidence: dict[str, list[str]] = field(default_factory=dict)
    #: each runner's days with the line handset (local dates): the shifts, for safeguarding
    runner_days: dict[str, list[date]] = field(default_factory=dict)


def _union(groups: dict[str, str], a: str, b: str) -> None:
    def root(x: str) -> str:
        while groups[x] != x:
            groups[x] = groups[groups[x]]
            x = groups[x]
        return x

    ra, rb = root(a), root(b)
    if ra != rb:
        groups[max(ra, rb)] = min(ra, rb)


def _root(groups: dict[str, str], x: str) -> str:
    while groups[x] != x:
        x = groups[x]
    return x


def assemble(
    con: duckdb.DuckDBPyConnection, rules: DetectionRules, scores: Sequence[detection.NumberScore]
) -> list[DetectedLine]:
    """Group flagged numbers into lines, find successors, assign roles and cuckooed cells."""
    r = rules
    flagged = sorted(s.number for s in scores if s.flagged)
    how = dict.fromkeys(flagged, "flagged")
    con.execute("CREATE OR REPLACE TEMP TABLE hw_line_nums (n VARCHAR)")
    if flagged:
        con.executemany("INSERT INTO hw_line_nums VALUES (?)", [[n] for n in flagged])
    groups = {n: n for n in flagged}
    continuity: list[Continuity] = []

    # Shared handsets: every number ever on a flagged number's handset.
    shared = con.execute(
        """WITH h AS (SELECT DISTINCT located AS n, imei FROM hw_ev WHERE imei IS NOT NULL)
        SELECT DISTINCT a.n, b.n, a.imei FROM h a JOIN h b ON a.imei = b.imei AND a.n < b.n
        WHERE a.n IN (SELECT n FROM hw_line_nums) OR b.n IN (SELECT n FROM hw_line_nums)
        ORDER BY 1, 2, 3"""
    ).fetchall()
    spans = _spans(con)
    for a, b, imei in shared:
        for n in (a, b):
            if n not in groups:
                # A number on a line's handset that is not itself ordered from is the
                # runner's or controller's phone borrowing it, not a line number: only
                # numbers with orders from the line's customers join.
                if not _orders_from_customers(con, n, a if n == b else b):
                    continue
                groups[n] = n
                how[n] = "shared handset"
        if a in groups and b in groups:
            _union(groups, a, b)
            first, second = sorted((a, b), key=lambda n: spans.get(n, (date.max, date.max))[0])
            continuity.append(
                Continuity(
                    "number-change",
                    spans.get(second, (date.min, date.min))[0],
                    first,
                    second,
                    f"the same handset (IMEI {imei}…) used both numbers",
                )
            )
    # Successors: numbers the line's customers moved to.
    frontier = list(groups)
    while frontier:
        found = _successors(con, r, frontier, spans)
        frontier = []
        for old, new, share, gap in found:
            if new not in groups:
                groups[new] = new
                how[new] = "took over customers"
                frontier.append(new)
            elif _root(groups, old) == _root(groups, new):
                continue
            _union(groups, old, new)
            kind = "number-change" if gap <= 2 else "rebrand"
            continuity.append(
                Continuity(
                    kind,
                    spans[new][0],
                    old,
                    new,
                    f"{share:.0%} of {old}'s customers ordered from {new}, "
                    f"{gap} day(s) after {old} was last used",
                )
            )
    members: dict[str, list[str]] = defaultdict(list)
    for n in groups:
        members[_root(groups, n)].append(n)
    con.execute("CREATE OR REPLACE TEMP TABLE hw_line_nums (line_id VARCHAR, n VARCHAR)")
    ordered = sorted(members.values(), key=lambda ns: min(spans.get(n, (date.max,))[0] for n in ns))
    line_ids = {}
    for i, ns in enumerate(ordered, start=1):
        line_id = f"LINE-{i:02d}"
        for n in ns:
            line_ids[n] = line_id
        con.executemany("INSERT INTO hw_line_nums VALUES (?, ?)", [[line_id, n] for n in ns])
    by_score = {s.number: s for s in scores}
    lines = []
    roles = _roles(con, r)
    con.execute("CREATE OR REPLACE TEMP TABLE hw_line_runners (line_id VARCHAR, n VARCHAR)")
    pairs = [[line_id, n] for line_id, got in roles.items() for n in sorted(got["runner"])]
    if pairs:
        con.executemany("INSERT INTO hw_line_runners VALUES (?, ?)", pairs)
    cuckooed = _cuckooed(con, r)
    handsets = _handsets(con)
    shift_days: dict[tuple[str, str], list[date]] = defaultdict(list)
    for line_id, m, days in con.execute(
        """SELECT lr.line_id, p.m, list_sort(list_distinct(flatten(list(p.day_list))))
        FROM hw_partners p JOIN hw_line_nums l ON l.n = p.n
        JOIN hw_line_runners lr ON lr.line_id = l.line_id AND lr.n = p.m GROUP BY ALL"""
    ).fetchall():
        shift_days[(str(line_id), str(m))] = list(days)
    for held in handsets.values():
        continuity.extend(_handset_swaps(held))
    for ns in ordered:
        line_id = line_ids[ns[0]]
        ns_sorted = sorted(ns, key=lambda n: spans.get(n, (date.max,))[0])
        line = DetectedLine(
            line_id=line_id,
            numbers=[
                LineNumber(
                    n,
                    spans.get(n, (date.min, date.min))[0],
                    spans.get(n, (date.min, date.min))[1],
                    how[n],
                )
                for n in ns_sorted
            ],
            handsets=handsets.get(line_id, []),
            controllers=sorted(roles[line_id]["controller"]),
            runners=sorted(roles[line_id]["runner"]),
            users=sorted(roles[line_id]["user"]),
            continuity=[c for c in continuity if c.from_number in ns or c.to_number in ns],
            cuckooed=cuckooed.get(line_id, []),
            evidence={n: by_score[n].evidence(r) for n in ns_sorted if n in by_score},
            runner_days={
                m: shift_days.get((line_id, m), []) for m in sorted(roles[line_id]["runner"])
            },
        )
        lines.append(line)
    return lines


def _spans(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[date, date]]:
    """Each number's first local day as a party to an event, and its last day in use.

    In use means originating: customers go on texting a dead number for days after a
    line drops it (and during a re-brand's gap), so the last day anyone contacted it
    would hide when the line stopped using it — the date continuity turns on.
    """
    rows = con.execute(
        """WITH p AS (SELECT a_party AS n, started_local AS lt, TRUE AS used FROM hw_ev
                     WHERE a_kind = 'msisdn'
                   UNION ALL SELECT b_party, started_local, FALSE FROM hw_ev
                     WHERE b_kind = 'msisdn')
        SELECT n, min(lt)::DATE, coalesce(max(lt) FILTER (WHERE used), max(lt))::DATE
        FROM p GROUP BY n"""
    ).fetchall()
    return {str(n): (a, b) for n, a, b in rows}


def _orders_from_customers(con: duckdb.DuckDBPyConnection, n: str, line_number: str) -> bool:
    row = con.execute(
        """SELECT count(DISTINCT c) FROM hw_orders
        WHERE n = ? AND c IN (SELECT c FROM hw_orders WHERE n = ?)""",
        [n, line_number],
    ).fetchone()
    return bool(row and row[0] >= 3)


def _successors(
    con: duckdb.DuckDBPyConnection,
    rules: DetectionRules,
    olds: Sequence[str],
    spans: dict[str, tuple[date, date]],
) -> list[tuple[str, str, float, int]]:
    con.execute("CREATE OR REPLACE TEMP TABLE hw_olds (n VARCHAR, last_day DATE)")
    con.executemany(
        "INSERT INTO hw_olds VALUES (?, ?)", [[n, spans[n][1]] for n in olds if n in spans]
    )
    rows = con.execute(
        f"""
        WITH old_customers AS (
            SELECT o.n AS old, o.c FROM hw_orders o WHERE o.n IN (SELECT n FROM hw_olds)
            GROUP BY o.n, o.c),
        book AS (SELECT old, count(*) AS k FROM old_customers GROUP BY old),
        moved AS (
            SELECT oc.old, x.n AS new, count(DISTINCT x.c) AS k, min(x.lt)::DATE AS first_day
            FROM old_customers oc JOIN hw_orders x ON x.c = oc.c AND x.n <> oc.old
            JOIN hw_olds h ON h.n = oc.old
            WHERE x.lt::DATE >= h.last_day - INTERVAL 1 DAY
            GROUP BY oc.old, x.n),
        new_first AS (
            SELECT n, min(lt)::DATE AS first_day FROM hw_orders
            WHERE n IN (SELECT new FROM moved) GROUP BY n),
        new_mix AS (
            SELECT b_party AS n, avg((event = 'sms' OR duration_s < {int(rules.order_max_call_s)})::INTEGER)
                   AS order_share
            FROM hw_ev WHERE b_party IN (SELECT new FROM moved) GROUP BY b_party)
        SELECT m.old, m.new, m.k / b.k AS share,
               datediff('day', h.last_day, nf.first_day) AS gap
        FROM moved m JOIN book b USING (old) JOIN hw_olds h ON h.n = m.old
        JOIN new_first nf ON nf.n = m.new JOIN new_mix mix ON mix.n = m.new
        WHERE m.k / b.k >= {float(rules.successor_share)} AND b.k >= {SUCCESSOR_MIN_BOOK}
          AND nf.first_day >= h.last_day - INTERVAL 1 DAY
          AND datediff('day', h.last_day, nf.first_day) <= {int(rules.successor_gap_days)}
          AND mix.order_share >= {float(rules.short_share)}
        ORDER BY m.old, m.new"""
    ).fetchall()
    return [(str(a), str(b), float(s), int(g)) for a, b, s, g in rows]


def _roles(con: duckdb.DuckDBPyConnection, rules: DetectionRules) -> dict[str, dict[str, set[str]]]:
    r = rules
    out: dict[str, dict[str, set[str]]] = defaultdict(
        lambda: {"controller": set(), "runner": set(), "user": set()}
    )
    con.execute("CREATE OR REPLACE TEMP TABLE hw_line_only AS SELECT DISTINCT n FROM hw_line_nums")
    detection.colocated_partners(con, rules, "hw_line_only")
    detection.remote_contacts(con, rules, "hw_line_only")
    line_numbers = {n for (n,) in con.execute("SELECT n FROM hw_line_only").fetchall()}
    controllers = con.execute(
        "SELECT DISTINCT l.line_id, r.c FROM hw_remote r JOIN hw_line_nums l ON l.n = r.n"
    ).fetchall()
    users = con.execute(
        f"""SELECT l.line_id, o.c FROM hw_orders o JOIN hw_line_nums l ON l.n = o.n
        GROUP BY l.line_id, o.c HAVING count(*) >= {int(r.user_min_orders)}"""
    ).fetchall()
    far = detection.haversine_sql("x.lat", "x.lon", "h.lat", "h.lon")
    # A runner travels between the hub city and the market town: besides following the
    # handset, the phone is also seen more than remote_km from the line's usual cells.
    runners = con.execute(
        f"""WITH followers AS (
            SELECT DISTINCT l.line_id, p.n, p.m FROM hw_partners p
            JOIN hw_line_nums l ON l.n = p.n
            WHERE p.days >= {int(r.runner_days)} AND p.occasions >= {detection.MIN_OCCASIONS}
              AND p.cells >= {int(r.runner_cells)}),
        found AS (
            SELECT DISTINCT f.line_id, f.m FROM followers f
            JOIN hw_home h ON h.n = f.n
            WHERE EXISTS (SELECT 1 FROM hw_loc x WHERE x.n = f.m AND {far} > {float(r.remote_km)}))
        SELECT f.line_id, f.m, len(list_distinct(flatten(list(p.day_list)))) AS days,
               sum(p.occasions) AS occasions
        FROM found f JOIN hw_line_nums l ON l.line_id = f.line_id
        JOIN hw_partners p ON p.n = l.n AND p.m = f.m
        GROUP BY f.line_id, f.m
        ORDER BY f.m, days DESC, occasions DESC, f.line_id"""
    ).fetchall()
    user_of = defaultdict(set)
    for line_id, c in users:
        user_of[str(c)].add(line_id)
    taken: set[str] = set()
    for line_id, c in controllers:
        if c not in line_numbers:
            out[line_id]["controller"].add(str(c))
            taken.add(str(c))
    # Most days with the line's handset first: a runner seen with two lines' handsets
    # (lines sharing a hub, a handset passed on) is given to the one it works for most.
    for line_id, m, _days, _occasions in runners:
        m = str(m)
        # A customer sitting with the handset (a cuckooing victim at home, a buyer
        # waiting) is a user, not a runner.
        if m in line_numbers or m in taken or line_id in user_of.get(m, set()):
            continue
        out[line_id]["runner"].add(m)
        taken.add(m)
    for line_id, c in users:
        if str(c) not in taken and str(c) not in line_numbers:
            out[line_id]["user"].add(str(c))
    return out


def _cuckooed(
    con: duckdb.DuckDBPyConnection, rules: DetectionRules
) -> dict[str, list[CuckooedCell]]:
    r = rules
    rows = con.execute(
        f"""
        WITH day AS (
            SELECT l.line_id, CAST(lo.lt - INTERVAL 6 HOUR AS DATE) AS day, lo.cell_id,
                   count(*) AS k
            FROM hw_loc lo JOIN hw_line_nums l ON l.n = lo.n
            GROUP BY ALL),
        usual AS (
            SELECT line_id, day, first(cell_id ORDER BY k DESC, cell_id) AS cell_id
            FROM day GROUP BY ALL),
        runs AS (
            SELECT *, day - CAST(row_number() OVER (
                       PARTITION BY line_id, cell_id ORDER BY day) AS INTEGER) AS run
            FROM usual),
        stays AS (
            SELECT line_id, cell_id, min(day) AS first_day, max(day) AS last_day,
                   count(*) AS days
            FROM runs GROUP BY line_id, cell_id, run
            HAVING count(*) >= {int(r.cuckoo_nights)}),
        line_days AS (SELECT line_id, count(*) AS days FROM usual GROUP BY line_id),
        cell_days AS (SELECT line_id, cell_id, count(*) AS days FROM usual GROUP BY ALL),
        orders AS (
            SELECT l.line_id, o.c, CAST(o.lt AS DATE) AS day
            FROM hw_orders o JOIN hw_line_nums l ON l.n = o.n),
        residents AS (
            -- customers of the line whose usual night cell is the stay's cell
            SELECT s.*, h.n AS victim, h.lat, h.lon,
                   count(o.day) FILTER (WHERE o.day BETWEEN s.first_day AND s.last_day)
                       AS orders_during,
                   count(o.day) FILTER (WHERE o.day NOT BETWEEN s.first_day AND s.last_day)
                       AS orders_else,
                   any_value(ld.days) AS line_days,
                   any_value(cd.days - s.days) AS other_days
            FROM stays s
            JOIN line_days ld USING (line_id)
            JOIN cell_days cd USING (line_id, cell_id)
            JOIN hw_home h ON h.cell_id = s.cell_id
            JOIN orders o ON o.line_id = s.line_id AND o.c = h.n
            GROUP BY ALL)
        SELECT line_id, cell_id, lat, lon, victim, days, first_day, last_day,
               orders_else / greatest(line_days - days, 1) * days AS expected
        FROM residents
        WHERE orders_during = 0
          AND days < 0.5 * line_days
          AND other_days <= {int(r.cuckoo_other_days)}
          AND orders_else / greatest(line_days - days, 1) * days
              >= {float(r.cuckoo_expected_orders)}
        ORDER BY line_id, first_day, expected DESC, victim, cell_id"""
    ).fetchall()
    out: dict[str, list[CuckooedCell]] = defaultdict(list)
    seen: set[tuple[str, str, date]] = set()
    for line_id, cell, lat, lon, victim, days, first, last, _expected in rows:
        key = (str(line_id), str(cell), first)
        if key in seen:  # rows come most-expected first: that customer is the likelier victim
            continue
        seen.add(key)
        out[str(line_id)].append(
            CuckooedCell(str(cell), lat, lon, str(victim), int(days), first, last, True)
        )
    return out


def _handset_swaps(held: list[dict[str, Any]]) -> list[Continuity]:
    """A number seen on one handset, then on another from a later day: a handset swap."""
    out = []
    by_number: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for h in held:
        by_number[str(h["number"])].append(h)
    for number, used in sorted(by_number.items()):
        used.sort(key=lambda h: (h["from"], h["imei14"]))
        for old, new in itertools.pairwise(used):
            if new["from"] > old["from"]:
                out.append(
                    Continuity(
                        "handset-swap",
                        date.fromisoformat(new["from"]),
                        number,
                        number,
                        f"IMEI {old['imei14']}… ({old['from']} to {old['to']}) then "
                        f"IMEI {new['imei14']}… from {new['from']}",
                    )
                )
    return out


def _handsets(con: duckdb.DuckDBPyConnection) -> dict[str, list[dict[str, Any]]]:
    rows = con.execute(
        """SELECT l.line_id, e.imei, e.located, min(e.started_local)::DATE,
                  max(e.started_local)::DATE, count(*)
        FROM hw_ev e JOIN hw_line_nums l ON l.n = e.located
        WHERE e.imei IS NOT NULL GROUP BY ALL ORDER BY 1, 4, 2, 3"""
    ).fetchall()
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for line_id, imei, number, first, last, events in rows:
        out[str(line_id)].append(
            {"imei14": imei, "number": number, "from": first.isoformat(),
             "to": last.isoformat(), "events": int(events)}
        )  # fmt: skip
    return out


@dataclass(frozen=True)
class CustomerCounts:
    line_id: str
    customer_days: int  # each customer once per day they initiated a counted contact
    confirmed_customer_days: int
    distinct_customers: int
    confirmed_distinct_customers: int
    by_day: list[tuple[date, int, int]]  # (day, customers, confirmed)


def customer_counts(
    con: duckdb.DuckDBPyConnection, rules: DetectionRules, line_id: str
) -> CustomerCounts:
    """The case-file customer-contact counts for one line (rules in the module docstring)."""
    con.execute(counted_contacts_sql(rules, line_id), [line_id])
    rows = con.execute(
        """SELECT day, count(DISTINCT c), count(DISTINCT c) FILTER (WHERE confirmed)
        FROM hw_counted GROUP BY day ORDER BY day"""
    ).fetchall()
    totals = con.execute(
        "SELECT count(DISTINCT c), count(DISTINCT c) FILTER (WHERE confirmed) FROM hw_counted"
    ).fetchone()
    assert totals is not None
    return CustomerCounts(
        line_id,
        sum(int(r[1]) for r in rows),
        sum(int(r[2]) for r in rows),
        int(totals[0]),
        int(totals[1]),
        [(r[0], int(r[1]), int(r[2])) for r in rows],
    )


def counted_contacts_sql(rules: DetectionRules, line_id: str) -> str:
    """``hw_counted``: each contact a customer initiated that the count keeps, with its row."""
    r = rules
    del line_id  # bound as the statement's parameter
    return f"""CREATE OR REPLACE TEMP TABLE hw_counted AS
        WITH mine AS (SELECT n FROM hw_line_nums WHERE line_id = $1),
        inbound AS (
            SELECT e.b_party AS n, e.a_party AS c, e.started_utc AS t, e.started_local AS lt,
                   e.event, e.duration_s, e.file_id, e.line
            FROM hw_ev e WHERE e.b_party IN (SELECT n FROM mine) AND e.a_kind = 'msisdn'),
        answering AS (
            SELECT n FROM mine
            UNION SELECT n FROM hw_line_runners WHERE line_id = $1),
        outbound AS (
            SELECT e.a_party AS n, e.b_party AS c, e.started_utc AS t
            FROM hw_ev e WHERE e.a_party IN (SELECT n FROM answering)),
        kept AS (
            SELECT i.* FROM inbound i
            WHERE (i.event = 'call' AND i.duration_s >= {int(r.count_min_call_s)})
               OR (i.event = 'sms' AND NOT EXISTS (
                   SELECT 1 FROM outbound o WHERE o.c = i.c AND o.t <= i.t
                     AND o.t >= i.t - INTERVAL {int(r.auto_reply_s)} SECOND)))
        SELECT k.c, CAST(k.lt AS DATE) AS day, k.t, k.event, k.duration_s, k.n, k.file_id,
               k.line,
               (k.event = 'call' AND k.duration_s > 0) OR EXISTS (
                   SELECT 1 FROM outbound o WHERE o.c = k.c AND o.t > k.t
                     AND o.t <= k.t + INTERVAL {int(r.confirm_minutes)} MINUTE) AS confirmed
        FROM kept k"""
