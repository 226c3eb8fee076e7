"""The safeguarding room's declaration: safeguarding, NRM and Duty to Notify referrals.

The referral record is defined here once; the rooms whose findings flag a possible
victim (county lines from call data; later operations and programmes) link to the
form or call :func:`harmwatch.safeguarding.referrals.record_referral` with a
:class:`~harmwatch.safeguarding.referrals.ReferralDraft`. Every route's reads and
changes are logged by the records kernel itself (``audit=None``).
"""

from __future__ import annotations

from harmwatch.kernel.rooms import NavEntry, Room, RouteRule

from .kinds import READ_REFERRALS, REFERRALS, WRITE_REFERRALS
from .referrals import ReferralRefused

_R, _W = READ_REFERRALS, WRITE_REFERRALS

ROOM = Room(
    name="safeguarding",
    title="Safeguarding: safeguarding, NRM and Duty to Notify referrals",
    capabilities=(READ_REFERRALS, WRITE_REFERRALS),
    record_types=(REFERRALS,),
    routes={
        ("GET", "/safeguarding"): RouteRule(_R, "page", audit=None),
        ("POST", "/safeguarding/search"): RouteRule(_R, "page", audit=None),
        ("GET", "/safeguarding/new"): RouteRule(_W, "page", audit=None),
        ("POST", "/safeguarding/new"): RouteRule(_W, "page", audit=None),
        ("POST", "/safeguarding/referrals"): RouteRule(_W, "page", audit=None),
        ("GET", "/safeguarding/referrals/{referral_id}"): RouteRule(_R, "page", audit=None),
        ("POST", "/safeguarding/referrals/{referral_id}/decisions"): RouteRule(
            _W, "page", audit=None
        ),
        ("GET", "/api/safeguarding/referrals"): RouteRule(_R, "api", audit=None),
        ("POST", "/api/safeguarding/referrals"): RouteRule(_W, "api", audit=None),
        ("GET", "/api/safeguarding/referrals/{referral_id}"): RouteRule(_R, "api", audit=None),
        ("POST", "/api/safeguarding/referrals/{referral_id}/decisions"): RouteRule(
            _W, "api", audit=None
        ),
        ("POST", "/api/safeguarding/export"): RouteRule(_W, "api", audit=None),
    },
    nav=(NavEntry("/safeguarding", "Safeguarding", READ_REFERRALS, order=57),),
    web=("harmwatch.web.rooms.safeguarding",),
    cli="harmwatch.cli.safeguarding",
    errors=(ReferralRefused,),
)
