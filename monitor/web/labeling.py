"""Pelabelan: the labeling queue, one story at a time, with keyboard shortcuts (static/labeling.js)."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for

from classifiers.artifacts import ModelIntegrityError
from monitor.service import labeling, model_registry
from monitor.service.users import LABELS_CORRECT
from monitor.web.context import actor, client_address, db
from monitor.web.forms import ActionForm, LabelForm, choices
from monitor.web.labels import category_names, kabupaten_short, region_names
from monitor.web.security import requires

bp = Blueprint("labeling", __name__)
CATEGORY_KEYS = "1234567890-"  # shortcut of the n-th category; k toggles Kalteng, Enter saves, s skips
UPCOMING = 10


def _label_form(item: labeling.QueueItem | None = None) -> LabelForm:
    form = LabelForm() if item is None else LabelForm(formdata=None, categories=item.categories,
                                                       kabupaten=item.kabupaten, kalteng=item.kalteng)
    form.categories.choices = choices(category_names().items())
    form.kabupaten.choices = choices((code, kabupaten_short(code)) for code in region_names() if code != "62")
    return form


def _page(form: LabelForm | None = None, status: int = 200):
    with db() as session:
        try:
            card = model_registry.active_card(session)
        except ModelIntegrityError as exc:
            return render_template("labeling.html", problem=str(exc), queue=[], item=None), 500
        queue = labeling.label_queue(session, card, actor(), UPCOMING + 1)
    item = queue[0] if queue else None
    return render_template(
        "labeling.html", item=item, queue=queue[1:], model_version=card.get("version", ""), problem="",
        form=form or (_label_form(item) if item else None), skip_form=ActionForm(formdata=None),
        segments=labeling.marked_text(item.title, item.summary, item.places) if item else [],
        keys=dict(zip(category_names(), CATEGORY_KEYS, strict=False)),  # categories past the last key get none
    ), status


@bp.get("/pelabelan")
@requires(LABELS_CORRECT)
def index():
    """The story the active model is least sure of, with the label form, and the next ones in the queue."""
    return _page()


@bp.post("/pelabelan/<id:cluster_id>")
@requires(LABELS_CORRECT)
def save(cluster_id: int):
    """Store the label for every report of the story (audited), then show the next story."""
    form = _label_form()
    if form.validate():
        try:
            with db() as session:
                count = labeling.label_story(session, cluster_id, actor(), list(form.categories.data or []),
                                             list(form.kabupaten.data or []), bool(form.kalteng.data),
                                             tuple(category_names()), client_address())
        except labeling.LabelingError as exc:
            flash(f"Label tidak disimpan: {exc}.", "error")
            return redirect(url_for("labeling.index"))
        flash(f"Label disimpan untuk {count} berita cerita #{cluster_id}.", "ok")
        return redirect(url_for("labeling.index"))
    return _page(form, 400)


@bp.post("/pelabelan/<id:cluster_id>/lewati")
@requires(LABELS_CORRECT)
def skip(cluster_id: int):
    """Leave the story out of this analyst's queue."""
    if not ActionForm().validate():
        abort(400)
    try:
        with db() as session:
            labeling.skip_story(session, cluster_id, actor())
    except labeling.LabelingError:
        abort(404)
    flash(f"Cerita #{cluster_id} dilewati.", "info")
    return redirect(url_for("labeling.index"))
