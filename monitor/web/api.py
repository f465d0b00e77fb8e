"""The read-only JSON API under /api/v1: alerts (and their CSV), stories, levels, plans, reports and the audit log, for
other agencies' systems. Authenticated by API tokens alone (see monitor.web.security.token_requires);
lists are walked with opaque cursors; errors are JSON with Indonesian messages (monitor.web.api_errors).
Views parse the query string, call monitor.service and shape plain JSON."""
from __future__ import annotations

import dataclasses
from datetime import date, datetime

from flask import Blueprint, Response, jsonify, request, stream_with_context

from monitor.alerts.lifecycle import STATUSES
from monitor.plans.schema import PERIODS
from monitor.service import alert_export, alerts, audit, board, plans, reports, stories
from monitor.service.alerts import AlertFilters
from monitor.service.articles import iso_utc
from monitor.service.paging import MAX_PAGE_SIZE, CursorError, Slice
from monitor.service.users import AUDIT_READ, READ
from monitor.timezones import today_wib
from monitor.web.api_errors import ApiError
from monitor.web.context import db
from monitor.web.labels import PROVINCE, category_names, region_names
from monitor.web.security import token_requires

bp = Blueprint("api", __name__, url_prefix="/api/v1")
DEFAULT_LIMIT = 50
MAX_QUERY_CHARS = 200
MIN_LEVELS = ("waspada", "siaga", "awas")  # `level`: the alert's kabupaten is at least this high on its first day
ALERT_FILTERS = frozenset({"kabupaten", "category", "status", "level", "since", "until", "q", "plan_gap"})
PAGING = frozenset({"limit", "cursor"})


# --------------------------------------------------------------------------- shaping


def plain(value):
    """A service result as JSON-ready values: dataclasses as objects, times as UTC ISO 8601 with Z, days as
    YYYY-MM-DD, tuples as lists."""
    if dataclasses.is_dataclass(value):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, datetime):
        return iso_utc(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    return value


def _slice(result: Slice, shape=plain):
    return jsonify({"items": [shape(item) for item in result.items], "next_cursor": result.next_cursor})


# --------------------------------------------------------------------------- the query string


def _args(allowed: frozenset[str]) -> dict[str, str]:
    """The query string's values (trimmed); 400 for a parameter this endpoint does not know or one given twice."""
    unknown = sorted(name[:40] for name in request.args if name not in allowed)
    if unknown:
        known = ", ".join(sorted(allowed)) or "(tidak ada)"
        raise ApiError(400, "unknown_parameter", f"Parameter tidak dikenal: {', '.join(unknown[:5])}. "
                                                 f"Parameter yang dikenal di sini: {known}.")
    repeated = sorted(name for name in request.args if len(request.args.getlist(name)) > 1)
    if repeated:
        raise ApiError(400, "invalid_parameter", f"Parameter {', '.join(repeated)} hanya boleh diberikan sekali.")
    return {name: value.strip() for name, value in request.args.items()}


def _invalid(name: str, value: str, expected: str) -> ApiError:
    return ApiError(400, "invalid_parameter", f"Nilai '{value[:60]}' untuk {name} tidak sah: {expected}.")


def _day(args: dict[str, str], name: str) -> date | None:
    if not args.get(name):
        return None
    try:
        return date.fromisoformat(args[name])
    except ValueError:
        raise _invalid(name, args[name], "tulis tanggal sebagai TTTT-BB-HH, misalnya 2026-11-14") from None


def _choice(args: dict[str, str], name: str, allowed) -> str | None:
    value = args.get(name) or None
    if value is not None and value not in allowed:
        shown = ", ".join(list(allowed)[:20])
        raise _invalid(name, value, f"pilih salah satu dari {shown}")
    return value


def _limit(args: dict[str, str]) -> int:
    """`limit`: 1 or more (default 50); more than MAX_PAGE_SIZE is served as MAX_PAGE_SIZE."""
    raw = args.get("limit") or str(DEFAULT_LIMIT)
    if not raw.isdigit() or int(raw) < 1:
        raise _invalid("limit", raw, f"tulis bilangan bulat 1 sampai {MAX_PAGE_SIZE}")
    return min(int(raw), MAX_PAGE_SIZE)


def _alert_filters(args: dict[str, str]) -> AlertFilters:
    since, until = _day(args, "since"), _day(args, "until")
    if since and until and since > until:
        raise ApiError(400, "invalid_parameter", "Tanggal since jatuh sesudah tanggal until.")
    text = " ".join((args.get("q") or "").split())
    if len(text) > MAX_QUERY_CHARS:
        raise _invalid("q", text, f"paling banyak {MAX_QUERY_CHARS} karakter")
    gap = _choice(args, "plan_gap", ("true", "false"))
    return AlertFilters(
        since=since, until=until, kabupaten=_choice(args, "kabupaten", [c for c in region_names() if c != PROVINCE]),
        category=_choice(args, "category", category_names()), status=_choice(args, "status", STATUSES),
        level=_choice(args, "level", MIN_LEVELS), text=text or None,
        plan_gap=None if gap is None else gap == "true")


def _walk(walk):
    """Run `walk(session)`, a cursor walk; a cursor that is not ours is a 400."""
    try:
        with db() as session:
            return walk(session)
    except CursorError as exc:
        raise ApiError(400, "invalid_cursor", str(exc)) from None


def _not_found(what: str, number: int) -> ApiError:
    return ApiError(404, "not_found", f"{what} #{number} tidak ada.")


# --------------------------------------------------------------------------- alerts


@bp.get("/alerts")
@token_requires(READ)
def alert_list():
    """Alerts newest first, filtered like the web list; `limit`, `cursor` (the previous answer's next_cursor)."""
    args = _args(ALERT_FILTERS | PAGING)
    filters, limit = _alert_filters(args), _limit(args)
    return _slice(_walk(lambda session: alerts.alert_slice(session, filters, args.get("cursor"), limit)))


@bp.get("/alerts.csv")
@token_requires(READ)
def alert_csv():
    """Every alert matching the filters as CSV (Indonesian headers, UTF-8 with BOM, formula-safe cells)."""
    filters = _alert_filters(_args(ALERT_FILTERS))

    def generate():
        with db() as session:
            yield from alert_export.alerts_csv(session, filters)

    return Response(stream_with_context(generate()), mimetype="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="peringatan-waspada.csv"'})


@bp.get("/alerts/<id:alert_id>")
@token_requires(READ)
def alert_detail(alert_id: int):
    """One alert with its reports (sources), places, plan actions and history."""
    _args(frozenset())
    with db() as session:
        detail = alerts.alert_detail(session, alert_id)
    if detail is None:
        raise _not_found("Peringatan", alert_id)
    return jsonify({
        **plain(detail.row), "kecamatan": detail.kecamatan, "desa": detail.desa, "evidence": detail.evidence,
        "model_version": detail.model_version, "category_scores": detail.category_scores,
        "sources": [{key: value for key, value in plain(article).items() if key != "places"}
                    for article in detail.articles],
        "places": plain(detail.places), "actions": plain(detail.actions), "history": plain(detail.history),
    })


# --------------------------------------------------------------------------- stories, levels, plans, audit


@bp.get("/stories")
@token_requires(READ)
def story_list():
    """Stories newest first, each with its copies across outlets; `limit`, `cursor`."""
    args = _args(PAGING)
    limit = _limit(args)
    return _slice(_walk(lambda session: stories.story_slice(session, args.get("cursor"), limit)))


@bp.get("/levels")
@token_requires(READ)
def levels():
    """Each kabupaten/kota's level on `date` (default today, WIB), overall and per category."""
    day = _day(_args(frozenset({"date"})), "date") or today_wib()
    with db() as session:
        grid = board.level_grid(session, day)
    by_category = {category: {cell.code: cell for cell in cells} for category, cells in grid.items() if category}
    return jsonify({"date": day.isoformat(), "kabupaten": [
        {**plain(cell), "categories": {category: {key: value for key, value in plain(cells[cell.code]).items()
                                                  if key not in ("code", "name")}
                                       for category, cells in by_category.items()}}
        for cell in grid[""]]})


def _year(args: dict[str, str]) -> int | None:
    year = args.get("year") or None
    if year is not None and not (year.isdigit() and len(year) == 4):
        raise _invalid("year", year, "tulis empat angka, misalnya 2026")
    return int(year) if year else None


@bp.get("/plans")
@token_requires(READ)
def plan_list():
    """Stored RAD-PKS plans (of `year` and/or `region`), without their actions."""
    args = _args(frozenset({"year", "region"}))
    year, region = _year(args), _choice(args, "region", region_names())
    with db() as session:
        summaries = plans.list_plans(session, year, region)
    return jsonify({"items": plain(summaries)})


@bp.get("/plans/<id:plan_id>")
@token_requires(READ)
def plan_detail(plan_id: int):
    """One plan with its actions, their realisations, linked alerts and realisation news."""
    _args(frozenset())
    with db() as session:
        view = plans.plan_view(session, plan_id)
    if view is None:
        raise _not_found("Rencana", plan_id)
    return jsonify(plain(view))


@bp.get("/reports")
@token_requires(READ)
def report_list():
    """RAD-PKS period report versions (of `region`, `year`, `period`), newest period first."""
    args = _args(frozenset({"year", "region", "period"}))
    year, region, period = _year(args), _choice(args, "region", region_names()), _choice(args, "period", PERIODS)
    with db() as session:
        rows = reports.list_reports(session, region, year, period)
    return jsonify({"items": plain(rows)})


@bp.get("/reports/<id:report_id>")
@token_requires(READ)
def report_detail(report_id: int):
    """One report version: a submitted version as it was frozen, a draft as it stands now."""
    _args(frozenset())
    with db() as session:
        content = reports.report_content(session, report_id)
    if content is None:
        raise _not_found("Laporan", report_id)
    return jsonify(plain(content))


@bp.get("/audit")
@token_requires(AUDIT_READ)
def audit_log():
    """The audit log newest first (admins' tokens only); `target` (e.g. alert:12), `limit`, `cursor`."""
    args = _args(PAGING | {"target"})
    limit, target = _limit(args), (args.get("target") or "")[:120] or None
    return _slice(_walk(lambda session: audit.entry_slice(session, args.get("cursor"), limit, target)))
