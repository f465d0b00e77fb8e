"""The dashboard (Dasbor) of one day: new alerts by level, the level map and board, 28-day trends per
kabupaten and category, open plan gaps, silent sources."""
from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, render_template, request, url_for
from markupsafe import Markup

from monitor.alerts.levels import LEVELS
from monitor.render.charts import sparkline_svg
from monitor.render.dates import long_date
from monitor.render.map import kabupaten_map_svg
from monitor.render.style import style_of
from monitor.service.board import TREND_DAYS, dashboard
from monitor.service.users import READ
from monitor.timezones import today_wib
from monitor.web.context import db
from monitor.web.forms import parse_day
from monitor.web.labels import category_names
from monitor.web.security import allow_inline_styles, requires

bp = Blueprint("dashboard", __name__)


def _sparkline(values: list[int], label: str) -> Markup:
    return Markup(sparkline_svg(values, width=112, height=22, label=label))


@bp.get("/")
@requires(READ)
def index():
    """Dasbor."""
    day, error = parse_day(request.args.get("tanggal"))
    with db() as session:
        board = dashboard(session, day)
    names = category_names()
    links = {cell.code: url_for("alerts.index", kabupaten=cell.code) for cell in board.board}
    map_svg = Markup(kabupaten_map_svg({cell.code: cell.level for cell in board.board}, links,
                                       caption=f"Peta tingkat kewaspadaan Kalimantan Tengah, {long_date(day)}",
                                       id_prefix="peta-dasbor"))
    empty = [0] * TREND_DAYS
    kabupaten_trends = {cell.code: _sparkline(board.trends.get(cell.code, empty),
                                              f"{cell.name}: {sum(board.trends.get(cell.code, empty))} peringatan "
                                              f"dalam {TREND_DAYS} hari")
                        for cell in board.board}
    category_trends = [(code, name, sum(board.category_trends.get(code, empty)),
                        _sparkline(board.category_trends.get(code, empty),
                                   f"{name}: {sum(board.category_trends.get(code, empty))} peringatan "
                                   f"dalam {TREND_DAYS} hari"))
                       for code, name in names.items()]
    allow_inline_styles(map_svg, *kabupaten_trends.values(), *(chart for *_, chart in category_trends))
    raised = sorted((cell for cell in board.board if cell.level != "normal"),
                    key=lambda cell: -LEVELS.index(cell.level))
    return render_template(
        "dashboard.html", board=board, day=day, today=today_wib(), error=error, map_svg=map_svg,
        kabupaten_trends=kabupaten_trends, category_trends=category_trends, raised=raised,
        levels=list(reversed(LEVELS)), style_of=style_of, trend_days=TREND_DAYS,
        previous_day=day - timedelta(days=1), next_day=day + timedelta(days=1),
        trend_start=day - timedelta(days=TREND_DAYS - 1),
    ), (400 if error else 200)
