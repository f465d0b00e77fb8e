"""Where models live: the shipped models (WASPADA_MODEL_DIR overrides the default one) and the folder new
versions are trained into. The layouts themselves (source checkout, installed wheel) are in classifiers.layout."""
from __future__ import annotations

import os
from pathlib import Path

from classifiers.layout import data_dir, shipped_path, source_checkout

MODELS_ROOT = shipped_path("models")  # the repository's models/, or the wheel's read-only package data copy


def default_model_dir() -> Path:
    """WASPADA_MODEL_DIR, else the shipped models/default."""
    return Path(os.environ.get("WASPADA_MODEL_DIR") or MODELS_ROOT / "default")


def candidates_root() -> Path:
    """Where retraining from the product (web app, `waspada models train`) writes candidates:
    WASPADA_MODELS_ROOT, else <data dir>/models."""
    return Path(os.environ.get("WASPADA_MODELS_ROOT") or data_dir() / "models")


def models_root() -> Path:
    """Where `waspada train` writes new versions: WASPADA_MODELS_ROOT, else the repository's models/ in a
    source checkout (versions to ship), else <data dir>/models (an installed package's own files are never
    written)."""
    if os.environ.get("WASPADA_MODELS_ROOT") or source_checkout() is None:
        return candidates_root()
    return MODELS_ROOT
