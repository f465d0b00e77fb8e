"""Validation of RAD-PKS plan files: every problem in one pass, each with file, line/row and field.

``load_plan_files(paths)`` is what import and ``waspada plans validate`` use: it reads each file
with the reader of its kind (.yaml/.yml or .xlsx), checks every value and returns the clean plans
and the list of problems. A caller must store nothing when the list is not empty.

Checks: the file can be read and has the expected layout (YAML: a mapping with a ``plans`` list of
mappings; XLSX: sheets 'Rencana' and 'Rencana Aksi' with known column headers); unknown or
repeated fields; required fields (plan: year, region, title; action: code, bidang, program,
kegiatan); year in range; region "62" or one of the 14 kabupaten/kota codes; status and bidang
known; category codes known (taxonomy); place codes in the gazetteer; anggaran a non-negative
number; capaian 0..100; periods only B04/B08/B12; evidence links http(s); action codes unique
within a plan; a plan (year + region) only once in a file and in one import.

Messages are in Indonesian, e.g.
``contoh.xlsx lembar 'Rencana Aksi' baris 7 kolom 'Bidang': 'pencegahn' bukan bidang yang dikenal
(pencegahan, penghentian, pemulihan)`` or ``contoh.yaml baris 12 isian 'bidang': wajib diisi``.
"""
from __future__ import annotations

from pathlib import Path

from monitor.plans import fields as F
from monitor.plans.schema import (
    BIDANG,
    PERIODS,
    STATUSES,
    ActionData,
    Cell,
    Loc,
    PlanData,
    Problem,
    RawAction,
    RawPlan,
    RawRecord,
    RealisationData,
)

REQUIRED_PLAN_FIELDS = ("year", "region", "title")
REQUIRED_ACTION_FIELDS = ("code", "bidang", "program", "kegiatan")
MAX_CODE_LENGTH = 40


def _required(record: RawRecord, name: str, problems: list[Problem]) -> Cell | None:
    cell = record.get(name)
    if cell is None or cell.empty:
        problems.append(Problem(record.loc_of(name), "wajib diisi"))
        return None
    return cell


def _optional(record: RawRecord, name: str) -> Cell | None:
    cell = record.get(name)
    return None if cell is None or cell.empty else cell


def _period(cell: Cell, problems: list[Problem]) -> str | None:
    period = F.as_text(cell, problems).upper()
    if period in PERIODS:
        return period
    problems.append(Problem(cell.loc, f"periode '{F.as_text(cell, [])}' tidak dikenal "
                                      f"(hanya {', '.join(PERIODS)}: Januari-April, Mei-Agustus, September-Desember)"))
    return None


def build_realisation(period: str, record: RawRecord, problems: list[Problem]) -> RealisationData:
    capaian = _optional(record, "capaian_persen")
    return RealisationData(
        period=period,
        realisasi=F.as_text(record.get("realisasi"), problems),
        capaian_persen=F.as_percent(capaian, problems) if capaian else None,
        kendala=F.as_text(record.get("kendala"), problems),
        evidence=F.as_url_list(record.get("evidence"), problems),
    )


def build_action(raw: RawAction, problems: list[Problem]) -> ActionData:
    code_cell = _required(raw, "code", problems)
    bidang_cell = _required(raw, "bidang", problems)
    for name in ("program", "kegiatan"):
        _required(raw, name, problems)
    anggaran_cell = _optional(raw, "anggaran")
    target = {p: "" for p in PERIODS}
    seen_targets: dict[str, Loc] = {}
    for period_cell, value_cell in raw.targets:
        period = _period(period_cell, problems)
        if period is None:
            continue
        if period in seen_targets:
            problems.append(Problem(period_cell.loc, f"target periode {period} ditulis dua kali "
                                                     f"(pertama di {seen_targets[period].row_text()})"))
            continue
        seen_targets[period] = period_cell.loc
        target[period] = F.as_text(value_cell, problems)
    realisasi: dict[str, RealisationData] = {}
    for period_cell, record in raw.realisations:
        period = _period(period_cell, problems)
        realisation = build_realisation(period or "", record, problems)
        if period is None:
            continue
        if period in realisasi:
            problems.append(Problem(period_cell.loc, f"realisasi periode {period} ditulis dua kali"))
            continue
        if not realisation.is_empty():
            realisasi[period] = realisation
    return ActionData(
        code=F.as_text(code_cell, problems),
        bidang=(F.as_choice(bidang_cell, BIDANG, "bidang", problems) or "") if bidang_cell else "",
        program=F.as_text(raw.get("program"), problems),
        kegiatan=F.as_text(raw.get("kegiatan"), problems),
        sasaran=F.as_text(raw.get("sasaran"), problems),
        indikator=F.as_text(raw.get("indikator"), problems),
        target=target,
        penanggung_jawab=F.as_text(raw.get("penanggung_jawab"), problems),
        instansi_terkait=F.as_text_list(raw.get("instansi_terkait"), problems),
        anggaran=F.as_money(anggaran_cell, problems) if anggaran_cell else None,
        sumber_anggaran=F.as_text(raw.get("sumber_anggaran"), problems),
        categories=F.as_category_list(raw.get("categories"), problems),
        places=F.as_place_list(raw.get("places"), problems),
        keywords=F.as_text_list(raw.get("keywords"), problems),
        realisasi={p: realisasi[p] for p in PERIODS if p in realisasi},
    )


def build_plan(raw: RawPlan, problems: list[Problem]) -> PlanData:
    year_cell = _required(raw, "year", problems)
    region_cell = _required(raw, "region", problems)
    _required(raw, "title", problems)
    status_cell = _optional(raw, "status")
    example_cell = _optional(raw, "example")
    plan = PlanData(
        year=F.as_year(year_cell, problems) if year_cell else None,
        region=F.as_region(region_cell, problems) if region_cell else None,
        title=F.as_text(raw.get("title"), problems),
        status=(F.as_choice(status_cell, STATUSES, "status", problems) or "draf") if status_cell else "draf",
        document_ref=F.as_text(raw.get("document_ref"), problems),
        example=bool(F.as_bool(example_cell, problems)) if example_cell else False,
        source=raw.loc.file,
        origin=raw.loc,
    )
    seen_codes: dict[str, Loc] = {}
    for raw_action in raw.actions:
        action = build_action(raw_action, problems)
        if len(action.code) > MAX_CODE_LENGTH:  # the column is VARCHAR(40)
            problems.append(Problem(raw_action.loc_of("code"),
                                    f"kode aksi terlalu panjang ({len(action.code)} karakter; "
                                    f"paling banyak {MAX_CODE_LENGTH})"))
        elif action.code:
            if action.code in seen_codes:
                problems.append(Problem(raw_action.loc_of("code"),
                                        f"kode aksi '{action.code}' sudah dipakai di "
                                        f"{seen_codes[action.code].row_text()} dalam rencana yang sama"))
            else:
                seen_codes[action.code] = raw_action.loc_of("code")
        plan.actions.append(action)
    return plan


def build_plans(raw_plans: list[RawPlan], problems: list[Problem]) -> list[PlanData]:
    """Check raw plans and build clean ones; problems are appended (the plans are only usable
    when none were added)."""
    plans: list[PlanData] = []
    seen: dict[tuple[int, str], Loc] = {}
    for raw in raw_plans:
        plan = build_plan(raw, problems)
        if plan.year is not None and plan.region is not None:
            if plan.key in seen:
                problems.append(Problem(raw.loc, f"rencana tahun {plan.year} wilayah {plan.region} sudah ada di "
                                                 f"{seen[plan.key].row_text()}; satu berkas hanya boleh memuat satu "
                                                 f"rencana per tahun dan wilayah"))
            else:
                seen[plan.key] = raw.loc
        plans.append(plan)
    return plans


def read_raw(path: Path) -> tuple[list[RawPlan], list[Problem]]:
    """Raw plans of one file, with the reader chosen by its extension."""
    from monitor.plans.xlsx_format import read_xlsx
    from monitor.plans.yaml_format import read_yaml

    path = Path(path)
    label = path.name
    if not path.exists():
        return [], [Problem(Loc(label), f"berkas tidak ditemukan ({path})")]
    if path.is_dir():
        return [], [Problem(Loc(label), "ini folder, bukan berkas rencana")]
    suffix = path.suffix.lower()
    if suffix in (".yaml", ".yml"):
        return read_yaml(path, label)
    if suffix == ".xlsx":
        return read_xlsx(path, label)
    hint = " (simpan ulang dari Excel sebagai .xlsx)" if suffix in (".xls", ".ods", ".csv") else ""
    return [], [Problem(Loc(label), f"jenis berkas '{suffix or path.name}' tidak dikenal: gunakan .yaml, .yml "
                                    f"atau .xlsx{hint}")]


def load_plan_file(path: Path) -> tuple[list[PlanData], list[Problem]]:
    """Clean plans of one file and every problem found in it."""
    raw, problems = read_raw(path)
    plans = build_plans(raw, problems)
    if not plans and not problems:
        problems.append(Problem(Loc(Path(path).name), "berkas tidak berisi satu rencana pun"))
    return plans, sort_problems(problems)


def sort_problems(problems: list[Problem]) -> list[Problem]:
    """Problems in reading order: by sheet, then line/row (the order found within one line is kept)."""
    return sorted(problems, key=lambda p: (p.loc.sheet != "Rencana" if p.loc.sheet else False,
                                           p.loc.sheet or "", p.loc.line or 0))


def load_plan_files(paths: list[Path]) -> tuple[list[PlanData], list[Problem]]:
    """Clean plans of several files and every problem of all of them; a plan (year + region)
    given in two files of one import is a problem too."""
    results = [(Path(path), *load_plan_file(path)) for path in paths]
    add_cross_file_problems(results)
    return ([plan for _, plans, _ in results for plan in plans],
            [problem for _, _, problems in results for problem in problems])


def add_cross_file_problems(results: list[tuple[Path, list[PlanData], list[Problem]]]) -> None:
    """Append to a file's problems each plan (year + region) that an earlier file of the same
    import already holds."""
    seen: dict[tuple[int, str], tuple[int, Loc]] = {}
    for index, (_, plans, problems) in enumerate(results):
        in_file: set[tuple[int, str]] = set()
        for plan in plans:
            if plan.year is None or plan.region is None or plan.key in in_file:
                continue  # a repeat within the file is reported already
            in_file.add(plan.key)
            origin = plan.origin or Loc(plan.source)
            first_index, first = seen.setdefault(plan.key, (index, origin))
            if first_index != index:
                problems.append(Problem(origin, f"rencana tahun {plan.year} wilayah {plan.region} juga ada di "
                                                f"{first.file} {first.row_text()}; impor satu rencana sekali saja"))
