"""The detector's rules: every threshold it uses, named, with why — and the customer-count rules.

One frozen dataclass, so that a run records exactly the rules it used (they travel
in the ``detect --json`` document and on every schedule), an analyst can change one
from the command line (``--rule name=value``) and both sides of a case can rerun the
same figures. The defaults were set on synthetic development scenarios (seeds
1000–1019) after the generator was frozen (git tag ``county-lines-generator-1``) and
are checked on seeds never used in development (``benchmarks/bench_county_lines.py``);
they are not calibrated on real call data, which harmwatch has never seen.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from harmwatch.errors import InputError


@dataclass(frozen=True)
class DetectionRules:
    # -- candidates: a deal line is ordered from, by many people, again and again --------
    #: contacts a customer initiates (call or SMS) count as orders; calls at least this
    #: long are conversations rather than orders
    order_max_call_s: int = 60
    #: a candidate needs at least this many distinct people ordering on 2+ different days
    min_repeat_customers: int = 6

    # -- evidence for ------------------------------------------------------------------
    #: share of inbound contacts that are orders (SMS or calls under order_max_call_s)
    short_share: float = 0.9
    #: an answer: the number contacts the customer within this many minutes of an order
    reply_minutes: int = 20
    reply_share: float = 0.3
    #: a delivery follow-up: contact with the customer within this many minutes of an
    #: order, from a cell within follow_up_km of the customer's usual night-time cell
    follow_up_minutes: int = 90
    follow_up_km: float = 1.5
    follow_up_share: float = 0.2
    #: a runner: another phone in the same cell within colocation_minutes, on at least
    #: runner_days different days
    colocation_minutes: int = 20
    runner_days: int = 2
    #: … in at least this many different cells (a cell holds thousands of people; only a
    #: phone carried with the handset follows it from cell to cell)
    runner_cells: int = 2
    #: a controller: a counterpart usually located further than remote_km from the
    #: line's usual cells, in contact on at least controller_days days
    remote_km: float = 20.0
    controller_days: int = 3

    # -- evidence against --------------------------------------------------------------
    #: a business at a fixed base: this share of the number's located events in one cell
    stationary_share: float = 0.9
    #: an ordinary phone: this share of its inbound calls are conversations (≥ 3 minutes)
    conversation_share: float = 0.1

    #: points needed to flag (see detection.POINTS)
    flag_points: int = 7

    # -- continuity ---------------------------------------------------------------------
    #: a successor number: at least this share of the old line's customers contact it …
    successor_share: float = 0.3
    #: … starting no more than this many days after the old number's last activity
    successor_gap_days: int = 14

    # -- roles ---------------------------------------------------------------------------
    #: a user: ordered from a line on at least this many occasions
    user_min_orders: int = 1

    # -- cuckooing -------------------------------------------------------------------------
    #: the line handset located in one town cell for at least this many nights running …
    cuckoo_nights: int = 3
    #: … which is the usual night cell of a customer whose own ordering rate would have
    #: given at least this many orders in those days, and who ordered none
    cuckoo_expected_orders: float = 1.0
    #: … in a cell the line is otherwise rarely based in: the handset's usual cell on at
    #: most this many days outside the stay (a line's ordinary bases recur)
    cuckoo_other_days: int = 1

    # -- customer counts (case files) ---------------------------------------------------
    #: calls shorter than this are left out of the customer-contact count (misdials,
    #: calls dropped at once)
    count_min_call_s: int = 5
    #: an SMS arriving this soon after the line's own message to that number is an
    #: automated reply (delivery report, auto-responder) and is left out
    auto_reply_s: int = 10
    #: a "confirmed" contact: the line answers (a call with duration) or contacts the
    #: customer back within this many minutes
    confirm_minutes: int = 30

    def with_overrides(self, overrides: dict[str, str]) -> DetectionRules:
        """These rules with ``name=value`` strings applied (from the command line)."""
        known = {f.name: f for f in fields(self)}
        changes: dict[str, Any] = {}
        for name, text in overrides.items():
            if name not in known:
                raise InputError(f"rule {name!r}: no such rule; rules: {', '.join(known)}")
            kind = type(getattr(self, name))
            try:
                value = kind(text)
            except ValueError:
                raise InputError(f"rule {name}: {text!r} is not a {kind.__name__}") from None
            if value < 0:
                raise InputError(f"rule {name}: cannot be negative")
            changes[name] = value
        return replace(self, **changes)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)
