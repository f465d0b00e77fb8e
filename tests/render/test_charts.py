"""Small SVG charts: valid XML, escaped text, one bar per day with its date, axis labels in Indonesian."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date

from monitor.render.charts import sparkline_svg, trend_chart_svg

SVG = "{http://www.w3.org/2000/svg}"
VALUES = [0] * 20 + [1, 0, 0, 1, 2, 2, 2, 1]


def test_sparkline_is_one_line_with_a_spoken_summary():
    root = ET.fromstring(sparkline_svg(VALUES))
    assert len(root.find(f"{SVG}polyline").get("points").split()) == 28
    assert root.find(f"{SVG}title").text == "28 hari: 9 peringatan, paling banyak 2 dalam sehari"
    assert ET.fromstring(sparkline_svg([]))  # nothing to draw still draws
    assert ET.fromstring(sparkline_svg([0, 0, 0]))


def test_trend_chart_has_a_bar_per_day_dated_axis_and_escaped_title():
    title = 'Kotawaringin Timur <img src=x onerror="alert(1)">'
    svg = trend_chart_svg(VALUES, date(2026, 11, 15), title)
    root = ET.fromstring(svg)
    bars = list(root.iter(f"{SVG}rect"))
    assert len(bars) == 28
    assert bars[-1].find(f"{SVG}title").text == "15 Nov: 1 peringatan"
    assert bars[0].find(f"{SVG}title").text == "19 Okt: 0 peringatan"
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert texts[0] == title  # shown as text, never as markup
    assert "<img" not in svg and not list(root.iter(f"{SVG}img"))
    assert {"15 Nov", "8 Nov", "1 Nov", "25 Okt"} <= set(texts)  # a date every week
    assert {"0", "1", "2"} <= set(texts)  # the count axis
    assert "Peringatan baru per hari (WIB)" in texts
    many = ET.fromstring(trend_chart_svg([3, 14, 7] * 9 + [1], date(2026, 11, 15), "Banyak"))
    assert {"0", "5", "10", "15"} <= {t.text for t in many.iter(f"{SVG}text")}
