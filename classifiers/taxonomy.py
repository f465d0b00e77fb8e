"""The conflict categories of LABELING.md as data, extendable by a deployment."""
from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

import yaml


class TaxonomyError(ValueError):
    """A taxonomy file is malformed."""


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


def _read(path_or_text, origin: str) -> list[Category]:
    data = yaml.safe_load(path_or_text)
    if not isinstance(data, dict) or not isinstance(data.get("categories"), list):
        raise TaxonomyError(f"{origin}: expected a mapping with a 'categories' list")
    result = []
    for position, item in enumerate(data["categories"], start=1):
        if not isinstance(item, dict) or not item.get("code") or not item.get("name"):
            raise TaxonomyError(f"{origin}: category #{position} needs 'code' and 'name'")
        result.append(
            Category(code=str(item["code"]), name=str(item["name"]), description=str(item.get("description", "")),
                     conflict_signal=bool(item.get("conflict_signal", True)))
        )
    return result


@lru_cache(maxsize=4)
def load_taxonomy(extra_path: str | None = None) -> Taxonomy:
    """The default taxonomy, plus the categories of `extra_path` (or WASPADA_TAXONOMY_EXTRA) if given."""
    text = resources.files("classifiers").joinpath("data/taxonomy.yaml").read_text(encoding="utf-8")
    categories = _read(text, "taxonomy.yaml")
    extra_path = extra_path or os.environ.get("WASPADA_TAXONOMY_EXTRA")
    if extra_path:
        extra = _read(Path(extra_path).read_text(encoding="utf-8"), extra_path)
        known = {c.code for c in categories}
        for category in extra:
            if category.code in known:
                raise TaxonomyError(f"{extra_path}: code '{category.code}' already exists and keeps its meaning")
            categories.append(category)
    return Taxonomy(tuple(categories))
