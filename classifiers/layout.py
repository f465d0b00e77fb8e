"""Where Waspada reads the files it ships and keeps the files it writes, in its two layouts.

* Source checkout (the clone itself, or an editable install of it): the default model and the
  default feeds.yaml are the repository's top-level ``models/default/`` and ``feeds.yaml``, the one
  canonical copy of each; data goes to ``./var``.
* Installed package (a wheel): the build step in setup.py copies those same files into the wheel as
  package data under ``classifiers/shipped/`` (same relative paths), read here through
  importlib.resources; data goes to the per-user data folder (``~/.local/share/waspada`` on Linux).

WASPADA_DATA_DIR chooses the data folder in both layouts. An installed package never reads the
source tree. This module lives in ``classifiers`` because both packages use it and ``monitor``
depends on ``classifiers``, never the reverse.
"""
from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

import platformdirs

SHIPPED_PACKAGE_FOLDER = "shipped"  # inside the classifiers package of a wheel; setup.py writes it
_PACKAGES_PARENT = Path(__file__).resolve().parents[1]


def source_checkout() -> Path | None:
    """The repository folder when the packages are imported from a source checkout, else None."""
    return _PACKAGES_PARENT if (_PACKAGES_PARENT / "pyproject.toml").is_file() else None


def shipped_path(relative: str) -> Path:
    """A file or folder the repository keeps at its top level (e.g. ``models/default``, ``feeds.yaml``):
    the repository's own in a source checkout, the wheel's package data copy when installed."""
    root = source_checkout()
    if root is not None:
        return root / relative
    return Path(str(resources.files("classifiers").joinpath(SHIPPED_PACKAGE_FOLDER, *relative.split("/"))))


def data_dir() -> Path:
    """WASPADA_DATA_DIR; else ./var in a source checkout and the per-user data folder when installed.

    The embedded SQLite database, the generated session key, an installed package's own feeds.yaml and
    newly trained models live here."""
    configured = os.environ.get("WASPADA_DATA_DIR", "").strip()
    if configured:
        return Path(configured)
    if source_checkout() is not None:
        return Path("var")
    return Path(platformdirs.user_data_dir("waspada", appauthor=False))


def make_private_folders(folder: Path) -> None:
    """Create `folder` and each missing parent readable by its owner only (0700)."""
    for missing in [p for p in (*reversed(folder.parents), folder) if not p.exists()]:
        missing.mkdir(mode=0o700, exist_ok=True)  # another process may make it first
        missing.chmod(0o700)  # mkdir's mode is reduced by the umask
