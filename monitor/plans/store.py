"""Storing, reading and exporting RAD-PKS plans.

Import (``import_plan_files``) is all or nothing: every file is validated first, and only when no
file has a single problem are the plans written, in one transaction. A broken file therefore
changes nothing that is already stored.

Re-importing a plan (same year and region) **replaces it**: its title, status, document, example
flag, and its whole list of actions become exactly those of the file. Actions that are no longer
in the file are deleted (with their realisations and their links to stories); each action's
realisations become exactly the file's. An action whose code is still in the file keeps its
database id, so the stories already linked to it (``plan_links``) stay linked. Plans of other
years or regions are never touched.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, selectinload

from monitor.db.models import ActionRealisation, Plan, PlanAction, utcnow
from monitor.db.session import session_scope
from monitor.plans.schema import PERIODS, ActionData, PlanData, PlanFileError, RealisationData, natural_key
from monitor.plans.validate import load_plan_files

FORMATS = ("yaml", "xlsx")


@dataclass(frozen=True)
class ImportOutcome:
    """What importing one plan did."""

    year: int
    region: str
    created: bool  # False: an existing plan was replaced
    n_actions: int
    n_removed: int  # actions of the stored plan that the file no longer has


@dataclass(frozen=True)
class PlanSummary:
    """One stored plan, for listings."""

    year: int
    region: str
    title: str
    status: str
    example: bool
    n_actions: int
    source_file: str
    imported_at: datetime
    id: int


# --------------------------------------------------------------------------- writing


def _apply_realisations(action: PlanAction, realisations: dict[str, RealisationData]) -> None:
    existing = {r.period: r for r in action.realisations}
    result = []
    for period in PERIODS:
        data = realisations.get(period)
        if data is None:
            continue
        row = existing.get(period) or ActionRealisation(period=period)
        row.realisasi = data.realisasi
        row.capaian_persen = data.capaian_persen
        row.kendala = data.kendala
        row.evidence = list(data.evidence)
        result.append(row)
    action.realisations = result  # periods no longer in the file are deleted (delete-orphan)


def _apply_action(action: PlanAction, data: ActionData) -> None:
    action.bidang = data.bidang
    action.program = data.program
    action.kegiatan = data.kegiatan
    action.sasaran = data.sasaran
    action.indikator = data.indikator
    action.target_b04 = data.target.get("B04", "")
    action.target_b08 = data.target.get("B08", "")
    action.target_b12 = data.target.get("B12", "")
    action.penanggung_jawab = data.penanggung_jawab
    action.instansi_terkait = list(data.instansi_terkait)
    action.anggaran = data.anggaran
    action.sumber_anggaran = data.sumber_anggaran
    action.categories = list(data.categories)
    action.places = list(data.places)
    action.keywords = list(data.keywords)
    _apply_realisations(action, data.realisasi)


def save_plans(session: Session, plans: list[PlanData]) -> list[ImportOutcome]:
    """Upsert validated plans by (year, region) in `session` (see the module docstring)."""
    outcomes = []
    now = utcnow()
    for data in plans:
        plan = session.scalar(select(Plan).where(Plan.year == data.year, Plan.region_code == data.region)
                              .options(selectinload(Plan.actions).selectinload(PlanAction.realisations)))
        created = plan is None
        if plan is None:
            plan = Plan(year=data.year, region_code=data.region)
            session.add(plan)
        plan.title = data.title
        plan.status = data.status
        plan.document_ref = data.document_ref
        plan.is_example = data.example
        plan.source_file = data.source
        plan.imported_at = now
        by_code = {a.code: a for a in plan.actions}
        actions = []
        for action_data in data.actions:
            action = by_code.pop(action_data.code, None) or PlanAction(code=action_data.code)
            _apply_action(action, action_data)
            actions.append(action)
        plan.actions = actions  # actions no longer in the file are deleted (delete-orphan)
        session.flush()
        outcomes.append(ImportOutcome(*data.key, created, len(actions), len(by_code)))
    return outcomes


def import_plan_files(engine: Engine, paths: list[Path]) -> list[ImportOutcome]:
    """Validate `paths`, then store all their plans in one transaction.

    Raises PlanFileError (and stores nothing) when any file has any problem."""
    plans, problems = load_plan_files([Path(p) for p in paths])
    if problems:
        raise PlanFileError(problems)
    with session_scope(engine) as session:
        return save_plans(session, plans)


# --------------------------------------------------------------------------- reading


def _realisation_data(row: ActionRealisation) -> RealisationData:
    return RealisationData(period=row.period, realisasi=row.realisasi or "", capaian_persen=row.capaian_persen,
                           kendala=row.kendala or "", evidence=list(row.evidence or []))


def action_data(row: PlanAction) -> ActionData:
    """A stored action (with its realisations loaded) as ActionData."""
    realisations = {r.period: _realisation_data(r) for r in row.realisations}
    return ActionData(
        code=row.code, bidang=row.bidang, program=row.program, kegiatan=row.kegiatan, sasaran=row.sasaran or "",
        indikator=row.indikator or "",
        target={"B04": row.target_b04 or "", "B08": row.target_b08 or "", "B12": row.target_b12 or ""},
        penanggung_jawab=row.penanggung_jawab or "", instansi_terkait=list(row.instansi_terkait or []),
        anggaran=row.anggaran, sumber_anggaran=row.sumber_anggaran or "", categories=list(row.categories or []),
        places=list(row.places or []), keywords=list(row.keywords or []),
        realisasi={p: realisations[p] for p in PERIODS if p in realisations},
    )


def _plan_query(year: int | None, region: str | None):
    query = select(Plan).options(selectinload(Plan.actions).selectinload(PlanAction.realisations))
    if year is not None:
        query = query.where(Plan.year == year)
    if region is not None:
        query = query.where(Plan.region_code == region)
    return query.order_by(Plan.year, Plan.region_code)


def load_plans(session: Session, year: int | None = None, region: str | None = None) -> list[PlanData]:
    """Stored plans (all, or of one year and/or region) as PlanData, actions in natural code order."""
    plans = []
    for row in session.scalars(_plan_query(year, region)):
        actions = sorted((action_data(a) for a in row.actions), key=lambda a: natural_key(a.code))
        plans.append(PlanData(year=row.year, region=row.region_code, title=row.title or "", status=row.status,
                              document_ref=row.document_ref or "", example=bool(row.is_example), actions=actions,
                              source=row.source_file or ""))
    return plans


def list_plans(session: Session, year: int | None = None, region: str | None = None) -> list[PlanSummary]:
    counts = dict(session.execute(select(PlanAction.plan_id, func.count()).group_by(PlanAction.plan_id)).all())
    query = select(Plan)
    if year is not None:
        query = query.where(Plan.year == year)
    if region is not None:
        query = query.where(Plan.region_code == region)
    return [PlanSummary(p.year, p.region_code, p.title, p.status, bool(p.is_example), counts.get(p.id, 0),
                        p.source_file or "", p.imported_at, p.id)
            for p in session.scalars(query.order_by(Plan.year, Plan.region_code))]


def write_plans(plans: list[PlanData], path: Path, fmt: str) -> None:
    """Write plans to `path` as YAML or XLSX."""
    if fmt == "yaml":
        from monitor.plans.yaml_format import write_yaml

        header = ("RAD-PKS diekspor dari Waspada. Ubah lalu impor kembali dengan: waspada plans import BERKAS\n"
                  "Impor ulang rencana yang sama (year + region) mengganti seluruh isinya.")
        write_yaml(plans, path, header=header)
    elif fmt == "xlsx":
        from monitor.plans.xlsx_format import write_xlsx

        write_xlsx(plans, path)
    else:
        raise ValueError(f"format '{fmt}' tidak dikenal (yaml atau xlsx)")


def export_plans(engine: Engine, path: Path, fmt: str, year: int | None = None,
                 region: str | None = None) -> list[PlanData]:
    """Write the stored plans (all, or filtered) to `path`; returns what was written."""
    if fmt not in FORMATS:
        raise ValueError(f"format '{fmt}' tidak dikenal (yaml atau xlsx)")
    with session_scope(engine) as session:
        plans = load_plans(session, year, region)
    write_plans(plans, Path(path), fmt)
    return plans
