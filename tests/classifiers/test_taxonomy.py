"""The taxonomy is data: eleven default codes, penanganan not a conflict signal, extendable."""
import pytest

from classifiers.taxonomy import TaxonomyError, load_taxonomy
from tests.hostile import alias_bomb


def test_default_codes_and_conflict_flag():
    taxonomy = load_taxonomy()
    assert len(taxonomy.codes) == 11
    assert "penanganan" in taxonomy.codes and "penanganan" not in taxonomy.conflict_codes
    assert taxonomy.get("batas_wilayah").name == "Sengketa batas wilayah"


def test_a_deployment_can_add_categories(tmp_path):
    extra = tmp_path / "extra.yaml"
    extra.write_text("categories:\n  - code: narkoba_kelompok\n    name: Peredaran narkoba berkelompok\n")
    taxonomy = load_taxonomy(str(extra))
    assert taxonomy.codes[-1] == "narkoba_kelompok"
    assert "narkoba_kelompok" in taxonomy.conflict_codes


def test_the_extension_variable_is_read_on_every_call(tmp_path, monkeypatch):
    monkeypatch.delenv("WASPADA_TAXONOMY_EXTRA", raising=False)
    assert "narkoba_kelompok" not in load_taxonomy().codes
    extra = tmp_path / "extra.yaml"
    extra.write_text("categories:\n  - code: narkoba_kelompok\n    name: Peredaran narkoba berkelompok\n")
    monkeypatch.setenv("WASPADA_TAXONOMY_EXTRA", str(extra))
    assert load_taxonomy().codes[-1] == "narkoba_kelompok"


def test_an_extension_may_not_redefine_a_default_code(tmp_path):
    extra = tmp_path / "extra.yaml"
    extra.write_text("categories:\n  - code: lahan\n    name: Lain\n")
    with pytest.raises(TaxonomyError, match="lahan"):
        load_taxonomy(str(extra))


@pytest.mark.parametrize("content, message", [
    ("categories:\n  - code: bom\n    name: Bom\n    description:\n" + alias_bomb("      "),
     "extra.yaml baris 10: alias *b4 membuat isi berkas terlalu besar"),
    ("categories:\n  - code: !!python/object/apply:os.system [echo diretas]\n    name: X\n",
     "extra.yaml baris 2: tag YAML '!!python/object/apply:os.system' tidak diizinkan"),
    ("categories:\n  - code: [a, b]\n    name: X\n", "extra.yaml: kategori ke-1: 'code' harus berupa teks"),
    ("categories: 3\n", "extra.yaml: isi berkas harus berupa pemetaan dengan daftar 'categories'"),
    ("# " + "x" * (2 * 1024 * 1024), "extra.yaml: berkas terlalu besar (lebih dari 2 MiB)"),
])
def test_an_unusable_extension_file_is_a_clear_error(tmp_path, content, message):
    extra = tmp_path / "extra.yaml"
    extra.write_text(content, encoding="utf-8")
    with pytest.raises(TaxonomyError) as info:
        load_taxonomy(str(extra))
    assert str(info.value).startswith(str(tmp_path / message))


def test_a_missing_extension_file_is_a_clear_error(tmp_path):
    with pytest.raises(TaxonomyError, match="tidak dapat dibaca"):
        load_taxonomy(str(tmp_path / "hilang.yaml"))
