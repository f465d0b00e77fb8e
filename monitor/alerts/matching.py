"""Link a story to the RAD-PKS plan actions it concerns, falling back from kabupaten to province."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.db.models import Plan, PlanAction

PROVINCE = "62"
ACTIVITY_CATEGORY = "penanganan"


@dataclass(frozen=True)
class ActionMatch:
    """An action and why it matched."""

    action_id: int
    reason: str


def _text_keywords(action: PlanAction, text: str) -> list[str]:
    lowered = text.lower()
    return [k for k in action.keywords if k and k.lower() in lowered]


def _about_place(action: PlanAction, plan: Plan, places: set[str]) -> bool:
    """The action's plan is for one of the places, or the action names one of them (or a unit inside)."""
    if plan.region_code in places:
        return True
    return any(p == place or p.startswith(place + ".") or place.startswith(p + ".")
               for p in action.places for place in places)


class PlanIndex:
    """The plan actions of each year, loaded once per run."""

    def __init__(self, session: Session):
        self._session = session
        self._by_year: dict[int, list[tuple[PlanAction, Plan]]] = {}

    def actions(self, year: int) -> list[tuple[PlanAction, Plan]]:
        if year not in self._by_year:
            self._by_year[year] = [(action, plan) for action, plan in self._session.execute(
                select(PlanAction, Plan).join(Plan).where(Plan.year == year).order_by(PlanAction.id))]
        return self._by_year[year]


def match_actions(plans: PlanIndex, year: int, categories: set[str], places: set[str], text: str) -> list[ActionMatch]:
    """Actions of `year`'s plans for these places whose categories or keywords fit the story.

    Kabupaten (and finer) plans are tried first; only when none fits do the province's actions count.
    `penanganan` alone matches no category: activity news is matched on its other categories or keywords.
    """
    subject = categories - {ACTIVITY_CATEGORY}
    rows = plans.actions(year)
    local, provincial = [], []
    for action, plan in rows:
        shared = sorted(subject & set(action.categories))
        keywords = _text_keywords(action, text)
        if not (shared or keywords):
            continue
        reason = ", ".join(filter(None, [
            f"kategori {', '.join(shared)}" if shared else "",
            f"kata kunci {', '.join(keywords)}" if keywords else "",
        ]))
        if plan.region_code != PROVINCE and _about_place(action, plan, places):
            local.append(ActionMatch(action.id, f"{reason}; wilayah {plan.region_code}"))
        elif plan.region_code == PROVINCE and (not action.places or _about_place(action, plan, places | {PROVINCE})):
            provincial.append(ActionMatch(action.id, f"{reason}; rencana provinsi"))
    return local or provincial
