"""The alert list and alert detail (Peringatan). A placeholder page for now: another module fills it in."""
from __future__ import annotations

from flask import Blueprint, render_template

from monitor.service.users import READ
from monitor.web.security import requires

bp = Blueprint("alerts", __name__)


@bp.get("/peringatan")
@requires(READ)
def index():
    """Peringatan."""
    return render_template("alerts.html")
