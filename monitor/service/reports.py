"""RAD-PKS period reports for every front door: create (pre-filled), attach and detach alerts, follow-up and
realisation per plan action, submit (locked: a frozen snapshot), correct as a new version, list, export.

Submitting also writes the period's realisation of each action into the plan (`action_realisations`), so the
plans page and `waspada plans export` show the latest submitted realisation; the snapshot keeps what each
version said, which a later plan import or a later version cannot change. Every change is audited.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from monitor.db.models import ActionRealisation, PlanAction, Report, ReportAction, ReportAlert, present, utcnow
from monitor.db.session import begin_writing
from monitor.plans.fields import as_percent, as_url_list, region_name, region_names
from monitor.plans.schema import MIN_YEAR, PERIODS, Cell, Loc, Problem, max_year
from monitor.reports import compose as C, sources
from monitor.reports.content import AlertEntry, ReportContent
from monitor.reports.periods import period_days
from monitor.service import audit

DRAFT = "draf"
SUBMITTED = C.SUBMITTED
STATUS_NAMES = {DRAFT: "Draf", SUBMITTED: "Diajukan"}
FORMATS = ("xlsx", "docx")
MAX_TEXT = 4000
MAX_LINKS = 20
MAX_CANDIDATES = 100


class ReportError(ValueError):
    """A refused request, with an Indonesian message and the form field it is about (if any)."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass(frozen=True)
class ReportRow:
    """A report version as lists show it."""

    id: int
    region: str
    region_name: str
    year: int
    period: str
    version: int
    status: str
    created_by: str
    created_at: datetime
    updated_at: datetime
    submitted_by: str
    submitted_at: datetime | None
    n_alerts: int


def _row(report: Report, n_alerts: int) -> ReportRow:
    return ReportRow(report.id, report.region_code, region_name(report.region_code), report.year, report.period,
                     report.version, report.status, report.created_by, report.created_at, report.updated_at,
                     report.submitted_by or "", report.submitted_at, n_alerts)


def list_reports(session: Session, region: str | None = None, year: int | None = None,
                 period: str | None = None) -> list[ReportRow]:
    """Every report version (optionally of one region, year, period): newest period first, province first,
    then by region and version (newest first)."""
    counts = (select(ReportAlert.report_id, func.count().label("n")).group_by(ReportAlert.report_id).subquery())
    query = select(Report, func.coalesce(counts.c.n, 0)).outerjoin(counts, counts.c.report_id == Report.id)
    if region is not None:
        query = query.where(Report.region_code == region)
    if year is not None:
        query = query.where(Report.year == year)
    if period is not None:
        query = query.where(Report.period == period)
    rows = [_row(report, n) for report, n in session.execute(query)]
    rows.sort(key=lambda r: (-r.year, -PERIODS.index(r.period), r.region != sources.PROVINCE, r.region, -r.version))
    return rows


def check_target(region: str, year: int, period: str) -> None:
    """Refuse an unknown region, a year outside the plans' years or an unknown period."""
    if region not in region_names():
        raise ReportError(f"Wilayah '{region[:20]}' tidak dikenal: pilih provinsi (62) atau kode kabupaten/kota, "
                          "mis. 62.02.", "region")
    if not MIN_YEAR <= year <= max_year():
        raise ReportError(f"Tahun {year} di luar rentang {MIN_YEAR}-{max_year()}.", "year")
    if period not in PERIODS:
        raise ReportError(f"Periode '{period[:10]}' tidak dikenal (hanya {', '.join(PERIODS)}).", "period")


def _check_region(report_region: str, actor_region: str | None) -> None:
    if actor_region not in (None, sources.PROVINCE) and actor_region != report_region:
        raise ReportError(f"Wilayah kerja Anda {region_name(actor_region)}: laporan {region_name(report_region)} "
                          "hanya dapat diubah operator wilayah itu atau operator provinsi.")


def _load(session: Session, report_id: int, lock: bool = False) -> Report:
    query = select(Report).where(Report.id == report_id).options(selectinload(Report.alerts),
                                                                 selectinload(Report.actions))
    report = session.scalar(query.with_for_update() if lock else query)
    if report is None:
        raise ReportError("Laporan tidak ada.")
    return report


def _draft(session: Session, report_id: int, actor_region: str | None) -> Report:
    """The report to change: it must be a draft of a region the actor works for (locked until commit)."""
    report = _load(session, report_id, lock=True)
    _check_region(report.region_code, actor_region)
    if report.status != DRAFT:
        raise ReportError(f"Laporan versi {report.version} sudah diajukan dan terkunci; buat versi baru untuk "
                          "mengoreksinya.")
    return report


def find_report(session: Session, region: str, year: int, period: str, version: int | None = None) -> int | None:
    """The id of a report version (the latest when `version` is None), or None."""
    query = select(Report.id).where(Report.region_code == region, Report.year == year, Report.period == period)
    if version is not None:
        query = query.where(Report.version == version)
    return session.scalar(query.order_by(Report.version.desc()).limit(1))


def create_report(session: Session, region: str, year: int, period: str, actor: str,
                  actor_region: str | None = None, address: str = "") -> int:
    """A new draft (version 1) pre-filled from the period's linked alerts and stored realisation; audited.

    Refused when the region and period already have a report (open it, or make a new version)."""
    check_target(region, year, period)
    _check_region(region, actor_region)
    if find_report(session, region, year, period) is not None:
        raise ReportError(f"Laporan {region_name(region)} periode {period} {year} sudah ada; buka laporannya "
                          "(atau buat versi baru dari versi yang diajukan).")
    draft = C.prefill(session, region, year, period, actor)
    report = Report(region_code=region, year=year, period=period, version=1, status=DRAFT, created_by=actor)
    _fill(report, draft, actor)
    return _insert(session, report, actor, "report.create", address, {"alerts": len(draft.alert_ids)})


def _fill(report: Report, draft: C.Draft, actor: str) -> None:
    report.summary, report.signer_name, report.signer_title = draft.summary, draft.signer_name, draft.signer_title
    report.signer_nip, report.signed_place = draft.signer_nip, draft.signed_place
    report.alerts = [ReportAlert(alert_id=alert_id, prefilled=True, added_by=actor) for alert_id in draft.alert_ids]
    report.actions = [ReportAction(action_id=action_id, tindak_lanjut=given.tindak_lanjut, realisasi=given.realisasi,
                                   capaian_persen=given.capaian_persen, kendala=given.kendala,
                                   evidence=list(given.evidence), updated_by=actor)
                      for action_id, given in sorted(draft.actions.items())]


def _insert(session: Session, report: Report, actor: str, action: str, address: str, details: dict) -> int:
    begin_writing(session)  # so the savepoint nests: the report and its audit entry are stored together
    try:
        with session.begin_nested():
            session.add(report)
            session.flush()
    except IntegrityError as exc:  # another request made the draft first (uq_reports_one_draft)
        raise ReportError(f"Laporan {region_name(report.region_code)} periode {report.period} {report.year} baru "
                          "saja dibuat atau dikoreksi orang lain; muat ulang halaman.") from exc
    audit.record(session, actor, action, f"report:{report.id}",
                 {"region": report.region_code, "year": report.year, "period": report.period,
                  "version": report.version, **details}, address)
    return report.id


def report_content(session: Session, report_id: int) -> ReportContent | None:
    """What the report says: a submitted version from its snapshot, a draft as of now; None when there is none."""
    report = session.get(Report, report_id)
    if report is None:
        return None
    if report.status == SUBMITTED:
        return ReportContent.from_json(present(report.snapshot))  # submitting stores the snapshot
    return C.compose(session, C.draft_of(report), report.id)


def preview(session: Session, region: str, year: int, period: str) -> ReportContent:
    """The content a new report of the region and period would start with (nothing is stored)."""
    check_target(region, year, period)
    return C.compose(session, C.prefill(session, region, year, period))


def versions(session: Session, report_id: int) -> list[ReportRow]:
    """Every version of the report's region and period, newest first."""
    report = session.get(Report, report_id)
    if report is None:
        return []
    return list_reports(session, report.region_code, report.year, report.period)


def attach_candidates(session: Session, report_id: int) -> list[AlertEntry]:
    """Alerts of the report's region and period not attached yet (newest first, at most MAX_CANDIDATES)."""
    report = _load(session, report_id)
    start, end = period_days(report.year, report.period)
    attached = {row.alert_id for row in report.alerts}
    ids = [i for i in sources.region_alerts(session, report.region_code, start, end,
                                            limit=MAX_CANDIDATES + len(attached)) if i not in attached]
    entries = sources.alert_entries(session, ids[:MAX_CANDIDATES], {})
    return sorted(entries, key=lambda a: (a.first_seen_at, a.id), reverse=True)


def attach_alert(session: Session, report_id: int, alert_id: int, actor: str, actor_region: str | None = None,
                 address: str = "") -> None:
    """Attach an alert to a draft; audited."""
    report = _draft(session, report_id, actor_region)
    if not sources.existing_alerts(session, [alert_id]):
        raise ReportError(f"Peringatan #{alert_id} tidak ada.", "alert")
    if any(row.alert_id == alert_id for row in report.alerts):
        raise ReportError(f"Peringatan #{alert_id} sudah terlampir.", "alert")
    report.alerts.append(ReportAlert(alert_id=alert_id, prefilled=False, added_by=actor))
    report.updated_at = utcnow()
    audit.record(session, actor, "report.attach", f"report:{report.id}", {"alert": alert_id}, address)


def detach_alert(session: Session, report_id: int, alert_id: int, actor: str, actor_region: str | None = None,
                 address: str = "") -> None:
    """Detach an alert from a draft; audited."""
    report = _draft(session, report_id, actor_region)
    row = next((row for row in report.alerts if row.alert_id == alert_id), None)
    if row is None:
        raise ReportError(f"Peringatan #{alert_id} tidak terlampir pada laporan ini.", "alert")
    report.alerts.remove(row)
    report.updated_at = utcnow()
    audit.record(session, actor, "report.detach", f"report:{report.id}", {"alert": alert_id}, address)


def _text(value: str | None, field: str, label: str, limit: int = MAX_TEXT) -> str:
    value = (value or "").strip()
    if len(value) > limit:
        raise ReportError(f"{label} terlalu panjang (maksimal {limit} karakter).", field)
    return value


def _checked(parse, value, field: str):
    """A form value through the plan files' own check (the same rules and messages as an imported matrix)."""
    problems: list[Problem] = []
    value = parse(Cell(value, Loc("formulir"), value if isinstance(value, str) else None), problems)
    if problems:
        raise ReportError(problems[0].message[:1].upper() + problems[0].message[1:] + ".", field)
    return value


def save_action(session: Session, report_id: int, action_id: int, actor: str, *, tindak_lanjut: str = "",
                realisasi: str = "", capaian: str = "", kendala: str = "", evidence: str = "",
                actor_region: str | None = None, address: str = "") -> None:
    """A draft's follow-up and realisation of one action of its plan (capaian 0-100, evidence http(s) links, one a
    line); audited."""
    report = _draft(session, report_id, actor_region)
    action = session.get(PlanAction, action_id)
    plan = C.plan_of(session, report.region_code, report.year)
    if action is None or plan is None or action.plan_id != plan.id:
        raise ReportError("Rencana aksi ini bukan bagian dari rencana laporan ini.")
    capaian_value = _checked(as_percent, capaian.strip(), "capaian") if (capaian or "").strip() else None
    links = [line.strip() for line in (evidence or "").replace(";", "\n").splitlines() if line.strip()]
    if len(links) > MAX_LINKS:
        raise ReportError(f"Paling banyak {MAX_LINKS} tautan data dukung.", "evidence")
    links = _checked(as_url_list, [Cell(link, Loc("formulir"), link) for link in links], "evidence") if links else []
    row = next((row for row in report.actions if row.action_id == action_id), None)
    if row is None:
        row = ReportAction(action_id=action_id)
        report.actions.append(row)
    row.tindak_lanjut = _text(tindak_lanjut, "tindak_lanjut", "Tindak lanjut")
    row.realisasi = _text(realisasi, "realisasi", "Realisasi")
    row.kendala = _text(kendala, "kendala", "Kendala")
    row.capaian_persen, row.evidence, row.updated_by = capaian_value, links, actor
    report.updated_at = utcnow()
    audit.record(session, actor, "report.action", f"report:{report.id}",
                 {"action": action.code, "capaian": capaian_value, "links": len(links)}, address)


def save_cover(session: Session, report_id: int, actor: str, *, summary: str = "", signer_name: str = "",
               signer_title: str = "", signer_nip: str = "", signed_place: str = "", actor_region: str | None = None,
               address: str = "") -> None:
    """A draft's opening text and signatory block; audited."""
    report = _draft(session, report_id, actor_region)
    report.summary = _text(summary, "summary", "Pengantar")
    report.signer_name = _text(signer_name, "signer_name", "Nama penandatangan", 300)
    report.signer_title = _text(signer_title, "signer_title", "Jabatan penandatangan", 300)
    nip = (signer_nip or "").replace(" ", "")
    if nip and not (nip.isdigit() and len(nip) == 18):
        raise ReportError("NIP ditulis 18 angka (boleh dengan spasi), mis. 19750101 200001 1 001.", "signer_nip")
    report.signer_nip = nip
    report.signed_place = _text(signed_place, "signed_place", "Tempat", 200)
    report.updated_at = utcnow()
    audit.record(session, actor, "report.cover", f"report:{report.id}", {}, address)


def submit_report(session: Session, report_id: int, actor: str, actor_region: str | None = None,
                  address: str = "") -> ReportContent:
    """Submit a draft: its content is frozen as a snapshot and the report is locked; the period's realisation of
    each action is written into the plan; audited."""
    report = _draft(session, report_id, actor_region)
    now = utcnow()
    content = C.compose(session, C.draft_of(report), report.id, submitted_by=actor, submitted_at=now)
    content.status = SUBMITTED
    report.snapshot = content.to_json()
    report.status, report.submitted_by, report.submitted_at, report.updated_at = SUBMITTED, actor, now, now
    _write_realisations(session, report)
    audit.record(session, actor, "report.submit", f"report:{report.id}",
                 {"version": report.version, "alerts": len(content.alerts), "actions": len(content.actions)}, address)
    return content


def _write_realisations(session: Session, report: Report) -> None:
    """The report's period realisation of each action becomes the plan's (an empty one removes the plan's)."""
    actions = {a.id: a for a in session.scalars(
        select(PlanAction).where(PlanAction.id.in_([row.action_id for row in report.actions]))
        .options(selectinload(PlanAction.realisations)))}
    for row in report.actions:
        action = actions.get(row.action_id)
        if action is None:
            continue
        stored = next((r for r in action.realisations if r.period == report.period), None)
        empty = not (row.realisasi or row.capaian_persen is not None or row.kendala or row.evidence)
        if empty:
            if stored is not None:
                action.realisations.remove(stored)
            continue
        if stored is None:
            stored = ActionRealisation(period=report.period)
            action.realisations.append(stored)
        stored.realisasi, stored.capaian_persen, stored.kendala = row.realisasi, row.capaian_persen, row.kendala
        stored.evidence = list(row.evidence)


def new_version(session: Session, report_id: int, actor: str, actor_region: str | None = None,
                address: str = "") -> int:
    """A new draft correcting the latest submitted version (its alerts, follow-ups and cover copied); the submitted
    version stays as it is. Audited."""
    source = _load(session, report_id, lock=True)
    _check_region(source.region_code, actor_region)
    latest = find_report(session, source.region_code, source.year, source.period)
    if source.status != SUBMITTED or latest != source.id:
        raise ReportError("Versi baru hanya dapat dibuat dari versi terakhir yang sudah diajukan.")
    report = Report(region_code=source.region_code, year=source.year, period=source.period,
                    version=source.version + 1, status=DRAFT, previous_id=source.id, created_by=actor)
    _fill(report, C.draft_of(source), actor)
    report.alerts = [ReportAlert(alert_id=row.alert_id, prefilled=row.prefilled, added_by=row.added_by)
                     for row in source.alerts]
    return _insert(session, report, actor, "report.new_version", address, {"corrects": source.id})


def write_content(content: ReportContent, fmt: str, path: Path) -> None:
    """Write a report's content as the XLSX matrix or the DOCX narrative."""
    if fmt == "xlsx":
        from monitor.reports.xlsx import write_report_xlsx

        write_report_xlsx(content, path)
    elif fmt == "docx":
        from monitor.reports.docx import write_report_docx

        write_report_docx(content, path)
    else:
        raise ReportError(f"Format '{fmt[:10]}' tidak dikenal (xlsx atau docx).", "format")


def file_name(content: ReportContent, fmt: str) -> str:
    """'laporan-radpks-62.02-2026-B12-v1.docx' ('-draf' before the suffix for a draft)."""
    state = "" if content.status == SUBMITTED else f"-{content.status}"
    return f"laporan-radpks-{content.region}-{content.year}-{content.period}-v{content.version}{state}.{fmt}"
