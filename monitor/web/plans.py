"""The RAD-PKS plans (Rencana RAD-PKS). A placeholder page for now: another module fills it in."""
from __future__ import annotations

from flask import Blueprint, render_template

from monitor.service.users import READ
from monitor.web.security import requires

bp = Blueprint("plans", __name__)


@bp.get("/rencana")
@requires(READ)
def index():
    """Rencana RAD-PKS."""
    return render_template("plans.html")
