"""Why a force's own records and police.uk give different counts: a bridge, type by month.

police.uk publishes each crime in the **month the force recorded it**, under the
classification and status it had when the month was extracted, and never a
non-notifiable offence. harmwatch counts a force's records in the **month the
crime was committed**, under **today's** classification, leaving out cancelled and
transferred crimes. For each police.uk crime type and month the bridge says how one
count becomes the other, each step one documented reason:

=================  ==========================================================================
``force_records``  what every analysis on ``--source force-records`` counts (committed month,
                   current class, recorded status)
``timing``         + crimes recorded this month but committed in another, − those committed
                   this month but recorded in another (late reporting, or discovery)
``reclassified``   + crimes police.uk published under this type that the force has since
                   reclassified to another, − the reverse
``cancelled``      + crimes cancelled or transferred after police.uk published them
``expected``       = what police.uk should show, if nothing else differs
``police_uk``      what police.uk shows (street files loaded for the force and month)
``unexplained``    ``police_uk − expected``: removals, crimes recorded after police.uk's
                   extract, records missing from the export — anything the records cannot say
=================  ==========================================================================

Non-notifiable records in the export are counted apart (police.uk never has them).
The bridge needs the export's ``recorded`` dates (without them a crime's recording
month is taken to be its committed month, and the timing step is zero: the page says
so) and, for the reclassification step, the class when first recorded.

Everything here is a count per force, type and month; no place, time or reference
leaves the store, so a viewer of aggregates may see it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd

from harmwatch.errors import InputError
from harmwatch.storage.analytics import AnalyticsStore
from harmwatch.storage.analytics.rows import StreetScope

from .offences import NON_NOTIFIABLE, POLICE_UK_CRIME_TYPES
from .service import SCOPE, TABLES, Grant, current_grant

COLUMNS = (
    "force_records", "timing", "reclassified", "cancelled", "expected", "police_uk",
    "unexplained",
)  # fmt: skip

REASONS: dict[str, str] = {
    "timing": "police.uk counts the month a crime was recorded; the records count the month "
    "it was committed (crimes reported late, or found later, move between months)",
    "reclassified": "police.uk keeps the classification a crime had when its month was "
    "published; the records have the force's current one",
    "cancelled": "crimes cancelled or transferred under the counting rules after police.uk "
    "published them are still on police.uk",
    "unexplained": "what the records cannot account for: crimes police.uk removed, crimes "
    "recorded after its extract, or records missing from the export",
}


@dataclass
class Reconciliation:
    force: str
    months: list[str]
    table: pd.DataFrame  # one row per (month, crime_type): COLUMNS
    by_type: pd.DataFrame  # summed over months
    by_month: pd.DataFrame  # summed over types
    non_notifiable: dict[str, int]  # month -> records in the export, never on police.uk
    notes: list[str] = field(default_factory=list)
    source: str = ""

    def totals(self) -> dict[str, int]:
        return {c: int(self.table[c].sum()) for c in COLUMNS}

    def summary(self) -> dict[str, object]:
        return {
            "force": self.force,
            "months": self.months,
            "source": self.source,
            "totals": self.totals(),
            "reasons": REASONS,
            "by_type": self.by_type.reset_index().to_dict(orient="records"),
            "by_month": self.by_month.reset_index().to_dict(orient="records"),
            "non_notifiable": self.non_notifiable,
            "notes": self.notes,
        }


def _counts(con: object, sql: str, params: list[object]) -> pd.Series:
    rows = con.execute(sql, params).fetchall()  # type: ignore[attr-defined]
    if not rows:
        return pd.Series(dtype="int64")
    index = pd.MultiIndex.from_tuples(
        [(str(m), str(t)) for m, t, _ in rows], names=["month", "crime_type"]
    )
    return pd.Series([int(n) for *_, n in rows], index=index, dtype="int64")


def reconcile(
    store: AnalyticsStore,
    force: str,
    months: Sequence[str] | None = None,
    *,
    grant: Grant | None = None,
) -> Reconciliation:
    """The bridge from the force's records to police.uk, for one force and its months.

    Months default to those both sources cover: the records' recording months and
    police.uk's loaded street months for the force.
    """
    grant = grant or current_grant()
    con = store.room_connection(TABLES, scoped_by=SCOPE)
    files = list(grant.file_ids)
    marks = ", ".join("?" * len(files)) or "NULL"
    base = f"file_id IN ({marks}) AND force = ?"
    params: list[object] = [*files, force]
    span = con.execute(
        "SELECT DISTINCT strftime(coalesce(recorded_month, committed_month), '%Y-%m') "
        f"FROM force_crimes WHERE {base} ORDER BY 1",
        params,
    ).fetchall()
    record_months = [str(r[0]) for r in span]
    if not record_months:
        raise InputError(f"no force crime records of {force} that you may see")
    open_months = store.loaded_months([force]) if force in store.street_forces() else []
    if not open_months:
        raise InputError(
            f"no police.uk street files are loaded for {force}: load them to reconcile "
            "(harmwatch ingest …)"
        )
    both = sorted(set(record_months) & set(open_months))
    chosen = sorted(months) if months else both
    missing = [m for m in chosen if m not in both]
    if missing:
        raise InputError(
            f"month(s) {', '.join(missing)} are not in both sources; both cover: "
            f"{', '.join(both) or 'no month'}"
        )
    if not chosen:
        raise InputError(f"the records and police.uk share no month for {force}")
    m_marks = ", ".join("?" * len(chosen))
    month_of = "strftime({col}, '%Y-%m')"
    rec = "coalesce(recorded_month, committed_month)"

    def q(month_col: str, type_col: str, where: str) -> pd.Series:
        return _counts(
            con,
            f"SELECT {month_of.format(col=month_col)} AS m, {type_col} AS t, count(*) "
            f"FROM force_crimes WHERE {base} AND {where} "
            f"AND {month_of.format(col=month_col)} IN ({m_marks}) GROUP BY ALL",
            [*params, *chosen],
        )

    counted = "counted"
    records = q("committed_month", "crime_type", counted)
    by_recorded = q(rec, "crime_type", counted)
    by_original = q(
        rec, "original_crime_type", "status = 'recorded' AND original_crime_type IS NOT NULL"
    )
    cancelled = q(
        rec, "original_crime_type", "status <> 'recorded' AND original_crime_type IS NOT NULL"
    )
    open_rows = store.street_counts_by_month_and_type(
        StreetScope(forces=(force,), months=tuple(chosen), crime_types=POLICE_UK_CRIME_TYPES)
    )
    police = pd.Series(
        [r.n for r in open_rows],
        index=pd.MultiIndex.from_tuples(
            [(r.month, r.crime_type) for r in open_rows], names=["month", "crime_type"]
        ),
        dtype="int64",
    )
    index = pd.MultiIndex.from_product(
        [chosen, list(POLICE_UK_CRIME_TYPES)], names=["month", "crime_type"]
    )
    frame = pd.DataFrame(
        {
            "force_records": records.reindex(index, fill_value=0),
            "by_recorded": by_recorded.reindex(index, fill_value=0),
            "by_original": by_original.reindex(index, fill_value=0),
            "cancelled": cancelled.reindex(index, fill_value=0),
            "police_uk": police.reindex(index, fill_value=0),
        }
    )
    frame["timing"] = frame["by_recorded"] - frame["force_records"]
    frame["reclassified"] = frame["by_original"] - frame["by_recorded"]
    frame["expected"] = frame["by_original"] + frame["cancelled"]
    frame["unexplained"] = frame["police_uk"] - frame["expected"]
    table = frame[list(COLUMNS)].astype("int64")
    nn = con.execute(
        f"SELECT {month_of.format(col=rec)}, count(*) FROM force_crimes WHERE {base} "
        f"AND offence_code = ? AND {month_of.format(col=rec)} IN ({m_marks}) GROUP BY 1 ORDER BY 1",
        [*params, NON_NOTIFIABLE, *chosen],
    ).fetchall()
    grant.questions.append(f"reconciliation of {force}")
    notes = []
    has_recorded = con.execute(
        f"SELECT count(*) FILTER (WHERE recorded IS NULL), count(*) FROM force_crimes WHERE {base}",
        params,
    ).fetchone()
    if has_recorded and has_recorded[0]:
        notes.append(
            f"{int(has_recorded[0]):,} of {int(has_recorded[1]):,} records have no recorded date: "
            "their recording month is taken to be the month committed, so the timing step "
            "misses them"
        )
    notes.append(
        "police.uk: street files as loaded; anti-social behaviour is left out (it is not "
        "recorded crime and is not in a force's crime records)"
    )
    return Reconciliation(
        force=force,
        months=chosen,
        table=table,
        by_type=table.groupby(level="crime_type").sum(),
        by_month=table.groupby(level="month").sum(),
        non_notifiable={str(m): int(n) for m, n in nn},
        notes=notes,
        source=grant.source_text(),
    )
