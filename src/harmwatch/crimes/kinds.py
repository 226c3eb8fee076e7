"""What the force-records room declares to the kernel: capabilities and its record type.

Who may see what (the issue's need-to-know, after the College of Policing's APP on
information management):

- ``read-force-records``: the exact places, times and references of the owning
  force's crimes — its analysts, intelligence officers and neighbourhood officers
  (who plan patrols by the hour), each read justified and logged;
- ``view-force-record-aggregates``: counts only, never a point or a reference — the
  PCC viewer, and every role above. The store coarsens each crime to the centre of
  its :data:`AGGREGATE_CELL_M` m cell before anything leaves it, analyses use cells
  of at least that size, and small numbers are suppressed by the one rule in
  :mod:`harmwatch.outputs.suppression`;
- ``import-force-records``: analysts and intelligence officers import RMS exports.

Everyone else (the administrator, the forensic reviewer) sees neither.
"""

from __future__ import annotations

from harmwatch.kernel.capabilities import capability
from harmwatch.kernel.records import RecordType
from harmwatch.security.roles import Role

from .models import ForceRecordsImport

#: The finest cell a viewer of aggregates is given (the issue: "cells of at least 250 m").
AGGREGATE_CELL_M = 250.0

_EXACT = {Role.ANALYST, Role.INTELLIGENCE_OFFICER, Role.NEIGHBOURHOOD_OFFICER}

READ_FORCE_RECORDS = capability(
    "read-force-records",
    "read a force's own crime records: exact places, times and references",
    _EXACT,
)
VIEW_FORCE_RECORD_AGGREGATES = capability(
    "view-force-record-aggregates",
    f"counts from a force's own crime records, in cells of at least {AGGREGATE_CELL_M:g} m",
    _EXACT | {Role.PCC_VIEWER},
)
IMPORT_FORCE_RECORDS = capability(
    "import-force-records",
    "import a force's RMS crime exports",
    {Role.ANALYST, Role.INTELLIGENCE_OFFICER},
)

FORCE_RECORDS_IMPORTS = RecordType(
    kind="force-records-import",
    model=ForceRecordsImport,
    title="force crime-record imports",
    read=READ_FORCE_RECORDS,
    write=IMPORT_FORCE_RECORDS,
    describe=lambda r: f"force records {r.file_name} ({r.rows_loaded:,} rows)",
)
