"""Model files: skops artifact + card, sha256 check, trusted types only."""
import json
import tomllib
from importlib import metadata
from pathlib import Path

import numpy as np
import pytest
import skops.io as sio
from packaging.requirements import Requirement
from skops.io.exceptions import UntrustedTypesFoundException
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer

from classifiers.artifacts import ModelIntegrityError, load_model, save_model, sha256_of


def test_round_trip_keeps_predictions_and_writes_a_complete_card(tmp_path, small_model):
    card = save_model(small_model, tmp_path / "v1", {"version": "v1", "training_data": {"items": 1200}})
    for key in ("version", "created", "labels", "thresholds", "library_versions", "sha256", "training_data"):
        assert key in card
    assert card["sha256"] == sha256_of(tmp_path / "v1" / "model.skops")
    loaded = load_model(tmp_path / "v1")
    texts = ["Ratusan buruh mogok kerja menuntut THR dibayar", "Resep nasi goreng kampung"]
    # weights are stored as float32: the same predictions up to rounding
    assert np.allclose(loaded.model.predict_proba(texts), small_model.predict_proba(texts), atol=1e-6)
    assert [p.categories for p in loaded.model.predict(texts)] == [p.categories for p in small_model.predict(texts)]
    assert json.loads((tmp_path / "v1" / "card.json").read_text())["version"] == "v1"


def test_a_changed_artifact_is_refused(tmp_path, small_model):
    save_model(small_model, tmp_path / "v1", {"version": "v1"})
    artifact = tmp_path / "v1" / "model.skops"
    artifact.write_bytes(artifact.read_bytes() + b"\0")
    with pytest.raises(ModelIntegrityError, match="sha256"):
        load_model(tmp_path / "v1")


def test_a_missing_or_broken_card_is_refused(tmp_path, small_model):
    save_model(small_model, tmp_path / "v1", {"version": "v1"})
    (tmp_path / "v1" / "card.json").write_text("{not json")
    with pytest.raises(ModelIntegrityError):
        load_model(tmp_path / "v1")


def test_untrusted_types_are_refused_even_with_a_matching_card(tmp_path):
    folder = tmp_path / "evil"
    folder.mkdir()
    # a pipeline calling an arbitrary function: exactly what must never be loaded blindly
    sio.dump({"vectorizer": Pipeline([("f", FunctionTransformer(print))])}, folder / "model.skops")
    (folder / "card.json").write_text(json.dumps({"version": "evil", "artifact": "model.skops",
                                                  "sha256": sha256_of(folder / "model.skops")}))
    with pytest.raises(ModelIntegrityError, match="jenis objek yang tidak dipercaya") as info:
        load_model(folder)
    assert isinstance(info.value.__cause__, UntrustedTypesFoundException)


def with_matching_card(folder, artifact: bytes):
    folder.mkdir()
    (folder / "model.skops").write_bytes(artifact)
    (folder / "card.json").write_text(json.dumps({"version": "x", "artifact": "model.skops",
                                                  "sha256": sha256_of(folder / "model.skops")}))
    return folder


@pytest.mark.parametrize("artifact, message", [
    (b"bukan arsip zip", "bukan arsip skops yang sah"),
    (sio.dumps({"vocabulary": [1, 2]}), "tidak sesuai dengan model kategori Waspada"),
])
def test_an_unreadable_artifact_with_a_matching_card_is_refused(tmp_path, artifact, message):
    with pytest.raises(ModelIntegrityError, match=message):
        load_model(with_matching_card(tmp_path / "rusak", artifact))


def test_a_card_that_is_not_an_object_is_refused(tmp_path, small_model):
    save_model(small_model, tmp_path / "v1", {"version": "v1"})
    (tmp_path / "v1" / "card.json").write_text("[]")
    with pytest.raises(ModelIntegrityError, match="kartu model"):
        load_model(tmp_path / "v1")


def test_the_skops_floor_excludes_releases_with_known_loading_bypasses():
    # CVE-2025-54412 and CVE-2025-54413 (code run at load time despite the trusted list) were fixed in
    # 0.12.0, CVE-2025-54886 (Card.get_model falling back to joblib) in 0.13.0
    pyproject = tomllib.loads((Path(__file__).resolve().parents[2] / "pyproject.toml").read_text(encoding="utf-8"))
    [skops] = [Requirement(r) for r in pyproject["project"]["dependencies"] if Requirement(r).name == "skops"]
    assert not skops.specifier.contains("0.12.1")
    assert skops.specifier.contains(metadata.version("skops"))
