"""A worker process for the concurrency tests: waits for a start file, then runs one job and prints JSON.

    python -m tests.monitor.worker_process cycle|stage|migrate|leader|hold-stage DATABASE_URL START_FILE
Settings come from the environment (WASPADA_*), as in a real worker. `hold-stage` holds the alert-stage
lock until the file START_FILE.release exists, and prints when it let go (time.time()).
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path


def _wait_for(start: Path) -> None:
    while not start.exists():
        time.sleep(0.01)


def main(job: str, url: str, start: str) -> None:
    from monitor.config import Settings
    from monitor.db.session import make_engine, open_database

    _wait_for(Path(start))
    if job == "migrate":
        open_database(url)
        print(json.dumps({"migrated": True}))
        return
    engine = make_engine(url)
    if job == "cycle":
        from monitor.service.flow import run_cycle

        report = run_cycle(engine, Settings.from_env(), only_due=True)
        print(json.dumps({"fetched": sorted(o.feed_id for o in report.feeds),
                          "new": report.n_new, "failed": [o.message for o in report.feeds if o.outcome != "ok"]}))
    elif job == "stage":
        from monitor.service.flow import stage_pass

        result = stage_pass(engine)
        print(json.dumps({"classified": result.classified, "created": result.alerts.created}))
    elif job == "leader":
        from monitor.scheduler import Leadership

        print(json.dumps({"leader": Leadership(engine).is_leader()}), flush=True)
        time.sleep(600)  # hold the lock until killed
    elif job == "hold-stage":
        from monitor.db import locks

        with locks.held(engine, locks.ALERT_STAGE):
            print(json.dumps({"held": True}), flush=True)
            _wait_for(Path(start + ".release"))
            releasing_at = time.time()  # taken before the lock goes: whatever waited for it comes later
        print(json.dumps({"releasing_at": releasing_at}))


if __name__ == "__main__":
    main(*sys.argv[1:4])
