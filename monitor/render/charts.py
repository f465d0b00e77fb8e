"""Small server-side SVG charts: a sparkline for tables and a daily bar chart with labelled axes.

Both are plain SVG strings with every text escaped and a <title> that says in words what the
chart shows, so they need no script and read in a screen reader too.
"""
from __future__ import annotations

from datetime import date, timedelta
from html import escape

from monitor.render.dates import short_date
from monitor.render.map import FONT_FAMILY

INK = "#37474f"
AXIS = "#9e9e9e"
BAR = "#5c6bc0"


def _svg_open(width: float, height: float, label: str) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:g} {height:g}" width="{width:g}" '
            f'height="{height:g}" role="img" style="max-width:100%;height:auto" '
            f'font-family="{escape(FONT_FAMILY)}"><title>{escape(label)}</title>')


def sparkline_svg(values: list[int], width: int = 120, height: int = 24, colour: str = INK,
                  label: str | None = None) -> str:
    """A line of daily counts (oldest first) with the last day marked; `label` is its hover text.

    The default label states the span, the total and the highest day in Indonesian.
    """
    values = [max(0, int(v)) for v in values] or [0]
    if label is None:
        label = f"{len(values)} hari: {sum(values)} peringatan, paling banyak {max(values)} dalam sehari"
    pad = 2.5
    top = max(values) or 1
    step = (width - 2 * pad) / max(1, len(values) - 1)
    points = [(pad + i * step, height - pad - v / top * (height - 2 * pad)) for i, v in enumerate(values)]
    line = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
    area = f"{pad:.1f},{height - pad:.1f} {line} {points[-1][0]:.1f},{height - pad:.1f}"
    last_x, last_y = points[-1]
    return (_svg_open(width, height, label)
            + f'<polygon points="{area}" fill="{escape(colour)}" fill-opacity="0.12"/>'
            + f'<polyline points="{line}" fill="none" stroke="{escape(colour)}" stroke-width="1.5" '
              'stroke-linejoin="round" stroke-linecap="round"/>'
            + f'<circle cx="{last_x:.1f}" cy="{last_y:.1f}" r="2.2" fill="{escape(colour)}"/></svg>')


def _tick_step(top: int) -> int:
    for step in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000):
        if top / step <= 5:
            return step
    return -(-top // 5)


def trend_chart_svg(values: list[int], end_day: date, title: str, width: int = 560, height: int = 200,
                    colour: str = BAR, unit: str = "peringatan") -> str:
    """Daily counts ending on `end_day` (oldest first) as bars, with a title, a y axis of counts and dated x labels.

    Each bar has a hover title ("14 Nov: 2 peringatan"); the x axis names a day every week.
    """
    values = [max(0, int(v)) for v in values] or [0]
    start = end_day - timedelta(days=len(values) - 1)
    left, right, top_pad, bottom = 34, 8, 28, 34
    plot_w, plot_h = width - left - right, height - top_pad - bottom
    step = _tick_step(max(values))
    top = max(step, -(-max(values) // step) * step)
    bar_w = plot_w / len(values)
    label = (f"{title}. {short_date(start)} sampai {short_date(end_day)}: {sum(values)} {unit}, "
             f"paling banyak {max(values)} dalam sehari.")
    parts = [_svg_open(width, height, label),
             f'<text x="{left}" y="16" font-size="13" font-weight="bold" fill="{INK}">{escape(title)}</text>']
    for tick in range(0, top + 1, step):
        y = top_pad + plot_h - tick / top * plot_h
        grid = ' stroke-width="1"' if tick == 0 else ' stroke-width="0.5" stroke-dasharray="2,3"'
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="{AXIS}"{grid}/>')
        parts.append(f'<text x="{left - 5}" y="{y + 4:.1f}" font-size="11" text-anchor="end" '
                     f'fill="{INK}">{tick}</text>')
    for i, value in enumerate(values):
        day = start + timedelta(days=i)
        x = left + i * bar_w
        bar_h = value / top * plot_h
        parts.append(f'<rect x="{x + bar_w * 0.15:.1f}" y="{top_pad + plot_h - bar_h:.1f}" width="{bar_w * 0.7:.1f}" '
                     f'height="{bar_h:.1f}" fill="{escape(colour)}"><title>{escape(short_date(day))}: {value} '
                     f'{escape(unit)}</title></rect>')
        if (len(values) - 1 - i) % 7 == 0:  # the last day and every week before it
            parts.append(f'<text x="{x + bar_w / 2:.1f}" y="{top_pad + plot_h + 15}" font-size="11" '
                         f'text-anchor="middle" fill="{INK}">{escape(short_date(day))}</text>')
    parts.append(f'<text x="{left}" y="{height - 3}" font-size="10" fill="{INK}">{escape(unit.capitalize())} '
                 'baru per hari (WIB)</text>')
    parts.append("</svg>")
    return "".join(parts)
