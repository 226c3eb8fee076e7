"""The evaluation chart is written, is a real PNG of a sensible size, and carries the figures."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from harmwatch.evaluation.charts import draw_evaluation_chart
from harmwatch.evaluation.evaluate import evaluate_loaded
from harmwatch.evaluation.requests import EvaluateRequest


def test_chart_png(beds_data, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    ev = evaluate_loaded(
        beds_data, EvaluateRequest("2023-01", "2023-06", lsoa=("E01033803", "E01033804"))
    )
    out = draw_evaluation_chart(ev, tmp_path / "sub" / "chart.png")
    assert out.exists() and not list(out.parent.glob(".*partial*"))
    with Image.open(out) as image:
        assert image.format == "PNG"
        width, height = image.size
        assert width > 1000 and height > 500
        # Not blank: many distinct colours (series, shading, map points).
        assert len(image.convert("RGB").getcolors(maxcolors=1_000_000) or []) > 50
