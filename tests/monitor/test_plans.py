"""RAD-PKS plans: YAML and XLSX formats, validation messages, all-or-nothing import, round trips,
the shipped example set and the `waspada plans` commands. Real files in temporary folders; every
database test runs on SQLite and PostgreSQL (`engine` / `db_url` fixtures)."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest
import typer
from sqlalchemy import select, text
from typer.testing import CliRunner

from monitor.db.models import ActionRealisation, Plan, PlanAction, PlanLink, StoryCluster
from monitor.db.session import open_database, session_scope
from monitor.plans import example_plan_file
from monitor.plans.cli import register
from monitor.plans.fields import parse_number
from monitor.plans.schema import PlanFileError, natural_key
from monitor.plans.store import export_plans, import_plan_files, load_plans, save_plans
from monitor.plans.validate import load_plan_file, load_plan_files
from monitor.plans.xlsx_format import ACTION_SHEET, PLAN_SHEET, read_xlsx, write_xlsx
from monitor.plans.xlsx_guard import XlsxLimits
from tests.hostile import alias_bomb, deep_yaml_list

PLAN_FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "plans"
UJI = PLAN_FIXTURES / "rencana_uji.yaml"
REGIONS = {"62", "62.01", "62.02", "62.03", "62.04", "62.05", "62.06", "62.07", "62.08", "62.09", "62.10", "62.11",
           "62.12", "62.13", "62.71"}


# --------------------------------------------------------------------------- helpers


def line_of(path: Path, needle: str) -> int:
    """1-based number of the only line of `path` containing `needle`."""
    hits = [n for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1) if needle in line]
    assert len(hits) == 1, f"{needle!r} found on lines {hits}"
    return hits[0]


def messages(problems) -> list[str]:
    return [str(p) for p in problems]


def assert_reported(problems, prefix: str) -> None:
    texts = messages(problems)
    assert any(t.startswith(prefix) for t in texts), f"no problem starts with {prefix!r}:\n" + "\n".join(texts)


def parsed(path: Path):
    plans, problems = load_plan_file(path)
    assert problems == [], messages(problems)
    return plans


def stored(engine, **filters):
    with session_scope(engine) as session:
        return load_plans(session, **filters)


def dump_tables(engine) -> dict[str, list[tuple]]:
    """Every row of the plan tables, ids and timestamps included, for before/after comparisons."""
    with engine.connect() as conn:
        return {table: [tuple(row) for row in conn.execute(text(f"SELECT * FROM {table} ORDER BY id"))]
                for table in ("plans", "plan_actions", "action_realisations", "plan_links")}


def sorted_plans(plans):
    return sorted((p.sorted() for p in plans), key=lambda p: (p.year, p.region))


def cell_of(ws, header: str, row: int):
    headers = [c.value for c in ws[1]]
    return ws.cell(row=row, column=headers.index(header) + 1)


# --------------------------------------------------------------------------- reading YAML


def test_yaml_fixture_is_read_as_written():
    plans = parsed(UJI)
    assert [(p.year, p.region) for p in plans] == [(2026, "62"), (2026, "62.02"), (2025, "62.10")]
    province, kotim, gumas = plans
    assert province.status == "berlaku" and province.document_ref == "Pergub (uji) No. 1/2026"
    first = province.actions[0]
    assert first.code == "1.10"  # not the float 1.1
    assert first.bidang == "pencegahan"  # "Pencegahan" in the file
    assert first.kegiatan == 'Patroli siber bersama;\ndialog FKUB provinsi: "kerukunan" & toleransi'
    assert first.target == {"B04": "Tim dibentuk", "B08": "12", "B12": "Laporan tahunan"}
    assert first.instansi_terkait == ["Badan Kesbangpol Provinsi Kalimantan Tengah", "Polda Kalimantan Tengah (Ditreskrimsus)"]
    assert first.categories == ["sara", "politik"]
    assert first.anggaran == 95_000_000
    assert list(first.realisasi) == ["B04", "B08"]
    assert first.realisasi["B08"].capaian_persen == 55.5
    assert first.realisasi["B08"].kendala == "Anggaran perjalanan terbatas"
    assert first.realisasi["B04"].evidence == ["https://contoh.invalid/uji/sk.pdf"]
    assert province.actions[1].anggaran == 1_250_000  # "1.250.000"
    assert province.actions[1].target == {"B04": "", "B08": "", "B12": ""}
    assert kotim.status == "draf" and kotim.example is False
    assert kotim.actions[0].places == ["62.02", "62.02.07", "62.02.07.2001"]
    assert kotim.actions[0].realisasi["B12"].capaian_persen == 0  # zero is a value, not "empty"
    assert gumas.region == "62.10" and gumas.actions == [] and gumas.status == "selesai"


def test_numbers_and_codes_helpers():
    assert parse_number("150.000.000") == 150_000_000
    assert parse_number("Rp 1.250.000,50") == 1_250_000.5
    assert parse_number("85,5") == 85.5
    assert parse_number("12.5") == 12.5
    assert parse_number("1,250,000") == 1_250_000
    assert parse_number("seratus") is None
    assert sorted(["1.10", "2.1", "1.2", "A", "1.1"], key=natural_key) == ["1.1", "1.2", "1.10", "2.1", "A"]


# --------------------------------------------------------------------------- validation messages


def test_yaml_value_problems_name_line_and_field():
    path = PLAN_FIXTURES / "rusak_nilai.yaml"
    plans, problems = load_plan_file(path)
    f = "rusak_nilai.yaml"

    def at(needle: str) -> str:
        return f"{f} baris {line_of(path, needle)}"

    first_plan = line_of(path, "title: Rencana dengan nilai salah") - 2  # "- year: 2026"
    first_code = line_of(path, "SALAH bidang") - 1  # '- code: "1"'
    code_2 = 'code: "2"'
    third_plan = line_of(path, "SALAH rencana ganda") - 1  # "- year: 2026" again

    expected = [
        f"{at('SALAH status')} isian 'status': 'aktif' bukan status yang dikenal (draf, berlaku, selesai)",
        f"{at('SALAH bidang')} isian 'bidang': 'pencegahn' bukan bidang yang dikenal (pencegahan, penghentian, pemulihan)",
        f"{at('SALAH periode target')} isian 'target.B06': periode 'B06' tidak dikenal (hanya B04, B08, B12",
        f"{at('SALAH anggaran negatif')} isian 'anggaran': anggaran tidak boleh negatif (-5000)",
        f"{at('SALAH kategori')} isian 'categories': 'kebun' bukan kode kategori yang dikenal",
        f"{at('SALAH tempat')} isian 'places': '62.02.99' tidak ada di gazetteer",
        f"{at('SALAH capaian')} isian 'realisasi.B04.capaian_persen': capaian harus antara 0 dan 100 persen, bukan 120",
        f"{at('SALAH capaian')} isian 'realisasi.B04.evidence': 'foto-kegiatan.jpg' bukan alamat tautan http(s)",
        f"{at('SALAH periode realisasi')} isian 'realisasi.B13': periode 'B13' tidak dikenal",
        f"{at('SALAH kode ganda')} isian 'code': kode aksi '1' sudah dipakai di baris {first_code} "
        f"dalam rencana yang sama",
        f"{at('SALAH anggaran bukan angka')} isian 'anggaran': 'seratus juta' bukan angka rupiah",
        f"{at(code_2)} isian 'bidang': wajib diisi",
        f"{at('SALAH isian tak dikenal')} isian 'bidnag': isian tidak dikenal (maksudnya 'bidang'?)",
        f"{at('SALAH tahun')} isian 'year': tahun 1999 di luar rentang yang diterima (2015-",
        f"{at('SALAH wilayah')} isian 'region': '62.99' bukan kode wilayah yang dikenal (62 untuk provinsi",
        f"{f} baris {third_plan} isian 'title': wajib diisi",
        f"{f} baris {third_plan}: rencana tahun 2026 wilayah 62.02 sudah ada di baris {first_plan}",
        f"{at('SALAH ya/tidak')} isian 'example': 'mungkin' bukan nilai ya/tidak",
    ]
    for prefix in expected:
        assert_reported(problems, prefix)
    assert len(problems) == len(expected), "\n".join(messages(problems))
    # in reading order, every one of them a structured Problem too
    assert [p.line for p in problems] == sorted(p.line for p in problems)
    bidang = next(p for p in problems if p.field == "bidang" and "pencegahn" in p.message)
    assert (bidang.file, bidang.line) == (f, line_of(path, "SALAH bidang"))


def test_malformed_yaml_is_reported_with_its_line():
    plans, problems = load_plan_file(PLAN_FIXTURES / "rusak_sintaks.yaml")
    assert plans == []
    assert messages(problems) == [
        "rusak_sintaks.yaml baris 10: bukan YAML yang sah: berkas berakhir sebelum tanda kutip atau kurung ditutup "
        "[found unexpected end of stream]"
    ]


@pytest.mark.parametrize("content, expected", [
    ("", "kosong.yaml: berkas kosong"),
    ("plans: []\n", "kosong.yaml: berkas tidak berisi satu rencana pun"),
    ("plans:\n  year: 2026\n", "kosong.yaml baris 1 isian 'plans': 'plans' harus berupa daftar rencana"),
    ("rencana:\n  - year: 2026\n", "kosong.yaml baris 1 isian 'rencana': isian tidak dikenal"),
    ("- year: 2026\n", "kosong.yaml baris 1: isi berkas harus berupa pemetaan"),
    ("plans:\n  - RAD-PKS 2026\n", "kosong.yaml baris 2: setiap rencana harus berupa pemetaan"),
    ("plans:\n  - year: 2026\n    region: '62'\n    title: T\n    actions: semua\n",
     "kosong.yaml baris 5 isian 'actions': 'actions' harus berupa daftar"),
    ("plans:\n  - year: 2026\n    region: '62'\n    title: T\n    title: U\n",
     "kosong.yaml baris 5 isian 'title': isian ini ditulis dua kali (pertama di baris 4)"),
    ("plans:\n  - year: 2026\n    region: '62'\n    title: T\n    actions:\n      - code: '1'\n        bidang: pencegahan\n"
     "        program: [a, b]\n        kegiatan: K\n        keywords: plasma\n",
     "kosong.yaml baris 8 isian 'program': harus berupa satu nilai"),
    ("plans:\n  - year: 2026\n    region: '62'\n    title: T\n    actions:\n      - code: '1'\n        bidang: pencegahan\n"
     "        program: P\n        kegiatan: K\n        keywords: plasma\n",
     "kosong.yaml baris 10 isian 'keywords': harus berupa daftar"),
    ("plans:\n  - year: 2026\n    region: '62'\n    title: T\n    example: mungkin\n\tstatus: draf\n",
     "kosong.yaml baris 6: bukan YAML yang sah: karakter tab tidak boleh dipakai"),
    ("plans:\n  - year: 2026\n    region: '62'\n    title: T\n    actions:\n      - code: " + "X" * 41 + "\n"
     "        bidang: pencegahan\n        program: P\n        kegiatan: K\n",
     "kosong.yaml baris 6 isian 'code': kode aksi terlalu panjang (41 karakter; paling banyak 40)"),
    ("plans:\n  - year: 20x6\n    region: '62'\n    title: T\n", "kosong.yaml baris 2 isian 'year': '20x6' bukan tahun"),
    ("plans:\n  - {year: 2026, region: '62', title: T, status: ''}\n---\nplans: []\n",
     "kosong.yaml baris 3: bukan YAML yang sah: berkas hanya boleh berisi satu dokumen"),
])
def test_structure_problems(tmp_path, content, expected):
    path = tmp_path / "kosong.yaml"
    path.write_text(content, encoding="utf-8")
    plans, problems = load_plan_file(path)
    assert problems, "expected a problem"
    assert_reported(problems, expected)


PLAN_HEAD = ("plans:\n  - year: 2026\n    region: '62'\n    title: T\n    actions:\n      - code: '1'\n"
             "        bidang: pencegahan\n        program: P\n        kegiatan: K\n")


@pytest.mark.parametrize("content, expected", [
    # about 1 KB standing for 387 million values: refused while composing, before anything walks it
    (PLAN_HEAD + "        keywords:\n" + alias_bomb("          "),
     "bom.yaml baris 16: alias *b4 membuat isi berkas terlalu besar: lebih dari 200.000 nilai setelah alias "
     "diuraikan"),
    (PLAN_HEAD + "        keywords: &k [plasma, *k]\n",
     "bom.yaml baris 10: alias *k menunjuk ke nilai yang memuat alias itu sendiri"),
    (PLAN_HEAD + "        keywords: " + deep_yaml_list() + "\n",
     "bom.yaml baris 10: susunan bertingkat terlalu dalam (lebih dari 64 tingkat)"),
    ("# " + "x" * (2 * 1024 * 1024) + "\n" + PLAN_HEAD,
     "bom.yaml: berkas terlalu besar (lebih dari 2 MiB)"),
])
def test_hostile_yaml_is_refused_quickly_naming_the_file(tmp_path, content, expected):
    path = tmp_path / "bom.yaml"
    path.write_text(content, encoding="utf-8")
    plans, problems = load_plan_file(path)
    assert plans == []
    assert len(problems) == 1 and str(problems[0]).startswith(expected), messages(problems)


def test_python_tags_in_a_plan_are_refused_by_field(tmp_path):
    path = tmp_path / "tag.yaml"
    path.write_text(PLAN_HEAD + "        sasaran: !!python/object/apply:os.system echo x\n", encoding="utf-8")
    plans, problems = load_plan_file(path)
    assert_reported(problems, "tag.yaml baris 10 isian 'sasaran': nilai tidak dapat dibaca (tag YAML "
                              "'!!python/object/apply:os.system' tidak diizinkan")


def test_unreadable_and_unknown_files(tmp_path):
    latin = tmp_path / "latin.yaml"
    latin.write_bytes("plans:\n  - title: Dinas Perkebunan \xe9\n".encode("latin-1"))
    text_file = tmp_path / "rencana.txt"
    text_file.write_text("plans: []", encoding="utf-8")
    old_excel = tmp_path / "rencana.xls"
    old_excel.write_bytes(b"\xd0\xcf\x11\xe0")
    not_xlsx = tmp_path / "rusak.xlsx"
    not_xlsx.write_bytes(b"ini bukan berkas zip")
    plans, problems = load_plan_files([latin, text_file, old_excel, not_xlsx, tmp_path / "hilang.yaml"])
    assert plans == []
    assert_reported(problems, "latin.yaml: bukan teks UTF-8")
    assert_reported(problems, "rencana.txt: jenis berkas '.txt' tidak dikenal: gunakan .yaml, .yml atau .xlsx")
    assert_reported(problems, "rencana.xls: jenis berkas '.xls' tidak dikenal: gunakan .yaml, .yml atau .xlsx "
                              "(simpan ulang dari Excel sebagai .xlsx)")
    assert_reported(problems, "rusak.xlsx: tidak dapat dibaca sebagai berkas XLSX")
    assert_reported(problems, "hilang.yaml: berkas tidak ditemukan")
    assert len(problems) == 5


def test_same_plan_in_two_files_of_one_import(tmp_path):
    copy = tmp_path / "salinan.yaml"
    shutil.copy(UJI, copy)
    plans, problems = load_plan_files([UJI, copy])
    assert len(problems) == 3  # each of the three plans again
    first = line_of(UJI, "title: Uji RAD-PKS Provinsi 2026") - 2  # "- year: 2026"
    assert_reported(problems, f"salinan.yaml baris {first}: rencana tahun 2026 wilayah 62 juga ada di "
                              f"rencana_uji.yaml baris {first}; impor satu rencana sekali saja")


# --------------------------------------------------------------------------- XLSX


def broken_workbook(tmp_path: Path) -> Path:
    """The fixture plans as XLSX with one problem per edited cell (rows: see comments)."""
    path = tmp_path / "contoh.xlsx"
    write_xlsx(parsed(UJI), path)
    wb = openpyxl.load_workbook(path)
    plans_ws, actions_ws = wb[PLAN_SHEET], wb[ACTION_SHEET]
    # Rencana: row 2 = 2026/62, row 3 = 2026/62.02, row 4 = 2025/62.10
    cell_of(plans_ws, "Status", 2).value = "aktif"
    cell_of(plans_ws, "Tahun", 4).value = 1999
    # Rencana Aksi: row 2 = 62/1.10, row 3 = 62/1.2, row 4 = 62.02/A, row 5 = 62.02/B
    cell_of(actions_ws, "Bidang", 2).value = "pencegahn"
    cell_of(actions_ws, "Capaian % B04", 2).value = 120
    cell_of(actions_ws, "Data Dukung B04", 2).value = "https://contoh.invalid/a.pdf; foto.jpg"
    cell_of(actions_ws, "Kategori", 3).value = "kekerasan_kelompok; kebun"
    cell_of(actions_ws, "Program", 3).value = None
    cell_of(actions_ws, "Wilayah", 4).value = "62.02.07; 62.02.99"
    cell_of(actions_ws, "Anggaran (Rp)", 5).value = -1
    cell_of(actions_ws, "Kode Aksi", 5).value = "A"
    for header, value in (("Tahun", 2026), ("Kode Wilayah", "62.05"), ("Kode Aksi", "X"), ("Bidang", "pencegahan"),
                          ("Program", "P"), ("Kegiatan", "K")):
        cell_of(actions_ws, header, 6).value = value  # a plan without a row in Rencana
        cell_of(actions_ws, header, 8).value = value  # row 7 stays empty and is skipped
    cell_of(actions_ws, "Kode Wilayah", 8).value = "62.99"
    wb.save(path)
    return path


def test_xlsx_value_problems_name_sheet_row_and_column(tmp_path):
    plans, problems = load_plan_file(broken_workbook(tmp_path))
    r, a = "contoh.xlsx lembar 'Rencana'", "contoh.xlsx lembar 'Rencana Aksi'"
    expected = [
        f"{r} baris 2 kolom 'Status': 'aktif' bukan status yang dikenal (draf, berlaku, selesai)",
        f"{r} baris 4 kolom 'Tahun': tahun 1999 di luar rentang yang diterima",
        f"{a} baris 2 kolom 'Bidang': 'pencegahn' bukan bidang yang dikenal (pencegahan, penghentian, pemulihan)",
        f"{a} baris 2 kolom 'Capaian % B04': capaian harus antara 0 dan 100 persen, bukan 120",
        f"{a} baris 2 kolom 'Data Dukung B04': 'foto.jpg' bukan alamat tautan http(s)",
        f"{a} baris 3 kolom 'Program': wajib diisi",
        f"{a} baris 3 kolom 'Kategori': 'kebun' bukan kode kategori yang dikenal",
        f"{a} baris 4 kolom 'Wilayah': '62.02.99' tidak ada di gazetteer",
        f"{a} baris 5 kolom 'Anggaran (Rp)': anggaran tidak boleh negatif (-1)",
        f"{a} baris 5 kolom 'Kode Aksi': kode aksi 'A' sudah dipakai di lembar 'Rencana Aksi' baris 4 dalam rencana yang sama",
        f"{a} baris 6 kolom 'Kode Wilayah': rencana tahun 2026 wilayah 62.05 tidak ada di lembar 'Rencana'",
        f"{a} baris 8 kolom 'Kode Wilayah': '62.99' bukan kode wilayah yang dikenal",
    ]
    for prefix in expected:
        assert_reported(problems, prefix)
    assert len(problems) == len(expected), "\n".join(messages(problems))


@pytest.mark.parametrize("change, expected", [
    (lambda wb: setattr(wb[ACTION_SHEET], "title", "Aksi"),
     "contoh.xlsx: lembar 'Rencana Aksi' tidak ditemukan (lembar yang ada: Rencana, Aksi, Petunjuk)"),
    (lambda wb: setattr(cell_of(wb[ACTION_SHEET], "Target B08", 1), "value", "Target B06"),
     "contoh.xlsx lembar 'Rencana Aksi' baris 1 kolom 'Target B06': periode 'B06' tidak dikenal (hanya B04, B08, B12"),
    (lambda wb: setattr(cell_of(wb[ACTION_SHEET], "Bidang", 1), "value", "Bidnag"),
     "contoh.xlsx lembar 'Rencana Aksi' baris 1 kolom 'Bidnag': judul kolom tidak dikenal (maksudnya 'Bidang'?)"),
    (lambda wb: setattr(cell_of(wb[ACTION_SHEET], "Bidang", 1), "value", "Bidnag"),
     "contoh.xlsx lembar 'Rencana Aksi' baris 1: kolom wajib tidak ada di baris judul: 'Bidang'"),
    (lambda wb: setattr(cell_of(wb[PLAN_SHEET], "Status", 1), "value", "Judul"),
     "contoh.xlsx lembar 'Rencana' baris 1 kolom 'Judul': judul kolom ini ada dua kali"),
    (lambda wb: wb[PLAN_SHEET].delete_rows(2, 3),
     "contoh.xlsx lembar 'Rencana Aksi' baris 2 kolom 'Kode Wilayah': rencana tahun 2026 wilayah 62 tidak ada di "
     "lembar 'Rencana'"),
])
def test_xlsx_layout_problems(tmp_path, change, expected):
    path = tmp_path / "contoh.xlsx"
    write_xlsx(parsed(UJI), path)
    wb = openpyxl.load_workbook(path)
    change(wb)
    wb.save(path)
    plans, problems = load_plan_file(path)
    assert_reported(problems, expected)


def test_empty_xlsx_template_has_no_plans(tmp_path):
    path = tmp_path / "templat.xlsx"
    write_xlsx([], path)
    plans, problems = load_plan_file(path)
    assert messages(problems) == ["templat.xlsx: berkas tidak berisi satu rencana pun"]
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == [PLAN_SHEET, ACTION_SHEET, "Petunjuk"]
    headers = [c.value for c in wb[ACTION_SHEET][1]]
    for header in ("Tahun", "Kode Wilayah", "Kode Aksi", "Bidang", "Program", "Kegiatan", "Sasaran/Output", "Indikator",
                   "Target B04", "Target B08", "Target B12", "Penanggung Jawab (OPD)", "Instansi Terkait",
                   "Anggaran (Rp)", "Sumber Anggaran", "Kategori", "Wilayah", "Kata Kunci", "Realisasi B04",
                   "Capaian % B04", "Kendala B04", "Data Dukung B04", "Data Dukung B12"):
        assert header in headers
    assert wb[ACTION_SHEET].freeze_panes == "E2"
    assert wb[PLAN_SHEET].freeze_panes == "A2"


SHARED = "xl/sharedStrings.xml"


def rezip(source: Path, target: Path, name: str, change, compress_type: int = zipfile.ZIP_DEFLATED) -> Path:
    """A copy of the workbook `source` whose member `name` is `change(old bytes)`, compressed with `compress_type`."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            data = old.read(info)
            if info.filename == name:
                new.writestr(name, change(data), compress_type=compress_type)
            else:
                new.writestr(info, data)
    return target


def declare_size(path: Path, name: str, size: int) -> None:
    """Make the zip's central directory claim `size` uncompressed bytes for member `name` (a lying directory)."""
    data = bytearray(path.read_bytes())
    entry = data.index(b"PK\x01\x02")  # the first central directory entry
    while True:
        name_length = int.from_bytes(data[entry + 28:entry + 30], "little")
        if data[entry + 46:entry + 46 + name_length] == name.encode():
            break
        extra = int.from_bytes(data[entry + 30:entry + 32], "little") + int.from_bytes(data[entry + 32:entry + 34], "little")
        entry += 46 + name_length + extra
    data[entry + 24:entry + 28] = size.to_bytes(4, "little")
    path.write_bytes(bytes(data))


@pytest.fixture
def workbook(tmp_path) -> Path:
    path = tmp_path / "asli.xlsx"
    write_xlsx(parsed(UJI), path)
    return path


def huge_string(size: int):
    return lambda data: data.replace(b"<t>Tahun</t>", b"<t>" + b"a" * size + b"</t>", 1)


def test_xlsx_with_a_huge_shared_string_is_refused_before_openpyxl_reads_it(workbook, tmp_path):
    # the review's 2 GiB string took 4.4 GB of memory; 40 MiB is over the 32 MiB a member may hold
    path = rezip(workbook, tmp_path / "besar.xlsx", SHARED, huge_string(40 * 1024 * 1024))
    plans, problems = load_plan_file(path)
    assert plans == [] and messages(problems) == [
        "besar.xlsx: berkas XLSX ditolak: bagian 'xl/sharedStrings.xml' berukuran 40.0 MiB setelah dibuka "
        "(paling banyak 32.0 MiB)"]


def test_xlsx_zip_bomb_is_refused_by_its_compression_ratio(workbook, tmp_path):
    path = rezip(workbook, tmp_path / "bom.xlsx", SHARED, huge_string(20 * 1024 * 1024))
    [problem] = load_plan_file(path)[1]
    assert str(problem).startswith("bom.xlsx: berkas XLSX ditolak: bagian 'xl/sharedStrings.xml' dimampatkan ")
    assert str(problem).endswith("kali (paling banyak 100 kali); kemungkinan bom zip")


def test_xlsx_with_a_lying_zip_directory_is_refused(workbook, tmp_path):
    # bzip2 would be decompressed whole before the declared size is enforced: XLSX never uses it
    bzip = rezip(workbook, tmp_path / "bzip.xlsx", SHARED, huge_string(8 * 1024 * 1024), zipfile.ZIP_BZIP2)
    declare_size(bzip, SHARED, 1000)
    assert messages(load_plan_file(bzip)[1]) == [
        "bzip.xlsx: berkas XLSX ditolak: bagian 'xl/sharedStrings.xml' memakai kompresi yang tidak dipakai XLSX "
        "(metode 12; hanya stored dan deflate)"]
    # deflate: the bounded read stops at the declared size and the checksum shows the lie
    deflate = tmp_path / "deflate.xlsx"
    shutil.copy(workbook, deflate)
    declare_size(deflate, SHARED, 1000)
    [problem] = load_plan_file(deflate)[1]
    assert str(problem).startswith("deflate.xlsx: berkas XLSX ditolak: bagian 'xl/sharedStrings.xml' tidak cocok "
                                   "dengan daftar isi zip")


def test_xlsx_declaring_xml_entities_is_refused(workbook, tmp_path):
    # openpyxl reads through defusedxml: no entity is expanded, however small (the large ones are XML bombs)
    def entity(data: bytes) -> bytes:
        data = data.replace(b"<sst ", b'<!DOCTYPE sst [<!ENTITY a "Tahun">]><sst ', 1)
        return data.replace(b"<t>Tahun</t>", b"<t>&a;</t>", 1)

    path = rezip(workbook, tmp_path / "entitas.xlsx", SHARED, entity)
    assert messages(load_plan_file(path)[1]) == [
        "entitas.xlsx: berkas XLSX ditolak: XML di dalamnya mendeklarasikan entitas atau DTD "
        "(EntitiesForbidden(name='a', system_id=None, public_id=None)), yang tidak pernah ditulis Excel"]


@pytest.mark.parametrize("limits, expected", [
    (XlsxLimits(max_file_bytes=1000), "berkas terlalu besar untuk berkas rencana XLSX (lebih dari 1000 bita)"),
    (XlsxLimits(max_members=5), "berkas XLSX ditolak: berisi 12 bagian (paling banyak 5)"),
    (XlsxLimits(max_total_bytes=20_000), "berkas XLSX ditolak: isi seluruhnya lebih dari 19.5 KiB setelah dibuka"),
])
def test_xlsx_limits(workbook, limits, expected):
    plans, problems = read_xlsx(workbook, limits=limits)
    assert plans == [] and messages(problems) == [f"asli.xlsx: {expected}"]


def test_hand_made_xlsx_is_read_leniently(tmp_path):
    """A workbook made by hand, not by Waspada: other column order, missing optional columns, a
    region typed as a number, a percentage cell, lists on several lines, empty numbered rows."""
    path = tmp_path / "buatan_tangan.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "rencana"  # sheet names are matched case-insensitively
    ws.append(["Kode Wilayah", "Judul", "TAHUN", "Status"])
    ws.append([62.1, "RAD-PKS Gunung Mas", 2026, "Berlaku"])  # 62.10 typed into Excel becomes 62.1
    actions = wb.create_sheet("Rencana Aksi")
    actions.append(["No", "Kode Aksi", "Tahun", "Kode Wilayah", "Bidang", "Program", "Kegiatan", "Kategori",
                    "Wilayah", "Instansi Terkait", "Anggaran (Rp)", "Capaian % B04", "Realisasi B04"])
    actions.append([1, 1, 2026, 62.1, "Pencegahan", "Pemetaan potensi konflik", "Pemetaan PETI", "Tambang; lingkungan",
                    "62.10.03\n62.10.04", "Polres Gunung Mas;\nBadan Kesbangpol Kabupaten Gunung Mas", "Rp 90.000.000",
                    0.85, "Pendataan lokasi"])
    actions["L2"].number_format = "0%"
    actions.append([2])  # numbered but empty
    actions.append([3])
    wb.save(path)
    (plan,) = parsed(path)
    assert (plan.year, plan.region, plan.status) == (2026, "62.10", "berlaku")
    (action,) = plan.actions
    assert action.code == "1" and action.bidang == "pencegahan"
    assert action.categories == ["tambang", "lingkungan"]
    assert action.places == ["62.10.03", "62.10.04"]
    assert action.instansi_terkait == ["Polres Gunung Mas", "Badan Kesbangpol Kabupaten Gunung Mas"]
    assert action.anggaran == 90_000_000
    assert action.realisasi["B04"].capaian_persen == 85
    assert action.realisasi["B04"].realisasi == "Pendataan lokasi"
    assert action.target == {"B04": "", "B08": "", "B12": ""}


# --------------------------------------------------------------------------- import and export


def test_import_yaml(engine):
    outcomes = import_plan_files(engine, [UJI])
    assert [(o.year, o.region, o.created, o.n_actions) for o in outcomes] == [
        (2026, "62", True, 2), (2026, "62.02", True, 2), (2025, "62.10", True, 0)]
    assert stored(engine) == sorted_plans(parsed(UJI))
    with session_scope(engine) as session:
        plan = session.scalar(select(Plan).where(Plan.region_code == "62"))
        assert plan.source_file == "rencana_uji.yaml" and plan.is_example is False and plan.status == "berlaku"
        action = session.scalar(select(PlanAction).where(PlanAction.plan_id == plan.id, PlanAction.code == "1.10"))
        assert (action.target_b04, action.target_b08, action.target_b12) == ("Tim dibentuk", "12", "Laporan tahunan")
        assert action.categories == ["sara", "politik"] and action.anggaran == 95_000_000
        periods = {r.period: r for r in action.realisations}
        assert set(periods) == {"B04", "B08"} and periods["B08"].capaian_persen == 55.5
        assert session.scalar(select(PlanAction).where(PlanAction.code == "A")).places == ["62.02", "62.02.07",
                                                                                           "62.02.07.2001"]
    assert [p.region for p in stored(engine, year=2026)] == ["62", "62.02"]
    assert [p.year for p in stored(engine, region="62.10")] == [2025]


def test_import_xlsx(engine, tmp_path):
    path = tmp_path / "matriks.xlsx"
    write_xlsx(parsed(UJI), path)
    outcomes = import_plan_files(engine, [path])
    assert len(outcomes) == 3
    assert stored(engine) == sorted_plans(parsed(UJI))
    with session_scope(engine) as session:
        assert {p.source_file for p in session.scalars(select(Plan))} == {"matriks.xlsx"}


@pytest.mark.parametrize("fmt", ["yaml", "xlsx"])
def test_export_then_import_gives_the_same_data(engine, tmp_path, fmt):
    import_plan_files(engine, [example_plan_file()])
    import_plan_files(engine, [UJI])  # replaces 2026/62 and 2026/62.02 of the example, adds 2025/62.10
    before = stored(engine)
    assert len(before) == 16
    path = tmp_path / f"ekspor.{fmt}"
    written = export_plans(engine, path, fmt)
    assert written == before
    assert parsed(path) == before  # the file holds exactly what is stored
    ids_before = dump_tables(engine)
    import_plan_files(engine, [path])  # and importing it back changes no data
    assert stored(engine) == before
    ids_after = dump_tables(engine)
    for table in ("plan_actions", "action_realisations"):
        assert ids_after[table] == ids_before[table]  # not even an id (only imported_at/source_file of plans)

    one = tmp_path / f"kotim.{fmt}"
    assert [p.key for p in export_plans(engine, one, fmt, year=2026, region="62.02")] == [(2026, "62.02")]
    assert [p.key for p in parsed(one)] == [(2026, "62.02")]
    assert [p.key for p in export_plans(engine, tmp_path / f"2025.{fmt}", fmt, year=2025)] == [(2025, "62.10")]


def test_broken_file_changes_nothing(engine, tmp_path):
    import_plan_files(engine, [UJI])
    before_tables, before_plans = dump_tables(engine), stored(engine)

    changed = tmp_path / "perubahan.yaml"  # a valid change of every plan ... and one typo
    changed.write_text(UJI.read_text(encoding="utf-8").replace("Uji RAD-PKS", "Diubah RAD-PKS")
                       .replace("bidang: pemulihan", "bidang: pemulihn"), encoding="utf-8")
    with pytest.raises(PlanFileError) as caught:
        import_plan_files(engine, [changed])
    assert messages(caught.value.problems) == [
        f"perubahan.yaml baris {line_of(changed, 'pemulihn')} isian 'bidang': 'pemulihn' bukan bidang yang dikenal "
        f"(pencegahan, penghentian, pemulihan)"]
    assert dump_tables(engine) == before_tables

    # a good file and a broken one in one import: neither is stored
    good = tmp_path / "baru.yaml"
    good.write_text("plans:\n  - {year: 2027, region: '62.03', title: Baru, actions: []}\n", encoding="utf-8")
    with pytest.raises(PlanFileError):
        import_plan_files(engine, [good, PLAN_FIXTURES / "rusak_sintaks.yaml"])
    broken_xlsx = broken_workbook(tmp_path)
    with pytest.raises(PlanFileError):
        import_plan_files(engine, [good, broken_xlsx])
    assert dump_tables(engine) == before_tables
    assert stored(engine) == before_plans


def test_failure_while_storing_rolls_everything_back(engine, monkeypatch):
    import_plan_files(engine, [UJI])
    before = dump_tables(engine)
    import monitor.plans.store as store

    real_apply, calls = store._apply_action, []

    def failing(action, data):
        calls.append(data.code)
        if len(calls) == 3:
            raise RuntimeError("disk penuh")
        real_apply(action, data)

    monkeypatch.setattr(store, "_apply_action", failing)
    with pytest.raises(RuntimeError):
        import_plan_files(engine, [example_plan_file()])
    assert len(calls) == 3
    assert dump_tables(engine) == before


def test_reimport_replaces_the_plan_and_keeps_links_of_kept_actions(engine, tmp_path):
    import_plan_files(engine, [UJI])
    with session_scope(engine) as session:
        ids = {a.code: a.id for a in session.scalars(select(PlanAction))}
        province_ids = {a.id for a in session.scalars(select(PlanAction).join(Plan).where(Plan.region_code == "62"))}
        province_imported = session.scalar(select(Plan.imported_at).where(Plan.region_code == "62"))
        cluster = StoryCluster()
        session.add(cluster)
        session.flush()
        session.add_all([PlanLink(cluster_id=cluster.id, action_id=ids["A"], kind="alert"),
                         PlanLink(cluster_id=cluster.id, action_id=ids["B"], kind="realisasi")])

    new = tmp_path / "kotim_revisi.yaml"
    new.write_text("""plans:
  - year: 2026
    region: "62.02"
    title: Uji RAD-PKS Kotim 2026 (revisi)
    status: berlaku
    actions:
      - code: C
        bidang: penghentian
        program: Gladi posko dan gladi lapangan
        kegiatan: Gladi posko
      - code: A
        bidang: pencegahan
        program: Pemetaan potensi konflik
        kegiatan: Pemetaan potensi konflik perkebunan dan tambang
        categories: [perkebunan, tambang]
""", encoding="utf-8")
    (outcome,) = import_plan_files(engine, [new])
    assert (outcome.created, outcome.n_actions, outcome.n_removed) == (False, 2, 1)

    (kotim,) = stored(engine, region="62.02")
    assert kotim == parsed(new)[0].sorted()  # exactly the file: B gone, A changed, C added
    assert [a.code for a in kotim.actions] == ["A", "C"]
    assert kotim.actions[0].realisasi == {} and kotim.actions[0].places == []
    with session_scope(engine) as session:
        kept = session.scalar(select(PlanAction).where(PlanAction.code == "A"))
        assert kept.id == ids["A"]  # same row, so ...
        links = session.scalars(select(PlanLink)).all()
        assert [(link.action_id, link.kind) for link in links] == [(ids["A"], "alert")]  # ... its link stays
        assert session.get(PlanAction, ids["B"]) is None
        assert session.scalars(select(ActionRealisation).where(ActionRealisation.action_id == ids["A"])).all() == []
        # the other plans are untouched
        assert {a.id for a in session.scalars(select(PlanAction).join(Plan).where(Plan.region_code == "62"))} == province_ids
        assert session.scalar(select(Plan.imported_at).where(Plan.region_code == "62")) == province_imported
        assert session.scalar(select(Plan.title).where(Plan.region_code == "62.02")) == "Uji RAD-PKS Kotim 2026 (revisi)"


def test_save_plans_upserts_in_a_given_session(engine):
    plans = parsed(UJI)
    with session_scope(engine) as session:
        assert [o.created for o in save_plans(session, plans)] == [True, True, True]
        assert [o.created for o in save_plans(session, plans)] == [False, False, False]
    assert stored(engine) == sorted_plans(plans)


# --------------------------------------------------------------------------- the example set


def test_example_set_validates_and_imports(engine):
    path = example_plan_file()
    assert path.name == "contoh_radpks_2026.yaml" and path.exists()
    assert "BUKAN RENCANA RESMI" in path.read_text(encoding="utf-8").splitlines()[0]
    plans = parsed(path)
    assert len(plans) == 15
    assert {p.region for p in plans} == REGIONS and {p.year for p in plans} == {2026}
    for plan in plans:
        assert plan.example is True and plan.title.startswith("CONTOH")
        programs = " ".join(a.program for a in plan.actions).lower()
        for program in ("p3aks", "gladi posko dan gladi lapangan", "pelaporan tindak lanjut peristiwa konflik",
                        "pemetaan potensi konflik"):
            assert program in programs, (plan.region, program)
        assert {a.bidang for a in plan.actions} == {"pencegahan", "penghentian", "pemulihan"}
        assert all(a.penanggung_jawab and a.anggaran and all(a.target.values()) for a in plan.actions)

    def covering(category):
        return {p.region for p in plans for a in p.actions if category in a.categories}

    # the deliberate gaps: labour disputes only in Kotim, group violence only at the province
    assert covering("ketenagakerjaan") == {"62.02"}
    assert covering("kekerasan_kelompok") == {"62"}
    kotim = next(p for p in plans if p.region == "62.02")
    assert any({"perkebunan", "lahan", "unjuk_rasa"} <= set(a.categories) and "plasma" in a.keywords
               for a in kotim.actions)
    assert {"62.06", "62.10", "62.12", "62.05"} <= covering("tambang")

    outcomes = import_plan_files(engine, [path])
    assert len(outcomes) == 15 and all(o.created for o in outcomes)
    with session_scope(engine) as session:
        assert session.scalar(select(Plan).where(Plan.region_code == "62.71")).is_example is True
        assert len(session.scalars(select(Plan)).all()) == 15
    assert stored(engine) == sorted_plans(plans)


# --------------------------------------------------------------------------- command line


@pytest.fixture
def plans_cli(db_url, tmp_path, monkeypatch):
    """`waspada plans ...` in-process through typer's CliRunner, on the test database."""
    app = typer.Typer()
    register(app)

    @app.callback()
    def main():
        """waspada"""

    monkeypatch.chdir(tmp_path)
    env = {"WASPADA_DATABASE_URL": db_url, "COLUMNS": "200", "NO_COLOR": "1"}

    def run(*args, code: int = 0):
        result = CliRunner().invoke(app, [str(a) for a in args], env=env, catch_exceptions=False)
        assert result.exit_code == code, f"exit {result.exit_code}\n{result.stdout}\n{result.stderr}"
        return result

    run.db_url = db_url
    return run


def test_cli_validate(plans_cli):
    ok = plans_cli("plans", "validate", UJI)
    assert ok.stdout.strip() == "rencana_uji.yaml: valid (3 rencana, 4 rencana aksi)"
    contoh = plans_cli("plans", "validate", "--contoh")
    assert "contoh_radpks_2026.yaml: valid (15 rencana," in contoh.stdout

    bad = plans_cli("plans", "validate", UJI, PLAN_FIXTURES / "rusak_nilai.yaml", code=1)
    lines = bad.stdout.splitlines()
    assert lines[0] == "rencana_uji.yaml: valid (3 rencana, 4 rencana aksi)"
    assert lines[1] == "rusak_nilai.yaml: 19 masalah"  # its 18, and 2026/62.02 is in both files
    assert ("- rusak_nilai.yaml baris 9 isian 'bidang': 'pencegahn' bukan bidang yang dikenal "
            "(pencegahan, penghentian, pemulihan)") in lines
    assert ("- rusak_nilai.yaml baris 3: rencana tahun 2026 wilayah 62.02 juga ada di rencana_uji.yaml baris "
            f"{line_of(UJI, 'title: Uji RAD-PKS Kotim 2026') - 2}; impor satu rencana sekali saja") in lines
    assert len(lines) == 21
    plans_cli("plans", "validate", code=2)  # no file named


def test_cli_import_list_export(plans_cli, tmp_path):
    empty = plans_cli("plans", "list")
    assert "Belum ada rencana tersimpan" in empty.stdout
    imported = plans_cli("plans", "import", "--contoh")
    assert "15 rencana diimpor" in imported.stdout
    assert "2026 62.02 Kabupaten Kotawaringin Timur: baru, 6 rencana aksi" in imported.stdout
    again = plans_cli("plans", "import", UJI)
    assert "2026 62.02 Kabupaten Kotawaringin Timur: diganti, 2 rencana aksi, 6 aksi lama dihapus" in again.stdout
    listing = plans_cli("plans", "list")
    assert "16 rencana" in listing.stdout and "CONTOH RAD-PKS Kota Palangka Raya Tahun 2026" in listing.stdout
    assert "Uji RAD-PKS Kotim 2026" in listing.stdout
    assert "62.71" in plans_cli("plans", "list", "--region", "62.71").stdout

    engine = open_database(plans_cli.db_url)
    try:
        before = dump_tables(engine)
        failed = plans_cli("plans", "import", PLAN_FIXTURES / "rusak_nilai.yaml", code=1)
        assert "Impor dibatalkan: 18 masalah ditemukan; tidak ada rencana yang diubah." in failed.stderr
        assert "rusak_nilai.yaml baris 6 isian 'status'" in failed.stderr
        assert dump_tables(engine) == before

        exported = plans_cli("plans", "export", "--format", "xlsx", "--output", tmp_path / "semua.xlsx")
        assert "16 rencana" in exported.stdout
        assert parsed(tmp_path / "semua.xlsx") == stored(engine)
        plans_cli("plans", "export", "--output", tmp_path / "kotim.yaml", "--region", "62.02", "--year", "2026")
        assert [p.title for p in parsed(tmp_path / "kotim.yaml")] == ["Uji RAD-PKS Kotim 2026"]
        template = plans_cli("plans", "export", "-f", "xlsx", "-o", tmp_path / "templat.xlsx", "--year", "2030")
        assert "templat kosong" in template.stdout and (tmp_path / "templat.xlsx").exists()
        plans_cli("plans", "export", "--format", "csv", "--output", tmp_path / "x.csv", code=2)
        plans_cli("plans", "export", "--output", tmp_path / "x.yaml", "--region", "62.99", code=2)
        assert dump_tables(engine) == before
    finally:
        engine.dispose()


def test_cli_as_a_real_process(tmp_path):
    """The commands as a user runs them, in a separate process (the lead wires `register` into
    monitor/cli.py; this builds the same app around it)."""
    script = ("import typer\nfrom monitor.plans.cli import register\napp = typer.Typer()\nregister(app)\n"
              "@app.callback()\ndef main():\n    pass\napp()\n")
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("WASPADA_")},
           "WASPADA_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}", "COLUMNS": "200"}

    def run(*args):
        return subprocess.run([sys.executable, "-c", script, "plans", *map(str, args)], env=env, cwd=tmp_path,
                              capture_output=True, text=True, timeout=120)

    ok = run("validate", UJI)
    assert ok.returncode == 0 and "valid" in ok.stdout
    bad = run("validate", PLAN_FIXTURES / "rusak_sintaks.yaml")
    assert bad.returncode == 1 and "rusak_sintaks.yaml baris 10: bukan YAML yang sah" in bad.stdout
    imported = run("import", UJI)
    assert imported.returncode == 0, imported.stderr
    exported = run("export", "--format", "yaml", "--output", tmp_path / "keluar.yaml")
    assert exported.returncode == 0, exported.stderr
    assert parsed(tmp_path / "keluar.yaml") == sorted_plans(parsed(UJI))


def test_cli_validate_reports_a_plan_given_in_two_files(plans_cli, tmp_path):
    (tmp_path / "lain").mkdir()
    copy = tmp_path / "lain" / "rencana_uji.yaml"  # same name, other folder
    shutil.copy(UJI, copy)
    result = plans_cli("plans", "validate", UJI, copy, code=1)
    assert result.stdout.splitlines()[:2] == ["rencana_uji.yaml: valid (3 rencana, 4 rencana aksi)",
                                              "rencana_uji.yaml: 3 masalah"]
    assert "juga ada di rencana_uji.yaml baris" in result.stdout
