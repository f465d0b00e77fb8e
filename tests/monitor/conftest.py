"""Fixtures of the monitor tests: `cli` runs `waspada ARGS...` as a user runs it."""
from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import FIXTURE_MODEL

WAIT = 120


def waspada_command() -> list[str]:
    script = Path(sys.executable).with_name("waspada")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from monitor.cli import app; app()"]


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def cli(tmp_path, monkeypatch):
    """Run `waspada ARGS...` with its own SQLite file, in-process (typer's CliRunner) or, with
    `real_process=True`, as a real `waspada` process. Both read their settings from the environment."""
    from typer.testing import CliRunner

    import monitor.cli
    from monitor.terminal import PlainConsole

    db_path = tmp_path / "cli.db"
    env = {k: v for k, v in os.environ.items() if not k.startswith("WASPADA_")}
    env.update({
        "WASPADA_MODEL_DIR": str(FIXTURE_MODEL),  # the pinned test model
        "WASPADA_DATABASE_URL": f"sqlite:///{db_path}",
        "WASPADA_ALLOW_PRIVATE_NETWORKS": "1",
        "WASPADA_PER_HOST_MIN_GAP": "0",
        "WASPADA_READ_TIMEOUT": "2",
        "WASPADA_CONNECT_TIMEOUT": "2",
        "COLUMNS": "200",
        "NO_COLOR": "1",
    })
    # wide, plain output in-process too (a real process reads COLUMNS itself)
    monkeypatch.setattr(monitor.cli, "console", PlainConsole(width=200, no_color=True))
    monkeypatch.setattr(monitor.cli, "err_console", PlainConsole(width=200, no_color=True, stderr=True))
    monkeypatch.chdir(tmp_path)

    def run(*args: str, check: int | None = 0, real_process: bool = False) -> Run:
        if real_process:
            done = subprocess.run([*waspada_command(), *args], env=env, cwd=tmp_path, capture_output=True,
                                  text=True, timeout=WAIT)
            result = Run(done.returncode, done.stdout, done.stderr)
        else:
            unset = {k: None for k in os.environ if k.startswith("WASPADA_") and k not in env}
            invoked = CliRunner().invoke(monitor.cli.app, list(args), env={**unset, **env}, catch_exceptions=False)
            result = Run(invoked.exit_code, invoked.stdout, invoked.stderr)
        if check is not None:
            assert result.returncode == check, f"exit {result.returncode}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
        return result

    run.db_url = env["WASPADA_DATABASE_URL"]
    run.env = env
    return run
