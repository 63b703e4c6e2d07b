"""The 95% percentile-bootstrap interval over persons of each estimated effect (effect contract;
the computation is orchestration/effect/bootstrap.py, the rule and its budget docs/rendement.md).

A dbt Python model, so it runs inside the monthly dbt build between the SQL that prepares its
records and the contracted mart that joins it; DuckDB only (dbt-postgres has no Python models:
the model is disabled there and the mart takes the analytic interval, int_effect_analytic).

Budget: the bootstrap's cost grows with the records (participant and control records of an
initiative's matched groups). Initiatives are taken from the fewest records up while their running
total stays within var effect_bootstrap_max_records; the others (the largest) get the analytic
interval. One row per bootstrapped estimate (initiative, outcome, horizon)."""

HORIZONS = (6, 12, 24)
OUTCOME_LAGS = {"werk": "work_exit_lag", "studie": "study_exit_lag"}
GROUP_COLUMNS = "month, gender, household, age_band, duration_band"


def model(dbt, session):
    dbt.config(materialized="table")
    import numpy as np

    from orchestration.effect.bootstrap import EffectRecords, bootstrap_effects, percentile_interval

    settings = dbt.config.get("meta")["bootstrap"]
    resamples, seed, max_records = int(settings["resamples"]), int(settings["seed"]), int(settings["max_records"])

    shares = dbt.ref("int_effect_shares")
    records = dbt.ref("int_effect_records")
    estimates = shares.query("s", f"""
        select initiative_code, outcome, months_since_start as horizon_months
        from s
        where is_estimated and months_since_start in {HORIZONS}
        order by initiative_code, outcome, horizon_months
    """).fetchall()
    by_initiative: dict[str, list[tuple[str, int]]] = {}
    for code, outcome, horizon in estimates:
        by_initiative.setdefault(code, []).append((outcome, horizon))

    # the records the bootstrap needs: matched groups that count at one of the initiative's estimates
    first_horizon = " ".join(
        f"when {_literal(code)} then {min(h for _, h in wanted)}" for code, wanted in sorted(by_initiative.items()))
    needed = records.query("r", f"""
        select r.*
        from r
        inner join (
            select initiative_code, {GROUP_COLUMNS}
            from r
            group by initiative_code, {GROUP_COLUMNS}
            having sum(case when is_participant then 0 else 1 end) > 0
        ) as g using (initiative_code, {GROUP_COLUMNS})
        where r.months_observed >= case r.initiative_code {first_horizon or "when null then 0"} end
    """) if by_initiative else None
    sizes = dict(needed.aggregate("initiative_code, count(*)", "initiative_code").fetchall()) if needed is not None else {}
    chosen, total = [], 0
    for code in sorted(by_initiative, key=lambda c: (sizes.get(c, 0), c)):
        if total + sizes.get(code, 0) <= max_records:
            chosen.append(code)
            total += sizes.get(code, 0)

    rows = {"initiative_code": [], "outcome": [], "horizon_months": [], "resamples": [], "ci_low": [], "ci_high": []}
    for code in sorted(chosen):
        data = needed.query("n", f"""
            select
                cast(dense_rank() over (order by person_id) - 1 as integer) as person,
                cast(dense_rank() over (order by {GROUP_COLUMNS}) - 1 as integer) as grp,
                is_participant, months_observed,
                -- no exit yet: a lag beyond every horizon (fetchnumpy would mask a NULL)
                coalesce(work_exit_lag, 999) as work_exit_lag,
                coalesce(study_exit_lag, 999) as study_exit_lag
            from n
            where initiative_code = {_literal(code)}
            order by grp, person, is_participant
        """).fetchnumpy()
        grp = np.asarray(data["grp"])
        wanted = by_initiative[code]
        outcomes = np.column_stack([
            np.asarray(data[OUTCOME_LAGS[outcome]]) <= horizon
            for outcome, horizon in wanted
        ]).astype(np.int8)
        group_months_observed = np.zeros(int(grp.max()) + 1, dtype=np.int64)
        group_months_observed[grp] = np.asarray(data["months_observed"])
        counts = np.column_stack([group_months_observed >= horizon for _, horizon in wanted])
        effect_records = EffectRecords(
            person=np.asarray(data["person"]), group=grp, is_participant=np.asarray(data["is_participant"], dtype=bool),
            outcomes=outcomes, counts=counts,
        )
        low, high, valid = percentile_interval(bootstrap_effects(effect_records, resamples, seed, code))
        for j, (outcome, horizon) in enumerate(wanted):
            if not valid[j]:  # no resample with a matched participant: the analytic interval stands
                continue
            rows["initiative_code"].append(code)
            rows["outcome"].append(outcome)
            rows["horizon_months"].append(horizon)
            rows["resamples"].append(int(valid[j]))
            rows["ci_low"].append(float(low[j]))
            rows["ci_high"].append(float(high[j]))

    # a DuckDB relation rather than a DataFrame: building a pyarrow table imports pandas (~1-3 s)
    return session.sql("""
        select
            cast(unnest($initiative_code) as varchar) as initiative_code,
            cast(unnest($outcome) as varchar) as outcome,
            cast(unnest($horizon_months) as integer) as horizon_months,
            cast(unnest($resamples) as integer) as resamples,
            cast(unnest($ci_low) as double) as ci_low,
            cast(unnest($ci_high) as double) as ci_high
    """, params=rows)


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
