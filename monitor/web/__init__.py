"""The web app: Flask, server-rendered Jinja2 pages, htmx served locally, served by waitress.

`create_app(engine, settings, secret_key)` builds it; `monitor.web.server` serves it; blueprints:
`auth` (sign-in, set-up link), `dashboard`, `alerts`, `plans`, `digest`, `admin`.
"""
from __future__ import annotations


def __getattr__(name: str):
    # imported on first use, so that `waspada` commands that never serve pages do not load Flask
    if name == "create_app":
        from monitor.web.app import create_app

        return create_app
    raise AttributeError(name)


__all__ = ["create_app"]
