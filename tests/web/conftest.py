"""Fixtures of the web tests, meant for reuse by every page's tests.

- `web_engine`: a fresh SQLite database (copied from one migrated template, so no test pays for
  migrations) holding one user per role: staf, operator, analis, admin (password USER_PASSWORD).
- `web_settings`, `app`, `client`: the Flask app over it, and Flask's test client.
- `login(client, username)`: signs a test client in without a password check (see `sign_in`);
  `demo_login` does the same for a client of `demo_app`.
- `csrf_token(client)`: a valid CSRF token of the client's session.
- `live_server`: the app served by a real waitress server on 127.0.0.1 (ephemeral port) in a thread;
  returns its base URL.
- `demo_engine`, `demo_settings`, `demo_app`, `demo_live_server`: the same over a copy of a database
  that also holds `waspada demo` (example plans, 80 example news items, their alerts and levels),
  built once per test session.
- `browser_page`: a Playwright page in Debian's Chromium (/usr/bin/chromium, or WASPADA_TEST_CHROMIUM);
  the test FAILS with a clear message when Chromium is missing (.ci/run installs it).
- `screenshot_dir`: where browser tests save screenshots (also copied to /tmp/waspada-screens/).
"""
from __future__ import annotations

import dataclasses
import os
import re
import shutil
import threading
import time
from pathlib import Path

import pytest

from monitor.config import Settings, WebSettings
from monitor.db.session import open_database, session_scope
from monitor.demo import run_demo
from monitor.service import users
from tests.conftest import FAST_FETCH

USER_PASSWORD = "kata-sandi-uji-123"
ROLE_USERS = {"staff": "staf", "operator": "operator", "analyst": "analis", "admin": "admin"}
SECRET_KEY = "kunci-sesi-uji-" + "x" * 40
CHROMIUM = os.environ.get("WASPADA_TEST_CHROMIUM", "/usr/bin/chromium")
SCREENS_COPY = Path("/tmp/waspada-screens")


@pytest.fixture(scope="session")
def _template_database(tmp_path_factory) -> Path:
    """A migrated SQLite file with one user per role, built once per test session."""
    path = tmp_path_factory.mktemp("web-template") / "template.db"
    engine = open_database(f"sqlite:///{path}")
    with session_scope(engine) as session:
        for role, username in ROLE_USERS.items():
            users.create_user(session, "uji", username, USER_PASSWORD, role, display_name=f"Pengguna {username}")
    _checkpointed(engine)
    return path


def _checkpointed(engine) -> None:
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()


@pytest.fixture(scope="session")
def _demo_database(_template_database, tmp_path_factory) -> Path:
    """The template with `waspada demo` run into it, built once per test session."""
    path = tmp_path_factory.mktemp("web-demo") / "demo.db"
    shutil.copyfile(_template_database, path)
    engine = open_database(f"sqlite:///{path}")
    run_demo(engine)
    _checkpointed(engine)
    return path


def _copy_of(template: Path, path: Path):
    shutil.copyfile(template, path)
    path.chmod(0o600)
    engine = open_database(f"sqlite:///{path}")
    try:
        yield engine
    finally:
        engine.dispose()


@pytest.fixture
def web_engine(_template_database, tmp_path):
    """A fresh SQLite database with the four role users."""
    yield from _copy_of(_template_database, tmp_path / "web.db")


@pytest.fixture
def demo_engine(_demo_database, tmp_path):
    """A fresh SQLite database with the four role users and the demo's plans, news, alerts and levels."""
    yield from _copy_of(_demo_database, tmp_path / "demo.db")


@pytest.fixture
def web_settings(tmp_path, web_engine) -> Settings:
    """Settings of the web tests: the local feed server is allowed, feeds.yaml in tmp_path (empty list)."""
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text("feeds: []\n", encoding="utf-8")
    return Settings(database_url=str(web_engine.url), feeds_path=feeds, fetch=FAST_FETCH, web=WebSettings())


@pytest.fixture
def demo_settings(tmp_path, demo_engine) -> Settings:
    """Settings over the demo database (an empty feeds.yaml)."""
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text("feeds: []\n", encoding="utf-8")
    return Settings(database_url=str(demo_engine.url), feeds_path=feeds, fetch=FAST_FETCH, web=WebSettings())


@pytest.fixture
def app(web_engine, web_settings):
    from monitor.web import create_app

    return create_app(web_engine, web_settings, SECRET_KEY)


@pytest.fixture
def demo_app(demo_engine, demo_settings):
    from monitor.web import create_app

    return create_app(demo_engine, demo_settings, SECRET_KEY)


@pytest.fixture
def client(app):
    return app.test_client()


def sign_in(client, engine, username: str) -> None:
    """Put a signed-in session for `username` into the client's cookie, as the sign-in page would."""
    with session_scope(engine) as session:
        record = users.find_user(session, username)
    with client.session_transaction() as flask_session:
        flask_session["_user_id"] = f"{record.id}.{record.session_version}"
        flask_session["_fresh"] = True
        flask_session["seen"] = int(time.time())
        flask_session.permanent = True


@pytest.fixture
def login(web_engine):
    """`login(client, username)` signs the client in (no password check; the sign-in page has its own tests)."""
    return lambda client, username: sign_in(client, web_engine, username)


@pytest.fixture
def demo_login(demo_engine):
    """`demo_login(client, username)`: as `login`, for a client of `demo_app`."""
    return lambda client, username: sign_in(client, demo_engine, username)


TOKEN_PATTERN = re.compile(r'name="csrf_token"[^>]*?value="([^"]+)"')


def csrf_token_of(client, path: str = "/masuk") -> str:
    """The CSRF token a page of `path` hands out to this client's session."""
    page = client.get(path)
    match = TOKEN_PATTERN.search(page.get_data(as_text=True))
    assert match, f"no CSRF token on {path} ({page.status_code})"
    return match.group(1)


@pytest.fixture
def csrf_token():
    return csrf_token_of


def with_web(settings: Settings, **changes) -> Settings:
    return dataclasses.replace(settings, web=dataclasses.replace(settings.web, **changes))


# --------------------------------------------------------------------------- a real server and a real browser


def _serve(app):
    from monitor.web.server import make_server

    server = make_server(app, "127.0.0.1", 0)
    thread = threading.Thread(target=server.run, name="waitress-test", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}"
    finally:
        _stop(server)
        thread.join(timeout=10)
        server.task_dispatcher.shutdown()


def _stop(server) -> None:
    """Close the server's listening socket and open connections in its own loop thread: closing them from this
    thread races the loop's select (EBADF in the server thread). With its map empty, the loop returns."""
    def close_all() -> None:
        for dispatcher in list(server._map.values()):
            dispatcher.close()

    server.trigger.pull_trigger(close_all)


@pytest.fixture
def live_server(app):
    """The app on a real waitress server at 127.0.0.1 and an ephemeral port, in a thread; yields the base URL."""
    yield from _serve(app)


@pytest.fixture
def demo_live_server(demo_app):
    """The app over the demo database on a real waitress server (as `live_server`)."""
    yield from _serve(demo_app)


@pytest.fixture
def _browser():
    # per test, not per session: Playwright's sync API keeps an asyncio loop running in the main thread while
    # it is started, and code under test that calls asyncio.run() (fetching, feed discovery) must not see it
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium is not installed at {CHROMIUM}: the browser tests need Debian's chromium "
                    "(apt-get install chromium; .ci/run does this) or WASPADA_TEST_CHROMIUM pointing at one.",
                    pytrace=False)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def browser_page(_browser):
    """A fresh Playwright page (own cookies) at 1366x768, Indonesian locale, WIB."""
    context = _browser.new_context(viewport={"width": 1366, "height": 768}, locale="id-ID",
                                   timezone_id="Asia/Jakarta")
    page = context.new_page()
    page.set_default_timeout(20_000)
    try:
        yield page
    finally:
        context.close()


@pytest.fixture
def screenshot_dir(tmp_path) -> Path:
    folder = tmp_path / "screens"
    folder.mkdir()
    return folder


def save_screenshot(page, folder: Path, name: str, group: str = "") -> Path:
    """A full-page PNG in `folder`, copied to /tmp/waspada-screens/ (or its subfolder `group`) for people to look at."""
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    copies = SCREENS_COPY / group if group else SCREENS_COPY
    copies.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(path, copies / path.name)
    return path


DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}


def photograph(page, folder: Path, name: str, group: str = "") -> None:
    """Screenshots at 1366x768 and 390x844 (see save_screenshot); on the phone nothing may be wider than the screen."""
    for label, size in (("desktop", DESKTOP), ("ponsel", PHONE)):
        page.set_viewport_size(size)
        save_screenshot(page, folder, f"{name}-{label}", group)
        if label == "ponsel":
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, f"{name}: the page is {overflow}px wider than a 390px phone"
    page.set_viewport_size(DESKTOP)


def watch_page_problems(page) -> list[str]:
    """Script errors, CSP refusals and assets that failed to load, collected as they happen."""
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text)
            if message.type == "error" and not message.text.startswith("Failed to load resource") else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("response", lambda response: problems.append(f"{response.status} {response.url}")
            if response.status >= 400 and response.request.resource_type != "document" else None)
    return problems


@pytest.fixture
def as_user(demo_app, demo_login):
    """`as_user(username, app=None)`: a test client of the demo app (or `app`) signed in as that user, with its CSRF token."""
    def make(username: str, app=None):
        client = (app or demo_app).test_client()
        demo_login(client, username)
        client.token = csrf_token_of(client, "/")
        return client
    return make


def get_page(client, path: str, status: int = 200) -> str:
    """GET `path`, assert its status, return the body as text."""
    response = client.get(path)
    assert response.status_code == status, (path, response.status_code)
    return response.get_data(as_text=True)
