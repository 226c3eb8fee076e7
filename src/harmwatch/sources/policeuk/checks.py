"""Row checks and typed columns for each police.uk kind, as SQL over the text staging table.

Each check names the field it is about and says, in the user's words, what is
wrong with the value; the loader turns every failing row into a
``file:line: field: reason`` problem.
"""

from __future__ import annotations

from dataclasses import dataclass

from .formats import HEADERS, Kind

# The British Isles with a margin. data.police.uk anonymises locations to snap
# points on the road network, so anything outside is a broken value, not a crime
# abroad.
LON_RANGE = (-11.0, 3.0)
LAT_RANGE = (49.0, 61.5)


def q(column: str) -> str:
    return '"' + column.replace('"', '""') + '"'


@dataclass(frozen=True)
class Check:
    field: str
    fails: str  # SQL condition over the staging row: true when the row is bad
    reason: str  # SQL expression giving the message


def _coordinate_checks() -> list[Check]:
    # _lon/_lat are the parsed numbers (null when empty or not a number); see read.py.
    checks = []
    for name, parsed, (low, high) in (
        ("Longitude", "_lon", LON_RANGE),
        ("Latitude", "_lat", LAT_RANGE),
    ):
        col = q(name)
        checks += [
            Check(
                name,
                f"{col} IS NOT NULL AND {parsed} IS NULL",
                f"'not a number: ''' || {col} || ''''",
            ),
            Check(
                name,
                f"NOT ({parsed} BETWEEN {low} AND {high})",
                f"'out of range: ' || {col} || ' (must lie between {low:g} and {high:g})'",
            ),
        ]
    lon, lat = q("Longitude"), q("Latitude")
    checks += [
        Check(
            "Latitude", f"{lon} IS NOT NULL AND {lat} IS NULL", "'empty while Longitude is given'"
        ),
        Check(
            "Longitude", f"{lat} IS NOT NULL AND {lon} IS NULL", "'empty while Latitude is given'"
        ),
    ]
    return checks


MONTH_PATTERN = r"\d{4}-(0[1-9]|1[0-2])"


def _month_check() -> Check:
    col = q("Month")
    return Check(
        "Month",
        f"{col} IS NULL OR NOT regexp_full_match({col}, '{MONTH_PATTERN}')",
        f"'not a month (YYYY-MM): ''' || coalesce({col}, '') || ''''",
    )


def _required(column: str) -> Check:
    return Check(column, f"{q(column)} IS NULL", "'empty, but every row must have one'")


def _boolean(column: str) -> Check:
    col = q(column)
    return Check(
        column,
        f"{col} IS NOT NULL AND TRY_CAST({col} AS BOOLEAN) IS NULL",
        f"'not True or False: ''' || {col} || ''''",
    )


def _date_check() -> Check:
    col = q("Date")
    return Check(
        "Date",
        f"{col} IS NULL OR TRY_CAST({col} AS TIMESTAMPTZ) IS NULL",
        f"'not a date and time (ISO 8601): ''' || coalesce({col}, '') || ''''",
    )


CHECKS: dict[Kind, list[Check]] = {
    Kind.STREET: [_month_check(), *_coordinate_checks(), _required("Crime type")],
    Kind.OUTCOMES: [_month_check(), *_coordinate_checks(), _required("Outcome type")],
    Kind.STOP_SEARCH: [
        _date_check(),
        *_coordinate_checks(),
        _boolean("Part of a policing operation"),
        _boolean("Outcome linked to object of search"),
        _boolean("Removal of more than just outer clothing"),
    ],
}


def raw_text(kind: Kind) -> str:
    """SQL rebuilding the row as comma-separated text, for the rejects table."""
    return "concat_ws(',', " + ", ".join(f"coalesce({q(c)}, '')" for c in HEADERS[kind]) + ")"


def month_expression(kind: Kind) -> str:
    """SQL for the row's month as a DATE (first of the month).

    Stop-and-search rows carry a UTC timestamp; data.police.uk files them by the
    month in UK local time (a search at 00:10 BST on 1 May is 23:10 UTC on
    30 April and sits in the May file), so the month is taken in Europe/London.
    """
    if kind is Kind.STOP_SEARCH:
        return (
            "date_trunc('month', timezone('Europe/London', "
            f"TRY_CAST({q('Date')} AS TIMESTAMPTZ)))::DATE"
        )
    return f"TRY_CAST({q('Month')} || '-01' AS DATE)"


# Target column -> SQL over the staging row (s).
def select_list(kind: Kind) -> dict[str, str]:
    def text(column: str) -> str:
        return f"s.{q(column)}"

    coords = {"longitude": "s._lon", "latitude": "s._lat", "x": "s._x", "y": "s._y"}
    provenance = {"load_id": "s._load_id", "line": "s._line"}
    if kind is Kind.STOP_SEARCH:
        return {
            "force": "s._force",
            "month": "s._month",
            "type": text("Type"),
            "date_utc": f"timezone('UTC', TRY_CAST(s.{q('Date')} AS TIMESTAMPTZ))",
            "part_of_operation": f"TRY_CAST(s.{q('Part of a policing operation')} AS BOOLEAN)",
            "policing_operation": text("Policing operation"),
            **coords,
            "gender": text("Gender"),
            "age_range": text("Age range"),
            "self_defined_ethnicity": text("Self-defined ethnicity"),
            "officer_defined_ethnicity": text("Officer-defined ethnicity"),
            "legislation": text("Legislation"),
            "object_of_search": text("Object of search"),
            "outcome": text("Outcome"),
            "outcome_linked_to_object": f"TRY_CAST(s.{q('Outcome linked to object of search')} AS BOOLEAN)",
            "removal_of_outer_clothing": f"TRY_CAST(s.{q('Removal of more than just outer clothing')} AS BOOLEAN)",
            **provenance,
        }
    common = {
        "force": "s._force",
        "month": "s._month",
        "crime_id": text("Crime ID"),
        "reported_by": text("Reported by"),
        "falls_within": text("Falls within"),
        **coords,
        "location": text("Location"),
        "lsoa_code": text("LSOA code"),
        "lsoa_name": text("LSOA name"),
        "lsoa_vintage": "s._vintage",
    }
    if kind is Kind.STREET:
        return {
            **common,
            "crime_type": text("Crime type"),
            "last_outcome_category": text("Last outcome category"),
            "context": text("Context"),
            **provenance,
        }
    return {**common, "outcome_type": text("Outcome type"), **provenance}
