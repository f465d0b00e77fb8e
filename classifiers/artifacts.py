"""Model artifacts on disk: a skops file plus a JSON card; loading checks the sha256 and trusts only listed types."""
from __future__ import annotations

import hashlib
import json
import platform
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

import skops.io as sio
from skops.io.exceptions import UntrustedTypesFoundException

from classifiers.categories import CategoryModel

ARTIFACT_NAME = "model.skops"
CARD_NAME = "card.json"
# Every type a CategoryModel state may contain. Anything else in a file is refused (no pickle fallback).
TRUSTED_TYPES = [
    "numpy.float32",
    "numpy.float64",
    "numpy.int64",
    "numpy.ndarray",
    "numpy.dtype",
    "builtins.dict",
    "builtins.list",
    "builtins.tuple",
    "builtins.str",
    "builtins.int",
    "builtins.float",
    "builtins.bool",
]


class ModelIntegrityError(Exception):
    """The artifact does not match its card, or the card is unusable."""


@dataclass(frozen=True)
class LoadedModel:
    """A model with its card."""

    model: CategoryModel
    card: dict
    path: Path


def sha256_of(path: Path) -> str:
    """Hex sha256 of a file."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def library_versions() -> dict[str, str]:
    """Versions of the libraries that shape the model's behaviour."""
    versions = {"python": platform.python_version()}
    for name in ("scikit-learn", "numpy", "scipy", "skops", "PySastrawi"):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "missing"
    return versions


def save_model(model: CategoryModel, folder: Path, card_fields: dict) -> dict:
    """Write model.skops and card.json into `folder`; return the card."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    artifact = folder / ARTIFACT_NAME
    sio.dump(model.to_state(), artifact, compression=zipfile.ZIP_DEFLATED)
    card = {
        "version": card_fields.get("version", folder.name),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "labels": model.codes,
        "conflict_labels": model.conflict_codes,
        "thresholds": model.thresholds,
        "config": model.to_state()["config"],
        "library_versions": library_versions(),
        "artifact": ARTIFACT_NAME,
        "sha256": sha256_of(artifact),
        **{k: v for k, v in card_fields.items() if k != "version"},
    }
    (folder / CARD_NAME).write_text(json.dumps(card, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return card


def load_model(folder: Path) -> LoadedModel:
    """Load a model folder; refuse a file whose sha256 differs from the card or that holds untrusted types."""
    folder = Path(folder)
    card_path = folder / CARD_NAME
    try:
        card = json.loads(card_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelIntegrityError(f"kartu model {card_path} tidak terbaca: {exc}") from exc
    if not isinstance(card, dict):
        raise ModelIntegrityError(f"kartu model {card_path} harus berupa objek JSON")
    artifact = folder / card.get("artifact", ARTIFACT_NAME)
    if not artifact.exists():
        raise ModelIntegrityError(f"berkas model {artifact} tidak ada")
    actual = sha256_of(artifact)
    if actual != card.get("sha256"):
        raise ModelIntegrityError(
            f"sha256 {artifact} ({actual}) tidak cocok dengan kartu ({card.get('sha256')}); berkas ditolak")
    try:
        state = sio.load(artifact, trusted=TRUSTED_TYPES)
    except UntrustedTypesFoundException as exc:
        raise ModelIntegrityError(f"berkas model {artifact} memuat jenis objek yang tidak dipercaya ({exc}); "
                                  f"berkas ditolak") from exc
    except Exception as exc:  # the file is untrusted input: any failure to read it is a bad model
        raise ModelIntegrityError(f"berkas model {artifact} bukan arsip skops yang sah "
                                  f"({type(exc).__name__}: {exc}); berkas ditolak") from exc
    try:
        model = CategoryModel.from_state(state)
    except Exception as exc:  # likewise for a readable file of the wrong shape
        raise ModelIntegrityError(f"berkas model {artifact} tidak sesuai dengan model kategori Waspada "
                                  f"({type(exc).__name__}: {exc}); berkas ditolak") from exc
    return LoadedModel(model, card, folder)
