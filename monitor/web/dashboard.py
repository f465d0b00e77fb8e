"""The dashboard (Dasbor): levels per kabupaten, today's alerts, plan gaps, silent sources. A placeholder page for now: another module fills it in."""
from __future__ import annotations

from flask import Blueprint, render_template

from monitor.service.users import READ
from monitor.web.security import requires

bp = Blueprint("dashboard", __name__)


@bp.get("/")
@requires(READ)
def index():
    """Dasbor."""
    return render_template("dashboard.html")
