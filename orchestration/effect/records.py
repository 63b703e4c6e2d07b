"""From the dbt tables to the bootstrap: which estimates get a bootstrap interval (the record
budget), their records as arrays, and the rows of int_effect_bootstrap. Called by the dbt Python
model dbt_project/models/intermediate/int_effect_bootstrap.py with DuckDB relations of
int_effect_records, int_effect_groups and int_effect_shares; the statistics are in bootstrap.py.

Budget: the bootstrap's cost grows with the records it resamples (the participant and control
records of an initiative's matched groups that count at one of its estimates). Initiatives are
taken from the fewest records up (then by code) while their running total stays within
max_records; the others, the largest, get the analytic interval (int_effect_analytic)."""
from __future__ import annotations

import numpy as np

from orchestration.effect.bootstrap import EffectRecords, bootstrap_effects, percentile_interval

HORIZONS = (6, 12, 24)
OUTCOME_LAGS = {"werk": "work_exit_lag", "studie": "study_exit_lag"}
NO_EXIT = 999  # a lag beyond every horizon: no exit yet (fetchnumpy would mask a NULL)
COLUMNS = ("initiative_code", "outcome", "horizon_months", "resamples", "ci_low", "ci_high")


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def estimated(shares) -> dict[str, list[tuple[str, int]]]:
    """Per initiative, its estimated (outcome, horizon) pairs, sorted."""
    rows = shares.query("s", f"""
        select initiative_code, outcome, months_since_start
        from s
        where is_estimated and months_since_start in {HORIZONS}
        order by initiative_code, outcome, months_since_start
    """).fetchall()
    by_initiative: dict[str, list[tuple[str, int]]] = {}
    for code, outcome, horizon in rows:
        by_initiative.setdefault(code, []).append((outcome, horizon))
    return by_initiative


def needed_records(records, groups, estimates: dict[str, list[tuple[str, int]]]):
    """The records of matched groups (int_effect_groups.is_matched) that count at one of their
    initiative's estimates (a relation)."""
    first_horizon = " ".join(f"when {_literal(code)} then {min(h for _, h in pairs)}"
                             for code, pairs in sorted(estimates.items()))
    matched = records.set_alias("r").join(groups.filter("is_matched").set_alias("g"), "r.group_id = g.group_id")
    return matched.select("r.*").filter(f"months_observed >= case initiative_code {first_horizon} end")


def within_budget(sizes: dict[str, int], codes, max_records: int) -> list[str]:
    """The initiatives to bootstrap: from the fewest records up (then by code) while the running
    total stays within max_records."""
    chosen, total = [], 0
    for code in sorted(codes, key=lambda c: (sizes.get(c, 0), c)):
        if total + sizes.get(code, 0) <= max_records:
            chosen.append(code)
            total += sizes.get(code, 0)
    return sorted(chosen)


def initiative_records(needed, code: str, pairs: list[tuple[str, int]]) -> EffectRecords:
    """One initiative's records as arrays: persons and groups numbered in a fixed order (person
    id; group id, itself in the order of month and cell), so the resamples, and the interval, are
    the same on every rerun."""
    data = needed.query("n", f"""
        select
            cast(dense_rank() over (order by person_id) - 1 as integer) as person,
            cast(dense_rank() over (order by group_id) - 1 as integer) as grp,
            is_participant,
            months_observed,
            coalesce(work_exit_lag, {NO_EXIT}) as work_exit_lag,
            coalesce(study_exit_lag, {NO_EXIT}) as study_exit_lag
        from n
        where initiative_code = {_literal(code)}
        order by grp, person, is_participant
    """).fetchnumpy()
    group = np.asarray(data["grp"])
    months_observed = np.zeros(int(group.max()) + 1, dtype=np.int64)
    months_observed[group] = np.asarray(data["months_observed"])
    return EffectRecords(
        person=np.asarray(data["person"]),
        group=group,
        is_participant=np.asarray(data["is_participant"], dtype=bool),
        outcomes=np.column_stack([np.asarray(data[OUTCOME_LAGS[o]]) <= h for o, h in pairs]).astype(np.int8),
        counts=np.column_stack([months_observed >= h for _, h in pairs]),
    )


def bootstrap_interval_rows(records, groups, shares, resamples: int, seed: int, max_records: int) -> dict[str, list]:
    """The rows of int_effect_bootstrap (columns COLUMNS, intervals as proportions): one per
    estimate of the initiatives within the budget that had a resample with a matched participant."""
    rows: dict[str, list] = {column: [] for column in COLUMNS}
    estimates = estimated(shares)
    if not estimates:
        return rows
    needed = needed_records(records, groups, estimates)
    sizes = dict(needed.aggregate("initiative_code, count(*)", "initiative_code").fetchall())
    for code in within_budget(sizes, estimates, max_records):
        pairs = estimates[code]
        replicates = bootstrap_effects(initiative_records(needed, code, pairs), resamples, seed, code)
        low, high, valid = percentile_interval(replicates)
        for j, (outcome, horizon) in enumerate(pairs):
            if valid[j]:  # else no resample had a matched participant: the analytic interval stands
                for column, value in zip(COLUMNS, (code, outcome, horizon, int(valid[j]), float(low[j]), float(high[j]))):
                    rows[column].append(value)
    return rows
