"""The alert list (filters, sort, pages) and the alert detail (Peringatan), with the lifecycle, plan link and
label correction forms by role. Views parse input, call monitor.service and render."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from classifiers.artifacts import ModelIntegrityError
from monitor.alerts.lifecycle import TRANSITIONS, LifecycleError
from monitor.service import alerts, events, feeds
from monitor.service.alerts import SORTS, AlertFilters
from monitor.service.explain import explain_alert
from monitor.service.model_registry import active_classifier
from monitor.service.paging import PageRequest
from monitor.service.users import ALERT_LINK, ALERT_STATUS, LABELS_CORRECT, READ
from monitor.timezones import WIB
from monitor.web.context import actor, client_address, db, engine
from monitor.web.forms import CorrectForm, LinkForm, MergeForm, SplitForm, StatusForm, choices, required
from monitor.web.labels import STATUS_NAMES, category_names, kabupaten_short, region_names
from monitor.web.security import requires

bp = Blueprint("alerts", __name__)
PAGE_SIZE = 25
MAX_PAGE = 100_000  # a larger page number would only overflow the SQL offset
MAX_QUERY_CHARS = 200
LEVEL_CHOICES = {
    "": "Semua tingkat", "waspada": "Waspada ke atas", "siaga": "Siaga ke atas", "awas": "Awas",
    "normal-saja": "Normal saja", "waspada-saja": "Waspada saja", "siaga-saja": "Siaga saja",
}
GAP_CHOICES = {"": "Semua", "1": "Hanya celah rencana", "0": "Tanpa celah rencana"}
SORT_NAMES = {"terbaru": "Terbaru dahulu", "terlama": "Terlama dahulu", "skor": "Skor tertinggi",
              "sumber": "Sumber terbanyak"}


@dataclass
class ListQuery:
    """The list's filters as parsed, the raw values that were usable (links keep them), and the problems."""

    filters: AlertFilters
    page: int
    values: dict[str, str] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


def _day(args, name: str, label: str, query: ListQuery) -> date | None:
    raw = (args.get(name) or "").strip()
    if not raw:
        return None
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        query.errors.append(f"Tanggal {label} '{raw[:40]}' tidak dapat dibaca: tulis sebagai TTTT-BB-HH, "
                            "misalnya 2026-11-14.")
        return None
    query.values[name] = raw
    return day


def _choice(args, name: str, allowed, label: str, query: ListQuery) -> str | None:
    raw = (args.get(name) or "").strip()
    if not raw:
        return None
    if raw not in allowed:
        query.errors.append(f"{label} '{raw[:60]}' tidak dikenal; saringan ini diabaikan.")
        return None
    query.values[name] = raw
    return raw


def parse_list_query(args, feed_ids) -> ListQuery:
    """The alert list's query string as filters; an unusable value becomes an Indonesian message and is ignored."""
    query = ListQuery(AlertFilters(), 1)
    since = _day(args, "dari", "'dari'", query)
    until = _day(args, "sampai", "'sampai'", query)
    if since and until and since > until:
        query.errors.append("Tanggal 'dari' jatuh sesudah tanggal 'sampai'; tidak ada peringatan di antaranya.")
    kabupaten = _choice(args, "kabupaten", {c for c in region_names() if c != "62"}, "Kabupaten/kota", query)
    category = _choice(args, "kategori", category_names(), "Kategori", query)
    level = _choice(args, "tingkat", LEVEL_CHOICES, "Tingkat", query)
    status = _choice(args, "status", STATUS_NAMES, "Status", query)
    feed_id = _choice(args, "sumber", feed_ids, "Sumber", query)
    gap = _choice(args, "celah", GAP_CHOICES, "Pilihan celah rencana", query)
    sort = _choice(args, "urut", SORTS, "Urutan", query) or "terbaru"
    text = " ".join((args.get("q") or "").split())
    if len(text) > MAX_QUERY_CHARS:
        query.errors.append(f"Kata pencarian terlalu panjang; dipakai {MAX_QUERY_CHARS} karakter pertama.")
        text = text[:MAX_QUERY_CHARS]
    if text:
        query.values["q"] = text
    raw_page = (args.get("halaman") or "1").strip()
    if raw_page.isdigit() and 1 <= int(raw_page) <= MAX_PAGE:
        query.page = int(raw_page)
    else:
        query.errors.append(f"Nomor halaman '{raw_page[:20]}' tidak sah; ditampilkan halaman 1.")
    query.filters = AlertFilters(
        since=since, until=until, kabupaten=kabupaten, category=category,
        level=level.removesuffix("-saja") if level else None, exact_level=bool(level and level.endswith("-saja")),
        status=status, feed_id=feed_id, text=text or None, plan_gap={"1": True, "0": False}.get(gap or ""),
        sort=sort)
    return query


def _active_labels(values: dict[str, str], feed_names: dict[str, str]) -> list[str]:
    """The filters in use, in words ("dari 2026-11-12", "Kotawaringin Timur", "“sawit”"), for the folded form."""
    # a value without a name is shown as it is
    words: dict[str, Callable[[str], str]] = {
        "dari": lambda v: f"dari {v}", "sampai": lambda v: f"sampai {v}", "kabupaten": kabupaten_short,
        "kategori": lambda v: category_names().get(v, v), "tingkat": lambda v: LEVEL_CHOICES.get(v, v),
        "status": lambda v: STATUS_NAMES.get(v, v), "sumber": lambda v: feed_names.get(v, v), "q": lambda v: f"“{v}”",
        "celah": lambda v: GAP_CHOICES.get(v, v),
    }
    return [words[name](value) for name, value in values.items() if name in words]


@bp.get("/peringatan")
@requires(READ)
def index():
    """Peringatan: the filtered, sorted, paged list."""
    with db() as session:
        feed_names = feeds.feed_names(session)
        query = parse_list_query(request.args, feed_names)
        page = alerts.list_alerts(session, query.filters, PageRequest(query.page, PAGE_SIZE))
    values = query.values
    return render_template(
        "alerts.html", page=page, query=query, values=values, feed_names=feed_names,
        active=_active_labels(values, feed_names),
        kabupaten_choices={code: kabupaten_short(code) for code in region_names() if code != "62"},
        category_choices=category_names(), level_choices=LEVEL_CHOICES, status_choices=STATUS_NAMES,
        gap_choices=GAP_CHOICES, sort_choices=SORT_NAMES,
    ), (400 if query.errors else 200)


# --------------------------------------------------------------------------- detail


def _moves(current: str):
    """The statuses an alert may move to from `current`, as select options."""
    return choices((s, STATUS_NAMES[s]) for s in STATUS_NAMES if s in TRANSITIONS.get(current, ()))


def _submitted_status_form() -> StatusForm:
    """The submitted status form; it accepts any known status, so that the lifecycle itself explains a refused move
    (e.g. from a page left open while another user changed the status)."""
    form = StatusForm()
    form.status.choices = choices(STATUS_NAMES.items())
    return form


def _link_form(options, formdata=True) -> LinkForm:
    form = LinkForm() if formdata else LinkForm(formdata=None)
    form.action.choices = [(o.id, f"{kabupaten_short(o.plan_region)} {o.plan_year} · {o.code} {o.kegiatan}")
                           for o in options]
    return form


def _correct_form(row, formdata=True) -> CorrectForm:
    form = CorrectForm() if formdata else CorrectForm(formdata=None, categories=row.categories,
                                                       kabupaten=row.kabupaten)
    form.categories.choices = choices(category_names().items())
    form.kabupaten.choices = choices((c, kabupaten_short(c)) for c in region_names() if c != "62")
    return form


def _split_form(detail, formdata=True) -> SplitForm:
    form = SplitForm() if formdata else SplitForm(formdata=None)
    form.article.choices = [(a.id, f"#{a.id} {a.outlet or a.feed_id}: {a.title[:80]}") for a in detail.articles]
    return form


def _active_classifier():
    """The model the monitor reads with (its terms explain the alert); None when it cannot be loaded (the
    explanation then says so)."""
    try:
        return active_classifier(engine())
    except ModelIntegrityError:
        return None


def _detail_page(alert_id: int, status: int = 200, **forms):
    with db() as session:
        detail = alerts.alert_detail(session, alert_id)
        if detail is None:
            abort(404)
        options = alerts.link_choices(session, alert_id) if current_user.can(ALERT_LINK) else []
    forms.setdefault("status_form", StatusForm(formdata=None))
    forms["status_form"].status.choices = _moves(detail.row.status)  # the moves from the status stored now
    forms.setdefault("link_form", _link_form(options, formdata=False))
    forms.setdefault("correct_form", _correct_form(detail.row, formdata=False))
    forms.setdefault("merge_form", MergeForm(formdata=None))
    forms.setdefault("split_form", _split_form(detail, formdata=False))
    return render_template("alert_detail.html", detail=detail, row=detail.row,
                           explanation=explain_alert(detail, _active_classifier()),
                           link_options=options, link_year=detail.row.first_seen_at.astimezone(WIB).year,
                           **forms), status


@bp.get("/peringatan/<id:alert_id>")
@requires(READ)
def detail(alert_id: int):
    """One alert: reports and sources, evidence, places, scores, plan actions, history, and the forms a role may use."""
    return _detail_page(alert_id)


def _stage_locked():
    """The transaction of a change that moves events or recomputes levels, under the alert-stage lock."""
    return events.event_change(engine())


def _change(alert_id: int, form_name: str, form, change, done: str, transaction=db):
    """Run `change(session)` for a valid form in `transaction()` (a plain one, or the stage-locked one of a change
    that moves events or recomputes levels); flash `done` and go back to the alert, or show the refusal."""
    if form.validate():
        try:
            with transaction() as session:
                if alerts.alert_status(session, alert_id) is None:
                    abort(404)
                change(session)
        except LifecycleError as exc:
            form.form_errors.append(f"Tidak diubah: {exc}.")
        else:
            flash(done, "ok")
            return redirect(url_for("alerts.detail", alert_id=alert_id))
    return _detail_page(alert_id, 400, **{form_name: form})


@bp.post("/peringatan/<id:alert_id>/status")
@requires(ALERT_STATUS)
def change_status(alert_id: int):
    """Move the alert along its lifecycle, with a note (levels follow a dismissal; audited)."""
    form = _submitted_status_form()
    return _change(alert_id, "status_form", form,
                   lambda s: alerts.set_status(s, alert_id, form.status.data, actor(), (form.note.data or "").strip(),
                                               client_address()),
                   f"Status peringatan diubah menjadi '{STATUS_NAMES.get(form.status.data, form.status.data)}'.",
                   _stage_locked)


@bp.post("/peringatan/<id:alert_id>/tautan")
@requires(ALERT_LINK)
def link_action(alert_id: int):
    """Link the alert to an action of that year's plans for its kabupaten or the province (audited)."""
    with db() as session:
        options = alerts.link_choices(session, alert_id)
    form = _link_form(options)
    return _change(alert_id, "link_form", form,
                   lambda s: alerts.link_action(s, alert_id, form.action.data, actor(),
                                                (form.note.data or "").strip(), client_address()),
                   "Peringatan ditautkan ke aksi RAD-PKS.")


@bp.post("/peringatan/<id:alert_id>/koreksi")
@requires(LABELS_CORRECT)
def correct(alert_id: int):
    """Correct the alert's categories and kabupaten; stored as labels for retraining (audited)."""
    with db() as session:
        detail = alerts.alert_detail(session, alert_id)
        if detail is None:
            abort(404)
    form = _correct_form(detail.row)
    if form.validate() and not form.categories.data:
        form.categories.errors = ["Pilih setidaknya satu kategori. Bila berita ini bukan konflik, ubah statusnya "
                                  "menjadi 'Bukan konflik'."]
        return _detail_page(alert_id, 400, correct_form=form)
    return _change(alert_id, "correct_form", form,
                   lambda s: alerts.correct(s, alert_id, actor(), list(form.categories.data or []),
                                            list(form.kabupaten.data or []), tuple(category_names()),
                                            (form.note.data or "").strip(), client_address()),
                   "Kategori dan wilayah dikoreksi; disimpan sebagai label untuk pelatihan ulang.",
                   _stage_locked)


@bp.post("/peringatan/<id:alert_id>/gabung")
@requires(LABELS_CORRECT)
def merge(alert_id: int):
    """Merge another alert's event into this one's (one alert, every source; audited, kept by later runs)."""
    form = MergeForm()
    return _change(alert_id, "merge_form", form,
                   lambda s: events.merge_alerts(s, alert_id, required(form.other.data), actor(),
                                                 (form.note.data or "").strip(), client_address()),
                   f"Peringatan #{form.other.data} digabung ke peringatan ini.",
                   _stage_locked)


@bp.post("/peringatan/<id:alert_id>/pisah")
@requires(LABELS_CORRECT)
def split(alert_id: int):
    """Take one report out of the alert's event into an event of its own (audited, kept by later runs)."""
    with db() as session:
        detail = alerts.alert_detail(session, alert_id)
        if detail is None:
            abort(404)
    form = _split_form(detail)
    return _change(alert_id, "split_form", form,
                   lambda s: events.split_report(s, alert_id, form.article.data, actor(),
                                                 (form.note.data or "").strip(), client_address()),
                   f"Berita #{form.article.data} dipisahkan menjadi peristiwa sendiri.",
                   _stage_locked)
