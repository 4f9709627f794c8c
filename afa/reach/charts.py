"""Charts as server-side SVG: readable without JavaScript, printable, and distinguishable when printed in grey.

Every chart carries a <title> and a <desc> for screen readers, axis ticks, a legend where there is more than
one series, and the line that says what is counted ("conversations, not people"), which the caller passes in
translated. Series differ in lightness (fills far apart on the grey scale) and in pattern (solid, hatched,
dotted, ...), and values are written onto the bars where there is room. Every text is escaped; colours are
presentation attributes, since the console's Content-Security-Policy allows no inline styles.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from html import escape
from typing import Callable, Optional, Sequence

Format = Callable[[int], str]

WIDTH = 760
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Noto Sans', sans-serif"
INK, MUTED, GRID = "#1b1f24", "#444c56", "#c9d1d9"


@dataclass(frozen=True)
class Swatch:
    """One series' look: fill, pattern drawn over it, and the colour of text and pattern on it."""

    fill: str
    pattern: str  # solid | diagonal | dots | crosshatch | backdiagonal
    ink: str


# Lightness far apart (L* about 23, 48, 66, 81, 97), and a pattern each, so that grey print keeps them apart.
PALETTE = (
    Swatch("#17365c", "solid", "#ffffff"),
    Swatch("#b5561b", "diagonal", "#ffffff"),
    Swatch("#5f9fd6", "dots", "#0b1f33"),
    Swatch("#f0c24b", "crosshatch", "#3a2a00"),
    Swatch("#f7f7f7", "backdiagonal", "#1b1f24"),
)


def esc(text: object) -> str:
    """Text and attribute values for SVG (XML): &, <, >, and both quotes."""
    return escape(str(text), quote=True)


def _ident(text: str) -> str:
    return re.sub(r"[^a-z0-9-]", "-", text.lower())[:40] or "chart"


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def nice_ticks(top: int, count: int = 5) -> list[int]:
    """Round tick values from 0 up to at least `top` (whole numbers: these are counts)."""
    if top <= 0:
        return [0, 1]
    raw = top / count
    magnitude = 10 ** math.floor(math.log10(raw)) if raw >= 1 else 1
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    step = max(1, int(math.ceil(step)))
    ticks = list(range(0, top + step, step))
    return ticks if ticks[-1] >= top else ticks + [ticks[-1] + step]


def luminance(colour: str) -> float:
    """CIE L* (0 black … 100 white) of `#rrggbb`: how light it prints in grey."""
    channels = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    y = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    return 116 * (y ** (1 / 3) if y > 216 / 24389 else (24389 / 27 * y + 16) / 116) - 16


class Svg:
    """One chart: a header (title, what is counted, a note), then whatever the chart draws below `top`."""

    def __init__(self, chart_id: str, title: str, desc: str, counted: str, note: str = "") -> None:
        self.id = _ident(chart_id)
        self.title, self.desc, self.counted, self.note = title, desc, counted, note
        self.parts: list[str] = []
        self.patterns: set[int] = set()
        self.top = 70 if not note else 88

    def fill(self, series: int) -> str:
        swatch = PALETTE[series % len(PALETTE)]
        if swatch.pattern == "solid":
            return swatch.fill
        self.patterns.add(series % len(PALETTE))
        return f"url(#{self.id}-p{series % len(PALETTE)})"

    def add(self, markup: str) -> None:
        self.parts.append(markup)

    def text(self, x: float, y: float, content: str, *, size: float = 12, anchor: str = "start", weight: str = "",
             colour: str = INK, halo: str = "", extra: str = "") -> None:
        attributes = f' font-weight="{weight}"' if weight else ""
        if halo:  # a rim in the bar's colour keeps a label readable over a pattern
            attributes += f' stroke="{halo}" stroke-width="3" paint-order="stroke" stroke-linejoin="round"'
        self.add(f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" fill="{colour}"'
                 f'{attributes}{extra}>{esc(content)}</text>')

    def rect(self, x: float, y: float, w: float, h: float, series: int, tooltip: str) -> None:
        swatch = PALETTE[series % len(PALETTE)]
        self.add(f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(w, 0):.1f}" height="{max(h, 0):.1f}" '
                 f'fill="{self.fill(series)}" stroke="{INK if swatch.fill == "#f7f7f7" else swatch.fill}" '
                 f'stroke-width="0.8"><title>{esc(tooltip)}</title></rect>')

    def legend(self, labels: Sequence[str], y: float) -> float:
        """Swatches with their names, in rows; returns the y below the legend."""
        x = 56.0
        for index, name in enumerate(labels):
            width = 26 + 7.2 * len(name)
            if x + width > WIDTH - 10 and x > 56:
                x, y = 56.0, y + 22
            self.rect(x, y - 11, 14, 14, index, name)
            self.text(x + 20, y, name)
            x += width + 14
        return y + 16

    def render(self, height: float) -> str:
        defs = []
        for index in sorted(self.patterns):
            swatch = PALETTE[index]
            ink = swatch.ink
            shapes = {
                "diagonal": f'<path d="M-2,2 l4,-4 M0,8 l8,-8 M6,10 l4,-4" stroke="{ink}" stroke-width="1.6"/>',
                "backdiagonal": f'<path d="M-2,6 l4,4 M0,0 l8,8 M6,-2 l4,4" stroke="{ink}" stroke-width="1.2"/>',
                "dots": f'<circle cx="2" cy="2" r="1.3" fill="{ink}"/><circle cx="6" cy="6" r="1.3" fill="{ink}"/>',
                "crosshatch": f'<path d="M0,4 h8 M4,0 v8" stroke="{ink}" stroke-width="1"/>',
            }[swatch.pattern]
            defs.append(f'<pattern id="{self.id}-p{index}" width="8" height="8" patternUnits="userSpaceOnUse">'
                        f'<rect width="8" height="8" fill="{swatch.fill}"/>{shapes}</pattern>')
        header = [
            f'<text x="10" y="24" font-size="16" font-weight="700" fill="{INK}">{esc(self.title)}</text>',
            f'<text x="10" y="44" font-size="12.5" fill="{MUTED}">{esc(self.counted)}</text>',
        ]
        if self.note:
            header.append(f'<text x="10" y="62" font-size="12" fill="{MUTED}">{esc(self.note)}</text>')
        return (
            f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {WIDTH} {math.ceil(height)}" '
            f'width="100%" role="img" aria-labelledby="{self.id}-title {self.id}-desc" font-family="{esc(FONT)}">'
            f'<title id="{self.id}-title">{esc(self.title)}</title>'
            f'<desc id="{self.id}-desc">{esc(" ".join(filter(None, (self.desc, self.note, self.counted))))}</desc>'
            + (f"<defs>{''.join(defs)}</defs>" if defs else "")
            + f'<rect width="{WIDTH}" height="{math.ceil(height)}" fill="#ffffff"/>'
            + "".join(header) + "".join(self.parts) + "</svg>"
        )


def _empty(svg: Svg, text: str) -> str:
    svg.text(WIDTH / 2, svg.top + 40, text, size=14, anchor="middle", colour=MUTED)
    return svg.render(svg.top + 70)


def _y_axis(svg: Svg, left: float, right: float, top: float, height: float, ticks: list[int], fmt: Format,
            axis_label: str) -> None:
    for tick in ticks:
        y = top + height - height * tick / ticks[-1]
        svg.add(f'<line x1="{left:.1f}" x2="{right:.1f}" y1="{y:.1f}" y2="{y:.1f}" stroke="{GRID}" stroke-width="1"/>')
        svg.text(left - 6, y + 4, fmt(tick), size=11, anchor="end", colour=MUTED)
    svg.add(f'<line x1="{left:.1f}" x2="{left:.1f}" y1="{top:.1f}" y2="{top + height:.1f}" stroke="{INK}"/>')
    svg.add(f'<line x1="{left:.1f}" x2="{right:.1f}" y1="{top + height:.1f}" y2="{top + height:.1f}" stroke="{INK}"/>')
    if axis_label:
        svg.text(14, top + height / 2, axis_label, size=11, anchor="middle", colour=MUTED,
                 extra=f' transform="rotate(-90 14 {top + height / 2:.1f})"')


def stacked_bars(*, chart_id: str, title: str, desc: str, counted: str, categories: Sequence[str],
                 series: Sequence[tuple[str, Sequence[int]]], axis_label: str = "", note: str = "",
                 fmt: Format = str, empty: str = "–") -> str:
    """Vertical bars per category (e.g. ISO week), stacked by series (e.g. language); one series: plain bars."""
    svg = Svg(chart_id, title, desc, counted, note)
    totals = [sum(values[i] for _name, values in series) for i in range(len(categories))]
    if not categories or not any(totals):
        return _empty(svg, empty)
    left, right, top, height = 62.0, WIDTH - 14.0, svg.top + 10, 230.0
    ticks = nice_ticks(max(totals))
    _y_axis(svg, left, right, top, height, ticks, fmt, axis_label)
    band = (right - left) / len(categories)
    bar = min(band * 0.72, 48)
    scale = height / ticks[-1]
    every = max(1, math.ceil(len(categories) * 58 / (right - left)))  # x labels that do not overlap
    for i, category in enumerate(categories):
        x = left + band * i + (band - bar) / 2
        y = top + height
        for index, (name, values) in enumerate(series):
            value = values[i]
            if not value:
                continue
            h = value * scale
            y -= h
            svg.rect(x, y, bar, h, index, f"{category}, {name}: {fmt(value)}")
            swatch = PALETTE[index % len(PALETTE)]
            if h >= 15 and bar >= 24 and len(series) > 1:
                svg.text(x + bar / 2, y + h / 2 + 4, fmt(value), size=10.5, anchor="middle", colour=swatch.ink,
                         halo=swatch.fill)
        if bar >= 20:
            svg.text(x + bar / 2, y - 4, fmt(totals[i]), size=10.5, anchor="middle", weight="600")
        if i % every == 0:
            svg.text(x + bar / 2, top + height + 16, category, size=11, anchor="middle", colour=MUTED)
    bottom = top + height + 40
    if len(series) > 1:
        bottom = svg.legend([name for name, _values in series], bottom)
    return svg.render(bottom + 6)


def bars(*, chart_id: str, title: str, desc: str, counted: str,
         groups: Sequence[tuple[Optional[str], Sequence[tuple[str, int]]]], note: str = "", fmt: Format = str,
         empty: str = "–", series_of: Optional[Callable[[int, int], int]] = None) -> str:
    """Horizontal bars with their values written beside them, optionally in groups with a heading each.
    `series_of(group, item)` picks the look of a bar (default: one per group)."""
    svg = Svg(chart_id, title, desc, counted, note)
    values = [value for _heading, items in groups for _name, value in items]
    if not values or not any(values):
        return _empty(svg, empty)
    label_right, left, right = 250.0, 258.0, WIDTH - 80.0
    top = maximum = 0.0
    top = svg.top + 6
    maximum = max(values)
    y = top
    for g, (heading, items) in enumerate(groups):
        if heading:
            y += 18
            svg.text(10, y, heading, size=13, weight="700")
            y += 6
        if not items:
            y += 18
            svg.text(left, y, empty, size=11, colour=MUTED)
            y += 4
        for i, (name, value) in enumerate(items):
            series = series_of(g, i) if series_of else g
            width = (right - left) * value / maximum if maximum else 0
            svg.rect(left, y + 4, width, 16, series, f"{name}: {fmt(value)}")
            svg.text(label_right, y + 16.5, _short(name, 38), size=12, anchor="end",
                     extra=f' data-label="{esc(name)}"' if len(name) > 38 else "")
            svg.text(left + width + 6, y + 16.5, fmt(value), size=12, weight="600")
            y += 24
    svg.add(f'<line x1="{left:.1f}" x2="{left:.1f}" y1="{top:.1f}" y2="{y + 2:.1f}" stroke="{INK}"/>')
    return svg.render(y + 14)


def funnel(*, chart_id: str, title: str, desc: str, counted: str, steps: Sequence[tuple[str, int, str]],
           note: str = "", fmt: Format = str, empty: str = "–") -> str:
    """Steps as centred bars, each as wide as its count, with the count and its share of the first step
    (the third element of a step is that share, already written out, or "")."""
    svg = Svg(chart_id, title, desc, counted, note)
    if not steps or not any(value for _name, value, _share in steps):
        return _empty(svg, empty)
    label_right, left, right = 230.0, 240.0, WIDTH - 150.0
    centre, span = (left + right) / 2, right - left
    maximum = max(value for _name, value, _share in steps) or 1
    y = svg.top + 8
    previous: Optional[tuple[float, float]] = None
    for index, (name, value, share) in enumerate(steps):
        width = max(span * value / maximum, 2.0)
        x0, x1 = centre - width / 2, centre + width / 2
        if previous:  # the narrowing between two steps
            svg.add(f'<polygon points="{previous[0]:.1f},{y - 8:.1f} {previous[1]:.1f},{y - 8:.1f} {x1:.1f},{y:.1f} '
                    f'{x0:.1f},{y:.1f}" fill="#e6ebf1"/>')
        svg.rect(x0, y, width, 30, index, f"{name}: {fmt(value)}")
        svg.text(label_right, y + 19.5, _short(name, 34), size=12.5, anchor="end", weight="600")
        svg.text(right + 10, y + 14, fmt(value), size=13, weight="700")
        if share:
            svg.text(right + 10, y + 28, share, size=11, colour=MUTED)
        previous = (x0, x1)
        y += 38
    return svg.render(y + 6)


def histogram(*, chart_id: str, title: str, desc: str, counted: str, buckets: Sequence[str],
              panels: Sequence[tuple[str, Sequence[int]]], axis_label: str = "", note: str = "",
              fmt: Format = str, empty: str = "–") -> str:
    """One histogram per panel (e.g. per team) over the same buckets and the same scale, one below the other."""
    svg = Svg(chart_id, title, desc, counted, note)
    if not panels or not any(any(values) for _name, values in panels):
        return _empty(svg, empty)
    left, right, height = 62.0, WIDTH - 14.0, 130.0
    ticks = nice_ticks(max(max(values) for _name, values in panels))
    scale = height / ticks[-1]
    band = (right - left) / len(buckets)
    bar = band * 0.8
    y = svg.top + 4
    for index, (name, values) in enumerate(panels):
        svg.text(10, y + 12, name, size=13, weight="700")
        top = y + 24
        _y_axis(svg, left, right, top, height, ticks, fmt, axis_label)
        for i, (bucket, value) in enumerate(zip(buckets, values)):
            x = left + band * i + (band - bar) / 2
            h = value * scale
            if value:
                svg.rect(x, top + height - h, bar, h, index, f"{name}, {bucket}: {fmt(value)}")
            svg.text(x + bar / 2, top + height - h - 4, fmt(value), size=10.5, anchor="middle", weight="600")
            svg.text(x + bar / 2, top + height + 15, bucket, size=10.5, anchor="middle", colour=MUTED)
        y = top + height + 30
    return svg.render(y)
