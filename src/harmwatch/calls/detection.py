"""Deal-line detection: score every number from its call data, and say why.

A deal line is a phone number customers order drugs from: the Home Office's county
lines guidance (2018, updated 2023) and the NCA's threat assessments describe one
number, on a dedicated handset carried by runners in the market town and controlled
from the hub city, ordered from by many users again and again, with short calls and
texts at all hours, and sometimes "flare" marketing texts. Counting bulk texts alone
finds only the lines that advertise, and every takeaway and school too. The detector
therefore scores the *combination* the guidance describes, each as SQL over the
visible rows (no per-row Python, so a distributed engine can run the same
definitions), and keeps each feature's value as its evidence:

=====================  ======  ===========================================================
evidence               points  definition (thresholds: :class:`~.rules.DetectionRules`)
=====================  ======  ===========================================================
repeat customers       +2/+3   distinct people ordering (SMS, or a call shorter than
                               ``order_max_call_s``) on 2+ different days: ≥
                               ``min_repeat_customers`` (+2), ≥ 3 × that (+3)
orders, not talk       +2      share of inbound contacts that are orders ≥ ``short_share``
answers orders         +1      share of orders the number answers (contacts the customer)
                               within ``reply_minutes`` ≥ ``reply_share``
delivers               +2      share of orders followed within ``follow_up_minutes`` by a
                               contact from a cell within ``follow_up_km`` of the
                               customer's usual night cell ≥ ``follow_up_share``
carried by a runner    +1      another phone in the same cell within
                               ``colocation_minutes`` in ≥ ``runner_cells`` different
                               cells (it follows the handset), on ≥ ``runner_days`` days
remote controller      +1      a counterpart usually located > ``remote_km`` away, in
                               contact on ≥ ``controller_days`` days
fixed base             −3      ≥ ``stationary_share`` of its located events in one cell
                               (taxi offices, takeaways: a line handset moves)
conversations          −2      ≥ ``conversation_share`` of inbound calls last 3+ minutes
                               (people, not customers)
=====================  ======  ===========================================================

A number is flagged with ``flag_points`` or more *and* the three required criteria:
repeat customers, orders not talk, and not conversations. Only numbers with
``min_repeat_customers`` repeat customers are scored at all (the candidates), and the
costly features are computed only for those meeting the required criteria;
alphanumeric senders and short codes cannot be ordered from and are never candidates. Continuity, roles, cuckooing
and customer counts build on the flagged numbers (:mod:`.lines`).

Distances are great-circle (haversine, Earth radius 6,371 km) between cell sites: a
cell site is where the mast is, not the handset, so "near the customer's home" means
the same or a neighbouring cell, and the rules are written in kilometres of cell
sites, as an analyst would reason about them.

Every step takes a :class:`~harmwatch.engines.SqlEngine` (or a bare DuckDB
connection, which runs the SQL as written): the same statements run on Spark through
:class:`~harmwatch.engines.spark.SparkEngine` for call data too large for one machine
(:mod:`.distributed`). Where several rows tie for "the most" (a number's usual cell),
the lower cell id is taken, so that every engine and every run picks the same one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import duckdb

from harmwatch.engines import SqlEngine, as_engine

from .rules import DetectionRules

#: What the steps run on: an engine, or a DuckDB connection (run as written).
Db = SqlEngine | duckdb.DuckDBPyConnection

EARTH_KM = 6371.0

POINTS = {
    "repeat_customers": 2,
    "many_repeat_customers": 1,
    "orders_not_talk": 2,
    "answers_orders": 1,
    "delivers": 2,
    "runner": 1,
    "remote_controller": 1,
    "fixed_base": -3,
    "conversations": -2,
}

#: Co-located occasions (events together in one cell) a runner needs with the handset.
MIN_OCCASIONS = 3

FEATURE_COLUMNS = (
    "number", "inbound", "orders", "customers", "repeat_customers", "order_share",
    "conversation_share", "located_events", "cells", "top_cell_share", "reply_share",
    "follow_up_share", "runner_days", "controller_days", "bulk_bursts", "points",
    "flagged",
)  # fmt: skip


def haversine_sql(lat1: str, lon1: str, lat2: str, lon2: str) -> str:
    """Great-circle distance in km between two points given as SQL expressions."""
    return (
        f"(2 * {EARTH_KM} * asin(sqrt(power(sin(radians({lat2} - {lat1}) / 2), 2) + "
        f"cos(radians({lat1})) * cos(radians({lat2})) * "
        f"power(sin(radians({lon2} - {lon1}) / 2), 2))))"
    )


@dataclass(frozen=True)
class NumberScore:
    number: str
    inbound: int
    orders: int
    customers: int
    repeat_customers: int
    order_share: float
    conversation_share: float
    located_events: int
    cells: int
    top_cell_share: float
    reply_share: float
    follow_up_share: float
    runner_days: int
    controller_days: int
    bulk_bursts: int
    points: int
    flagged: bool

    def evidence(self, rules: DetectionRules) -> list[str]:
        """Each criterion met, in words, with its figure (what the flag rests on)."""
        out = []
        if self.repeat_customers >= rules.min_repeat_customers:
            out.append(
                f"{self.repeat_customers} people ordered on two or more days "
                f"({self.customers} ordered at all; {self.orders} orders)"
            )
        if self.order_share >= rules.short_share:
            out.append(
                f"{self.order_share:.0%} of inbound contacts were texts or calls under "
                f"{rules.order_max_call_s} s"
            )
        if self.reply_share >= rules.reply_share:
            out.append(
                f"answered {self.reply_share:.0%} of orders within {rules.reply_minutes} min"
            )
        if self.follow_up_share >= rules.follow_up_share:
            out.append(
                f"{self.follow_up_share:.0%} of orders followed within "
                f"{rules.follow_up_minutes} min by a contact from within "
                f"{rules.follow_up_km} km of the customer's usual night cell"
            )
        if self.runner_days >= rules.runner_days:
            out.append(f"another phone in the same cell on {self.runner_days} days")
        if self.controller_days >= rules.controller_days:
            out.append(
                f"a counterpart usually over {rules.remote_km:g} km away, in contact on "
                f"{self.controller_days} days"
            )
        if self.located_events >= 20 and self.top_cell_share >= rules.stationary_share:
            out.append(f"against: {self.top_cell_share:.0%} of its events in one cell")
        if self.conversation_share >= rules.conversation_share:
            out.append(
                f"against: {self.conversation_share:.0%} of inbound calls were 3+ minute "
                "conversations"
            )
        if self.bulk_bursts:
            out.append(f"{self.bulk_bursts} bulk text burst(s) (15+ recipients in 10 min)")
        return out


def scope(db: Db, files: Sequence[str]) -> None:
    """Limit this connection's ``hw_ev`` view to the visible files (none: no rows)."""
    con = as_engine(db)
    con.load_rows("hw_files", [("file_id", "VARCHAR")], [[f] for f in files])
    con.execute(
        "CREATE OR REPLACE TEMP VIEW hw_ev AS SELECT * FROM calls "
        "WHERE file_id IN (SELECT file_id FROM hw_files)"
    )


def build_base(db: Db, rules: DetectionRules) -> None:
    """Tables every later step reads: orders, located events, usual night cells."""
    con = as_engine(db)
    r = rules
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE hw_orders AS
        SELECT b_party AS n, a_party AS c, started_utc AS t, started_local AS lt, event,
               duration_s, file_id, line
        FROM hw_ev
        WHERE a_kind = 'msisdn' AND b_kind = 'msisdn' AND a_party <> b_party
          AND (event = 'sms' OR duration_s < {int(r.order_max_call_s)})"""
    )
    con.execute(
        """CREATE OR REPLACE TEMP TABLE hw_loc AS
        SELECT located AS n, cell_id, cell_lat AS lat, cell_lon AS lon, started_utc AS t,
               started_local AS lt
        FROM hw_ev WHERE located IS NOT NULL AND cell_id IS NOT NULL
          AND cell_lat IS NOT NULL AND cell_lon IS NOT NULL"""
    )
    # The usual night cell (22:00-06:00 local) — an analyst's estimate of home; the usual
    # cell at any hour when a number is never seen at night. A cell's site has one
    # position, so min() only makes the pick the same on every engine.
    con.execute(
        """CREATE OR REPLACE TEMP TABLE hw_home AS
        WITH counted AS (
            SELECT n, cell_id, min(lat) AS lat, min(lon) AS lon,
                   count(*) FILTER (WHERE hour(lt) >= 22 OR hour(lt) < 6) AS nights,
                   count(*) AS events
            FROM hw_loc GROUP BY n, cell_id),
        ranked AS (
            SELECT n, cell_id, lat, lon,
                   row_number() OVER (PARTITION BY n ORDER BY nights DESC, events DESC,
                                      cell_id) AS pick,
                   max(nights) OVER (PARTITION BY n) AS night_events,
                   sum(events) OVER (PARTITION BY n) AS events
            FROM counted)
        SELECT n, cell_id, lat, lon, night_events, events FROM ranked WHERE pick = 1"""
    )


def score_numbers(db: Db, rules: DetectionRules) -> list[NumberScore]:
    """Every candidate's features and points (see the module docstring)."""
    con = as_engine(db)
    r = rules
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE hw_cand AS
        WITH per AS (
            SELECT n, c, count(DISTINCT CAST(lt AS DATE)) AS days, count(*) AS k
            FROM hw_orders GROUP BY n, c)
        SELECT n, sum(k) AS orders, count(*) AS customers,
               count(*) FILTER (WHERE days >= 2) AS repeat_customers
        FROM per GROUP BY n
        HAVING count(*) FILTER (WHERE days >= 2) >= {int(r.min_repeat_customers)}"""
    )
    con.execute(
        """CREATE OR REPLACE TEMP TABLE hw_inbound AS
        SELECT b_party AS n, count(*) AS inbound,
               count(*) FILTER (WHERE event = 'call' AND duration_s >= 180) AS conversations,
               count(*) FILTER (WHERE event = 'call') AS calls
        FROM hw_ev WHERE b_party IN (SELECT n FROM hw_cand) AND a_party <> b_party
        GROUP BY b_party"""
    )
    # The costly features (answers, follow-ups, co-location, remote contacts) only for
    # numbers that meet the required criteria: a number whose inbound contacts are not
    # mostly orders, or are conversations, cannot be flagged whatever else it shows.
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE hw_req AS
        SELECT c.n FROM hw_cand c JOIN hw_inbound i USING (n)
        WHERE c.orders / greatest(i.inbound, c.orders) >= {float(r.short_share)}
          AND coalesce(i.conversations / nullif(i.calls, 0), 0) < {float(r.conversation_share)}"""
    )
    con.execute(
        """CREATE OR REPLACE TEMP TABLE hw_cells AS
        WITH per AS (SELECT n, cell_id, count(*) AS k FROM hw_loc
                     WHERE n IN (SELECT n FROM hw_cand) GROUP BY n, cell_id)
        SELECT n, sum(k) AS located_events, count(*) AS cells, max(k) / sum(k) AS top_share
        FROM per GROUP BY n"""
    )
    # Outbound contacts of candidates, each with where the candidate was.
    con.execute(
        """CREATE OR REPLACE TEMP TABLE hw_out AS
        SELECT a_party AS n, b_party AS c, started_utc AS t, cell_lat AS lat, cell_lon AS lon
        FROM hw_ev WHERE a_party IN (SELECT n FROM hw_req) AND a_party <> b_party"""
    )
    near = haversine_sql("x.lat", "x.lon", "h.lat", "h.lon")
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE hw_answers AS
        SELECT o.n, o.c, o.t,
               x.t IS NOT NULL AND x.t <= o.t + INTERVAL {int(r.reply_minutes)} MINUTE
                   AS answered,
               x.t IS NOT NULL AND x.t <= o.t + INTERVAL {int(r.follow_up_minutes)} MINUTE
                   AND h.cell_id IS NOT NULL AND x.lat IS NOT NULL
                   AND {near} <= {float(r.follow_up_km)} AS followed
        FROM (SELECT * FROM hw_orders WHERE n IN (SELECT n FROM hw_req)) o
        ASOF LEFT JOIN hw_out x ON o.n = x.n AND o.c = x.c AND x.t > o.t
        LEFT JOIN hw_home h ON h.n = o.c"""
    )
    colocated_partners(con, rules, "hw_req")
    remote_contacts(con, rules, "hw_req")
    con.execute(
        """CREATE OR REPLACE TEMP TABLE hw_bursts AS
        WITH sms AS (
            SELECT a_party AS n, time_bucket(INTERVAL 10 MINUTE, started_utc) AS w,
                   count(DISTINCT b_party) AS k
            FROM hw_ev WHERE event = 'sms' AND a_party IN (SELECT n FROM hw_req)
            GROUP BY ALL)
        SELECT n, count(*) FILTER (WHERE k >= 15) AS bursts FROM sms GROUP BY n"""
    )
    rows = con.fetchall(
        f"""
        SELECT c.n, coalesce(i.inbound, 0), c.orders, c.customers, c.repeat_customers,
               c.orders / greatest(coalesce(i.inbound, 0), c.orders),
               coalesce(i.conversations / nullif(i.calls, 0), 0),
               coalesce(l.located_events, 0), coalesce(l.cells, 0), coalesce(l.top_share, 0),
               coalesce(a.answered, 0), coalesce(a.followed, 0),
               coalesce(p.days, 0), coalesce(rc.days, 0), coalesce(b.bursts, 0)
        FROM hw_cand c
        LEFT JOIN hw_inbound i USING (n)
        LEFT JOIN hw_cells l USING (n)
        LEFT JOIN (SELECT n, avg(answered::INTEGER) AS answered,
                          avg(followed::INTEGER) AS followed
                   FROM hw_answers GROUP BY n) a USING (n)
        LEFT JOIN (SELECT n, max(days) AS days FROM hw_partners
                   WHERE occasions >= {MIN_OCCASIONS} AND cells >= {int(r.runner_cells)}
                   GROUP BY n) p USING (n)
        LEFT JOIN (SELECT n, max(days) AS days FROM hw_remote GROUP BY n) rc USING (n)
        LEFT JOIN hw_bursts b USING (n)
        ORDER BY c.n"""
    )
    scores = []
    for row in rows:
        (n, inbound, orders, customers, repeat, order_share, conv, located, cells, top,
         reply, follow, runner, controller, bursts) = row  # fmt: skip
        points = 0
        if repeat >= r.min_repeat_customers:
            points += POINTS["repeat_customers"]
        if repeat >= 3 * r.min_repeat_customers:
            points += POINTS["many_repeat_customers"]
        if order_share >= r.short_share:
            points += POINTS["orders_not_talk"]
        if reply >= r.reply_share:
            points += POINTS["answers_orders"]
        if follow >= r.follow_up_share:
            points += POINTS["delivers"]
        if runner >= r.runner_days:
            points += POINTS["runner"]
        if controller >= r.controller_days:
            points += POINTS["remote_controller"]
        if located >= 20 and top >= r.stationary_share:
            points += POINTS["fixed_base"]
        if conv >= r.conversation_share:
            points += POINTS["conversations"]
        required = (
            repeat >= r.min_repeat_customers
            and order_share >= r.short_share
            and conv < r.conversation_share
        )
        scores.append(
            NumberScore(
                str(n),
                int(inbound),
                int(orders),
                int(customers),
                int(repeat),
                float(order_share),
                float(conv),
                int(located),
                int(cells),
                float(top),
                float(reply),
                float(follow),
                int(runner),
                int(controller),
                int(bursts),
                points,
                required and points >= r.flag_points,
            )
        )
    return scores


def colocated_partners(db: Db, rules: DetectionRules, of: str) -> None:
    """``hw_partners``: for each number in table ``of``, phones seen in its cell in time.

    Two located events are together when they are in the same cell within
    ``colocation_minutes``. Bucketing time into windows of that width and matching a
    window with its neighbours turns the range join into an equality join, so the
    work is proportional to the events in each cell-window, not to every pair in a cell.
    """
    con = as_engine(db)
    w = max(int(rules.colocation_minutes), 1)
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE hw_partners AS
        WITH mine AS (
            SELECT n, cell_id, t, lt, CAST(floor(epoch(t) / {w * 60}) AS BIGINT) AS b
            FROM hw_loc WHERE n IN (SELECT n FROM {of})),
        expanded AS (SELECT n, cell_id, t, lt, b + d AS b FROM mine, range(-1, 2) r(d)),
        other AS (
            SELECT n AS m, cell_id, t, CAST(floor(epoch(t) / {w * 60}) AS BIGINT) AS b FROM hw_loc),
        hits AS (
            SELECT DISTINCT e.n, o.m, CAST(e.lt AS DATE) AS day, e.t, e.cell_id
            FROM expanded e JOIN other o ON o.cell_id = e.cell_id AND o.b = e.b
            WHERE o.m <> e.n AND abs(epoch(o.t) - epoch(e.t)) <= {w * 60})
        SELECT h.n, h.m, count(DISTINCT h.day) AS days, count(*) AS occasions,
               count(DISTINCT h.cell_id) AS cells,
               count(*) / any_value(k.events) AS share,
               list(DISTINCT h.day ORDER BY h.day) AS day_list
        FROM hits h JOIN (SELECT n, count(*) AS events FROM mine GROUP BY n) k USING (n)
        GROUP BY h.n, h.m"""
    )


def remote_contacts(db: Db, rules: DetectionRules, of: str) -> None:
    """``hw_remote``: counterparts usually located over ``remote_km`` from the number."""
    con = as_engine(db)
    far = haversine_sql("hn.lat", "hn.lon", "hc.lat", "hc.lon")
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE hw_remote AS
        WITH pairs AS (
            SELECT a_party AS n, b_party AS c, started_local AS lt FROM hw_ev
            WHERE a_party IN (SELECT n FROM {of})
            UNION ALL
            SELECT b_party AS n, a_party AS c, started_local AS lt FROM hw_ev
            WHERE b_party IN (SELECT n FROM {of})),
        per AS (SELECT n, c, count(DISTINCT CAST(lt AS DATE)) AS days, count(*) AS contacts
                FROM pairs WHERE c <> n GROUP BY n, c)
        SELECT p.n, p.c, p.days, p.contacts, {far} AS km
        FROM per p JOIN hw_home hn ON hn.n = p.n JOIN hw_home hc ON hc.n = p.c
        WHERE p.days >= {int(rules.controller_days)} AND {far} > {float(rules.remote_km)}"""
    )
