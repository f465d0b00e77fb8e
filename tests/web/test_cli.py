"""`waspada users ...`, and `waspada run` as a real process: the scheduler and the web app together,
the one-time set-up link, a session that survives a restart, Ctrl+C stopping both."""
from __future__ import annotations

import os
import pty
import re
import select as select_module
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
import yaml
from typer.testing import CliRunner

import monitor.web.cli
from monitor.cli import app
from monitor.db.session import open_database, session_scope
from monitor.service import users
from monitor.terminal import PlainConsole
from tests.conftest import FIXTURE_MODEL
from tests.monitor.helpers import fixture_bytes

PASSWORD = "sandi-pengguna-123"


@pytest.fixture
def cli(tmp_path, monkeypatch):
    """`cli(*args, input=...)` runs `waspada` in-process on a fresh SQLite file; returns (exit code, stdout, stderr)."""
    monkeypatch.setattr(monitor.web.cli, "console", PlainConsole(width=200, no_color=True))
    monkeypatch.setattr(monitor.web.cli, "err_console", PlainConsole(width=200, no_color=True, stderr=True))
    env = {"WASPADA_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}", "COLUMNS": "200"}

    def run(*args: str, input: str | None = None):
        result = CliRunner().invoke(app, list(args), input=input, env=env, catch_exceptions=False)
        return result.exit_code, result.stdout, result.stderr

    run.db_url = env["WASPADA_DATABASE_URL"]
    return run


def _users(db_url: str):
    engine = open_database(db_url)
    try:
        with session_scope(engine) as session:
            return {u.username: u for u in users.list_users(session)}
    finally:
        engine.dispose()


def test_users_commands(cli):
    assert cli("users", "add", "Kepala", "--role", "admin", "--email", "kepala@kalteng.go.id", "--region", "62.02",
               "--name", "Kepala Bidang", input=PASSWORD + "\n")[:2] == (0, "Pengguna kepala ditambahkan sebagai Admin.\n")
    assert cli("users", "add", "rina", input=PASSWORD + "\n")[0] == 0
    listed = cli("users", "list")[1]
    assert re.search(r"kepala\s+.\s+Kepala Bidang\s+.\s+Admin\s+.\s+62\.02\s+.\s+ya", listed)
    assert re.search(r"rina\s+.\s+.\s+Staf", listed)
    assert cli("users", "role", "rina", "operator")[1] == "Peran rina sekarang Operator.\n"
    assert cli("users", "passwd", "rina", input="sandi-baru-rina-1\n")[0] == 0
    assert cli("users", "disable", "rina")[1] == "Pengguna rina dinonaktifkan.\n"
    found = _users(cli.db_url)
    assert (found["rina"].role, found["rina"].active, found["kepala"].region_code) == ("operator", False, "62.02")
    engine = open_database(cli.db_url)
    try:
        with session_scope(engine) as session:
            assert users.authenticate(session, "kepala", PASSWORD, "127.0.0.1").ok
            assert not users.authenticate(session, "rina", "sandi-baru-rina-1", "127.0.0.1").ok  # disabled
    finally:
        engine.dispose()
    assert cli("users", "enable", "rina")[0] == 0


@pytest.mark.parametrize("args,stdin,message", [
    (["users", "add", "budi"], "pendek\n", "galat: Kata sandi minimal 10 karakter."),
    (["users", "add", "budi", "--role", "raja"], PASSWORD + "\n", "galat: Peran harus salah satu dari"),
    (["users", "add", "Budi Santoso"], PASSWORD + "\n", "galat: Nama pengguna 2-80 karakter"),
    (["users", "add", "budi", "--region", "63"], PASSWORD + "\n", "galat: Wilayah harus 62"),
    (["users", "add", "budi"], "", "galat: Kata sandi minimal 10 karakter."),
    (["users", "role", "tidak-ada", "admin"], None, "galat: Pengguna 'tidak-ada' tidak ada."),
    (["users", "disable", "tidak-ada"], None, "galat: Pengguna 'tidak-ada' tidak ada."),
])
def test_users_commands_refuse_bad_input_in_indonesian(cli, args, stdin, message):
    code, _out, err = cli(*args, input=stdin)
    assert code == 1 and err.startswith(message), err
    assert "budi" not in _users(cli.db_url)


def test_the_last_admin_cannot_be_disabled_from_the_command_line(cli):
    cli("users", "add", "kepala", "--role", "admin", input=PASSWORD + "\n")
    code, _, err = cli("users", "disable", "kepala")
    assert code == 1 and "setidaknya satu admin aktif" in err


def _waspada(*args: str) -> list[str]:
    script = Path(sys.executable).with_name("waspada")
    return [str(script), *args] if script.exists() else [sys.executable, "-c", "from monitor.cli import app; app()", *args]


def _read_until(fd: int, pattern: str, timeout: float = 30.0) -> str:
    """Read a pseudo-terminal until `pattern` appears (a bound, not a speed assertion)."""
    seen, deadline = "", time.monotonic() + timeout
    while pattern not in seen and time.monotonic() < deadline:
        ready, _, _ = select_module.select([fd], [], [], 0.2)
        if ready:
            try:
                seen += os.read(fd, 4096).decode("utf-8", "replace")
            except OSError:
                break
    return seen


def test_at_a_terminal_the_password_is_asked_twice_without_echo(tmp_path):
    env = {**os.environ, "WASPADA_DATABASE_URL": f"sqlite:///{tmp_path / 'tty.db'}", "COLUMNS": "200"}
    pid, fd = pty.fork()
    if pid == 0:  # the child: `waspada users add` with the pseudo-terminal as its controlling terminal
        command = _waspada("users", "add", "kepala", "--role", "admin")
        os.execve(command[0], command, env)
    try:
        screen = _read_until(fd, "Kata sandi baru:")
        os.write(fd, (PASSWORD + "\n").encode())
        screen += _read_until(fd, "Ulangi kata sandi:")
        os.write(fd, (PASSWORD + "\n").encode())
        screen += _read_until(fd, "ditambahkan")
        assert "Kata sandi baru:" in screen and "Ulangi kata sandi:" in screen
        assert "ditambahkan sebagai Admin" in screen and PASSWORD not in screen  # never echoed
    finally:
        _, status = os.waitpid(pid, 0)
        os.close(fd)
    assert os.waitstatus_to_exitcode(status) == 0
    assert _users(f"sqlite:///{tmp_path / 'tty.db'}")["kepala"].role == "admin"


def test_at_a_terminal_two_different_passwords_change_nothing(tmp_path):
    env = {**os.environ, "WASPADA_DATABASE_URL": f"sqlite:///{tmp_path / 'tty.db'}", "COLUMNS": "200"}
    pid, fd = pty.fork()
    if pid == 0:
        command = _waspada("users", "add", "kepala")
        os.execve(command[0], command, env)
    try:
        _read_until(fd, "Kata sandi baru:")
        os.write(fd, (PASSWORD + "\n").encode())
        _read_until(fd, "Ulangi kata sandi:")
        os.write(fd, b"sandi-yang-lain-99\n")
        assert "kedua kata sandi tidak sama" in _read_until(fd, "tidak sama")
    finally:
        _, status = os.waitpid(pid, 0)
        os.close(fd)
    assert os.waitstatus_to_exitcode(status) == 2
    assert _users(f"sqlite:///{tmp_path / 'tty.db'}") == {}


# --------------------------------------------------------------------------- `waspada run`


class Running:
    """A `waspada run` process (or the given command) and the lines it printed so far."""

    def __init__(self, env: dict, cwd: Path, command: list[str] | None = None):
        self.process = subprocess.Popen(command or _waspada("run"), env=env, cwd=cwd, stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT, text=True)
        self.lines: list[str] = []
        self.reader = threading.Thread(target=lambda: self.lines.extend(self.process.stdout), daemon=True)
        self.reader.start()

    def wait_for(self, pattern: str, timeout: float = 60.0) -> re.Match:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in list(self.lines):
                match = re.search(pattern, line)
                if match:
                    return match
            if self.process.poll() is not None and not self.reader.is_alive():
                break
            time.sleep(0.05)
        raise AssertionError(f"no line matching {pattern!r} in:\n{''.join(self.lines)}")

    def interrupt(self) -> int:
        self.process.send_signal(signal.SIGINT)  # Ctrl+C
        code = self.process.wait(timeout=60)
        self.reader.join(timeout=10)
        return code


def _csrf(page: str) -> str:
    return re.search(r'name="csrf_token"[^>]*?value="([^"]+)"', page).group(1)


def test_run_serves_the_web_app_and_fetches_feeds_and_ctrl_c_stops_both(tmp_path, feed_server):
    feed_url = feed_server.feed("/rss", fixture_bytes("antara_kalteng_terkini.xml"))
    (tmp_path / "feeds.yaml").write_text(yaml.safe_dump({"feeds": [
        {"id": "antara", "name": "Antara", "url": feed_url, "outlet": "Antara", "region": "62"}]}), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("WASPADA_")}
    env.update({"WASPADA_MODEL_DIR": str(FIXTURE_MODEL),  # the pinned test model
                "WASPADA_DATA_DIR": str(tmp_path / "var"), "WASPADA_FEEDS": str(tmp_path / "feeds.yaml"),
                "WASPADA_ALLOW_PRIVATE_NETWORKS": "1", "WASPADA_PER_HOST_MIN_GAP": "0", "WASPADA_WEB_PORT": "0",
                "WASPADA_CHECK_SECONDS": "0.5", "PYTHONUNBUFFERED": "1", "COLUMNS": "250"})
    first = Running(env, tmp_path)
    try:
        base = first.wait_for(r"Aplikasi web: (http://127\.0\.0\.1:\d+)").group(1)
        link = first.wait_for(r"^\s+(http://127\.0\.0\.1:\d+/setup/[A-Za-z0-9_-]{40,})\s*$").group(1)
        assert link.startswith(base)
        with httpx.Client(base_url=base) as browser:
            assert browser.get("/masuk").status_code == 200
            form = browser.get(link)
            assert form.status_code == 200 and "Penyiapan admin pertama" in form.text
            created = browser.post(link, data={"csrf_token": _csrf(form.text), "username": "kepala",
                                               "password": PASSWORD, "password_again": PASSWORD})
            assert created.status_code == 302
            assert browser.get("/admin/pengguna").status_code == 200
            assert httpx.get(link).status_code == 404  # used up
            cookies = dict(browser.cookies)
        deadline = time.monotonic() + 60  # the scheduler runs beside the web server
        while not feed_server.requests_to("/rss") and time.monotonic() < deadline:
            time.sleep(0.1)
        assert feed_server.requests_to("/rss")
    finally:
        code = first.interrupt()
    output = "".join(first.lines)
    assert code == 0, output
    assert "Waspada berhenti." in output
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{base}/masuk", timeout=2)  # the web server stopped with it
    key = tmp_path / "var" / "secret_key"
    assert oct(key.stat().st_mode & 0o777) == "0o600"

    second = Running(env, tmp_path)  # a restart keeps the generated key: the session is still valid
    try:
        base = second.wait_for(r"Aplikasi web: (http://127\.0\.0\.1:\d+)").group(1)
        with httpx.Client(base_url=base, cookies=cookies) as browser:
            assert browser.get("/admin/pengguna").status_code == 200
    finally:
        assert second.interrupt() == 0
    assert "setup/" not in "".join(second.lines)  # a user exists: no set-up link any more
