"""The conflict categories of LABELING.md as data, extendable by a deployment."""
from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

import yaml

from classifiers import safe_yaml


class TaxonomyError(ValueError):
    """A taxonomy file is unusable; the message (in Indonesian) names the file."""


@dataclass(frozen=True)
class Category:
    """One category: code, Indonesian name and description, and whether it is a conflict signal."""

    code: str
    name: str
    description: str
    conflict_signal: bool = True


@dataclass(frozen=True)
class Taxonomy:
    """An ordered set of categories."""

    categories: tuple[Category, ...]

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(c.code for c in self.categories)

    @property
    def conflict_codes(self) -> tuple[str, ...]:
        """Codes that count as a conflict signal (all but activity evidence such as `penanganan`)."""
        return tuple(c.code for c in self.categories if c.conflict_signal)

    def get(self, code: str) -> Category:
        for category in self.categories:
            if category.code == code:
                return category
        raise KeyError(code)


def _read(text: str, origin: str) -> list[Category]:
    try:
        data = safe_yaml.safe_load(text)
    except safe_yaml.YamlLimitError as exc:
        raise TaxonomyError(f"{origin} baris {exc.line}: {exc}" if exc.line else f"{origin}: {exc}") from exc
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{origin} baris {mark.line + 1}" if mark else origin
        raise TaxonomyError(f"{where}: {exc.problem or 'bukan YAML yang sah'}") from exc
    except yaml.YAMLError as exc:
        raise TaxonomyError(f"{origin}: bukan YAML yang sah ({exc})") from exc
    if not isinstance(data, dict) or not isinstance(data.get("categories"), list):
        raise TaxonomyError(f"{origin}: isi berkas harus berupa pemetaan dengan daftar 'categories'")
    result = []
    for position, item in enumerate(data["categories"], start=1):
        if not isinstance(item, dict) or not item.get("code") or not item.get("name"):
            raise TaxonomyError(f"{origin}: kategori ke-{position} perlu 'code' dan 'name'")
        for key in ("code", "name", "description"):
            if isinstance(item.get(key), (list, dict, set)):
                raise TaxonomyError(f"{origin}: kategori ke-{position}: '{key}' harus berupa teks")
        result.append(
            Category(code=str(item["code"]), name=str(item["name"]), description=str(item.get("description", "")),
                     conflict_signal=bool(item.get("conflict_signal", True)))
        )
    return result


def load_taxonomy(extra_path: str | None = None) -> Taxonomy:
    """The default taxonomy, plus the categories of `extra_path` (or WASPADA_TAXONOMY_EXTRA) if given."""
    # the variable is read here, outside the cache, so a changed setting is never answered from it
    return _load_taxonomy(extra_path or os.environ.get("WASPADA_TAXONOMY_EXTRA"))


@lru_cache(maxsize=4)
def _load_taxonomy(extra_path: str | None) -> Taxonomy:
    text = resources.files("classifiers").joinpath("data/taxonomy.yaml").read_text(encoding="utf-8")
    categories = _read(text, "taxonomy.yaml")
    if extra_path:
        try:
            extra_text = safe_yaml.read_bytes(Path(extra_path)).decode("utf-8")
        except safe_yaml.YamlLimitError as exc:
            raise TaxonomyError(f"{extra_path}: {exc}") from exc
        except OSError as exc:
            raise TaxonomyError(f"{extra_path}: berkas tidak dapat dibaca ({exc.strerror or exc})") from exc
        except UnicodeDecodeError as exc:
            raise TaxonomyError(f"{extra_path}: bukan teks UTF-8 (bita ke-{exc.start + 1})") from exc
        extra = _read(extra_text, extra_path)
        known = {c.code for c in categories}
        for category in extra:
            if category.code in known:
                raise TaxonomyError(f"{extra_path}: kode '{category.code}' sudah ada dan tetap bermakna sama")
            categories.append(category)
    return Taxonomy(tuple(categories))
