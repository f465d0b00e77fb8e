"""Model: the registry (active model, candidates), retraining as a background job with progress, a candidate's
card and evaluation beside the active model's, promotion (refused when worse on the frozen set unless forced
with a reason) and rollback. Views parse input, call monitor.service and render."""
from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, abort, flash, redirect, render_template, url_for

from classifiers.artifacts import ModelIntegrityError
from monitor.service import audit, jobs, model_registry, worker
from monitor.service.users import MODELS_MANAGE
from monitor.web.context import actor, client_address, db, engine, job_worker
from monitor.web.forms import PromoteForm, RollbackForm, TrainForm, required
from monitor.web.labels import category_names, kabupaten_short
from monitor.web.security import requires

bp = Blueprint("model", __name__)
RECENT_JOBS = 8
SETS = (("frozen", "Set evaluasi beku"), ("newest", "Label analis terbaru"))
HEADLINE_NAMES = {"conflict_f1": "F1 sinyal konflik", "macro_f1": "F1 makro", "micro_f1": "F1 mikro"}


@dataclass(frozen=True)
class Cell:
    """A metric of the active model and the candidate, and how the candidate compares."""

    active: float | None
    candidate: float | None

    @property
    def delta(self) -> float | None:
        return None if self.active is None or self.candidate is None else self.candidate - self.active

    @property
    def trend(self) -> str:
        delta = self.delta
        return "" if delta is None or abs(delta) < 0.0005 else ("better" if delta > 0 else "worse")


def _cells(evaluation: dict, pick) -> dict[str, Cell]:
    """One Cell per evaluation set, `pick(metrics)` choosing the number (None when absent)."""
    out = {}
    for name, _label in SETS:
        pair = evaluation.get(name, {})
        out[name] = Cell(*(pick(pair.get(side) or {}) for side in ("active", "candidate")))
    return out


def comparison(evaluation: dict) -> dict:
    """The candidate beside the active model: headline metrics, per category, per kabupaten, on both sets."""
    def metric(name):
        return lambda m: m.get(name)

    def nested(group, code, name):
        return lambda m: m.get(group, {}).get(code, {}).get(name)

    kabupaten = sorted({code for name, _ in SETS for side in ("active", "candidate")
                        for code in (evaluation.get(name, {}).get(side) or {}).get("per_kabupaten", {})})
    items = {name: (evaluation.get(name, {}).get("candidate") or {}).get("items", 0) for name, _ in SETS}
    return {
        "items": items,
        "headline": [(HEADLINE_NAMES[key], _cells(evaluation, metric(key))) for key in HEADLINE_NAMES],
        "per_label": [(category_names()[code], _cells(evaluation, nested("per_label", code, "f1")),
                       _cells(evaluation, nested("per_label", code, "support"))) for code in category_names()],
        "per_kabupaten": [(kabupaten_short(code),
                           _cells(evaluation, nested("per_kabupaten", code, "conflict_accuracy")),
                           _cells(evaluation, nested("per_kabupaten", code, "items"))) for code in kabupaten],
    }


def _range_form(form_class, formdata=True):
    start, end = worker.default_rescore_range()
    return form_class() if formdata else form_class(formdata=None, dari=start, sampai=end)


def _active_version(session) -> tuple[str, str]:
    """The active model's version and a problem message when its card cannot be read."""
    try:
        return str(model_registry.active_card(session).get("version", "")), ""
    except ModelIntegrityError as exc:
        return "", str(exc)


@bp.get("/model")
@requires(MODELS_MANAGE)
def index(train_form: TrainForm | None = None, rollback_form: RollbackForm | None = None, status: int = 200):
    """The registry, the retrain form, recent jobs with their progress, and rollback."""
    job_worker().wake()  # a job left waiting (e.g. by a restart) is picked up when someone looks
    with db() as session:
        records = model_registry.list_models(session)
        active = model_registry.active_model(session)
        active_version, problem = _active_version(session)
        recent = jobs.recent_jobs(session, RECENT_JOBS)
    return render_template("models.html", records=records, active=active, active_version=active_version,
                           problem=problem, recent=recent, train_form=train_form or TrainForm(formdata=None),
                           rollback_form=rollback_form or _range_form(RollbackForm, formdata=False)), status


@bp.post("/model/latih")
@requires(MODELS_MANAGE)
def train():
    """Queue a retrain (audited); its progress shows on the page."""
    form = TrainForm()
    if not form.validate():
        return index(train_form=form, status=400)
    params = {"max_items": form.max_items.data}
    with db() as session:
        job_id = jobs.submit(session, "latih", params, actor())
        audit.record(session, actor(), "model.train", f"job:{job_id}", params, client_address())
    job_worker().wake()
    flash(f"Pelatihan ulang dimulai di latar belakang (tugas #{job_id}).", "ok")
    return redirect(url_for("model.index", _anchor=f"tugas-{job_id}"))


@bp.get("/model/tugas/<id:job_id>")
@requires(MODELS_MANAGE)
def job(job_id: int):
    """One job's progress (the page polls this fragment until the job ends)."""
    with db() as session:
        record = jobs.get_job(session, job_id)
    if record is None:
        abort(404)
    return render_template("_job.html", job=record)


def _detail_page(version: str, promote_form: PromoteForm | None = None, status: int = 200):
    with db() as session:
        record = model_registry.get_model(session, version)
        active_version, problem = _active_version(session)
    if record is None:
        abort(404)
    return render_template("model_detail.html", record=record, active_version=active_version, problem=problem,
                           compare=comparison(record.evaluation), sets=SETS,
                           promote_form=promote_form or _range_form(PromoteForm, formdata=False)), status


@bp.get("/model/<version>")
@requires(MODELS_MANAGE)
def detail(version: str):
    """A model's card and its evaluation beside the model that was active when it was trained; the promote form."""
    return _detail_page(version)


@bp.post("/model/<version>/promosikan")
@requires(MODELS_MANAGE)
def promote(version: str):
    """Make the model active (audited; an override needs a reason) and rescore the chosen days in the background."""
    form = PromoteForm()
    if form.validate():
        try:
            dari, sampai = required(form.dari.data), required(form.sampai.data)
            record, job_id = worker.promote_and_rescore(engine(), version, actor(), dari, sampai,
                                                        bool(form.paksa.data), form.alasan.data or "",
                                                        client_address())
        except (model_registry.RegistryError, ModelIntegrityError) as exc:
            form.form_errors.append(f"Tidak dipromosikan: {exc}.")
        else:
            job_worker().wake()
            flash(f"Model {record.version} sekarang aktif. Skor ulang {dari.isoformat()} s.d. "
                  f"{sampai.isoformat()} berjalan di latar belakang (tugas #{job_id}).", "ok")
            return redirect(url_for("model.index", _anchor=f"tugas-{job_id}"))
    return _detail_page(version, form, 400)


@bp.post("/model/kembalikan")
@requires(MODELS_MANAGE)
def rollback():
    """Go back to the model active before (audited) and rescore the chosen days with it."""
    form = RollbackForm()
    if form.validate():
        try:
            version, job_id = worker.rollback_and_rescore(engine(), actor(), required(form.dari.data),
                                                          required(form.sampai.data), form.alasan.data or "",
                                                          client_address())
        except (model_registry.RegistryError, ModelIntegrityError) as exc:
            form.form_errors.append(f"Tidak dikembalikan: {exc}.")
        else:
            job_worker().wake()
            flash(f"Model {version} aktif kembali. Skor ulang berjalan di latar belakang (tugas #{job_id}).", "ok")
            return redirect(url_for("model.index", _anchor=f"tugas-{job_id}"))
    return index(rollback_form=form, status=400)
