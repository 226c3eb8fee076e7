"""Static maps name their towns: chosen by the frame's size, never overlapping, credited."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np

from harmwatch.maps.render import draw_grid_map, draw_place_labels, frame_in_km
from harmwatch.spatial import places as gazetteer
from harmwatch.spatial.boundaries import force_area_polygon
from harmwatch.spatial.grid import Grid


def _names(ax: plt.Axes) -> list[str]:
    return [t.get_text() for t in ax.texts if t.get_text() != gazetteer.ATTRIBUTION]


def _boxes(ax: plt.Axes) -> list[tuple[float, float, float, float]]:
    renderer = ax.figure.canvas.get_renderer()  # type: ignore[attr-defined]
    names = set(_names(ax)) - {"N"}
    out = []
    for text in ax.texts:
        if text.get_text() in names:
            box = text.get_window_extent(renderer)
            out.append((box.x0, box.y0, box.x1, box.y1))
    return out


def test_a_county_map_names_its_towns_without_overlaps() -> None:
    area = force_area_polygon("hertfordshire")
    assert area is not None
    fig, ax = plt.subplots(figsize=(9, 9), dpi=110)
    frame_in_km(ax, area.bounds, pad_share=0.03)
    drawn = draw_place_labels(ax, area=area)
    names = set(_names(ax))
    assert drawn >= 15
    assert {"Watford", "St Albans", "Stevenage", "Hemel Hempstead"} <= names
    # A county map shows towns, not villages: everything named has 15,000 people or more.
    by_name = {p.name: p for p in reversed(gazetteer.places())}  # the largest of a name
    labelled = [n for n in names if n in by_name]
    assert all(by_name[n].population >= gazetteer.TOWN for n in labelled)
    boxes = _boxes(ax)
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            assert not (a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3])
    assert any(t.get_text() == gazetteer.ATTRIBUTION for t in ax.texts)
    plt.close(fig)


def test_a_town_map_names_villages_too() -> None:
    fig, ax = plt.subplots(figsize=(6, 6), dpi=110)
    luton = next(p for p in gazetteer.places() if p.name == "Luton")
    # 10 km across around Luton: villages (under 5,000 people) may be named.
    frame_in_km(ax, (luton.x - 5000, luton.y - 5000, luton.x + 5000, luton.y + 5000), 0.0)
    draw_place_labels(ax)
    by_name = {p.name: p for p in reversed(gazetteer.places())}  # the largest of a name
    populations = [by_name[n].population for n in _names(ax) if n in by_name]
    assert "Luton" in _names(ax)
    assert min(populations) < gazetteer.LARGE_VILLAGE
    plt.close(fig)


def test_labels_keep_clear_of_what_the_map_must_show() -> None:
    fig, ax = plt.subplots(figsize=(4, 4), dpi=110)
    luton = next(p for p in gazetteer.places() if p.name == "Luton")
    frame_in_km(ax, (luton.x - 3000, luton.y - 3000, luton.x + 3000, luton.y + 3000), 0.0)
    count = ax.text(luton.x, luton.y, "111 888 999", fontsize=20, ha="center", va="center")
    draw_place_labels(ax, avoid=[count])
    assert "Luton" not in _names(ax)  # every side of its dot is covered by the count
    plt.close(fig)


def test_no_places_no_credit() -> None:
    fig, ax = plt.subplots()
    frame_in_km(ax, (100.0, 100.0, 2000.0, 2000.0), 0.0)  # the sea off the Scilly Isles
    assert draw_place_labels(ax) == 0
    assert not any(t.get_text() == gazetteer.ATTRIBUTION for t in ax.texts)
    plt.close(fig)


def test_grid_maps_carry_labels(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The hotspot, emerging and patrol maps all draw through draw_grid_map: it labels."""
    from harmwatch.maps import render

    area = force_area_polygon("bedfordshire")
    assert area is not None
    grid = Grid.covering(*area.bounds, 2000.0)
    drawn: list[int] = []
    real = render.draw_place_labels
    monkeypatch.setattr(
        render, "draw_place_labels", lambda ax, **kw: drawn.append(real(ax, **kw)) or drawn[-1]
    )
    out = draw_grid_map(
        tmp_path / "map.png", grid, np.ones(grid.shape), np.ones(grid.shape, dtype=bool),
        title="test", legend_label="n", area=area,
    )  # fmt: skip
    assert out.exists() and drawn and drawn[0] >= 5
