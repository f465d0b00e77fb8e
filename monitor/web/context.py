"""What a view needs besides the request: the database, the settings, who is acting and from where."""
from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from contextlib import contextmanager

from flask import current_app, request
from flask_login import current_user
from sqlalchemy.orm import Session

from monitor.config import Settings
from monitor.db.session import session_scope

EXTENSION = "waspada"


def settings() -> Settings:
    """The app's settings."""
    return current_app.extensions[EXTENSION]["settings"]


@contextmanager
def db() -> Iterator[Session]:
    """A session on the app's database, committed on success and rolled back on any error."""
    with session_scope(current_app.extensions[EXTENSION]["engine"]) as session:
        yield session


def engine():
    """The app's engine (for service functions that open their own transactions)."""
    return current_app.extensions[EXTENSION]["engine"]


def actor() -> str:
    """The signed-in user's name, as the audit log records it."""
    return current_user.username if current_user.is_authenticated else "anonim"


def client_address() -> str:
    """The client's address as the server saw it (no proxy headers are trusted)."""
    return (request.remote_addr or "")[:64]


def from_this_computer() -> bool:
    """The request came straight from a loopback address, not through a proxy on this machine."""
    try:
        loopback = ipaddress.ip_address(request.remote_addr or "").is_loopback
    except ValueError:
        return False
    forwarded = any(name in request.headers for name in ("X-Forwarded-For", "Forwarded", "X-Real-Ip"))
    return loopback and not forwarded


def job_worker():
    """The app's background job worker (monitor.service.worker.JobWorker)."""
    return current_app.extensions[EXTENSION]["worker"]
