"""Shared fixtures of the test suite: a local feed server, databases (SQLite and PostgreSQL), settings.

`feed_server` is a real threaded HTTP server on 127.0.0.1 (ephemeral port); `FeedServer` itself can
also listen on another loopback address or port, and speak TLS with a given context. Each test registers
responses by path (status, headers, body, delay, gzip, chunked, or a handler computing the response
from the request) and can read back every request it received: path, headers and arrival time.

`db_url` runs a test twice, on a fresh SQLite file and on a fresh PostgreSQL database created for
that test alone (its own schema, dropped afterwards; see `db_url`). PostgreSQL comes from
WASPADA_TEST_POSTGRES_URL (default postgresql+psycopg://postgres@127.0.0.1:5432/test). If it cannot
be reached the postgresql cases FAIL; set WASPADA_TEST_POSTGRES_URL=skip to skip them on purpose.
"""
from __future__ import annotations

import gzip as gzip_module
import os
import ssl
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable

import pytest

from monitor.config import FetchSettings, PollSettings, Settings

FIXTURES = Path(__file__).resolve().parent / "fixtures"
FEED_FIXTURES = FIXTURES / "feeds"
# The demo's alert counts depend on the model: every test (and every `waspada` process a test starts)
# reads the pinned model in fixtures/model (see its README), so retraining models/default breaks no count.
FIXTURE_MODEL = FIXTURES / "model"
os.environ["WASPADA_MODEL_DIR"] = str(FIXTURE_MODEL)
DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


# --------------------------------------------------------------------------- feed server


@dataclass
class Response:
    """What the server answers on a path."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to wait before sending anything
    gzip: bool = False  # compress the body and say Content-Encoding: gzip
    chunked: bool = False  # no Content-Length, Transfer-Encoding: chunked


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]  # lower-case names
    time: float  # time.monotonic() at arrival


Handler = Callable[[RecordedRequest], Response]


class FeedServer:
    """A real HTTP server with a route table; see the module docstring."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, tls: ssl.SSLContext | None = None) -> None:
        self.host = host
        self.scheme = "https" if tls else "http"
        self._routes: dict[str, Response | Handler | list[Response]] = {}
        self._lock = threading.Lock()
        self.requests: list[RecordedRequest] = []
        server = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # keep the test output quiet
                pass

            def do_GET(self):
                record = RecordedRequest(
                    method="GET", path=self.path,
                    headers={k.lower(): v for k, v in self.headers.items()}, time=time.monotonic(),
                )
                with server._lock:
                    server.requests.append(record)
                response = server._response_for(record)
                try:
                    self._send(response)
                except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError):
                    self.close_connection = True  # the client gave up (timeout, size limit)

            def _send(self, response: Response):
                if response.delay:
                    time.sleep(response.delay)
                body = response.body
                headers = dict(response.headers)
                if response.gzip:
                    body = gzip_module.compress(body)
                    headers["Content-Encoding"] = "gzip"
                self.send_response(response.status)
                for name, value in headers.items():
                    self.send_header(name, value)
                if response.chunked:
                    self.send_header("Transfer-Encoding", "chunked")
                    self.end_headers()
                    step = 64 * 1024
                    for start in range(0, len(body), step):
                        piece = body[start : start + step]
                        self.wfile.write(f"{len(piece):X}\r\n".encode() + piece + b"\r\n")
                    self.wfile.write(b"0\r\n\r\n")
                else:
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                self.wfile.flush()

        self._server = ThreadingHTTPServer((host, port), _Handler)
        self._server.daemon_threads = True
        if tls is not None:
            self._server.socket = tls.wrap_socket(self._server.socket, server_side=True)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, name="feed-server", daemon=True
        )

    # -- route table
    def route(self, path: str, response: Response | Handler | list[Response] | None = None, **kwargs) -> str:
        """Register what `path` answers; returns the full URL. A list is served in turn (last one repeats)."""
        if response is None:
            response = Response(**kwargs)
        with self._lock:
            self._routes[path] = list(response) if isinstance(response, list) else response
        return self.url(path)

    def feed(self, path: str, body: bytes | str, content_type: str = "application/rss+xml; charset=utf-8", **kwargs) -> str:
        """Shortcut: serve a feed body with a content type."""
        if isinstance(body, str):
            body = body.encode("utf-8")
        headers = {"Content-Type": content_type, **kwargs.pop("headers", {})}
        return self.route(path, Response(body=body, headers=headers, **kwargs))

    def url(self, path: str) -> str:
        return f"{self.scheme}://{self.host}:{self.port}{path}"

    def requests_to(self, path: str) -> list[RecordedRequest]:
        with self._lock:
            return [r for r in self.requests if r.path == path]

    def _response_for(self, request: RecordedRequest) -> Response:
        with self._lock:
            route = self._routes.get(request.path)
            if isinstance(route, list):
                route = route.pop(0) if len(route) > 1 else route[0]
        if route is None:
            return Response(status=404, body=b"tidak ditemukan", headers={"Content-Type": "text/plain"})
        if callable(route):
            return route(request)
        return route

    def start(self) -> "FeedServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def feed_server():
    server = FeedServer().start()
    try:
        yield server
    finally:
        server.stop()


# --------------------------------------------------------------------------- databases


def _postgres_admin_url() -> str:
    return os.environ.get("WASPADA_TEST_POSTGRES_URL") or DEFAULT_POSTGRES_URL


_postgres_problem: list[str | None] = []


def _check_postgres(admin_url: str) -> str | None:
    """None when PostgreSQL answers, else why not (checked once per session)."""
    if not _postgres_problem:
        import psycopg
        from sqlalchemy.engine import make_url

        url = make_url(admin_url)
        try:
            with psycopg.connect(_libpq_dsn(url), connect_timeout=5) as conn:
                conn.execute("SELECT 1")
            _postgres_problem.append(None)
        except Exception as exc:  # noqa: BLE001 - reported to the user as a failure
            _postgres_problem.append(f"{type(exc).__name__}: {exc}")
    return _postgres_problem[0]


def _libpq_dsn(url) -> str:
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request, tmp_path):
    """A fresh, empty database URL: a SQLite file, or a PostgreSQL schema made for this test alone.

    On PostgreSQL each test gets its own uniquely named schema (CREATE SCHEMA, dropped with CASCADE
    afterwards) and the URL sets search_path to it, so tests never see each other's tables or rows.
    A schema costs about a millisecond where CREATE DATABASE costs half a second.
    """
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'waspada-test.db'}"
        return
    admin_url = _postgres_admin_url()
    if admin_url.strip().lower() == "skip":
        pytest.skip("WASPADA_TEST_POSTGRES_URL=skip")
    problem = _check_postgres(admin_url)
    if problem:
        pytest.fail(
            f"PostgreSQL is not reachable at {admin_url} ({problem}). Start it, point "
            "WASPADA_TEST_POSTGRES_URL at one, or set WASPADA_TEST_POSTGRES_URL=skip.",
            pytrace=False,
        )
    import psycopg
    from sqlalchemy.engine import make_url

    admin = make_url(admin_url)
    schema = f"waspada_t_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(_libpq_dsn(admin), autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield admin.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(_libpq_dsn(admin), autocommit=True) as conn:
            conn.execute("SET lock_timeout = '10s'")
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture
def engine(db_url):
    """An engine on the fresh database, migrated to head."""
    from monitor.db.session import open_database

    engine = open_database(db_url)
    try:
        yield engine
    finally:
        engine.dispose()


# --------------------------------------------------------------------------- settings

FAST_FETCH = FetchSettings(
    user_agent="Waspada-test/0.1 (+https://example.invalid/waspada)",
    connect_timeout=2.0,
    read_timeout=0.5,
    total_timeout=10.0,
    max_body_bytes=256 * 1024,
    max_redirects=5,
    global_concurrency=10,
    per_host_concurrency=4,
    per_host_min_gap=0.0,
    allow_private_networks=True,
)


@pytest.fixture
def settings(tmp_path):
    """Settings for tests: the local server is allowed, timeouts are short, no per-host gap."""
    return Settings(
        database_url=f"sqlite:///{tmp_path / 'unused.db'}",
        feeds_path=tmp_path / "feeds.yaml",
        fetch=FAST_FETCH,
        poll=PollSettings(),
    )
