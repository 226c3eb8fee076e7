"""The analytics database: police.uk rows and their provenance, in DuckDB.

One file, opened through :func:`connect`, which also creates or upgrades the
schema. Big row tables carry no indexes or keys on purpose: DuckDB scans are fast
and ART indexes make the delete-and-replace of a force-month slow.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

SCHEMA_VERSION = 1

_SCHEMA = [
    """CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS loads (
        load_id INTEGER PRIMARY KEY,
        run_id VARCHAR NOT NULL,
        loaded_at TIMESTAMP NOT NULL,
        source VARCHAR NOT NULL,
        file_name VARCHAR NOT NULL,
        size_bytes BIGINT NOT NULL,
        sha256 VARCHAR NOT NULL,
        kind VARCHAR NOT NULL,
        force VARCHAR NOT NULL,
        month VARCHAR NOT NULL,
        months INTEGER NOT NULL,
        rows_loaded INTEGER NOT NULL,
        rows_rejected INTEGER NOT NULL,
        rows_without_location INTEGER NOT NULL,
        lsoa_vintage VARCHAR NOT NULL,
        lenient BOOLEAN NOT NULL,
        replaced_by_run VARCHAR
    )""",
    # The load that currently provides each kind/force/month: re-loading a
    # force-month swaps this pointer and the rows in one transaction.
    """CREATE TABLE IF NOT EXISTS datasets (
        kind VARCHAR NOT NULL,
        force VARCHAR NOT NULL,
        month DATE NOT NULL,
        load_id INTEGER NOT NULL,
        rows INTEGER NOT NULL,
        PRIMARY KEY (kind, force, month)
    )""",
    """CREATE TABLE IF NOT EXISTS rejects (
        load_id INTEGER NOT NULL,
        source VARCHAR NOT NULL,
        line INTEGER NOT NULL,
        field VARCHAR NOT NULL,
        reason VARCHAR NOT NULL,
        raw VARCHAR
    )""",
    """CREATE TABLE IF NOT EXISTS street (
        force VARCHAR NOT NULL,
        month DATE NOT NULL,
        crime_id VARCHAR,
        reported_by VARCHAR,
        falls_within VARCHAR,
        longitude DOUBLE,
        latitude DOUBLE,
        x DOUBLE,
        y DOUBLE,
        location VARCHAR,
        lsoa_code VARCHAR,
        lsoa_name VARCHAR,
        lsoa_vintage SMALLINT,
        crime_type VARCHAR NOT NULL,
        last_outcome_category VARCHAR,
        context VARCHAR,
        load_id INTEGER NOT NULL,
        line INTEGER NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS outcomes (
        force VARCHAR NOT NULL,
        month DATE NOT NULL,
        crime_id VARCHAR,
        reported_by VARCHAR,
        falls_within VARCHAR,
        longitude DOUBLE,
        latitude DOUBLE,
        x DOUBLE,
        y DOUBLE,
        location VARCHAR,
        lsoa_code VARCHAR,
        lsoa_name VARCHAR,
        lsoa_vintage SMALLINT,
        outcome_type VARCHAR NOT NULL,
        load_id INTEGER NOT NULL,
        line INTEGER NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS stop_search (
        force VARCHAR NOT NULL,
        month DATE NOT NULL,
        type VARCHAR,
        date_utc TIMESTAMP NOT NULL,
        part_of_operation BOOLEAN,
        policing_operation VARCHAR,
        longitude DOUBLE,
        latitude DOUBLE,
        x DOUBLE,
        y DOUBLE,
        gender VARCHAR,
        age_range VARCHAR,
        self_defined_ethnicity VARCHAR,
        officer_defined_ethnicity VARCHAR,
        legislation VARCHAR,
        object_of_search VARCHAR,
        outcome VARCHAR,
        outcome_linked_to_object BOOLEAN,
        removal_of_outer_clothing BOOLEAN,
        load_id INTEGER NOT NULL,
        line INTEGER NOT NULL
    )""",
]

ROW_TABLES = ("street", "outcomes", "stop_search")


class SchemaError(RuntimeError):
    pass


def connect(path: str | Path, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open (creating if needed) the analytics database at ``path``."""
    path = Path(path)
    if read_only:
        if not path.exists():
            raise FileNotFoundError(
                f"{path}: no analytics database here yet; load data with `harmwatch ingest`"
            )
        return duckdb.connect(str(path), read_only=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path))
    ensure_schema(con)
    return con


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("BEGIN")
    try:
        for statement in _SCHEMA:
            con.execute(statement)
        rows = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchall()
        row = rows[0] if rows else None
        if row is None:
            con.execute("INSERT INTO meta VALUES ('schema_version', ?)", [str(SCHEMA_VERSION)])
        elif int(row[0]) > SCHEMA_VERSION:
            raise SchemaError(
                f"this database was written by a newer harmwatch (schema {row[0]}, "
                f"this version knows {SCHEMA_VERSION}); upgrade harmwatch"
            )
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
