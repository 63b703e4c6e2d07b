"""The 95% percentile-bootstrap interval over persons of each estimated effect (effect contract):
one row per estimate (initiative, outcome, horizon) of the initiatives within the record budget
(var effect_bootstrap_max_records, smallest initiatives first), intervals as proportions.
The work is in orchestration/effect/ (records.py: the budget and the arrays; bootstrap.py: the
resampling); the method and the budget rule are in docs/rendement.md.

A dbt Python model, so it runs inside the monthly dbt build between the SQL that prepares its
records and the contracted mart that joins it. DuckDB only: dbt-postgres has no Python models, so
the model is disabled there (_effect.yml) and initiative_effect takes the analytic interval."""


def model(dbt, session):
    dbt.config(materialized="table")
    from orchestration.effect.records import bootstrap_interval_rows

    settings = dbt.config.get("meta")["bootstrap"]
    rows = bootstrap_interval_rows(
        dbt.ref("int_effect_records"), dbt.ref("int_effect_groups"), dbt.ref("int_effect_shares"),
        resamples=int(settings["resamples"]), seed=int(settings["seed"]), max_records=int(settings["max_records"]),
    )
    # a DuckDB relation rather than a DataFrame: building a pyarrow table imports pandas (1-3 s)
    return session.sql("""
        select
            cast(unnest($initiative_code) as varchar) as initiative_code,
            cast(unnest($outcome) as varchar) as outcome,
            cast(unnest($horizon_months) as integer) as horizon_months,
            cast(unnest($resamples) as integer) as resamples,
            cast(unnest($ci_low) as double) as ci_low,
            cast(unnest($ci_high) as double) as ci_high
    """, params=rows)
