"""The daily digest (Ringkasan Harian) as a web page. A placeholder page for now: another module fills it in."""
from __future__ import annotations

from flask import Blueprint, render_template

from monitor.service.users import READ
from monitor.web.security import requires

bp = Blueprint("digest", __name__)


@bp.get("/ringkasan")
@requires(READ)
def index():
    """Ringkasan Harian."""
    return render_template("digest.html")
