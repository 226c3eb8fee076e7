"""Where an analysis looks: one :class:`Place` for every verb, and the rule each verb keeps.

A place is the forces (whose districts are the default study area, whose grid
numbers the cells, whose crimes a district is found among) narrowed, or not, by
one of:

- a **district** ("St Albans"): crimes whose LSOA name starts with it;
- **LSOA codes**: crimes carrying them (and, for drawing, where those crimes lie);
- a **boundary** file (GeoJSON, GeoPackage, shapefile): crimes inside it. The web
  app keeps uploaded boundaries as files and gives the library their path, with a
  label to show readers instead of a server path;
- a **bbox** ``(xmin, ymin, xmax, ymax)`` in British National Grid metres;
- **grid cell ids** with the cell size they were numbered with (the grid
  ``harmwatch hotspots`` lays over the forces' districts).

Each verb says which of these it takes in a :class:`PlaceRule`: hotspots take a
boundary or a bbox as the study area, ``change`` any one of the four areas,
``evaluate`` exactly one target. The rule's problems name the fields a front
showed, so a refusal reads "give one target only …" on every front.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from harmwatch.query.params import Problem, ref

KINDS = ("district", "lsoa", "boundary", "bbox", "cells")
KIND_TEXT = {
    "district": "a district",
    "lsoa": "LSOA codes",
    "boundary": "a boundary",
    "bbox": "a bbox",
    "cells": "grid cell ids",
}


@dataclass(frozen=True)
class Place:
    """The forces, and at most one narrower place within them (see the module docstring)."""

    forces: tuple[str, ...] = ()
    district: str | None = None
    lsoa_codes: tuple[str, ...] = ()
    boundary: str | None = None  # a file path
    boundary_label: str | None = None  # how to name the boundary to readers
    bbox: tuple[float, float, float, float] | None = None
    cells: tuple[int, ...] = ()
    cell_size: float | None = None  # the size the cell ids were numbered with

    @property
    def kinds(self) -> tuple[str, ...]:
        """The narrower places given, in :data:`KINDS` order (at most one in a valid place)."""
        given = {
            "district": bool(self.district),
            "lsoa": bool(self.lsoa_codes),
            "boundary": bool(self.boundary),
            "bbox": self.bbox is not None,
            "cells": bool(self.cells),
        }
        return tuple(k for k in KINDS if given[k])

    @property
    def kind(self) -> str:
        """The narrower place given, or "forces" when the forces' ground is the place."""
        kinds = self.kinds
        return kinds[0] if kinds else "forces"

    @property
    def boundary_name(self) -> str:
        return self.boundary_label or f"boundary file {self.boundary}"


def _listed(kinds: tuple[str, ...], last: str = "or") -> str:
    words = [KIND_TEXT[k] for k in kinds]
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} {last} {words[-1]}"


@dataclass(frozen=True)
class PlaceRule:
    """Which kinds of place a verb takes, and whether one must be given."""

    verb: str
    kinds: tuple[str, ...]
    required: bool = False  # exactly one must be given (evaluate's target)
    noun: str = "area"  # what the verb calls the place: "study area", "target", "area"

    def problems(self, place: Place, fields: Mapping[str, str] | None = None) -> list[Problem]:
        """What is wrong with ``place`` for this verb; ``fields``: Place attribute -> field."""
        fields = dict(fields or {})
        given = place.kinds
        found: list[Problem] = []
        refused = [k for k in given if k not in self.kinds]
        if refused:
            found.append(
                Problem(None, f"{self.verb} does not take {_listed(tuple(refused), 'and')}")
            )
        options = _listed(self.kinds)
        if len(given) > 1:
            got = _listed(given, "and")
            if self.required:
                text = f"give one {self.noun} only: {options} (exactly one; got {got})"
            else:
                text = f"give {options}: only one of them (got {got})"
            found.append(Problem(None, text))
        elif not given and self.required:
            found.append(Problem(None, f"give the {self.noun} area: {options} (exactly one)"))
        if "cells" in given and "cells" in self.kinds and not place.cell_size:
            cell = fields.get("cell_size")
            named = f" ({ref(cell)})" if cell else ""
            found.append(
                Problem(
                    cell,
                    f"grid cell ids need the cell size (metres) they were numbered with{named}",
                )
            )
        return found
