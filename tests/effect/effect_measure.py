"""Measurements of the rendement beyond the tests (run by hand; results in docs/rendement.md):

  coverage  the simulation of test_effect_simulation.py over many seeds, through the real dbt:
            how often the 95% intervals cover the true effect, the bootstrap/analytic width ratio,
            and the naive comparison's bias.
  scale     the effect models on a simulated panel of N persons (400,000 = national scale):
            dbt's time per effect model, the bootstrap of the largest initiative timed on its own,
            and the peak memory of the process.

    .venv/bin/python tests/effect/effect_measure.py coverage --seeds 20 --work /tmp/effect_coverage
    .venv/bin/python tests/effect/effect_measure.py scale --persons 400000 --work /tmp/effect_scale
"""
from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).parent))

import effect_simulation as simulation  # noqa: E402
from effect_harness import build_effect_marts, new_landing_warehouse  # noqa: E402

MODELS_ONLY = ["--resource-type", "seed", "--resource-type", "model"]


def build(sim, work: Path):
    work.mkdir(parents=True, exist_ok=True)
    warehouse = work / "monitor.duckdb"
    warehouse.unlink(missing_ok=True)
    started = time.perf_counter()
    new_landing_warehouse(warehouse, lambda con: simulation.load(con, sim))
    loaded = time.perf_counter() - started
    run = build_effect_marts(warehouse, work, MODELS_ONLY)
    return warehouse, run, loaded


def coverage(seeds: int, persons: int, work: Path) -> None:
    results = []
    for seed in range(1, seeds + 1):
        sim = simulation.simulate(n_persons=persons, months=48, seed=seed)
        warehouse, _, _ = build(sim, work / f"seed{seed}")
        con = duckdb.connect(str(warehouse))
        for code in simulation.INITIATIVES:
            for outcome in ("werk", "studie"):
                for h in (6, 12, 24):
                    row = con.execute("""
                        select e.participant_share, e.naive_share, e.effect_ci_low_pp, e.effect_ci_high_pp,
                               e.interval_method, 100 * a.ci_low, 100 * a.ci_high
                        from marts.initiative_effect as e
                        left join intermediate.int_effect_analytic as a using (initiative_code, outcome, horizon_months)
                        where e.initiative_code = ? and e.outcome = ? and e.horizon_months = ?
                            and e.estimate_status = 'estimated'""", [code, outcome, h]).fetchone()
                    if row is None:
                        continue
                    participants = simulation.matched_participants(con, code, h)
                    truth = 100 * simulation.true_effect(sim, code, participants, h, outcome)
                    p, naive, low, high, method, a_low, a_high = row
                    results.append({
                        "seed": seed, "initiative": code, "outcome": outcome, "h": h, "truth": truth,
                        "covered": low <= truth <= high, "analytic_covered": a_low <= truth <= a_high,
                        "width_ratio": (high - low) / (a_high - a_low), "naive_gap": 100 * (p - naive) - truth,
                        "method": method,
                    })
        con.close()
        (work / "coverage.json").write_text(json.dumps(results, indent=1))
        print(f"seed {seed}: {sum(r['covered'] for r in results)}/{len(results)} covered so far", flush=True)
    print("initiative outcome h: bootstrap covered, analytic covered, width ratio min-max, naive gap mean")
    for code in simulation.INITIATIVES:
        for outcome in ("werk", "studie"):
            for h in (6, 12, 24):
                rows = [r for r in results if (r["initiative"], r["outcome"], r["h"]) == (code, outcome, h)]
                if rows:
                    ratios = [r["width_ratio"] for r in rows]
                    print(f"{code} {outcome} {h}: {sum(r['covered'] for r in rows)}/{len(rows)}, "
                          f"{sum(r['analytic_covered'] for r in rows)}/{len(rows)}, "
                          f"{min(ratios):.2f}-{max(ratios):.2f}, {sum(r['naive_gap'] for r in rows) / len(rows):+.1f} pp")


def scale(persons: int, work: Path) -> None:
    started = time.perf_counter()
    sim = simulation.simulate(n_persons=persons, months=48, seed=1)
    print(f"simulated {persons:,} persons in {time.perf_counter() - started:.1f} s", flush=True)
    warehouse, run, loaded = build(sim, work)
    print(f"landing rows loaded in {loaded:.1f} s; dbt build {run.seconds:.1f} s", flush=True)
    effect_seconds = 0.0
    for result in run.results:
        name = result.node.name
        if "effect" in name:
            effect_seconds += result.execution_time
            print(f"  {name:32s} {result.execution_time:6.2f} s")
    print(f"  {'effect models together':32s} {effect_seconds:6.2f} s")
    con = duckdb.connect(str(warehouse))
    print(con.execute("""select initiative_code, count(*), sum(case when is_participant then 1 else 0 end)
                         from intermediate.int_effect_records group by 1 order by 1""").fetchall())
    print(con.execute("select count(*) from intermediate.int_effect_panel").fetchall(), "panel rows")
    print(con.execute("select initiative_code, outcome, horizon_months, interval_method, effect_pp, effect_ci_low_pp, "
                      "effect_ci_high_pp from marts.initiative_effect order by 1, 2, 3").fetchall())
    # the bootstrap of each initiative on its own, as if the budget allowed it: 50 resamples, the
    # time of 1,000 extrapolated (the work is linear in the resamples)
    from orchestration.effect.bootstrap import bootstrap_effects
    from orchestration.effect.records import estimated, initiative_records, needed_records

    estimates = estimated(con.query("select * from intermediate.int_effect_shares"))
    needed = needed_records(con.query("select * from intermediate.int_effect_records"),
                            con.query("select * from intermediate.int_effect_groups"), estimates)
    for code in sorted(estimates):
        started = time.perf_counter()
        records = initiative_records(needed, code, estimates[code])
        prepared = time.perf_counter() - started
        bootstrap_effects(records, 50, 1, code)
        print(f"bootstrap {code}: {records.person.size:,} records, {records.persons:,} persons, "
              f"{records.groups:,} groups: arrays {prepared:.1f} s, 50 resamples "
              f"{time.perf_counter() - started - prepared:.1f} s (1,000: ~{20 * (time.perf_counter() - started - prepared):.0f} s)",
              flush=True)
    con.close()
    print(f"peak memory of this process (dbt in-process included): "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 ** 2:.2f} GB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=["coverage", "scale"])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--persons", type=int)
    parser.add_argument("--work", type=Path, required=True)
    args = parser.parse_args()
    if args.what == "coverage":
        coverage(args.seeds, args.persons or 4000, args.work)
    else:
        scale(args.persons or 400_000, args.work)


if __name__ == "__main__":
    main()
