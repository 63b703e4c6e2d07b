-- The rendement of each initiative (effect contract: marts.initiative_effect): per initiative,
-- outcome (werk, studie) and horizon (6, 12, 24 months) with a participant counting at it, the
-- matched participant share, comparison share and naive share, the effect in percentage points
-- and its 95% interval. Estimated from 20 matched participants on (int_effect_shares.is_estimated);
-- below that `too_few`, with shares, effect and interval NULL. The interval is the percentile
-- bootstrap over persons (int_effect_bootstrap) where it ran, else the analytic one
-- (int_effect_analytic): interval_method says which. docs/rendement.md explains the method.
with shares as (
    select *
    from {{ ref('int_effect_shares') }}
    where months_since_start in (6, 12, 24)
),

bootstrap as (
    {%- if target.type == 'duckdb' %}
    select initiative_code, outcome, horizon_months, ci_low, ci_high
    from {{ ref('int_effect_bootstrap') }}
    {%- else %}
    -- dbt-postgres runs no Python models: no bootstrap here, every interval is the analytic one
    select
        cast(null as {{ dbt.type_string() }}) as initiative_code,
        cast(null as {{ dbt.type_string() }}) as outcome,
        cast(null as integer) as horizon_months,
        cast(null as double precision) as ci_low,
        cast(null as double precision) as ci_high
    where 1 = 0
    {%- endif %}
)

select
    s.as_of_month,
    s.initiative_code,
    s.outcome,
    cast(s.months_since_start as integer) as horizon_months,
    cast(s.participants as integer) as participants,
    cast(s.matched_participants as integer) as matched_participants,
    cast(s.controls as integer) as controls,
    cast(case when s.is_estimated then s.participant_share end as double precision) as participant_share,
    cast(case when s.is_estimated then s.comparison_share end as double precision) as comparison_share,
    cast(case when s.is_estimated then n.naive_share end as double precision) as naive_share,
    cast(case when s.is_estimated then 100 * (s.participant_share - s.comparison_share) end as double precision) as effect_pp,
    cast(case when s.is_estimated then 100 * coalesce(b.ci_low, a.ci_low) end as double precision) as effect_ci_low_pp,
    cast(case when s.is_estimated then 100 * coalesce(b.ci_high, a.ci_high) end as double precision) as effect_ci_high_pp,
    case
        when not s.is_estimated then null
        when b.initiative_code is not null then 'bootstrap'
        else 'analytic'
    end as interval_method,
    case when s.is_estimated then 'estimated' else 'too_few' end as estimate_status
from shares as s
left join {{ ref('int_effect_naive') }} as n
    on n.initiative_code = s.initiative_code
    and n.outcome = s.outcome
    and n.horizon_months = s.months_since_start
left join {{ ref('int_effect_analytic') }} as a
    on a.initiative_code = s.initiative_code
    and a.outcome = s.outcome
    and a.horizon_months = s.months_since_start
left join bootstrap as b
    on b.initiative_code = s.initiative_code
    and b.outcome = s.outcome
    and b.horizon_months = s.months_since_start
