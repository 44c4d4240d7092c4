"""The one chart module: charts as SVG we write ourselves (no script, no inline style: the CSP allows them
as markup), the same markup for pages and PDFs. `line_chart`, `bar_chart`, `heat_map` and `histogram`
return the SVG; `column_chart` returns the geometry of vertical bars for a template to draw."""
from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup, escape

INK, GRID, RED, SOFT = "#b71c1c", "#dddddd", "#c62828", "#fbe9e7"
FONT = 'font-family="Noto Sans CJK SC, sans-serif"'


def _svg(width: int, height: int, body: list[str], label: str) -> Markup:
    return Markup(f'<div class="chart-wrap"><svg class="chart" viewBox="0 0 {width} {height}" width="100%" role="img" '
                  f'aria-label="{escape(label)}" xmlns="http://www.w3.org/2000/svg">{"".join(body)}</svg></div>')


def _text(x, y, s, size=11, anchor="start", fill="#444") -> str:
    return f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" fill="{fill}" {FONT}>{escape(s)}</text>'


def line_chart(points: list[tuple[str, float | None]], label: str, unit: str = "", width: int = 640,
               height: int = 200) -> Markup:
    """A trend line over labelled points (None = no data, drawn as a gap)."""
    left, right, top, bottom = 44, 10, 14, 26
    values = [v for _, v in points if v is not None]
    peak = max(values + [0]) or 1
    n = max(len(points) - 1, 1)
    xs = [left + i * (width - left - right) / n for i in range(len(points))]

    def y(v):
        return top + (1 - v / peak) * (height - top - bottom)

    body = [f'<line x1="{left}" y1="{y(0):.1f}" x2="{width - right}" y2="{y(0):.1f}" stroke="{GRID}"/>',
            f'<line x1="{left}" y1="{y(peak):.1f}" x2="{width - right}" y2="{y(peak):.1f}" stroke="{GRID}"/>',
            _text(left - 4, y(peak) + 4, f"{peak:g}{unit}", 10, "end"), _text(left - 4, y(0) + 4, "0", 10, "end")]
    path, pen = [], "M"
    for x, (_, v) in zip(xs, points):
        if v is None:
            pen = "M"
            continue
        path.append(f"{pen}{x:.1f},{y(v):.1f}")
        pen = "L"
    if path:
        body.append(f'<path d="{" ".join(path)}" fill="none" stroke="{INK}" stroke-width="2"/>')
    step = max(1, len(points) // 6)
    for i in range(0, len(points), step):
        body.append(_text(xs[i], height - 8, points[i][0], 10, "middle"))
    return _svg(width, height, body, label)


def bar_chart(bars: list[tuple[str, float | None]], label: str, unit: str = "", width: int = 640,
              max_value: float | None = None) -> Markup:
    """Horizontal bars, one per labelled value (for comparing children or knowledge points)."""
    row, left, right = 24, 150, 60
    height = max(row * len(bars) + 10, 30)
    peak = max_value or max([v or 0 for _, v in bars] + [0]) or 1
    body = []
    for i, (name, v) in enumerate(bars):
        y = 6 + i * row
        w = (width - left - right) * (v or 0) / peak
        body.append(_text(left - 6, y + 14, name[:14], 11, "end"))
        body.append(f'<rect x="{left}" y="{y + 3}" width="{w:.1f}" height="{row - 8}" fill="{INK}"/>')
        body.append(_text(left + w + 4, y + 14, "—" if v is None else f"{v:.3g}{unit}", 10))
    return _svg(width, height, body, label)


def heat_map(grid: list[list[int]], row_labels: list[str], label: str, width: int = 640) -> Markup:
    """Rows × 24 hours, darker where more; used for study time by weekday and hour."""
    left, top, cell_h = 40, 16, 18
    cell_w = (width - left - 4) / 24
    peak = max([v for r in grid for v in r] + [0]) or 1
    body = [_text(left + h * cell_w + cell_w / 2, 11, str(h), 9, "middle") for h in range(0, 24, 3)]
    for r, values in enumerate(grid):
        y = top + r * cell_h
        body.append(_text(left - 4, y + 13, row_labels[r], 10, "end"))
        for h, v in enumerate(values):
            shade = 0 if not v else 0.15 + 0.85 * v / peak
            color = SOFT if not v else f"rgb({int(255 - shade * (255 - 183))},{int(255 - shade * 255 + shade * 28)}," \
                                       f"{int(255 - shade * 255 + shade * 28)})"
            body.append(f'<rect x="{left + h * cell_w:.1f}" y="{y}" width="{cell_w - 1:.1f}" height="{cell_h - 2}" '
                        f'fill="{color}"><title>{escape(row_labels[r])} {h}:00 · {v // 60} min</title></rect>')
    return _svg(width, top + len(grid) * cell_h + 4, body, label)


def histogram(values: list[float], edges: list[float], label: str, unit: str = "", width: int = 640,
              height: int = 160) -> Markup:
    """Counts of values between consecutive edges (the last bin is open-ended)."""
    counts = [0] * len(edges)
    for v in values:
        i = max(i for i, e in enumerate(edges) if v >= e) if v >= edges[0] else 0
        counts[i] += 1
    peak = max(counts + [1])
    left, bottom = 10, 22
    w = (width - 2 * left) / len(edges)
    body = []
    for i, c in enumerate(counts):
        h = (height - bottom - 14) * c / peak
        x = left + i * w
        body.append(f'<rect x="{x + 2:.1f}" y="{height - bottom - h:.1f}" width="{w - 4:.1f}" height="{h:.1f}" fill="{INK}"/>')
        body.append(_text(x + w / 2, height - bottom - h - 3, str(c), 10, "middle"))
        tag = f"{edges[i]:g}+" if i == len(edges) - 1 else f"{edges[i]:g}–{edges[i + 1]:g}"
        body.append(_text(x + w / 2, height - 6, tag + unit, 10, "middle"))
    return _svg(width, height, body, label)


@dataclass
class Bar:
    label: str
    value: float
    x: float
    y: float
    width: float
    height: float
    flagged: bool


def column_chart(points: list[tuple[str, float, bool]], *, maximum: float | None = None, unit: str = "",
              signed: bool = False, height: int = 160) -> dict:
    """Geometry of a vertical bar chart in a 0..1000 wide viewBox (its template draws it, e.g. quizzes'
    statistics); negative bars hang below a zero line."""
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
