"""The Kalimantan Tengah gazetteer: administrative units, codes, parents and aliases.

Loaded from the CSVs copied from shared/data/gazetteer into package data (classifiers/data/gazetteer,
see its SOURCES.md), or from a deployment's own folder of the same files.
"""
from __future__ import annotations

import csv
import io
from functools import lru_cache
from importlib import resources
from pathlib import Path

PROVINCE_CODE = "62"
PROVINCE_NAME = "Kalimantan Tengah"
LEVEL_PROVINSI = "provinsi"
LEVEL_KABUPATEN = "kabupaten"
LEVEL_KECAMATAN = "kecamatan"
LEVEL_DESA = "desa"

_GAZETTEER_FILES = (
    "kabupaten.csv", "kecamatan.csv", "desa.csv", "aliases.csv", "ambiguous_names.csv",
)


def _read_csv(folder, name: str) -> list[dict[str, str]]:
    """Read one CSV from a Path or an importlib.resources Traversable."""
    text = (folder / name).read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text)))


class Gazetteer:
    """Kalteng administrative units and their aliases, loaded from the gazetteer CSVs."""

    def __init__(
        self,
        kabupaten: list[dict[str, str]],
        kecamatan: list[dict[str, str]],
        desa: list[dict[str, str]],
        aliases: list[dict[str, str]],
        ambiguous: list[dict[str, str]],
    ) -> None:
        self.kabupaten_rows = tuple(kabupaten)
        self.kecamatan_rows = tuple(kecamatan)
        self.desa_rows = tuple(desa)
        self.alias_rows = tuple(aliases)
        self.ambiguous_rows = tuple(ambiguous)

        self._name: dict[str, str] = {PROVINCE_CODE: PROVINCE_NAME}
        self._parent: dict[str, str | None] = {PROVINCE_CODE: None}
        self._level: dict[str, str] = {PROVINCE_CODE: LEVEL_PROVINSI}
        for r in kabupaten:
            self._name[r["code"]] = r["name"]
            self._parent[r["code"]] = r["parent_code"] or PROVINCE_CODE
            self._level[r["code"]] = LEVEL_KABUPATEN
        for r in kecamatan:
            self._name[r["code"]] = r["name"]
            self._parent[r["code"]] = r["parent_code"]
            self._level[r["code"]] = LEVEL_KECAMATAN
        for r in desa:
            self._name[r["code"]] = r["name"]
            self._parent[r["code"]] = r["parent_code"]
            self._level[r["code"]] = LEVEL_DESA
        # desa code -> "desa" | "kelurahan"
        self.desa_kind = {r["code"]: r["kind"] for r in desa}

        # ambiguous_names.csv: code -> set of issues, and the rows keyed by lower-cased name
        self.issues_by_code: dict[str, set[str]] = {}
        self.issues_by_name: dict[str, set[str]] = {}
        for r in ambiguous:
            self.issues_by_code.setdefault(r["code"], set()).add(r["issue"])
            self.issues_by_name.setdefault(r["name"].lower(), set()).add(r["issue"])

        names: set[str] = {PROVINCE_NAME.lower()}
        for r in kabupaten:
            for col in ("name", "short_name", "news_alias", "capital"):
                if r.get(col):
                    names.add(r[col].lower())
        names.update(r["name"].lower() for r in kecamatan)
        names.update(r["name"].lower() for r in desa)
        names.update(r["alias"].lower() for r in aliases)
        self._all_names = frozenset(names)

    @classmethod
    def load(cls, folder: Path | None = None) -> Gazetteer:
        """Load the gazetteer CSVs from ``folder`` or, by default, from package data.

        Args:
            folder: a directory holding the five gazetteer CSVs; ``None`` means the copy shipped
                in ``classifiers/data/gazetteer`` (read through importlib.resources, cached).
        Returns:
            A Gazetteer.
        Raises:
            FileNotFoundError: a CSV is missing.
        """
        if folder is None:
            return _packaged_gazetteer()
        return cls._load_from(Path(folder))

    @classmethod
    def _load_from(cls, folder) -> Gazetteer:
        tables = [_read_csv(folder, name) for name in _GAZETTEER_FILES]
        return cls(*tables)

    def all_names(self) -> set[str]:
        """Lower-cased place names and aliases (e.g. to protect them from the stemmer)."""
        return set(self._all_names)

    def has(self, code: str) -> bool:
        """True if ``code`` is the province or a unit of the gazetteer."""
        return code in self._name

    def name_of(self, code: str) -> str:
        """Official name of a code ("62" is "Kalimantan Tengah"). Raises KeyError if unknown."""
        return self._name[code]

    def level_of(self, code: str) -> str:
        """Level of a code: provinsi, kabupaten, kecamatan or desa. Raises KeyError if unknown."""
        return self._level[code]

    def parent_of(self, code: str) -> str | None:
        """Parent code (None for the province). Raises KeyError if unknown."""
        return self._parent[code]

    def kabupaten_of(self, code: str) -> str | None:
        """Kabupaten/kota code containing ``code`` (itself for a kabupaten; None for "62")."""
        level = self._level[code]
        if level == LEVEL_PROVINSI:
            return None
        return code[:5]

    def kecamatan_of(self, code: str) -> str | None:
        """Kecamatan code containing ``code`` (itself for a kecamatan; None above that level)."""
        level = self._level[code]
        if level in (LEVEL_PROVINSI, LEVEL_KABUPATEN):
            return None
        return code[:8]


@lru_cache(maxsize=1)
def _packaged_gazetteer() -> Gazetteer:
    """The shipped copy, read once per process."""
    return Gazetteer._load_from(resources.files("classifiers").joinpath("data").joinpath("gazetteer"))
