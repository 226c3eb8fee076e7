"""Study-area boundaries that users upload: kept as files, drawn on the map, used as study areas.

A user's boundary (a beat, a ward group, a town centre) is read by the same
library function the CLI's ``--boundary`` uses, so the web and the command line
agree on what a boundary file means. Only GeoJSON is accepted over the web: it is
plain text that can be checked before GDAL sees it, while shapefile bundles and
GeoPackages are binary formats a web form has no need to accept.

Files are stored under their content hash, so uploading the same file twice
gives the same id and nothing a user types becomes part of a path. An analysis
is given the stored file's path and a label ("uploaded boundary 'Town centre'")
as its :class:`~harmwatch.query.place.Place`, never the id: the library knows
nothing of uploads.
"""

from __future__ import annotations

import hashlib
import json
import re
import tempfile
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import shapely
from shapely.geometry import mapping

from harmwatch.errors import NotFoundError
from harmwatch.spatial.boundaries import BoundaryError, read_boundary
from harmwatch.spatial.projection import BNG

BOUNDARY_ID = re.compile(r"^[0-9a-f]{16}$")
GEOJSON_TYPES = {"FeatureCollection", "Feature", "Polygon", "MultiPolygon", "GeometryCollection"}


class UnknownBoundaryError(NotFoundError):
    """No uploaded boundary has this id.

    Given as a parameter of an analysis it makes the request unusable, so the API
    answers 422 as for any bad value; the boundary's own URL answers 404.
    """

    http_status = 422


@dataclass(frozen=True)
class BoundaryInfo:
    id: str
    name: str
    file_name: str
    uploaded_by: str
    uploaded_at: str
    area_km2: float
    sha256: str


class BoundaryStore:
    """Uploaded boundaries in one folder: ``<id>.geojson`` and ``<id>.json`` (its record)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def _paths(self, boundary_id: str) -> tuple[Path, Path]:
        if not BOUNDARY_ID.match(boundary_id):
            raise UnknownBoundaryError(f"no uploaded boundary with id {boundary_id!r}")
        return self.folder / f"{boundary_id}.geojson", self.folder / f"{boundary_id}.json"

    def save(self, data: bytes, *, name: str, file_name: str, uploaded_by: str) -> BoundaryInfo:
        """Check ``data`` is a GeoJSON boundary with area and keep it; raises BoundaryError."""
        try:
            doc = json.loads(data)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise BoundaryError(f"{file_name}: not GeoJSON ({exc})") from None
        if not isinstance(doc, dict) or doc.get("type") not in GEOJSON_TYPES:
            raise BoundaryError(
                f"{file_name}: not a GeoJSON polygon layer (a FeatureCollection, Feature, "
                "Polygon or MultiPolygon)"
            )
        with tempfile.TemporaryDirectory() as tmp:
            probe = Path(tmp) / "boundary.geojson"
            probe.write_bytes(data)
            geometry = read_boundary(probe)
        sha = hashlib.sha256(data).hexdigest()
        info = BoundaryInfo(
            id=sha[:16],
            name=(name.strip() or Path(file_name).stem)[:120],
            file_name=Path(file_name).name[:200],
            uploaded_by=uploaded_by,
            uploaded_at=datetime.now(UTC).isoformat(timespec="seconds"),
            area_km2=round(float(geometry.area) / 1e6, 3),
            sha256=sha,
        )
        self.folder.mkdir(parents=True, exist_ok=True)
        data_path, meta_path = self._paths(info.id)
        if not data_path.exists():
            data_path.write_bytes(data)
        meta_path.write_text(json.dumps(asdict(info)))
        return info

    def get(self, boundary_id: str) -> BoundaryInfo:
        _, meta_path = self._paths(boundary_id)
        try:
            return BoundaryInfo(**json.loads(meta_path.read_text()))
        except FileNotFoundError:
            raise UnknownBoundaryError(f"no uploaded boundary with id {boundary_id!r}") from None

    def path(self, boundary_id: str) -> Path:
        """The stored file (what a ``Place(boundary=...)`` reads); UnknownBoundaryError if none."""
        self.get(boundary_id)
        return self._paths(boundary_id)[0]

    def label(self, boundary_id: str) -> str:
        """How analyses name the boundary to readers (never its server path)."""
        return f"uploaded boundary {self.get(boundary_id).name!r}"

    def id_for(self, path: str | Path) -> str | None:
        """The id of a stored file's path (for links back to a form), or None if not ours."""
        path = Path(path)
        if (
            path.parent == self.folder
            and BOUNDARY_ID.match(path.stem)
            and path.suffix == ".geojson"
        ):
            return path.stem
        return None

    def list(self) -> list[BoundaryInfo]:
        if not self.folder.exists():
            return []
        found = []
        for meta in sorted(self.folder.glob("*.json")):
            try:
                found.append(self.get(meta.stem))
            except (UnknownBoundaryError, TypeError, ValueError):
                continue
        return sorted(found, key=lambda b: b.uploaded_at, reverse=True)

    def delete(self, boundary_id: str) -> BoundaryInfo:
        info = self.get(boundary_id)
        for path in self._paths(boundary_id):
            path.unlink(missing_ok=True)
        return info

    def outline(self, boundary_id: str) -> dict[str, Any]:
        """The dissolved boundary in WGS84 as a GeoJSON Feature, simplified for drawing."""
        import geopandas as gpd

        geometry = read_boundary(self.path(boundary_id))
        simple = shapely.simplify(geometry, 10.0, preserve_topology=True)
        wgs = gpd.GeoSeries([simple], crs=BNG).to_crs("EPSG:4326").iloc[0]
        info = self.get(boundary_id)
        return {
            "type": "Feature",
            "properties": {"kind": "user-boundary", "id": info.id, "name": info.name},
            "geometry": mapping(wgs),
        }
