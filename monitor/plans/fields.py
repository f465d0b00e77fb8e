"""Checking and converting single raw values (``Cell``) of a plan file; messages in Indonesian.

Every ``as_*`` function takes a cell and the problem list, appends a ``Problem`` naming the cell's
place when the value is unusable, and returns the converted value or ``None``. Empty cells are
not an error here: whether a field is required is decided by the caller (``validate.py``).
Reference data comes from the classifier's gazetteer and taxonomy (loaded once).
"""
from __future__ import annotations

import difflib
import re
from datetime import date, datetime
from functools import lru_cache
from urllib.parse import urlsplit

from monitor.plans.schema import MIN_YEAR, PROVINCE_CODE, Cell, Loc, Problem, max_year

_TRUE = {"ya", "y", "true", "benar", "1", "yes"}
_FALSE = {"tidak", "t", "false", "salah", "0", "no", "bukan"}


# --------------------------------------------------------------------------- reference data


@lru_cache(maxsize=1)
def _gazetteer():
    from classifiers.gazetteer import Gazetteer

    return Gazetteer.load()


@lru_cache(maxsize=1)
def region_names() -> dict[str, str]:
    """Plan regions: "62" (the province) and the 14 kabupaten/kota codes, with their names."""
    names = {PROVINCE_CODE: "Provinsi Kalimantan Tengah"}
    for row in _gazetteer().kabupaten_rows:
        names[row["code"]] = row["name"]
    return names


def region_name(code: str) -> str:
    return region_names().get(code, code)


def place_exists(code: str) -> bool:
    """True for "62" and any kabupaten, kecamatan or desa code of the gazetteer."""
    return _gazetteer().has(code)


def place_name(code: str) -> str:
    gazetteer = _gazetteer()
    return gazetteer.name_of(code) if gazetteer.has(code) else code


def category_codes() -> tuple[str, ...]:
    """Known category codes (taxonomy.yaml plus WASPADA_TAXONOMY_EXTRA)."""
    from classifiers.taxonomy import load_taxonomy

    return load_taxonomy().codes


def category_names() -> dict[str, str]:
    from classifiers.taxonomy import load_taxonomy

    return {c.code: c.name for c in load_taxonomy().categories}


def normalize_code(text: str) -> str:
    """A region/place code as written, repaired where a spreadsheet or YAML read it as a number
    (62.1 for 62.10: kabupaten parts always have two digits)."""
    text = text.strip()
    if re.fullmatch(r"62\.\d", text):
        return text + "0"
    return text


def suggest(word: str, choices) -> str:
    """' (maksudnya 'x'?)' when a close match exists, else ''."""
    close = difflib.get_close_matches(word.lower(), list(choices), n=1, cutoff=0.75)
    return f" (maksudnya '{close[0]}'?)" if close else ""


# --------------------------------------------------------------------------- scalars


def _problem(problems: list[Problem], loc: Loc, message: str) -> None:
    problems.append(Problem(loc, message))


def _shown(cell: Cell) -> str:
    return cell.text if cell.text is not None else str(cell.value)


def _is_composite(cell: Cell, problems: list[Problem]) -> bool:
    if isinstance(cell.value, (list, dict)):
        _problem(problems, cell.loc, "harus berupa satu nilai (teks atau angka), bukan daftar atau pemetaan")
        return True
    return False


def as_text(cell: Cell | None, problems: list[Problem]) -> str:
    """Free text ("" when empty). Numbers keep their written form (YAML 1.10 stays "1.10")."""
    if cell is None or cell.empty or _is_composite(cell, problems):
        return ""
    if cell.text is not None:
        return cell.text.strip()
    return str(cell.value).strip()


def as_year(cell: Cell, problems: list[Problem]) -> int | None:
    value = cell.value
    if _is_composite(cell, problems):
        return None
    year = None
    if isinstance(value, int) and not isinstance(value, bool):
        year = value
    elif isinstance(value, float) and value.is_integer():  # noqa: SIM114 - one branch per cell type
        year = int(value)
    elif isinstance(value, str) and re.fullmatch(r"\s*\d{4}\s*", value):
        year = int(value)
    if year is None:
        _problem(problems, cell.loc, f"'{_shown(cell)}' bukan tahun (tulis empat angka, mis. 2026)")
        return None
    if not MIN_YEAR <= year <= max_year():
        _problem(problems, cell.loc, f"tahun {year} di luar rentang yang diterima ({MIN_YEAR}-{max_year()})")
        return None
    return year


def as_region(cell: Cell, problems: list[Problem]) -> str | None:
    if _is_composite(cell, problems):
        return None
    code = normalize_code(_shown(cell))
    if code in region_names():
        return code
    if isinstance(cell.value, float):  # a spreadsheet number such as 62.1
        fixed = f"{cell.value:.2f}"
        if fixed in region_names():
            return fixed
    known = ", ".join(c for c in region_names() if c != PROVINCE_CODE)
    _problem(problems, cell.loc, f"'{code}' bukan kode wilayah yang dikenal (62 untuk provinsi, atau kode "
                                 f"kabupaten/kota: {known})")
    return None


def as_choice(cell: Cell, choices: tuple[str, ...], what: str, problems: list[Problem]) -> str | None:
    """One of `choices`, case-insensitive ("Pencegahan" is "pencegahan")."""
    if _is_composite(cell, problems):
        return None
    word = _shown(cell).strip()
    if word.lower() in choices:
        return word.lower()
    _problem(problems, cell.loc, f"'{word}' bukan {what} yang dikenal ({', '.join(choices)})")
    return None


def as_bool(cell: Cell, problems: list[Problem]) -> bool | None:
    value = cell.value
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        word = value.strip().lower()
        if word in _TRUE:
            return True
        if word in _FALSE:
            return False
    _problem(problems, cell.loc, f"'{_shown(cell)}' bukan nilai ya/tidak (tulis ya atau tidak, true atau false)")
    return None


def parse_number(text: str) -> float | None:
    """Numbers as Indonesians write them: "150.000.000", "Rp 1.250.000,50", "85,5", "12.5"."""
    s = re.sub(r"[\s\u00a0]", "", text.lower())
    s = s.removeprefix("rp").removeprefix(".").strip()
    if re.fullmatch(r"-?\d{1,3}(\.\d{3})+(,\d+)?", s):  # 1.250.000,50
        s = s.replace(".", "").replace(",", ".")
    elif re.fullmatch(r"-?\d+,\d+", s):  # 85,5
        s = s.replace(",", ".")
    elif re.fullmatch(r"-?\d{1,3}(,\d{3}){2,}(\.\d+)?", s):  # 1,250,000.50
        s = s.replace(",", "")
    elif not re.fullmatch(r"-?\d+(\.\d+)?", s):
        return None
    return float(s)


def _as_number(cell: Cell) -> float | None:
    value = cell.value
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        return parse_number(value)
    return None


def as_money(cell: Cell, problems: list[Problem]) -> float | None:
    """Rupiah: a non-negative number."""
    if _is_composite(cell, problems):
        return None
    amount = _as_number(cell)
    if amount is None:
        _problem(problems, cell.loc, f"'{_shown(cell)}' bukan angka rupiah (tulis angka saja, mis. 150000000)")
        return None
    if amount < 0:
        _problem(problems, cell.loc, f"anggaran tidak boleh negatif ({_shown(cell)})")
        return None
    return amount


def as_percent(cell: Cell, problems: list[Problem]) -> float | None:
    """Capaian: a number from 0 to 100 ("85", "85,5" and "85%" are accepted)."""
    if _is_composite(cell, problems):
        return None
    value = cell.value
    if isinstance(value, str) and value.strip().endswith("%"):
        cell = Cell(value.strip()[:-1], cell.loc, cell.text)
    number = _as_number(cell)
    if number is None:
        _problem(problems, cell.loc, f"'{_shown(cell)}' bukan angka persen (tulis 0 sampai 100)")
        return None
    if not 0 <= number <= 100:
        _problem(problems, cell.loc, f"capaian harus antara 0 dan 100 persen, bukan {_shown(cell)}")
        return None
    return number


# --------------------------------------------------------------------------- lists


def as_items(cell: Cell | None, problems: list[Problem]) -> list[Cell]:
    """The item cells of a list field ([] when empty); a single value is a problem in YAML."""
    if cell is None or cell.empty:
        return []
    if not isinstance(cell.value, list):
        _problem(problems, cell.loc, f"harus berupa daftar (mis. [a, b]), bukan '{_shown(cell)}'")
        return []
    return [item for item in cell.value if not item.empty]


def as_text_list(cell: Cell | None, problems: list[Problem]) -> list[str]:
    result: list[str] = []
    for item in as_items(cell, problems):
        text = as_text(item, problems)
        if text and text not in result:
            result.append(text)
    return result


def as_category_list(cell: Cell | None, problems: list[Problem]) -> list[str]:
    known = category_codes()
    result: list[str] = []
    for item in as_items(cell, problems):
        code = as_text(item, problems).lower()
        if not code:
            continue
        if code not in known:
            _problem(problems, item.loc, f"'{code}' bukan kode kategori yang dikenal{suggest(code, known)} "
                                         f"(kategori: {', '.join(known)})")
        elif code not in result:
            result.append(code)
    return result


def as_place_list(cell: Cell | None, problems: list[Problem]) -> list[str]:
    result: list[str] = []
    for item in as_items(cell, problems):
        code = normalize_code(as_text(item, problems))
        if not code:
            continue
        if not place_exists(code):
            _problem(problems, item.loc, f"'{code}' tidak ada di gazetteer (tulis kode kabupaten/kota, kecamatan "
                                         f"atau desa Kalimantan Tengah, mis. 62.02, 62.02.07, 62.02.07.2001)")
        elif code not in result:
            result.append(code)
    return result


def as_url_list(cell: Cell | None, problems: list[Problem]) -> list[str]:
    result: list[str] = []
    for item in as_items(cell, problems):
        url = as_text(item, problems)
        if not url:
            continue
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc or " " in url:
            _problem(problems, item.loc, f"'{url}' bukan alamat tautan http(s) (data dukung ditulis sebagai tautan, "
                                         f"mis. https://...)")
        elif url not in result:
            result.append(url)
    return result


def cell_text(value) -> str | None:
    """The written form of a spreadsheet value (2026.0 is "2026")."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "ya" if value else "tidak"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)
