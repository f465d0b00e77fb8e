"""What a RAD-PKS period report holds, as plain data: composed live for a draft, frozen as JSON when submitted.

`ReportContent.to_json()` is the snapshot a submitted version stores; `ReportContent.from_json()` reads it back,
so a submitted version is shown and exported from exactly what was submitted. Times are ISO strings in UTC.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from monitor.plans.schema import ActionData, PlanData, RealisationData

SNAPSHOT_FORMAT = 1


@dataclass(frozen=True)
class SourceRef:
    """One news report: the outlet, its title and link, when it was published (ISO, UTC; "" when unknown)."""

    outlet: str
    title: str
    url: str
    published_at: str


@dataclass(frozen=True)
class AlertEntry:
    """An alert as the report lists it."""

    id: int
    title: str
    status: str
    categories: list[str]
    kabupaten: list[str]
    level: str  # the highest level among its kabupaten on its first day (normal when none stored)
    first_seen_at: str
    plan_gap: bool
    action_codes: list[str]  # the plan actions of this report's plan it is linked to
    sources: list[SourceRef]


@dataclass
class ActionEntry:
    """A plan action with the report's period realisation (in `data.realisasi[period]`) and follow-up."""

    id: int
    data: ActionData
    tindak_lanjut: str = ""
    alert_ids: list[int] = field(default_factory=list)  # attached alerts linked to this action
    news: list[SourceRef] = field(default_factory=list)  # realisation news of the period (penanganan)


@dataclass(frozen=True)
class RollupRow:
    """A kabupaten/kota's latest submitted report of the same period, as the province report rolls it up."""

    region: str
    region_name: str
    report_id: int | None  # None: not submitted yet
    version: int | None
    submitted_at: str
    n_alerts: int
    n_gaps: int
    n_actions: int
    mean_capaian: float | None
    plan: PlanData | None  # its matrix rows (the period's realisation filled), for the province workbook


@dataclass
class ReportContent:
    """Everything a report shows and exports."""

    report_id: int | None  # None: a preview of a report not created yet
    region: str
    region_name: str
    year: int
    period: str
    version: int
    status: str  # draf | diajukan | pratinjau
    created_by: str
    submitted_by: str
    submitted_at: str
    summary: str
    signer_name: str
    signer_title: str
    signer_nip: str
    signed_place: str
    plan: PlanData | None  # plan header only (actions are in `actions`)
    actions: list[ActionEntry]
    alerts: list[AlertEntry]  # attached
    gaps: list[AlertEntry]  # the period's alerts of the region without a plan action
    levels: dict[str, str]  # kabupaten code -> its highest level from the period's start to `levels_day`
    levels_day: str  # the period's last day, or the day the content was composed when that is earlier
    rollup: list[RollupRow] = field(default_factory=list)  # province only

    def matrix_plans(self) -> list[PlanData]:
        """The plans of the XLSX matrix: this report's plan with its actions, then (province) each kabupaten's."""
        plans = []
        if self.plan is not None:
            plan = dataclasses.replace(self.plan, actions=[entry.data for entry in self.actions])
            plans.append(plan)
        plans.extend(row.plan for row in self.rollup if row.plan is not None)
        return plans

    def realisation(self, entry: ActionEntry) -> RealisationData:
        """The report period's realisation of an action (empty when none)."""
        return entry.data.realisasi.get(self.period) or RealisationData(self.period)

    def to_json(self) -> dict:
        return {"format": SNAPSHOT_FORMAT, **dataclasses.asdict(self)}

    @classmethod
    def from_json(cls, data: dict) -> ReportContent:
        values = {k: v for k, v in data.items() if k != "format"}
        values["plan"] = _plan(values["plan"])
        values["actions"] = [ActionEntry(a["id"], _action(a["data"]), a["tindak_lanjut"], list(a["alert_ids"]),
                                         [SourceRef(**s) for s in a["news"]]) for a in values["actions"]]
        values["alerts"] = [_alert(a) for a in values["alerts"]]
        values["gaps"] = [_alert(a) for a in values["gaps"]]
        values["rollup"] = [RollupRow(**{**r, "plan": _plan(r["plan"])}) for r in values["rollup"]]
        return cls(**values)


def _alert(data: dict) -> AlertEntry:
    return AlertEntry(**{**data, "sources": [SourceRef(**s) for s in data["sources"]]})


def _action(data: dict) -> ActionData:
    realisations = {p: RealisationData(**r) for p, r in data["realisasi"].items()}
    return ActionData(**{**data, "realisasi": realisations})


def _plan(data: dict | None) -> PlanData | None:
    if data is None:
        return None
    values = {k: v for k, v in data.items() if k not in ("source", "origin")}
    return PlanData(**{**values, "actions": [_action(a) for a in values["actions"]]})
