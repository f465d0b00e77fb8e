"""`waspada classify` contract: same order, every field, malformed lines reported by number, not fatal."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import skops.io as sio

from classifiers.artifacts import save_model

FIELDS = {"id", "categories", "scores", "conflict", "kabupaten", "kecamatan", "desa", "kalteng", "places"}


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory, small_model):
    folder = tmp_path_factory.mktemp("models") / "small"
    save_model(small_model, folder, {"version": "small"})
    return folder


def run_waspada(*args, env=None):
    return subprocess.run([sys.executable, "-m", "monitor.cli", *args], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=120)


def test_classify_writes_one_record_per_line_in_order(tmp_path, model_dir):
    items = [
        {"id": 1, "title": "Warga Desa Pondok Damar blokade jalan kebun PT Sawit, tuntut plasma 20 persen",
         "text": "SAMPIT - Ratusan warga Kecamatan Mentaya Hilir Utara, Kotawaringin Timur, memblokade jalan perkebunan sawit."},
        {"id": "b", "title": "Resep kue lapis legit", "text": "Kue lapis legit mudah dibuat di rumah."},
        {"id": 3, "title": "Dua kelompok pemuda bentrok usai pesta di Palangka Raya, satu tewas", "text": ""},
    ]
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(json.dumps(i, ensure_ascii=False) for i in items) + "\n", encoding="utf-8")
    result = run_waspada("classify", "--input", str(source), "--output", str(tmp_path / "out.jsonl"), "--model", str(model_dir))
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in records] == [1, "b", 3]
    for record in records:
        assert FIELDS <= set(record)
        assert 0.0 <= record["conflict"] <= 1.0
        assert set(record["scores"]) >= {"lahan", "perkebunan", "penanganan"}
    first = records[0]
    assert first["kalteng"] is True and first["kabupaten"] == ["62.02"]
    assert "62.02.07" in first["kecamatan"]
    document = items[0]["title"] + ". " + items[0]["text"]
    for place in first["places"]:
        start, end = place["span"]
        assert document[start:end].lower() in ("pondok damar", "mentaya hilir utara", "kotawaringin timur", "sampit")
        assert {"code", "name", "level", "span", "confidence"} <= set(place)
    assert records[1]["categories"] == [] and records[1]["kalteng"] is False
    assert records[2]["kabupaten"] == ["62.71"]


def test_malformed_lines_are_named_and_the_rest_still_classified(tmp_path, model_dir):
    source = tmp_path / "in.jsonl"
    source.write_text(
        '{"id": 1, "title": "Demo buruh tuntut upah", "text": ""}\n'
        '{"id": 2, "title": "tidak ditutup"\n'
        '["bukan", "objek"]\n'
        '{"title": "tanpa id"}\n'
        '{"id": 5, "title": "Bentrok antarwarga di desa", "text": "Dua kelompok warga bentrok."}\n',
        encoding="utf-8",
    )
    out = tmp_path / "out.jsonl"
    result = run_waspada("classify", "--input", str(source), "--output", str(out), "--model", str(model_dir))
    assert result.returncode == 1
    assert "baris 2" in result.stderr and "baris 3" in result.stderr and "baris 4" in result.stderr
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(records) == 5
    assert records[0]["id"] == 1 and "categories" in records[0]
    assert records[1]["error"].startswith("baris 2") and records[1]["line"] == 2
    assert records[3]["error"].startswith("baris 4")
    assert records[4]["id"] == 5 and "categories" in records[4]


def test_a_tampered_model_is_refused_by_the_cli(tmp_path, model_dir):
    copy = tmp_path / "copy"
    copy.mkdir()
    for name in ("card.json", "model.skops"):
        (copy / name).write_bytes((Path(model_dir) / name).read_bytes())
    (copy / "model.skops").write_bytes((copy / "model.skops").read_bytes()[:-10])
    source = tmp_path / "in.jsonl"
    source.write_text('{"id": 1, "title": "x", "text": "y"}\n')
    result = run_waspada("classify", "--input", str(source), "--output", str(tmp_path / "o.jsonl"), "--model", str(copy))
    assert result.returncode == 2 and "sha256" in result.stderr


@pytest.mark.parametrize("name", ["not_an_archive", "untrusted"])
def test_an_unusable_model_with_a_matching_card_exits_2_with_a_message(tmp_path, name):
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import FunctionTransformer

    from classifiers.artifacts import sha256_of

    folder = tmp_path / name
    folder.mkdir()
    if name == "untrusted":
        sio.dump({"vectorizer": Pipeline([("f", FunctionTransformer(print))])}, folder / "model.skops")
    else:
        (folder / "model.skops").write_bytes(b"PK bukan arsip")
    (folder / "card.json").write_text(json.dumps({"version": name, "sha256": sha256_of(folder / "model.skops")}))
    source = tmp_path / "in.jsonl"
    source.write_text('{"id": 1, "title": "x", "text": "y"}\n')
    result = run_waspada("classify", "--input", str(source), "--output", str(tmp_path / "o.jsonl"), "--model", str(folder))
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith(f"galat: berkas model {folder / 'model.skops'}")
    assert "Traceback" not in result.stderr


def test_deep_or_non_finite_lines_are_line_errors_and_every_valid_line_is_kept(tmp_path, model_dir):
    lines = [
        '{"id": 1, "title": "Demo buruh tuntut upah", "text": ""}',
        '{"id": 2, "title": "x", "text": "y", "extra": ' + "[" * 100_000 + "]" * 100_000 + "}",
        '{"id": NaN, "title": "a", "text": "b"}',
        '{"id": 1e999, "title": "a", "text": "b"}',
        '{"id": -Infinity, "title": "a", "text": "b"}',
        '{"id": ' + "9" * 5000 + ', "title": "a", "text": "b"}',
        '{"id": {"a": [1]}, "title": "a", "text": "b"}',
        '{"id": 8, "title": "Bentrok antarwarga di desa", "text": "Dua kelompok warga bentrok.", "skor": 1.5}',
    ]
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    result = run_waspada("classify", "--input", str(source), "--output", str(out), "--model", str(model_dir))
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr

    def strict(text):
        return json.loads(text, parse_constant=lambda name: pytest.fail(f"{name} in the output"))

    records = [strict(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r.get("line") for r in records] == [None, 2, 3, 4, 5, 6, 7, None]
    assert records[0]["id"] == 1 and "categories" in records[0]
    assert records[-1]["id"] == 8 and "categories" in records[-1]
    for record in records[1:-1]:
        assert record["id"] is None and record["error"].startswith(f"baris {record['line']}: ")
        assert f"galat: {record['error']}\n" in result.stderr
    assert records[1]["error"] == "baris 2: JSON bersarang terlalu dalam"
    assert records[2]["error"] == "baris 3: bukan JSON yang sah (NaN bukan angka JSON)"
    assert records[3]["error"] == "baris 4: bukan JSON yang sah (angka 1e999 di luar jangkauan)"
    assert records[5]["error"] == "baris 6: bukan JSON yang sah (bilangan bulat 5000 digit terlalu panjang)"
    assert records[6]["error"] == "baris 7: 'id' harus berupa teks atau angka"


def test_train_writes_a_variant_on_seed_and_kalteng_data_and_refuses_an_unknown_one(tmp_path):
    kalteng = tmp_path / "kalteng.jsonl"
    kalteng.write_text("".join(json.dumps({
        "id": f"k-{n}", "url": f"https://contoh{n % 3}.example/{n}", "outlet": f"contoh{n % 3}.example", "date": "2024-01-02",
        "title": f"Warga Desa {n} blokade jalan kebun sawit", "lead": "Warga menuntut plasma.",
        "categories": ["perkebunan", "unjuk_rasa"], "kalteng": True, "kabupaten": ["62.02"]}) + "\n" for n in range(12)))
    done = run_waspada("train", "--kalteng", str(kalteng), "--variant", "svm-kata", "--version", "v",
                       "--models-root", str(tmp_path / "models"))
    assert done.returncode == 0, done.stderr
    card = json.loads((tmp_path / "models" / "v" / "card.json").read_text())
    assert card["config"]["estimator"] == "linear_svm" and card["training_data"]["kalteng_items"] == 12
    unknown = run_waspada("evaluate", "--variant", "rf", "--output-dir", str(tmp_path / "e"))
    assert unknown.returncode == 2 and "tidak dikenal" in unknown.stderr
