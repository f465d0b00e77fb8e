"""RAD-PKS plans: file formats (YAML, XLSX), validation, import/export and the `waspada plans` commands.

See README.md in this folder for the file format. Main entry points:

* ``validate.load_plan_files(paths)`` -> (plans, problems)
* ``store.import_plan_files(engine, paths)`` (all or nothing; raises ``PlanFileError``)
* ``store.export_plans(engine, path, "yaml" | "xlsx", year=None, region=None)``
* ``store.load_plans(session, year=None, region=None)`` -> list of ``PlanData``
* ``example_plan_file()``: the shipped illustrative plan set (CONTOH, not an official plan)
"""
from __future__ import annotations

from importlib import resources
from pathlib import Path

EXAMPLE_PLAN_FILE = "contoh_radpks_2026.yaml"


def example_plan_file() -> Path:
    """Path of the shipped example plan set (package data monitor/data/plans/)."""
    return Path(str(resources.files("monitor").joinpath("data", "plans", EXAMPLE_PLAN_FILE)))
