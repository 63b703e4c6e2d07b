"""Helpers of the rendement tests: the dbt build of the effect marts (with everything upstream and
their data tests) on a warehouse, through the dbt acceptance tests' harness (tests/dbt_models)."""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1] / "dbt_models"))  # dbt_harness: the real dbt, in-process

from dbt_harness import DbtRun, new_landing_warehouse, run_dbt  # noqa: E402,F401

# the three effect marts and everything upstream; tests only where all their models are built
EFFECT_SELECTION = ["--select", "+initiative_effect", "+initiative_effect_curve", "+initiative_effect_population",
                    "--exclude", "test_type:unit", "--indirect-selection", "cautious"]


def build_effect_marts(warehouse: Path, work: Path, extra: list[str] | None = None) -> DbtRun:
    run = run_dbt(warehouse, ["build", *EFFECT_SELECTION, *(extra or [])], work)
    assert run.success, {k: v for k, v in run.statuses().items() if v not in ("success", "pass")}
    return run
