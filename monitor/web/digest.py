"""The daily digest (Ringkasan Harian) as a web page: the signed-in user's subscription (the whole province
when they have none), for any day, with the previous and next day a click away."""
from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, render_template, request
from flask_login import current_user

from monitor.digest.compose import compose_digest
from monitor.digest.render import render_digest_page_html
from monitor.service.digest import subscriber
from monitor.service.users import READ
from monitor.timezones import today_wib
from monitor.web.context import db
from monitor.web.forms import parse_day
from monitor.web.security import allow_inline_styles, requires

bp = Blueprint("digest", __name__)


@bp.get("/ringkasan")
@requires(READ)
def index():
    """Ringkasan Harian of `?tanggal=` (today by default): the new alerts of the day before, levels, gaps."""
    day, error = parse_day(request.args.get("tanggal"))
    with db() as session:
        person = subscriber(session, current_user.username)
        scope = person.scope if person else None
        digest = compose_digest(session, day, list(scope.kabupaten) if scope else None,
                                list(scope.categories) if scope else None, base_url=request.url_root)
    fragment = render_digest_page_html(digest)
    allow_inline_styles(fragment)
    return render_template("digest.html", digest=digest, fragment=fragment, day=day, today=today_wib(), error=error,
                           previous_day=day - timedelta(days=1), next_day=day + timedelta(days=1),
                           subscribed=bool(scope and (scope.kabupaten or scope.categories))), (400 if error else 200)
