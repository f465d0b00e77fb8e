"""RAD-PKS plans for every front door: import (all or nothing, then alerts re-linked), list, export, and the
plans of a year with each action's linked alerts and realisation news."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, selectinload

from monitor.db.models import Alert, Article, Feed, Plan, PlanAction, PlanLink, present
from monitor.db.session import session_scope
from monitor.plans import store
from monitor.plans.fields import region_name
from monitor.plans.schema import PERIODS, natural_key
from monitor.plans.store import ImportOutcome, PlanSummary, import_plan_files
from monitor.service import audit
from monitor.service.flow import StagePass, relink

REALISATION = "realisasi"


@dataclass(frozen=True)
class PlanImport:
    """Plans stored by an import and the re-linking of alerts that followed."""

    plans: list[ImportOutcome]
    relinked: StagePass


def import_plans(engine: Engine, paths: list[Path], actor: str = "cli", address: str = "") -> PlanImport:
    """Validate every file, store all or nothing (raises PlanFileError naming each problem), re-link every alert;
    the import is audited."""
    outcomes = import_plan_files(engine, paths)
    with session_scope(engine) as session:
        audit.record(session, actor, "plans.import", "plans",
                     {"files": [Path(p).name for p in paths],
                      "plans": [f"{o.year} {o.region}" for o in outcomes]}, address)
    return PlanImport(outcomes, relink(engine))


def export_plans(engine: Engine, path: Path, fmt: str, year: int | None = None, region: str | None = None) -> int:
    """Write the stored plans (all, or of one year and/or region) to `path` as YAML or the XLSX matrix;
    returns how many plans were written (none: an empty template)."""
    return len(store.export_plans(engine, path, fmt, year=year, region=region))


def list_plans(session: Session, year: int | None = None, region: str | None = None) -> list[PlanSummary]:
    """Stored plans (all, or of one year and/or region), by year and region."""
    return store.list_plans(session, year, region)


@dataclass(frozen=True)
class LinkedStory:
    """A story linked to an action: an alert (kind alert or manual) or realisation news (kind realisasi)."""

    kind: str
    matched_on: str
    alert_id: int | None  # None for realisation news, which is no alert
    status: str  # the alert's status ("" for news)
    title: str
    url: str  # the first report's link ("" when it has none)
    outlet: str
    published_at: datetime | None


@dataclass(frozen=True)
class PeriodRealisation:
    period: str
    realisasi: str
    capaian_persen: float | None
    kendala: str
    evidence: list[str]


@dataclass(frozen=True)
class ActionView:
    """One action as the plans page shows it."""

    id: int
    code: str
    bidang: str
    program: str
    kegiatan: str
    sasaran: str
    indikator: str
    targets: dict[str, str]  # B04, B08, B12
    penanggung_jawab: str
    instansi_terkait: list[str]
    categories: list[str]
    places: list[str]
    keywords: list[str]
    realisations: list[PeriodRealisation]
    alerts: list[LinkedStory]  # alerts this action addresses (matched or linked by hand)
    news: list[LinkedStory]  # realisation news (kegiatan penanganan reported in the news)


@dataclass(frozen=True)
class PlanView:
    """One plan with its actions."""

    id: int
    year: int
    region: str
    region_name: str
    title: str
    status: str
    document_ref: str
    example: bool
    source_file: str
    imported_at: datetime
    actions: list[ActionView]


def plan_years(session: Session) -> list[int]:
    """The years that have stored plans, newest first."""
    return list(session.scalars(select(Plan.year).distinct().order_by(Plan.year.desc())))


def _where(query, year: int | None, region: str | None, plan_id: int | None = None):
    if plan_id is not None:
        query = query.where(Plan.id == plan_id)
    if year is not None:
        query = query.where(Plan.year == year)
    if region is not None:
        query = query.where(Plan.region_code == region)
    return query


def _linked_stories(session: Session, year: int | None, region: str | None,
                    plan_id: int | None = None) -> dict[int, list[LinkedStory]]:
    """Action id -> its linked stories, each with its first report; three queries, whatever the number of links."""
    links = session.execute(_where(
        select(PlanLink, Alert).join(PlanAction, PlanAction.id == PlanLink.action_id)
        .join(Plan, Plan.id == PlanAction.plan_id).outerjoin(Alert, Alert.cluster_id == PlanLink.cluster_id),
        year, region, plan_id)).all()
    clusters = {link.cluster_id for link, _ in links}
    first: dict[int, tuple] = {}
    if clusters:
        reports = session.execute(
            select(Article.cluster_id, Article.title, Article.url, Feed.outlet, Article.published_at)
            .join(Feed, Feed.id == Article.feed_id).where(Article.cluster_id.in_(sorted(clusters)))
            .order_by(Article.cluster_id, Article.published_at, Article.id))
        for cluster_id, title, url, outlet, published in reports:
            first.setdefault(present(cluster_id), (title, url, outlet, published))
    stories: dict[int, list[LinkedStory]] = {}
    for link, alert in links:
        title, url, outlet, published = first.get(link.cluster_id, ("", "", "", None))
        stories.setdefault(link.action_id, []).append(LinkedStory(
            link.kind, link.matched_on, alert.id if alert else None, alert.status if alert else "",
            (alert.title if alert else "") or title, url, outlet, alert.first_seen_at if alert else published))
    for items in stories.values():
        items.sort(key=lambda s: s.published_at.timestamp() if s.published_at else float("-inf"), reverse=True)
    return stories


def plan_views(session: Session, year: int | None = None, region: str | None = None, *,
               plan_id: int | None = None) -> list[PlanView]:
    """The plans of `year` and/or `region` (or the one plan `plan_id`; province first, then by kabupaten code),
    each action in code order with its linked alerts and realisation news."""
    plans = session.scalars(_where(
        select(Plan).options(selectinload(Plan.actions).selectinload(PlanAction.realisations)), year, region, plan_id)
        .order_by(Plan.year.desc(), Plan.region_code)).all()
    stories = _linked_stories(session, year, region, plan_id)
    views = []
    for plan in plans:
        actions = []
        for action in sorted(plan.actions, key=lambda a: natural_key(a.code)):
            linked = stories.get(action.id, [])
            realisations = sorted((PeriodRealisation(r.period, r.realisasi or "", r.capaian_persen, r.kendala or "",
                                                     list(r.evidence or [])) for r in action.realisations),
                                  key=lambda r: PERIODS.index(r.period) if r.period in PERIODS else len(PERIODS))
            actions.append(ActionView(
                action.id, action.code, action.bidang, action.program, action.kegiatan, action.sasaran or "",
                action.indikator or "", {"B04": action.target_b04 or "", "B08": action.target_b08 or "",
                                         "B12": action.target_b12 or ""},
                action.penanggung_jawab or "", list(action.instansi_terkait or []), list(action.categories or []),
                list(action.places or []), list(action.keywords or []), realisations,
                [s for s in linked if s.kind != REALISATION], [s for s in linked if s.kind == REALISATION]))
        views.append(PlanView(plan.id, plan.year, plan.region_code, region_name(plan.region_code), plan.title or "",
                              plan.status, plan.document_ref or "", bool(plan.is_example), plan.source_file or "",
                              plan.imported_at, actions))
    views.sort(key=lambda v: (-v.year, v.region != "62", v.region))
    return views


def plan_view(session: Session, plan_id: int) -> PlanView | None:
    """One plan with its actions (as `plan_views` shows them), or None when there is no such plan."""
    views = plan_views(session, plan_id=plan_id)
    return views[0] if views else None
