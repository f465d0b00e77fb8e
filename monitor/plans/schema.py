"""RAD-PKS plan data: constants, the clean dataclasses, and the raw records readers hand to validation.

A plan file (YAML or XLSX, see README.md in this folder) is read in two steps:

1. a reader (``yaml_format.read_yaml``, ``xlsx_format.read_xlsx``) turns the file into *raw records*
   (``RawPlan``, ``RawAction``, ``RawRecord``) whose every value is a ``Cell`` that remembers where
   it came from (``Loc``: file, line or sheet and row, field or column);
2. ``validate.build_plans`` checks every raw value and builds the clean ``PlanData`` /
   ``ActionData`` / ``RealisationData`` objects, collecting every ``Problem`` in one pass.

Nothing here touches the database; ``store.py`` maps these dataclasses to the ORM models.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

PROVINCE_CODE = "62"
PERIODS = ("B04", "B08", "B12")  # January-April, May-August, September-December
PERIOD_NAMES = {"B04": "Januari-April", "B08": "Mei-Agustus", "B12": "September-Desember"}
BIDANG = ("pencegahan", "penghentian", "pemulihan")
STATUSES = ("draf", "berlaku", "selesai")
MIN_YEAR = 2015  # PP 2/2015: the first year RAD-PKS could exist


def max_year() -> int:
    """The latest plan year accepted: ten years ahead of today."""
    return date.today().year + 10


def natural_key(code: str) -> tuple:
    """Sort key that orders "1.2" before "1.10" and "KT-2" before "KT-10"."""
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part.lower())
                 for part in re.split(r"(\d+)", code) if part != "")


# --------------------------------------------------------------------------- clean data


@dataclass
class RealisationData:
    """What was done in one reporting period (B04, B08 or B12)."""

    period: str
    realisasi: str = ""
    capaian_persen: float | None = None
    kendala: str = ""
    evidence: list[str] = field(default_factory=list)

    def is_empty(self) -> bool:
        return not (self.realisasi or self.capaian_persen is not None or self.kendala or self.evidence)


@dataclass
class ActionData:
    """One rencana aksi. ``target`` always has the three periods as keys ("" when not set);
    ``realisasi`` holds only the periods that have something, keyed by period."""

    code: str
    bidang: str
    program: str
    kegiatan: str
    sasaran: str = ""
    indikator: str = ""
    target: dict[str, str] = field(default_factory=lambda: {p: "" for p in PERIODS})
    penanggung_jawab: str = ""
    instansi_terkait: list[str] = field(default_factory=list)
    anggaran: float | None = None
    sumber_anggaran: str = ""
    categories: list[str] = field(default_factory=list)
    places: list[str] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    realisasi: dict[str, RealisationData] = field(default_factory=dict)


@dataclass
class PlanData:
    """One RAD-PKS plan: a year and a region ("62" or a kabupaten/kota code) with its actions.

    ``source`` (the file name it was read from) and ``origin`` (where in it) are bookkeeping and
    are not compared."""

    year: int | None  # None only in a plan read with problems (not usable then)
    region: str | None  # likewise
    title: str
    status: str = "draf"
    document_ref: str = ""
    example: bool = False
    actions: list[ActionData] = field(default_factory=list)
    source: str = field(default="", compare=False)
    origin: Loc | None = field(default=None, compare=False, repr=False)

    @property
    def key(self) -> tuple[int, str]:
        """(year, region) of a plan read without problems."""
        if self.year is None or self.region is None:
            raise ValueError("a plan read with problems has no year and region")
        return (self.year, self.region)

    def sorted(self) -> PlanData:
        """The same plan with its actions in natural code order (the order exports use)."""
        actions = sorted(self.actions, key=lambda a: natural_key(a.code))
        return PlanData(self.year, self.region, self.title, self.status, self.document_ref, self.example,
                        actions, self.source, self.origin)


# --------------------------------------------------------------------------- problems and raw records


@dataclass(frozen=True)
class Loc:
    """Where a value sits: a YAML line, or an XLSX sheet and row; optionally a field/column."""

    file: str
    line: int | None = None  # YAML line or XLSX row, 1-based
    sheet: str | None = None  # XLSX only
    field: str | None = None  # YAML key path or XLSX column header

    def at(self, field_name: str) -> Loc:
        return Loc(self.file, self.line, self.sheet, field_name)

    def on_line(self, line: int | None) -> Loc:
        return Loc(self.file, line, self.sheet, self.field)

    def row_text(self) -> str:
        """"baris 7" or "lembar 'Rencana Aksi' baris 7" (for "already at ..." messages)."""
        sheet = f"lembar '{self.sheet}' " if self.sheet else ""
        return f"{sheet}baris {self.line}" if self.line else sheet.strip()

    def __str__(self) -> str:
        parts = [self.file]
        if self.sheet:
            parts.append(f"lembar '{self.sheet}'")
        if self.line:
            parts.append(f"baris {self.line}")
        if self.field:
            parts.append(f"kolom '{self.field}'" if self.sheet else f"isian '{self.field}'")
        return " ".join(parts)


@dataclass(frozen=True)
class Problem:
    """One problem of a plan file, with its place; ``str()`` gives the Indonesian message."""

    loc: Loc
    message: str

    @property
    def file(self) -> str:
        return self.loc.file

    @property
    def line(self) -> int | None:
        return self.loc.line

    @property
    def field(self) -> str | None:
        return self.loc.field

    def __str__(self) -> str:
        return f"{self.loc}: {self.message}"


class PlanFileError(Exception):
    """One or more plan files are unusable; ``problems`` lists every problem found."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


@dataclass
class Cell:
    """A raw value and where it came from.

    ``value`` is what the reader resolved (str, int, float, bool, date, None, or a list of Cells
    for list fields); ``text`` is the value as written (YAML scalar text, so that ``62.10`` or
    ``1.10`` keep their zeros; XLSX cell text), None when empty or not a scalar."""

    value: Any
    loc: Loc
    text: str | None = None

    @property
    def empty(self) -> bool:
        if self.value is None:
            return True
        if isinstance(self.value, str):
            return self.value.strip() == ""
        if isinstance(self.value, list):
            return len(self.value) == 0
        return False


@dataclass
class RawRecord:
    """Raw fields of one mapping (YAML) or one row (XLSX). ``labels`` names fields as the file
    does (XLSX column headers), for messages about a field that is missing altogether."""

    loc: Loc
    fields: dict[str, Cell] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)

    def get(self, name: str) -> Cell | None:
        return self.fields.get(name)

    def loc_of(self, name: str) -> Loc:
        cell = self.fields.get(name)
        return cell.loc if cell is not None else self.loc.at(self.labels.get(name, name))


@dataclass
class RawAction(RawRecord):
    """A raw action: its fields, targets as (period cell, value cell) and realisations as
    (period cell, record)."""

    targets: list[tuple[Cell, Cell]] = field(default_factory=list)
    realisations: list[tuple[Cell, RawRecord]] = field(default_factory=list)


@dataclass
class RawPlan(RawRecord):
    """A raw plan and its raw actions."""

    actions: list[RawAction] = field(default_factory=list)
