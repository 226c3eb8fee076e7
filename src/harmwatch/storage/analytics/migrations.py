"""The analytics store's schema, as numbered steps applied in order.

Each :class:`Migration` is frozen here with its SQL written out, not built from
the package's current code, so that step *n* means the same thing forever (as the
records database's Alembic revisions do): a store made by any release is brought
forward by exactly the steps it lacks. Version 1 is the schema of the first
release exactly as it created it (``CREATE TABLE IF NOT EXISTS`` and
``meta.schema_version`` = 1; that release recorded no migrations).

Each step runs in its own transaction together with its bookkeeping: a row in
``schema_migrations`` (version, description, applied_at) and
``meta.schema_version``, which is what a release reads to refuse a store newer
than itself. A step that fails rolls back whole, leaving the store at the
previous version. ``meta.schema_version`` is the authority for the version;
``schema_migrations`` is the record. A store made before schema 2 gets rows for
the steps it already had with ``applied_at`` NULL: when they were applied was not
recorded.

A store whose version is above :data:`LATEST_VERSION` is refused with
:class:`SchemaError`: this code cannot know what the newer steps changed.

Opening read-only a store that needs steps (see
:meth:`harmwatch.storage.analytics.AnalyticsStore.open`) upgrades it first with a
short read-write open, because every analysis command opens read-only and a user
who upgrades harmwatch should not find every one refusing until they happen to
load a file. DuckDB's file lock makes that open exclusive, so it cannot race
another process; when the file is held elsewhere or cannot be written the open
is refused with a :class:`SchemaError` saying so and what to run. It never reads
an old schema with new code.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb

from harmwatch.errors import UserError


class SchemaError(UserError):
    """The store's schema cannot be used by this harmwatch as it stands."""


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    statements: tuple[str, ...]


@dataclass(frozen=True)
class AppliedMigration:
    version: int
    description: str
    applied_at: datetime | None  # None: applied before harmwatch recorded migrations


# The first release's schema, verbatim: its ``_SCHEMA`` list.
_V1_SCHEMA = (
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
)

# Call-data records (personal data; see harmwatch.calls). ``line`` is the row's line in
# its source file, so that every finding can cite the rows behind it. The party columns
# hold typed keys (``a_kind``: msisdn, intl, short, alpha, withheld, other); ``located``
# is the party whose handset (IMEI) and serving cell the row gives.
_V3_CALLS = (
    """CREATE TABLE call_files (
        file_id VARCHAR PRIMARY KEY,
        file_name VARCHAR NOT NULL,
        sha256 VARCHAR NOT NULL,
        size_bytes BIGINT NOT NULL,
        spec_name VARCHAR NOT NULL,
        spec_sha256 VARCHAR NOT NULL,
        legal_basis VARCHAR NOT NULL,
        authority_ref VARCHAR NOT NULL,
        force VARCHAR NOT NULL,
        rows_loaded BIGINT NOT NULL,
        first_event TIMESTAMP,
        last_event TIMESTAMP,
        imported_at TIMESTAMP NOT NULL,
        imported_by VARCHAR NOT NULL,
        synthetic BOOLEAN NOT NULL
    )""",
    """CREATE TABLE calls (
        file_id VARCHAR NOT NULL,
        line BIGINT NOT NULL,
        a_party VARCHAR NOT NULL,
        a_kind VARCHAR NOT NULL,
        b_party VARCHAR NOT NULL,
        b_kind VARCHAR NOT NULL,
        started_utc TIMESTAMP NOT NULL,
        started_local TIMESTAMP NOT NULL,
        duration_s INTEGER NOT NULL,
        event VARCHAR NOT NULL,
        located VARCHAR,
        imei VARCHAR,
        imei_as_given VARCHAR,
        cell_id VARCHAR,
        cell_lat DOUBLE,
        cell_lon DOUBLE
    )""",
)

# A force's own crime records (personal data: exact places and times; see harmwatch.crimes).
# Only the columns an import spec names are kept (no names, dates of birth or free text).
# ``crime_type`` is the police.uk type the current HO class is published under (NULL for a
# non-notifiable record); ``counted`` is what analyses count: recorded (not cancelled or
# transferred) and notifiable. Times are UTC; months are the local (Europe/London) month.
_V4_FORCE_RECORDS = (
    """CREATE TABLE force_crime_files (
        file_id VARCHAR PRIMARY KEY,
        file_name VARCHAR NOT NULL,
        sha256 VARCHAR NOT NULL,
        size_bytes BIGINT NOT NULL,
        spec_name VARCHAR NOT NULL,
        spec_sha256 VARCHAR NOT NULL,
        force VARCHAR NOT NULL,
        rows_loaded BIGINT NOT NULL,
        first_committed TIMESTAMP,
        last_committed TIMESTAMP,
        imported_at TIMESTAMP NOT NULL,
        imported_by VARCHAR NOT NULL,
        synthetic BOOLEAN NOT NULL
    )""",
    """CREATE TABLE force_crimes (
        file_id VARCHAR NOT NULL,
        line BIGINT NOT NULL,
        force VARCHAR NOT NULL,
        reference VARCHAR NOT NULL,
        offence_code VARCHAR NOT NULL,
        offence_description VARCHAR,
        original_offence_code VARCHAR,
        crime_type VARCHAR,
        original_crime_type VARCHAR,
        committed_from TIMESTAMP NOT NULL,
        committed_to TIMESTAMP,
        recorded TIMESTAMP,
        committed_month DATE NOT NULL,
        recorded_month DATE,
        x DOUBLE,
        y DOUBLE,
        lsoa_code VARCHAR,
        district VARCHAR,
        address VARCHAR,
        postcode VARCHAR,
        flags VARCHAR[] NOT NULL,
        status VARCHAR NOT NULL,
        outcome VARCHAR,
        counted BOOLEAN NOT NULL
    )""",
)

# police.uk rows move to Parquet part files beside the database (see :mod:`.parts`):
# the tables keep the rows loaded before (renamed ``*_rows``), and ``street``,
# ``outcomes`` and ``stop_search`` become views that each load rewrites over both.
_V5_PARTS = (
    "ALTER TABLE street RENAME TO street_rows",
    "ALTER TABLE outcomes RENAME TO outcomes_rows",
    "ALTER TABLE stop_search RENAME TO stop_search_rows",
    "CREATE VIEW street AS SELECT * FROM street_rows",
    "CREATE VIEW outcomes AS SELECT * FROM outcomes_rows",
    "CREATE VIEW stop_search AS SELECT * FROM stop_search_rows",
    # One row per live part file: its path under the parts folder, what it holds.
    """CREATE TABLE parts (
        path VARCHAR PRIMARY KEY,
        kind VARCHAR NOT NULL,
        force VARCHAR NOT NULL,
        months DATE[] NOT NULL,
        rows BIGINT NOT NULL,
        bytes BIGINT NOT NULL,
        run_id VARCHAR NOT NULL
    )""",
)

MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "police.uk rows, loads, datasets and rejects (the first release)", _V1_SCHEMA),
    Migration(
        2,
        "loads.loaded_by: who loaded each file (NULL for files loaded before)",
        ("ALTER TABLE loads ADD COLUMN loaded_by VARCHAR",),
    ),
    Migration(
        3,
        "call data: files (provenance) and their rows (personal data)",
        _V3_CALLS,
    ),
    Migration(
        4,
        "a force's own crime records: files (provenance) and their rows (personal data)",
        _V4_FORCE_RECORDS,
    ),
    Migration(
        5,
        "police.uk rows in Parquet part files per kind and force (rows loaded before stay)",
        _V5_PARTS,
    ),
)
LATEST_VERSION = MIGRATIONS[-1].version

_BOOKKEEPING = (
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    "version INTEGER PRIMARY KEY, description VARCHAR NOT NULL, applied_at TIMESTAMP)"
)


def _has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    rows = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() "
        "AND schema_name = 'main' AND table_name = ?",
        [name],
    ).fetchall()
    return bool(rows[0][0])


def stored_version(con: duckdb.DuckDBPyConnection) -> int:
    """``meta.schema_version``, or 0 for a database harmwatch has not set up."""
    if not _has_table(con, "meta"):
        return 0
    rows = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchall()
    return int(rows[0][0]) if rows else 0


def _steps(steps: Sequence[Migration] | None) -> Sequence[Migration]:
    # Read at call time, not bound as a default, so a test can inject a failing step.
    return MIGRATIONS if steps is None else steps


def pending(
    con: duckdb.DuckDBPyConnection, steps: Sequence[Migration] | None = None
) -> list[Migration]:
    """The steps this store lacks; refuses a store newer than the steps known."""
    known = _steps(steps)
    version = stored_version(con)
    latest = known[-1].version
    if version > latest:
        raise SchemaError(
            f"this database was written by a newer harmwatch (schema {version}, "
            f"this version knows {latest}); upgrade harmwatch"
        )
    return [step for step in known if step.version > version]


def migrate(con: duckdb.DuckDBPyConnection, steps: Sequence[Migration] | None = None) -> list[int]:
    """Apply the steps this store lacks, in order, one transaction each; return their versions."""
    known = _steps(steps)
    todo = pending(con, known)
    done: list[int] = []
    version = stored_version(con)
    for step in todo:
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(_BOOKKEEPING)
            if (
                version
                and not con.execute("SELECT count(*) FROM schema_migrations").fetchall()[0][0]
            ):
                con.executemany(
                    "INSERT INTO schema_migrations VALUES (?, ?, NULL)",
                    [[s.version, s.description] for s in known if s.version <= version],
                )
            for statement in step.statements:
                con.execute(statement)
            con.execute(
                "INSERT INTO schema_migrations VALUES (?, ?, ?)",
                [step.version, step.description, datetime.now(UTC).replace(tzinfo=None)],
            )
            con.execute(
                "INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", [str(step.version)]
            )
            con.execute("COMMIT")
        except Exception as exc:
            con.execute("ROLLBACK")
            raise SchemaError(
                f"upgrading the analytics database to schema {step.version} "
                f"({step.description}) failed: {exc}; it is left at schema {version}"
            ) from exc
        except BaseException:
            con.execute("ROLLBACK")
            raise
        version = step.version
        done.append(step.version)
    return done


def applied(con: duckdb.DuckDBPyConnection) -> list[AppliedMigration]:
    """The steps recorded in ``schema_migrations``, oldest first."""
    if not _has_table(con, "schema_migrations"):
        return []
    return [
        AppliedMigration(int(v), str(d), a)
        for v, d, a in con.execute(
            "SELECT version, description, applied_at FROM schema_migrations ORDER BY version"
        ).fetchall()
    ]
