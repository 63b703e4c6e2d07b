"""Fixtures of the reliability tests: real `statmon` processes on demo deliveries.

A full pipeline run costs a minute, so the suite shares them:
- `good_run` (session): demo deliveries for 2017-12..2018-02, one `statmon run` over all months;
  its workspace is never changed afterwards (tests copy it);
- `scenarios` (session): four chains of runs, each on its own copy of the good workspace,
  started together in threads right after `good_run` (two at a time: the machine has 2 cores):
    rerun:  the same month again; then a re-delivered partner file for that month;
    bad:    a month of bad partner files and odd folders; then a month with a broken benefits file;
    kill:   runs killed (SIGKILL to the process group) during ingestion, dbt and publication; then
            a run over all months that must complete;
    state:  a month's state follows raw/ (issue 15): a corrupt benefits re-delivery; the original
            put back with a partner-only next month; files removed, duplicated, a folder renamed
            to another month (reliability_helpers.month_state_chain).
Each test waits only for the chain it reads. Every run has its own DAGSTER_HOME and
STATMON_REPORTS_DIR under its workspace, and a fixed STATMON_PSEUDONYM_KEY (not demo mode).
"""
from __future__ import annotations

import concurrent.futures
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from reliability_helpers import (  # noqa: E402
    MONTHS,
    PROJECT_DIR,
    TEST_KEY,
    Workspace,
    export_marts,
    export_published,
    query,
    snapshot_landing,
)

HELD_BACK = ("2018-03", "2018-04")  # delivered later by the scenarios


@pytest.fixture(scope="session")
def demo_deliveries(tmp_path_factory) -> Path:
    """Demo deliveries 2017-12..2018-04 (scale 0.1), generated once."""
    from orchestration.demo import generate

    out = tmp_path_factory.mktemp("demo") / "raw"
    generate(out, scale=0.1, seed=42, start=MONTHS[0], end=HELD_BACK[-1])
    return out


@pytest.fixture(scope="session")
def good_run(tmp_path_factory, demo_deliveries) -> "GoodRun":
    ws = Workspace(tmp_path_factory.mktemp("good"))
    shutil.copytree(demo_deliveries, ws.raw, ignore=shutil.ignore_patterns(*HELD_BACK))
    result = ws.run()
    assert result.rc == 0, result.describe()
    return GoodRun(ws, result, export_marts(ws.warehouse), export_published(ws.published_dir))


@dataclass
class GoodRun:
    ws: Workspace
    result: object
    marts: dict
    published: dict


@dataclass
class Chain:
    """The outcome of one chain of runs: named results and snapshots, or the error it raised."""
    ws: Workspace
    steps: dict = field(default_factory=dict)
    future: concurrent.futures.Future | None = None

    def wait(self) -> "Chain":
        self.future.result()  # re-raises the chain's exception in the test that reads it
        return self


def _rerun_chain(chain: Chain, demo: Path, good: GoodRun) -> None:
    ws = chain.ws
    chain.steps["same_month"] = ws.run("--month", MONTHS[-1])
    chain.steps["marts_after_same_month"] = export_marts(ws.warehouse)
    chain.steps["published_after_same_month"] = export_published(ws.published_dir)
    chain.steps["deliveries_after_same_month"] = query(
        ws.warehouse,
        """SELECT source, count(*) FILTER (WHERE status = 'loaded'), count(*) FILTER (WHERE status = 'unchanged')
           FROM landing.deliveries WHERE strftime(delivery_month, '%Y-%m') = ? AND status <> 'superseded'
           GROUP BY source ORDER BY source""", [MONTHS[-1]])
    chain.steps["landing_before_redelivery"] = snapshot_landing(ws.warehouse)
    # uaf re-delivers its February snapshot: same name, one trajectory changed, a newer mtime
    path = ws.raw / MONTHS[-1] / "trajecten_uaf.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    fields = lines[1].split(",")
    fields[5] = "AFGEROND" if fields[5] != "AFGEROND" else "UITGEVALLEN"   # uitkomst
    fields[6] = "2018-02-20"                                                 # uitkomstdatum
    lines[1] = ",".join(fields)
    chain.steps["redelivered_line"] = lines[1]
    old_mtime = path.stat().st_mtime
    path.write_text("".join(lines), encoding="utf-8")
    os.utime(path, (old_mtime + 86400, old_mtime + 86400))
    chain.steps["redelivery"] = ws.run("--month", MONTHS[-1])
    chain.steps["landing_after_redelivery"] = snapshot_landing(ws.warehouse)


def _bad_chain(chain: Chain, demo: Path, good: GoodRun) -> None:
    from reliability_helpers import build_bad_month, build_broken_benefits_month

    ws = chain.ws
    chain.steps["bad_files"] = build_bad_month(demo, ws.raw, "2018-03")
    chain.steps["bad_run"] = ws.run("--month", "2018-03")
    chain.steps["published_after_bad"] = export_published(ws.published_dir)
    chain.steps["published_file_after_bad"] = (ws.published_dir / "published.duckdb").read_bytes()
    chain.steps["broken_files"] = build_broken_benefits_month(demo, ws.raw, "2018-04")
    chain.steps["broken_run"] = ws.run("--month", "2018-04")
    chain.steps["published_after_broken"] = export_published(ws.published_dir)


def _kill_chain(chain: Chain, demo: Path, good: GoodRun) -> None:
    from reliability_helpers import count_rows_read_write, kill_run_when, run_lock_is_free

    ws = chain.ws
    for phase in ("ingestion", "dbt", "publication"):
        kill = chain.steps[f"kill_{phase}"] = kill_run_when(ws, phase)
        published = ws.published_dir / "published.duckdb"
        chain.steps[f"published_bytes_same_after_kill_{phase}"] = published.read_bytes() == kill.published_before
        chain.steps[f"published_after_kill_{phase}"] = export_published(ws.published_dir)
        chain.steps[f"warehouse_after_kill_{phase}"] = count_rows_read_write(ws.warehouse)
        chain.steps[f"lock_free_after_kill_{phase}"] = run_lock_is_free(ws)
    chain.steps["after_kills"] = ws.run()
    chain.steps["marts_after_kills"] = export_marts(ws.warehouse)
    chain.steps["published_after_kills"] = export_published(ws.published_dir)


def _state_chain(chain: Chain, demo: Path, good: GoodRun) -> None:
    from reliability_helpers import month_state_chain

    month_state_chain(chain.ws, demo, chain.steps)


CHAINS = {"rerun": _rerun_chain, "bad": _bad_chain, "kill": _kill_chain, "state": _state_chain}


@pytest.fixture(scope="session")
def scenarios(tmp_path_factory, demo_deliveries, good_run):
    chains = {}
    # the longest chain first, so the two workers finish at about the same time
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=2, thread_name_prefix="chain")
    for name in ("kill", "state", "rerun", "bad"):
        ws = good_run.ws.copy(tmp_path_factory.mktemp(name))
        chain = Chain(ws)
        chain.future = pool.submit(CHAINS[name], chain, demo_deliveries, good_run)
        chains[name] = chain
    yield chains
    pool.shutdown(wait=True)
