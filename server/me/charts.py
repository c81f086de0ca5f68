"""Bar charts as inline SVG markup, made on the server (pure: values in, markup out, no I/O).

A chart is one image for assistive technology (role="img", named by its <title> and described by its <desc>,
both also wired with aria-labelledby/aria-describedby); the page puts the data table it shows right after
it. Bars stack two amounts: the first solid, the second hatched and outlined, so they differ without colour.
Colours come from classes in server/me/static/me.css (light and dark schemes, forced colours); no inline
styles (the pages' CSP forbids them). Every text is escaped.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH = 560
HEIGHT = 250
LEFT = 72  # room for the value labels
RIGHT = 8
TOP = 30  # room for the legend
BOTTOM = 36  # room for the bar labels
MAX_LABELS = 8  # bar labels along the bottom; the table names every bar
_ID_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-")


@dataclass(frozen=True)
class Bar:
    label: str  # short, under the bar ("20 Nov")
    value: int  # the solid part (e.g. earned cents)
    extra: int = 0  # the hatched part stacked on top (e.g. pending cents)
    tooltip: str = ""  # shown on hover ("20 November: $12.40 earned")


def nice_ceiling(value: float) -> float:
    """The smallest of 1, 2, 2.5, 5 times a power of ten that is >= value (value > 0)."""
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * power + 1e-9:
            return step * power
    return 10 * power  # pragma: no cover (the loop ends at 10)


def _n(value: float) -> str:
    """A coordinate: two decimals at most, no trailing zeros."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def bar_chart(chart_id: str, title: str, description: str, bars: Sequence[Bar],
              format_value: Callable[[float], str], series: tuple[str, str] = ("Earned", "Pending")) -> Markup:
    """An SVG bar chart. `chart_id` (lower-case letters, digits, hyphens) prefixes the ids inside, so several
    charts fit on one page. `format_value` writes the axis labels (e.g. cents -> "$5.00")."""
    if not chart_id or set(chart_id) - _ID_CHARS:
        raise ValueError(f"chart ids are lower-case letters, digits and hyphens: {chart_id!r}")
    if any(bar.value < 0 or bar.extra < 0 for bar in bars):
        raise ValueError("bar amounts cannot be negative")
    top_value = max((bar.value + bar.extra for bar in bars), default=0)
    scale_max = nice_ceiling(top_value) if top_value > 0 else 100.0
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    base = TOP + plot_h
    t, d, hatch = f"{chart_id}-title", f"{chart_id}-desc", f"{chart_id}-hatch"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{chart_id}" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'role="img" aria-labelledby="{t}" aria-describedby="{d}" focusable="false">',
        f'<title id="{t}">{escape(title)}</title>',
        f'<desc id="{d}">{escape(description)}</desc>',
        f'<defs><pattern id="{hatch}" patternUnits="userSpaceOnUse" width="6" height="6" '
        f'patternTransform="rotate(45)"><rect class="hatch-ground" width="6" height="6"/>'
        f'<line class="hatch-line" x1="0" y1="0" x2="0" y2="6"/></pattern></defs>',
    ]
    # Legend: a swatch of each series, top left.
    parts.append('<g class="legend">'
                 f'<rect class="bar solid" x="{LEFT}" y="8" width="14" height="14"/>'
                 f'<text x="{LEFT + 20}" y="20">{escape(series[0])}</text>'
                 f'<rect class="bar hatched" fill="url(#{hatch})" x="{LEFT + 130}" y="8" width="14" height="14"/>'
                 f'<text x="{LEFT + 150}" y="20">{escape(series[1])}</text></g>')
    # Value axis: 0, half and the top, with grid lines.
    parts.append('<g class="axis">')
    for fraction in (0.0, 0.5, 1.0):
        y = base - fraction * plot_h
        parts.append(f'<line class="grid" x1="{LEFT}" y1="{_n(y)}" x2="{WIDTH - RIGHT}" y2="{_n(y)}"/>'
                     f'<text x="{LEFT - 6}" y="{_n(y + 4)}" text-anchor="end">'
                     f'{escape(format_value(fraction * scale_max))}</text>')
    parts.append('</g>')
    # Bars, and a label under every `every`-th one.
    slot = plot_w / max(len(bars), 1)
    width = max(slot * 0.7, 1.0)
    every = max(1, math.ceil(len(bars) / MAX_LABELS))
    parts.append('<g class="bars">')
    for n, bar in enumerate(bars):
        x = LEFT + n * slot + (slot - width) / 2
        solid_h = bar.value / scale_max * plot_h
        extra_h = bar.extra / scale_max * plot_h
        tip = f"<title>{escape(bar.tooltip)}</title>" if bar.tooltip else ""
        if solid_h > 0:
            parts.append(f'<rect class="bar solid" x="{_n(x)}" y="{_n(base - solid_h)}" width="{_n(width)}" '
                         f'height="{_n(solid_h)}">{tip}</rect>')
        if extra_h > 0:
            parts.append(f'<rect class="bar hatched" fill="url(#{hatch})" x="{_n(x)}" '
                         f'y="{_n(base - solid_h - extra_h)}" '
                         f'width="{_n(width)}" height="{_n(extra_h)}">{tip}</rect>')
        if n % every == 0:
            parts.append(f'<text class="label" x="{_n(x + width / 2)}" y="{base + 18}" text-anchor="middle">'
                         f'{escape(bar.label)}</text>')
    parts.append('</g>')
    parts.append(f'<line class="baseline" x1="{LEFT}" y1="{base}" x2="{WIDTH - RIGHT}" y2="{base}"/></svg>')
    return Markup("".join(parts))
