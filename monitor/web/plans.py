"""The RAD-PKS plans (Rencana RAD-PKS): plans of a year per kabupaten with each action's linked alerts and
realisation news; import of a plan file from the browser (all or nothing); export of the XLSX matrix."""
from __future__ import annotations

import io
import re
import tempfile
from collections.abc import Sequence
from pathlib import Path

from flask import Blueprint, flash, redirect, render_template, request, send_file, url_for

from monitor.plans.schema import PlanFileError
from monitor.service import plans
from monitor.service.users import PLANS_IMPORT, READ
from monitor.timezones import today_wib
from monitor.web.context import actor, client_address, db, engine, settings
from monitor.web.forms import PlanImportForm
from monitor.web.labels import region_names
from monitor.web.security import requires

bp = Blueprint("plans", __name__)
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_NAME_CHARS = 120


def _filters(args) -> tuple[int | None, str | None, list[str]]:
    """(year, region, errors) of `?tahun=&wilayah=`; an unusable value is reported and ignored."""
    errors = []
    year = region = None
    raw_year = (args.get("tahun") or "").strip()
    if raw_year:
        if raw_year.isdigit() and len(raw_year) == 4:
            year = int(raw_year)
        else:
            errors.append(f"Tahun '{raw_year[:20]}' tidak sah: tulis empat angka, misalnya 2026.")
    raw_region = (args.get("wilayah") or "").strip()
    if raw_region:
        if raw_region in region_names():
            region = raw_region
        else:
            errors.append(f"Wilayah '{raw_region[:40]}' tidak dikenal: pilih provinsi (62) atau kabupaten/kota.")
    return year, region, errors


def _page(form: PlanImportForm, problems: list[str] | None = None, status: int = 200, errors: Sequence[str] = ()):
    year, region, filter_errors = _filters(request.args)
    errors = [*errors, *filter_errors]
    with db() as session:
        years = plans.plan_years(session)
        if year is None and years:  # this year's plans when there are any, else the latest
            year = today_wib().year if today_wib().year in years else years[0]
        views = plans.plan_views(session, year, region) if years else []
    return render_template("plans.html", views=views, years=years, year=year, region=region, regions=region_names(),
                           form=form, problems=problems or [], errors=errors,
                           max_upload_mib=upload_limit_mib()), (400 if errors or problems or form.errors else status)


def upload_limit_mib() -> str:
    """The upload limit as people read it ("10")."""
    return f"{settings().web.max_upload_bytes / 1024 / 1024:g}"


@bp.get("/rencana")
@requires(READ)
def index():
    """Rencana RAD-PKS: the plans of a year (this year's or the latest by default), optionally of one region."""
    return _page(PlanImportForm(formdata=None))


def upload_name(filename: str | None) -> str:
    """The uploaded file's own name, fit to be a file name in a private temporary folder (messages name it)."""
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = re.sub(r"[\x00-\x1f\x7f]", "", name).strip()[-MAX_NAME_CHARS:]
    return name if name and not name.startswith(".") else "rencana"


@bp.post("/rencana/impor")
@requires(PLANS_IMPORT)
def import_file():
    """Import a plan file (.xlsx, .yaml): validated first, stored all or nothing, alerts re-linked; audited."""
    form = PlanImportForm()  # this request may be as large as the upload limit (app._allow_uploads)
    if not form.validate():
        return _page(form)
    with tempfile.TemporaryDirectory(prefix="waspada-impor-") as folder:
        path = Path(folder) / upload_name(form.plan_file.data.filename)
        form.plan_file.data.save(path)
        try:
            result = plans.import_plans(engine(), [path], actor=actor(), address=client_address())
        except PlanFileError as exc:
            return _page(PlanImportForm(formdata=None), [str(problem) for problem in exc.problems])
    n_actions = sum(o.n_actions for o in result.plans)
    changed = "; ".join(f"{o.year} {region_names().get(o.region, o.region)} {'baru' if o.created else 'diganti'}"
                        for o in result.plans)
    run = result.relinked.alerts
    flash(f"{len(result.plans)} rencana diimpor ({n_actions} rencana aksi): {changed}. Keterkaitan peringatan "
          f"diperbarui: {run.updated} peringatan, {run.plan_gaps} celah rencana.", "ok")
    first = result.plans[0]
    return redirect(url_for("plans.index", tahun=first.year, wilayah=first.region if len(result.plans) == 1 else None))


@bp.get("/rencana/ekspor")
@requires(READ)
def export():
    """The XLSX matrix of the stored plans of a year and/or region (an empty template when none)."""
    year, region, errors = _filters(request.args)
    if errors:
        return _page(PlanImportForm(formdata=None), errors=errors)
    with tempfile.TemporaryDirectory(prefix="waspada-ekspor-") as folder:
        path = Path(folder) / "rencana.xlsx"
        plans.export_plans(engine(), path, "xlsx", year=year, region=region)
        data = path.read_bytes()
    name = "-".join(["radpks", *([str(year)] if year else []), *([region] if region else [])]) + ".xlsx"
    return send_file(io.BytesIO(data), mimetype=XLSX_TYPE, as_attachment=True, download_name=name)
