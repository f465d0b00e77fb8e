"""The Indonesian names pages show for codes: kabupaten, places, categories, statuses, levels, link kinds."""
from __future__ import annotations

from functools import lru_cache

from monitor.alerts.coverage import kabupaten_names
from monitor.alerts.levels import LEVEL_NAMES
from monitor.render.dates import long_date, short_date
from monitor.timezones import WIB, format_wib_iso

STATUS_NAMES = {
    "baru": "Baru", "ditinjau": "Ditinjau", "ditindaklanjuti": "Ditindaklanjuti", "selesai": "Selesai",
    "bukan_konflik": "Bukan konflik", "duplikat": "Duplikat",
}
LINK_KIND_NAMES = {"alert": "cocok otomatis", "manual": "ditautkan petugas", "realisasi": "bukti realisasi"}
BIDANG_NAMES = {"pencegahan": "Pencegahan", "penghentian": "Penghentian", "pemulihan": "Pemulihan"}
PROVINCE = "62"
PROVINCE_NAME = "Provinsi Kalimantan Tengah"


@lru_cache(maxsize=1)
def category_names() -> dict[str, str]:
    """Category code -> Indonesian name, in taxonomy order."""
    from classifiers.taxonomy import load_taxonomy

    return {c.code: c.name for c in load_taxonomy().categories}


@lru_cache(maxsize=1)
def region_names() -> dict[str, str]:
    """'62' and the 14 kabupaten/kota codes -> their names, province first."""
    return {PROVINCE: PROVINCE_NAME, **dict(sorted(kabupaten_names().items()))}


def kabupaten_short(code: str) -> str:
    """'Kotawaringin Timur', 'Kota Palangka Raya', 'Kalimantan Tengah' for '62'; the code when unknown."""
    if code == PROVINCE:
        return "Kalimantan Tengah"
    return region_names().get(code, code).removeprefix("Kabupaten ")


def place_name(code: str) -> str:
    """The gazetteer's name of any place code (kabupaten, kecamatan, desa), or the code."""
    from classifiers.gazetteer import Gazetteer

    gazetteer = Gazetteer.load()
    return gazetteer.name_of(code) if gazetteer.has(code) else region_names().get(code, code)


def category_name(code: str) -> str:
    return category_names().get(code, code)


def template_helpers() -> dict:
    """Filters for the Jinja environment."""
    return {
        "kabupaten": kabupaten_short,
        "place": place_name,
        "category": category_name,
        "status_name": lambda code: STATUS_NAMES.get(code, code),
        "level_name": lambda code: LEVEL_NAMES.get(code, code),
        "link_kind": lambda kind: LINK_KIND_NAMES.get(kind, kind),
        "bidang_name": lambda code: BIDANG_NAMES.get(code, code),
        "iso_wib": format_wib_iso,
        "long_date": long_date,
        "short_date": short_date,
        "wib_day": lambda moment: short_date(moment.astimezone(WIB).date()) if moment else "-",
    }
