"""The taxonomy is data: eleven default codes, penanganan not a conflict signal, extendable."""
import pytest

from classifiers.taxonomy import TaxonomyError, load_taxonomy


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


def test_an_extension_may_not_redefine_a_default_code(tmp_path):
    extra = tmp_path / "extra.yaml"
    extra.write_text("categories:\n  - code: lahan\n    name: Lain\n")
    with pytest.raises(TaxonomyError, match="lahan"):
        load_taxonomy(str(extra))
