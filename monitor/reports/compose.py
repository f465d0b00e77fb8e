"""Gathering a report's content from the database: the region's plan of the year with the draft's realisation
and follow-up per action, the attached alerts, the period's plan gaps and realisation news, the level map, and
(province) the kabupaten/kota reports it rolls up."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from monitor.db.models import Plan, PlanAction, Report, present
from monitor.plans.fields import region_name, region_names
from monitor.plans.schema import PlanData, RealisationData, natural_key
from monitor.plans.store import action_data
from monitor.reports import sources
from monitor.reports.content import ActionEntry, ReportContent, RollupRow
from monitor.reports.periods import period_days
from monitor.timezones import today_wib

PROVINCE = sources.PROVINCE
SUBMITTED = "diajukan"
MAX_GAPS = 200  # the plan gaps a report lists (newest first); a region with more has a plan to fix first


@dataclass
class ActionInput:
    """What a report says about one action in its period."""

    tindak_lanjut: str = ""
    realisasi: str = ""
    capaian_persen: float | None = None
    kendala: str = ""
    evidence: list[str] = field(default_factory=list)


@dataclass
class Draft:
    """A report's own inputs: which alerts, what per action, the cover; the rest is read from the database."""

    region: str
    year: int
    period: str
    version: int = 1
    status: str = "pratinjau"
    created_by: str = ""
    summary: str = ""
    signer_name: str = ""
    signer_title: str = ""
    signer_nip: str = ""
    signed_place: str = ""
    alert_ids: list[int] = field(default_factory=list)
    actions: dict[int, ActionInput] = field(default_factory=dict)


def plan_of(session: Session, region: str, year: int) -> Plan | None:
    """The region's plan of the year, actions and realisations loaded."""
    return session.scalar(select(Plan).where(Plan.year == year, Plan.region_code == region)
                          .options(selectinload(Plan.actions).selectinload(PlanAction.realisations)))


def prefill(session: Session, region: str, year: int, period: str, actor: str = "") -> Draft:
    """A new report's inputs: the period's alerts linked to the plan's actions; each action's stored realisation
    of the period, its evidence joined by the links of the period's realisation news."""
    start, end = period_days(year, period)
    draft = Draft(region, year, period, created_by=actor)
    plan = plan_of(session, region, year)
    if plan is None:
        return draft
    action_ids = [a.id for a in plan.actions]
    draft.alert_ids = sorted(sources.linked_alerts(session, action_ids, start, end))
    news = sources.realisation_news(session, action_ids, start, end)
    for action in plan.actions:
        stored = next((r for r in action.realisations if r.period == period), None)
        evidence = list(stored.evidence or []) if stored else []
        evidence += [s.url for s in news.get(action.id, []) if s.url and s.url not in evidence]
        draft.actions[action.id] = ActionInput(
            "", stored.realisasi or "" if stored else "", stored.capaian_persen if stored else None,
            stored.kendala or "" if stored else "", evidence)
    return draft


def draft_of(report: Report) -> Draft:
    """The inputs of a stored report."""
    return Draft(report.region_code, report.year, report.period, report.version, report.status, report.created_by,
                 report.summary, report.signer_name, report.signer_title, report.signer_nip, report.signed_place,
                 [row.alert_id for row in report.alerts],
                 {row.action_id: ActionInput(row.tindak_lanjut, row.realisasi, row.capaian_persen, row.kendala,
                                             list(row.evidence or [])) for row in report.actions})


def compose(session: Session, draft: Draft, report_id: int | None = None, submitted_by: str = "",
            submitted_at: datetime | None = None) -> ReportContent:
    """The whole content of a report with `draft`'s inputs, as of now."""
    start, end = period_days(draft.year, draft.period)
    plan = plan_of(session, draft.region, draft.year)
    entries: list[ActionEntry] = []
    codes: dict[int, str] = {}
    header = None
    if plan is not None:
        header = PlanData(plan.year, plan.region_code, plan.title or "", plan.status, plan.document_ref or "",
                          bool(plan.is_example))
        for action in sorted(plan.actions, key=lambda a: natural_key(a.code)):
            data = action_data(action)
            given = draft.actions.get(action.id)
            if given is not None:
                realisation = RealisationData(draft.period, given.realisasi, given.capaian_persen, given.kendala,
                                              list(given.evidence))
                realisasi = {p: r for p, r in data.realisasi.items() if p != draft.period}
                if not realisation.is_empty():
                    realisasi[draft.period] = realisation
                data = dataclasses.replace(data, realisasi={p: realisasi[p] for p in sorted(realisasi)})
            entries.append(ActionEntry(action.id, data, given.tindak_lanjut if given else ""))
            codes[action.id] = action.code
    alerts = sources.alert_entries(session, sorted(set(draft.alert_ids)), codes)
    by_code = {code: action_id for action_id, code in codes.items()}
    for alert in alerts:
        for code in alert.action_codes:
            next(e for e in entries if e.id == by_code[code]).alert_ids.append(alert.id)
    news = sources.realisation_news(session, list(codes), start, end)
    for entry in entries:
        entry.news = news.get(entry.id, [])
    gaps = sources.alert_entries(session, sources.region_alerts(session, draft.region, start, end, gaps_only=True,
                                                                limit=MAX_GAPS), codes)
    levels_day = min(end, today_wib())
    levels = sources.highest_levels(session, start, levels_day)
    return ReportContent(
        report_id, draft.region, region_name(draft.region), draft.year, draft.period, draft.version, draft.status,
        draft.created_by, submitted_by, submitted_at.isoformat() if submitted_at else "", draft.summary,
        draft.signer_name, draft.signer_title, draft.signer_nip, draft.signed_place, header, entries, alerts, gaps,
        levels, levels_day.isoformat(),
        rollup(session, draft.year, draft.period) if draft.region == PROVINCE else [])


def latest_submitted(session: Session, year: int, period: str) -> dict[str, Report]:
    """Region -> its latest submitted report of the period."""
    latest = (select(Report.region_code, func.max(Report.version).label("version"))
              .where(Report.year == year, Report.period == period, Report.status == SUBMITTED)
              .group_by(Report.region_code).subquery())
    rows = session.scalars(select(Report).join(latest, (Report.region_code == latest.c.region_code)
                                               & (Report.version == latest.c.version))
                           .where(Report.year == year, Report.period == period))
    return {row.region_code: row for row in rows}


def rollup(session: Session, year: int, period: str) -> list[RollupRow]:
    """Every kabupaten/kota with its latest submitted report of the period (read from its snapshot)."""
    submitted = latest_submitted(session, year, period)
    rows = []
    for code, name in region_names().items():
        if code == PROVINCE:
            continue
        report = submitted.get(code)
        if report is None:
            rows.append(RollupRow(code, name, None, None, "", 0, 0, 0, None, None))
            continue
        content = ReportContent.from_json(present(report.snapshot))  # submitted reports keep their snapshot
        values = [v for e in content.actions if (v := content.realisation(e).capaian_persen) is not None]
        plans = content.matrix_plans()
        rows.append(RollupRow(code, name, report.id, report.version, content.submitted_at, len(content.alerts),
                              len(content.gaps), len(content.actions),
                              round(sum(values) / len(values), 2) if values else None, plans[0] if plans else None))
    return rows
