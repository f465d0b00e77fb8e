"""Where models live: the shipped models/ folder next to the packages, or WASPADA_MODEL_DIR."""
from __future__ import annotations

import os
from pathlib import Path

MODELS_ROOT = Path(__file__).resolve().parent.parent / "models"


def default_model_dir() -> Path:
    """WASPADA_MODEL_DIR, else the shipped models/default."""
    return Path(os.environ.get("WASPADA_MODEL_DIR") or MODELS_ROOT / "default")
