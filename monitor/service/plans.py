"""RAD-PKS plans for every front door: import (all or nothing, then alerts re-linked), list, export."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from monitor.plans.store import ImportOutcome, import_plan_files
from monitor.service.flow import StagePass, relink


@dataclass(frozen=True)
class PlanImport:
    """Plans stored by an import and the re-linking of alerts that followed."""

    plans: list[ImportOutcome]
    relinked: StagePass


def import_plans(engine: Engine, paths: list[Path]) -> PlanImport:
    """Validate every file, store all or nothing (raises PlanFileError naming each problem), re-link every alert."""
    outcomes = import_plan_files(engine, paths)
    return PlanImport(outcomes, relink(engine))
