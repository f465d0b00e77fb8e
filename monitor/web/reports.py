"""Laporan: operators' RAD-PKS period reports. List and create; a report's page with its cover, attached alerts,
plan gaps and per-action follow-up (editable while a draft, read from the frozen snapshot once submitted);
submit, new version, and the XLSX/DOCX downloads. Views parse input, call monitor.service.reports and render."""
from __future__ import annotations

import io
import tempfile
from datetime import date
from pathlib import Path

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user
from markupsafe import Markup

from monitor.plans.schema import PERIOD_NAMES, PERIODS
from monitor.render.map import kabupaten_map_svg
from monitor.service import reports
from monitor.service.reports import ReportError
from monitor.service.users import READ, REPORTS_EDIT
from monitor.timezones import today_wib
from monitor.web.context import actor, client_address, db
from monitor.web.forms import (
    ActionForm,
    ReportActionForm,
    ReportAttachForm,
    ReportCoverForm,
    ReportCreateForm,
    attach_error,
    choices,
    text,
)
from monitor.web.labels import region_names
from monitor.web.security import allow_inline_styles, requires

bp = Blueprint("reports", __name__)
MIME = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}


def _actor_region() -> str:
    return current_user.record.region_code


def _default_period(day: date) -> str:
    return next(p for p in PERIODS if day.month <= int(p[1:]))


def _create_form(formdata=True) -> ReportCreateForm:
    today = today_wib()
    form = ReportCreateForm() if formdata else ReportCreateForm(
        formdata=None, region=_actor_region(), year=str(today.year), period=_default_period(today))
    form.region.choices = choices(region_names().items())
    form.period.choices = choices((p, f"{p} ({name})") for p, name in PERIOD_NAMES.items())
    return form


def _list_page(form: ReportCreateForm, status: int = 200):
    region = request.args.get("wilayah") or None
    region = region if region in region_names() else None
    with db() as session:
        rows = reports.list_reports(session, region)
    return render_template("reports.html", rows=rows, form=form, region=region, regions=region_names(),
                           status_names=reports.STATUS_NAMES), status


@bp.get("/laporan")
@requires(READ)
def index():
    """Every report version, newest period first; operators create a report here."""
    return _list_page(_create_form(formdata=False))


@bp.post("/laporan/buat")
@requires(REPORTS_EDIT)
def create():
    """Create a draft report pre-filled from the period's alerts and realisation (audited)."""
    form = _create_form()
    if form.validate():
        year = text(form.year).strip()
        if not (year.isdigit() and len(year) == 4):
            form.year.errors = ["Tulis tahun dengan empat angka, misalnya 2026."]
            return _list_page(form, 400)
        try:
            with db() as session:
                report_id = reports.create_report(session, form.region.data, int(year), form.period.data, actor(),
                                                  _actor_region(), client_address())
        except ReportError as exc:
            attach_error(form, exc)
        else:
            flash("Laporan dibuat dan diisi dari peringatan dan realisasi periode ini. Periksa, lengkapi, lalu ajukan.",
                  "ok")
            return redirect(url_for("reports.detail", report_id=report_id))
    return _list_page(form, 400)


def _action_form(entry, content, formdata=False) -> ReportActionForm:
    prefix = f"aksi-{entry.id}"
    if formdata:
        return ReportActionForm(prefix=prefix)
    realisation = content.realisation(entry)
    return ReportActionForm(formdata=None, prefix=prefix, tindak_lanjut=entry.tindak_lanjut,
                            realisasi=realisation.realisasi, kendala=realisation.kendala,
                            capaian="" if realisation.capaian_persen is None else f"{realisation.capaian_persen:g}",
                            evidence="\n".join(realisation.evidence))


def _detail_page(report_id: int, status: int = 200, action_forms: dict | None = None, **forms):
    with db() as session:
        content = reports.report_content(session, report_id)
        if content is None:
            abort(404)
        versions = reports.versions(session, report_id)
        editable = content.status == "draf" and current_user.can(REPORTS_EDIT)
        candidates = reports.attach_candidates(session, report_id) if editable else []
    action_forms = {**{e.id: _action_form(e, content) for e in content.actions}, **(action_forms or {})}
    forms.setdefault("cover_form", ReportCoverForm(
        formdata=None, summary=content.summary, signed_place=content.signed_place, signer_title=content.signer_title,
        signer_name=content.signer_name, signer_nip=content.signer_nip))
    forms.setdefault("attach_form", ReportAttachForm(formdata=None))
    map_svg = Markup(kabupaten_map_svg(content.levels, width=420, id_prefix="peta-laporan"))
    allow_inline_styles(map_svg)
    return render_template("report.html", content=content, versions=versions, editable=editable,
                           latest=versions[0].id == report_id if versions else False, candidates=candidates,
                           action_forms=action_forms, button=ActionForm(formdata=None), map_svg=map_svg,
                           status_names=reports.STATUS_NAMES, **forms), status


@bp.get("/laporan/<id:report_id>")
@requires(READ)
def detail(report_id: int):
    """One report version: editable while a draft (operators), read from its snapshot once submitted."""
    return _detail_page(report_id)


def _change(report_id: int, form, change, done: str, anchor: str = "", form_name: str = ""):
    """Run `change(session)` for a valid form; flash `done` and return to the report, or show the refusal there."""
    if form.validate():
        try:
            with db() as session:
                change(session)
        except ReportError as exc:
            attach_error(form, exc)
        else:
            flash(done, "ok")
            return redirect(url_for("reports.detail", report_id=report_id, _anchor=anchor or None))
    if form_name.startswith("aksi-"):
        return _detail_page(report_id, 400, action_forms={int(form_name[5:]): form})
    if form_name:
        return _detail_page(report_id, 400, **{form_name: form})
    flash(" ".join(form.form_errors) or "Permintaan tidak dapat diproses.", "error")
    return redirect(url_for("reports.detail", report_id=report_id))


@bp.post("/laporan/<id:report_id>/sampul")
@requires(REPORTS_EDIT)
def cover(report_id: int):
    """Save the opening text and the signatory block of a draft (audited)."""
    form = ReportCoverForm()
    return _change(report_id, form, lambda s: reports.save_cover(
        s, report_id, actor(), summary=text(form.summary), signer_name=text(form.signer_name),
        signer_title=text(form.signer_title), signer_nip=text(form.signer_nip), signed_place=text(form.signed_place),
        actor_region=_actor_region(), address=client_address()), "Sampul dan penandatangan disimpan.", "sampul",
        "cover_form")


@bp.post("/laporan/<id:report_id>/lampirkan")
@requires(REPORTS_EDIT)
def attach(report_id: int):
    """Attach an alert to a draft by its number (audited)."""
    form = ReportAttachForm()
    number = (form.alert.data or "").strip().lstrip("#")
    if form.validate() and not (number.isdigit() and 0 < int(number) < 2**31):
        form.alert.errors = ["Tulis nomor peringatan (angka), misalnya 12."]
        return _detail_page(report_id, 400, attach_form=form)
    return _change(report_id, form, lambda s: reports.attach_alert(
        s, report_id, int(number), actor(), _actor_region(), client_address()),
        f"Peringatan #{number} dilampirkan.", "peringatan", "attach_form")


@bp.post("/laporan/<id:report_id>/lepas/<id:alert_id>")
@requires(REPORTS_EDIT)
def detach(report_id: int, alert_id: int):
    """Detach an alert from a draft (audited)."""
    return _change(report_id, ActionForm(), lambda s: reports.detach_alert(
        s, report_id, alert_id, actor(), _actor_region(), client_address()),
        f"Peringatan #{alert_id} dilepas dari laporan.", "peringatan")


@bp.post("/laporan/<id:report_id>/aksi/<id:action_id>")
@requires(REPORTS_EDIT)
def save_action(report_id: int, action_id: int):
    """Save a draft's follow-up and realisation of one plan action (audited)."""
    form = ReportActionForm(prefix=f"aksi-{action_id}")
    return _change(report_id, form, lambda s: reports.save_action(
        s, report_id, action_id, actor(), tindak_lanjut=text(form.tindak_lanjut), realisasi=text(form.realisasi),
        capaian=form.capaian.data or "", kendala=text(form.kendala), evidence=text(form.evidence),
        actor_region=_actor_region(), address=client_address()),
        "Tindak lanjut dan realisasi disimpan.", f"aksi-{action_id}", f"aksi-{action_id}")


@bp.post("/laporan/<id:report_id>/ajukan")
@requires(REPORTS_EDIT)
def submit(report_id: int):
    """Submit a draft: its content is frozen and it can no longer be changed (audited)."""
    return _change(report_id, ActionForm(), lambda s: reports.submit_report(
        s, report_id, actor(), _actor_region(), client_address()),
        "Laporan diajukan dan dikunci. Koreksi dibuat sebagai versi baru.")


@bp.post("/laporan/<id:report_id>/versi-baru")
@requires(REPORTS_EDIT)
def new_version(report_id: int):
    """Start a corrected version from the latest submitted one (audited); the submitted one stays as it is."""
    form = ActionForm()
    if not form.validate():
        abort(400)
    try:
        with db() as session:
            new_id = reports.new_version(session, report_id, actor(), _actor_region(), client_address())
    except ReportError as exc:
        flash(exc.message, "error")
        return redirect(url_for("reports.detail", report_id=report_id))
    flash("Versi baru dibuat sebagai draf; versi yang diajukan tetap tersimpan apa adanya.", "ok")
    return redirect(url_for("reports.detail", report_id=new_id))


@bp.get("/laporan/<id:report_id>/unduh/<fmt>")
@requires(READ)
def download(report_id: int, fmt: str):
    """The report as the XLSX matrix or the DOCX narrative (a submitted version exactly as submitted)."""
    if fmt not in reports.FORMATS:
        abort(404)
    with db() as session:
        content = reports.report_content(session, report_id)
    if content is None:
        abort(404)
    with tempfile.TemporaryDirectory(prefix="waspada-laporan-") as folder:
        path = Path(folder) / f"laporan.{fmt}"
        reports.write_content(content, fmt, path)
        data = path.read_bytes()
    return send_file(io.BytesIO(data), mimetype=MIME[fmt], as_attachment=True,
                     download_name=reports.file_name(content, fmt))
