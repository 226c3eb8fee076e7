"""Uploads of files mapped by an import spec: the data files and their spec, stored whole.

Call data and a force's crime records are uploaded the same way — one or more data
files and the import spec that maps them, in one multipart form — and refused the
same way before any import: too large, no file, too many, a name that is not theirs,
two files of one name, no spec or a spec that does not read. Each upload gets a folder
of its own under the uploads root; a refused one leaves nothing behind, and a refusal
is logged as a collection refused. The rooms add what is theirs (a legal basis, the
terms the files are held on) from the same form.
"""

from __future__ import annotations

import re
import secrets
import shutil
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile

from harmwatch.errors import InputError, UserError
from harmwatch.kernel.actions import AuditAction
from harmwatch.kernel.refs import RecordRef
from harmwatch.sources.importspec import ImportSpec, TargetSchema, load_spec

from .deps import context, work

SPEC_ENDINGS = (".toml", ".json")
MAX_FILES = 50
MAX_SPEC_BYTES = 256 * 1024
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass
class StoredUpload:
    """The data files and their read spec, in a folder of the upload's own."""

    folder: Path
    paths: list[Path]
    spec: ImportSpec
    form: FormData

    def discard(self) -> None:
        # The rows keep each file's name, SHA-256, spec and every row's line; a second copy
        # of the raw export on the web server would be personal data outside the policy.
        shutil.rmtree(self.folder, ignore_errors=True)


def safe_name(name: str, endings: tuple[str, ...], what: str) -> str:
    """The file's own name, made safe to store (its folder never comes from the client)."""
    base = re.split(r"[\\/]", name or "")[-1].strip()
    base = _UNSAFE.sub("-", base).strip(".-")[:200]
    if not base or not base.lower().endswith(endings):
        raise InputError(f"{what}: {name or '(no name)'!r} must end {', '.join(endings)}")
    return base


def checked(form: Any, name: str) -> bool:
    """A checkbox of the form, ticked."""
    return str(form.get(name, "")).lower() in ("on", "true", "1", "yes")


async def store_upload(
    request: Request,
    *,
    kind: str,
    schema: TargetSchema,
    endings: tuple[str, ...],
    files_hint: str,
    check: Callable[[FormData], None] | None = None,
) -> StoredUpload:
    """Read the multipart form (``files``, ``spec``, and the room's own fields) into a new
    folder under ``uploads_root/kind``; refuse it whole before any import.

    ``check`` refuses the room's own fields before anything is written.
    """
    ctx = context(request)
    limit = ctx.settings.max_upload_bytes
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > limit:
        raise InputError(f"the upload is larger than the {limit // 2**20:,} MiB allowed")
    form = await request.form(max_files=MAX_FILES + 1, max_fields=20)
    uploads = [
        f for f in form.getlist("files") if isinstance(f, UploadFile) and (f.filename or f.size)
    ]
    spec_file = form.get("spec")
    if not uploads:
        raise InputError(f"files: choose at least one {files_hint}")
    if len(uploads) > MAX_FILES:
        raise InputError(f"files: at most {MAX_FILES} files in one upload")
    if not isinstance(spec_file, UploadFile) or not spec_file.filename:
        raise InputError("spec: choose the import spec (.toml or .json) that maps these files")
    names = [safe_name(u.filename or "", endings, "files") for u in uploads]
    if len(set(names)) != len(names):
        raise InputError("files: two uploaded files have the same name")
    spec_name = safe_name(spec_file.filename, SPEC_ENDINGS, "spec")
    if spec_file.size is not None and spec_file.size > MAX_SPEC_BYTES:
        raise InputError(f"spec: an import spec is at most {MAX_SPEC_BYTES // 1024} KiB")
    if check is not None:
        check(form)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    folder = ctx.settings.uploads_root / kind / f"{stamp}-{secrets.token_hex(4)}"
    folder.mkdir(parents=True)
    try:
        paths = []
        for name, upload in zip(names, uploads, strict=True):
            path = folder / "data" / name
            path.parent.mkdir(exist_ok=True)
            with path.open("wb") as out:
                shutil.copyfileobj(upload.file, out, length=1024 * 1024)
            paths.append(path)
        spec_path = folder / "spec" / spec_name
        spec_path.parent.mkdir()
        with spec_path.open("wb") as out:
            shutil.copyfileobj(spec_file.file, out)
        spec = load_spec(spec_path, schema)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return StoredUpload(folder, paths, spec, form)


async def receive(request: Request, new_record: RecordRef, read: Callable[[], Any]) -> Any:
    """``await read()``, or its refusal logged (a collection refused) and raised."""
    try:
        return await read()
    except UserError as exc:
        refused = exc

        def log() -> None:
            with work(request, AuditAction.COLLECTION, new_record, details={"refused": "upload"}):
                raise refused

        with suppress(UserError):
            await run_in_threadpool(log)
        raise
    finally:
        form = getattr(request, "_form", None)
        if form is not None:
            await form.close()
