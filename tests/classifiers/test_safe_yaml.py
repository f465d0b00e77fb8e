"""The shared YAML reader: ordinary YAML as usual, hostile YAML refused with its line."""
import pytest
import yaml

from classifiers import safe_yaml
from tests.hostile import alias_bomb, deep_yaml_list


def test_ordinary_yaml_and_modest_aliases_load_as_usual():
    text = "base: &b {region: '62', enabled: true}\nfeeds: [*b, *b]\nn: 62.10\n"
    assert safe_yaml.safe_load(text) == yaml.safe_load(text)
    assert safe_yaml.safe_load("") is None


@pytest.mark.parametrize("text, line, message", [
    ("bom:\n" + alias_bomb("  "), 7, "alias *b4 membuat isi berkas terlalu besar"),
    ("a: &a [1, *a]\n", 1, "alias *a menunjuk ke nilai yang memuat alias itu sendiri"),
    ("a: " + deep_yaml_list() + "\n", 1, "susunan bertingkat terlalu dalam"),
])
def test_hostile_yaml_is_refused_with_its_line(text, line, message):
    with pytest.raises(safe_yaml.YamlLimitError) as info:
        safe_yaml.safe_load(text)
    assert info.value.line == line and str(info.value).startswith(message)


def test_python_tags_are_never_constructed():
    with pytest.raises(yaml.constructor.ConstructorError) as info:
        safe_yaml.safe_load("x: !!python/object/apply:os.system [echo x]\n")
    assert info.value.problem.startswith("tag YAML '!!python/object/apply:os.system' tidak diizinkan")


def test_a_file_over_the_size_limit_is_not_read_whole(tmp_path):
    path = tmp_path / "besar.yaml"
    path.write_bytes(b"# " + b"x" * 100 + b"\n")
    assert safe_yaml.read_bytes(path, safe_yaml.YamlLimits(max_bytes=200)).startswith(b"# x")
    with pytest.raises(safe_yaml.YamlLimitError, match="berkas terlalu besar"):
        safe_yaml.read_bytes(path, safe_yaml.YamlLimits(max_bytes=50))
