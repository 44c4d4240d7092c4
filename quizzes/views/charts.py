"""Small server-side SVG bar charts (no script, no inline style: the CSP allows them as markup)."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Bar:
    label: str
    value: float
    x: float
    y: float
    width: float
    height: float
    flagged: bool


def bar_chart(points: list[tuple[str, float, bool]], *, maximum: float | None = None, unit: str = "",
              signed: bool = False, height: int = 160) -> dict:
    """Geometry of a vertical bar chart in a 0..1000 wide viewBox; negative bars hang below a zero line."""
    n = max(len(points), 1)
    top = maximum or max([abs(v) for _, v, _ in points] + [1])
    slot = 1000 / n
    zero = height / 2 if signed else height
    scale = (height / 2 if signed else height) / top
    bars = []
    for i, (label, value, flagged) in enumerate(points):
        size = min(abs(value), top) * scale
        y = zero - size if value >= 0 else zero
        bars.append(Bar(label, value, i * slot + slot * 0.15, y, slot * 0.7, max(size, 0.5), flagged))
    return {"bars": bars, "height": height, "zero": zero, "unit": unit, "slot": slot,
            "label_every": max(1, n // 20)}
