"""police.uk files uploaded through the data page, loaded by the library's ``ingest``.

Uploaded files are kept, each upload in its own folder under the upload
directory, because the load's provenance (``loads.source``) names the file it
came from and an auditor must be able to find it; a refused upload is deleted,
since nothing of it was loaded. Names are reduced to their last component and a
safe alphabet before they touch the disk (the force is read from the name, as
data.police.uk names its files, so the name itself is kept otherwise). Each
load's provenance records the signed-in user who uploaded it (``web:<user>``).
The load itself runs inside ``writing`` (the app's ingest lock and store gate,
:meth:`harmwatch.web.deps.AppContext.writing_store`), so uploads to every app server
behind one records database load one at a time; the outcome says when its hold
of the lock began and ended, and whose load it waited for.
"""

from __future__ import annotations

import re
import secrets
import shutil
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

from harmwatch.errors import InputError
from harmwatch.sources.policeuk.ingest import IngestError, IngestResult, ingest
from harmwatch.sources.policeuk.read import SourceError
from harmwatch.storage.dblock import Held

from .cache import StoreGate

ACCEPTED = (".csv", ".csv.gz", ".zip")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
MAX_PROBLEMS_SHOWN = 200


class UploadRefused(InputError):
    """The upload itself is unusable (no files, a wrong type, too large)."""


@dataclass
class UploadOutcome:
    """What the data page shows after an upload: per-file results or the reasons it was refused."""

    ok: bool
    summary: str
    files: list[dict[str, object]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # "file:line: field: reason"
    more_problems: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    lock: dict[str, Any] | None = None  # the ingest lock's hold (Held.facts)

    def to_dict(self) -> dict[str, object]:
        return {
            "ok": self.ok,
            "summary": self.summary,
            "files": self.files,
            "problems": self.problems,
            "more_problems": self.more_problems,
            "rows_loaded": self.rows_loaded,
            "rows_rejected": self.rows_rejected,
            "lock": self.lock,
        }


def safe_name(name: str) -> str:
    """The last path component with anything outside [A-Za-z0-9._-] replaced."""
    base = re.split(r"[\\/]", name or "")[-1].strip()
    base = _UNSAFE.sub("-", base).strip(".-")
    if not base or not base.lower().endswith(ACCEPTED):
        raise UploadRefused(
            f"{name or '(no name)'}: not a police.uk file; upload .csv, .csv.gz or .zip files"
        )
    return base[:200]


def load_uploads(
    files: Sequence[tuple[str, BinaryIO]],
    *,
    db_path: Path,
    folder: Path,
    gate: StoreGate,
    actor: str,
    lenient: bool = False,
    writing: Callable[[], AbstractContextManager[Held | None]] | None = None,
) -> UploadOutcome:
    """Store the files in a new folder under ``folder`` and load them in one ``ingest`` call.

    ``writing``: what to hold while loading (the web app passes its ingest lock and
    gate); without it, ``gate``'s writer side alone.
    """
    if not files:
        raise UploadRefused("choose at least one police.uk file to upload")
    names = [safe_name(name) for name, _ in files]
    if len(set(names)) != len(names):
        raise UploadRefused("two uploaded files have the same name")
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    # The random part: app servers sharing the folder can take the same microsecond.
    target = folder / f"{stamp}-{_UNSAFE.sub('-', actor)[:40]}-{secrets.token_hex(4)}"
    target.mkdir(parents=True)
    held: Held | None = None
    try:
        for name, (_, stream) in zip(names, files, strict=True):
            with (target / name).open("wb") as out:
                shutil.copyfileobj(stream, out, length=1024 * 1024)
        with (writing or _gate_only(gate))() as held:
            result = ingest([target], db_path, lenient=lenient, loaded_by=f"web:{actor}")
    except IngestError as exc:
        shutil.rmtree(target, ignore_errors=True)
        prefix = f"{target}/"
        problems = [p.describe().replace(prefix, "") for p in exc.problems]
        return UploadOutcome(
            ok=False,
            summary=exc.summary.replace("Use --lenient", "Tick “keep bad rows aside”")
            + " Nothing was loaded; the database is unchanged.",
            problems=problems[:MAX_PROBLEMS_SHOWN],
            more_problems=max(0, len(problems) - MAX_PROBLEMS_SHOWN),
            lock=_facts(held),
        )
    except SourceError as exc:
        shutil.rmtree(target, ignore_errors=True)
        return UploadOutcome(
            ok=False, summary=str(exc).replace(f"{target}/", ""), lock=_facts(held)
        )
    except BaseException:
        shutil.rmtree(target, ignore_errors=True)
        raise
    if all(f.status == "unchanged" for f in result.files):
        shutil.rmtree(target, ignore_errors=True)  # nothing new to keep
    return _outcome(result, target, held)


def _gate_only(gate: StoreGate) -> Callable[[], AbstractContextManager[Held | None]]:
    @contextmanager
    def writing() -> Iterator[Held | None]:
        with gate.write():
            yield None

    return writing


def _facts(held: Held | None) -> dict[str, Any] | None:
    return held.facts() if held is not None else None


def _outcome(result: IngestResult, target: Path, held: Held | None) -> UploadOutcome:
    files = [
        {
            "file": f.source.replace(f"{target}/", ""),
            "status": f.status,
            "kind": f.kind,
            "force": f.force,
            "months": list(f.months),
            "rows_loaded": f.rows_loaded,
            "rows_rejected": f.rows_rejected,
            "rows_without_location": f.rows_without_location,
            "lsoa_vintage": f.lsoa_vintage,
            "sha256": f.sha256,
        }
        for f in result.files
    ]
    loaded = sum(f.status == "loaded" for f in result.files)
    unchanged = sum(f.status == "unchanged" for f in result.files)
    summary = (
        f"{loaded} file(s) loaded ({result.rows_loaded:,} rows"
        + (f", {result.rows_rejected:,} set aside as rejects" if result.rows_rejected else "")
        + f"); {unchanged} already loaded and unchanged."
    )
    if held is not None and held.queued_behind is not None:
        summary += (
            f" It waited {held.waited_s:.0f} s for {held.queued_behind.describe()} to finish."
        )
    return UploadOutcome(
        ok=True,
        summary=summary,
        files=files,
        rows_loaded=result.rows_loaded,
        rows_rejected=result.rows_rejected,
        lock=_facts(held),
    )
