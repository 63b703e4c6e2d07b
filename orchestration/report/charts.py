"""Charts as inline SVG, written by hand (no plotting library, no external files).

Every chart is an ``<svg role="img">`` with a ``<title>`` and a ``<desc>`` (its text
alternative); the report puts a table with the same figures beside it. Colours have a contrast of
at least 4.5:1 on white (WCAG 2.1 1.4.11 asks 3:1 for graphics), and series are told apart by
marker shape and a legend too, not by colour alone. Hidden (suppressed) figures are not drawn:
a bar gets the suppression mark, a line is broken.
"""
from __future__ import annotations

from html import escape

from .format import SUPPRESSED_MARK, Figure, number, percent

COLOURS = ["#1f4e79", "#a63d00", "#2e6b30", "#6a1b9a"]  # contrast on white: 8.7, 6.4, 6.4, 9.4
MARKERS = ["circle", "square", "diamond", "triangle"]
TEXT = "#1a1a1a"
GRID = "#767676"

WIDTH, HEIGHT = 720, 340
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 40, 90


def _scale(value: float, as_percent: bool) -> tuple[float, float]:
    """(axis maximum, tick step): at most 5 ticks of a round step above zero."""
    if as_percent:
        steps = [0.05, 0.1, 0.2, 0.25]
    else:
        value = max(value, 4.0)  # small counts: whole-number ticks
        magnitude = 10 ** max(0, len(str(int(value))) - 2)
        steps = [k * magnitude for k in (1, 2, 5, 10, 20, 50, 100)]
    step = next((s for s in steps if value / s <= 5), steps[-1])
    ticks = max(1, -(-value // step))
    return float(ticks * step), float(step)


def _fmt(value: float, as_percent: bool) -> str:
    return percent(value, 0) if as_percent else number(value, 0 if value == int(value) else 1)


def _frame(chart_id: str, title: str, desc: str, body: list[str]) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {WIDTH} {HEIGHT}" '
            f'width="100%" style="max-width:{WIDTH}px" aria-labelledby="{chart_id}-title {chart_id}-desc" '
            f'id="{chart_id}" font-family="Verdana, Arial, sans-serif" font-size="12" fill="{TEXT}">'
            f'<title id="{chart_id}-title">{escape(title)}</title>'
            f'<desc id="{chart_id}-desc">{escape(desc)}</desc>'
            + "".join(body) + "</svg>")


def _axes(y_max: float, step: float, as_percent: bool, y_label: str) -> list[str]:
    plot_h = HEIGHT - TOP - BOTTOM
    out = []
    for k in range(int(round(y_max / step)) + 1):
        v = step * k
        y = TOP + plot_h - plot_h * v / y_max
        out.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="{GRID}" '
                   f'stroke-width="{1 if k == 0 else 0.5}" stroke-dasharray="{"" if k == 0 else "2,3"}"/>')
        out.append(f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{_fmt(v, as_percent)}</text>')
    out.append(f'<text x="{LEFT}" y="{TOP - 24}" font-weight="bold">{escape(y_label)}</text>')
    return out


def _legend(names: list[str]) -> list[str]:
    out, x = [], LEFT
    for i, name in enumerate(names):
        out.append(_marker(MARKERS[i % 4], x + 6, TOP - 8, COLOURS[i % 4]))
        out.append(f'<text x="{x + 16}" y="{TOP - 4}">{escape(name)}</text>')
        x += 26 + 7.5 * len(name)
    return out


def _marker(shape: str, x: float, y: float, colour: str) -> str:
    if shape == "square":
        return f'<rect x="{x - 4:.1f}" y="{y - 4:.1f}" width="8" height="8" fill="{colour}"/>'
    if shape == "diamond":
        return f'<path d="M{x:.1f},{y - 5:.1f} L{x + 5:.1f},{y:.1f} L{x:.1f},{y + 5:.1f} L{x - 5:.1f},{y:.1f} Z" fill="{colour}"/>'
    if shape == "triangle":
        return f'<path d="M{x:.1f},{y - 5:.1f} L{x + 5:.1f},{y + 4:.1f} L{x - 5:.1f},{y + 4:.1f} Z" fill="{colour}"/>'
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{colour}"/>'


def _x_labels(labels: list[str], centres: list[float]) -> list[str]:
    every = max(1, -(-len(labels) // 16))
    out = []
    for i, (label, x) in enumerate(zip(labels, centres)):
        if i % every and i != len(labels) - 1:
            continue
        y = HEIGHT - BOTTOM + 14
        out.append(f'<text x="{x:.1f}" y="{y}" text-anchor="end" transform="rotate(-40 {x:.1f} {y})">'
                   f'{escape(label)}</text>')
    return out


def bar_chart(chart_id: str, title: str, desc: str, categories: list[str],
              series: list[tuple[str, list[Figure]]], y_label: str, as_percent: bool = False) -> str:
    """Grouped vertical bars: one group per category, one bar per series."""
    values = [f.value for _, figs in series for f in figs if f.exact]
    y_max, step = _scale(max(values, default=0.0), as_percent)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    group_w = plot_w / max(1, len(categories))
    bar_w = min(28.0, group_w * 0.8 / max(1, len(series)))
    body = _axes(y_max, step, as_percent, y_label) + _legend([n for n, _ in series])
    centres = []
    for c, _category in enumerate(categories):
        centre = LEFT + group_w * (c + 0.5)
        centres.append(centre)
        start = centre - bar_w * len(series) / 2
        for s, (name, figs) in enumerate(series):
            f = figs[c]
            x = start + s * bar_w
            if f.exact:
                h = plot_h * f.value / y_max
                body.append(f'<rect x="{x:.1f}" y="{TOP + plot_h - h:.1f}" width="{bar_w - 1:.1f}" '
                            f'height="{h:.1f}" fill="{COLOURS[s % 4]}"/>')
            elif f.hidden:
                body.append(f'<text x="{x + bar_w / 2:.1f}" y="{TOP + plot_h - 3}" text-anchor="middle" '
                            f'font-size="10">{SUPPRESSED_MARK}</text>')
    body += _x_labels(categories, centres)
    return _frame(chart_id, title, desc, body)


def line_chart(chart_id: str, title: str, desc: str, x_labels: list[str],
               series: list[tuple[str, list[Figure]]], y_label: str, as_percent: bool = False,
               reference: tuple[float, str] | None = None,
               dashed: list[tuple[str, list[Figure]]] = ()) -> str:
    """Lines over x (months, or months since permit); broken where a figure is hidden.
    ``dashed``: reference series (e.g. national figures), drawn dashed in black through the
    points they have, with open markers, and named in the legend."""
    values = [f.value for _, figs in [*series, *dashed] for f in figs if f.exact]
    if reference:
        values.append(reference[0])
    y_max, step = _scale(max(values, default=0.0), as_percent)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    x_step = plot_w / max(1, len(x_labels))
    xs = [LEFT + x_step * (i + 0.5) for i in range(len(x_labels))]
    body = _axes(y_max, step, as_percent, y_label) + _legend([n for n, _ in series])
    legend_x = LEFT
    for name, _ in series:
        legend_x += 26 + 7.5 * len(name)
    for name, figs in dashed:
        points = [(x, TOP + plot_h - plot_h * f.value / y_max) for x, f in zip(xs, figs) if f.exact]
        if len(points) > 1:
            body.append(f'<polyline points="{" ".join(f"{x:.1f},{y:.1f}" for x, y in points)}" fill="none" '
                        f'stroke="{TEXT}" stroke-width="1.5" stroke-dasharray="6,4"/>')
        body += [f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="#ffffff" stroke="{TEXT}" stroke-width="1.5"/>'
                 for x, y in points]
        body.append(f'<line x1="{legend_x}" x2="{legend_x + 14}" y1="{TOP - 8}" y2="{TOP - 8}" stroke="{TEXT}" '
                    f'stroke-width="1.5" stroke-dasharray="4,2"/>')
        body.append(f'<text x="{legend_x + 18}" y="{TOP - 4}">{escape(name)}</text>')
        legend_x += 30 + 7.5 * len(name)
    if reference:
        y = TOP + plot_h - plot_h * reference[0] / y_max
        body.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="{TEXT}" '
                    f'stroke-width="1.5" stroke-dasharray="8,4"/>')
        body.append(f'<text x="{WIDTH - RIGHT - 4}" y="{y - 5:.1f}" text-anchor="end">{escape(reference[1])}</text>')
    for s, (name, figs) in enumerate(series):
        colour = COLOURS[s % 4]
        segment: list[str] = []
        for x, f in zip(xs, figs):
            if f.exact:
                y = TOP + plot_h - plot_h * f.value / y_max
                segment.append(f"{x:.1f},{y:.1f}")
                body.append(_marker(MARKERS[s % 4], x, y, colour))
            else:
                if len(segment) > 1:
                    body.append(f'<polyline points="{" ".join(segment)}" fill="none" stroke="{colour}" stroke-width="2"/>')
                segment = []
        if len(segment) > 1:
            body.append(f'<polyline points="{" ".join(segment)}" fill="none" stroke="{colour}" stroke-width="2"/>')
    body += _x_labels(x_labels, xs)
    return _frame(chart_id, title, desc, body)
