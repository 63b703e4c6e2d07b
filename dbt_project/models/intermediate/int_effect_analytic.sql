-- The analytic 95% interval of each estimated effect (effect contract: "an analytic variance that
-- accounts for controls used by several participants"): the delta-method (influence-function)
-- variance of the matched estimator with persons as the independent units, the linearisation of
-- the bootstrap over persons. With M matched participants, m_g participants and n_g controls in
-- group g and cbar_g the control mean, effect = p - c, each person k has the influence
--   psi_k = ( sum over k's participant records in g of (y - cbar_g - effect)
--           - sum over k's control records in g of (m_g / n_g) * (y - cbar_g) ) / M,
-- so a control used by m_g participants weighs m_g / n_g (the K_j of Abadie and Imbens, 2006),
-- and a person's records in several months and groups add up before squaring (one person, one
-- unit). Variance = sum of psi_k squared; interval = effect -/+ 1.959964 * sqrt(variance).
-- Computed for every estimated row; the mart uses it where the bootstrap did not run
-- (int_effect_bootstrap, and always on PostgreSQL). Sums run in DECIMAL (a rerun gives the
-- same bytes, see int_effect_shares).
{%- set group_columns = ['initiative_code', 'month', 'gender', 'household', 'age_band', 'duration_band'] %}
with estimates as (
    select
        initiative_code,
        outcome,
        months_since_start as horizon_months,
        matched_participants,
        participant_share - comparison_share as effect
    from {{ ref('int_effect_shares') }}
    where is_estimated
        and months_since_start in (6, 12, 24)
),

-- the records of matched groups, with their group's size, per estimate their group counts at
records as (
    select
        r.*,
        g.participants as group_participants,
        g.controls as group_controls,
        e.outcome,
        e.horizon_months,
        e.effect,
        e.matched_participants as estimate_matched_participants,
        case
            when (case when e.outcome = 'werk' then r.work_exit_lag else r.study_exit_lag end) <= e.horizon_months
            then 1 else 0
        end as y
    from {{ ref('int_effect_records') }} as r
    inner join {{ ref('int_effect_groups') }} as g
        on {% for c in group_columns %}g.{{ c }} = r.{{ c }}{% if not loop.last %} and {% endif %}{% endfor %}
    inner join estimates as e
        on e.initiative_code = r.initiative_code
        and e.horizon_months <= r.months_observed
    where g.is_matched
),

control_means as (
    select
        {{ group_columns | join(', ') }},
        outcome,
        horizon_months,
        cast(sum(case when is_participant then 0 else y end) as double precision) / max(group_controls) as control_mean
    from records
    group by {{ group_columns | join(', ') }}, outcome, horizon_months
),

person_influence as (
    select
        r.initiative_code,
        r.outcome,
        r.horizon_months,
        r.person_id,
        max(r.estimate_matched_participants) as matched_participants,
        sum(cast(
            case
                when r.is_participant then r.y - g.control_mean - r.effect
                else -(cast(r.group_participants as double precision) / r.group_controls) * (r.y - g.control_mean)
            end
        as decimal(38, 15))) as influence_sum
    from records as r
    inner join control_means as g
        on {% for c in group_columns %}g.{{ c }} = r.{{ c }} and {% endfor %}g.outcome = r.outcome
        and g.horizon_months = r.horizon_months
    group by r.initiative_code, r.outcome, r.horizon_months, r.person_id
),

variances as (
    select
        initiative_code,
        outcome,
        horizon_months,
        max(matched_participants) as matched_participants,
        count(*) as persons,
        cast(sum(cast(
            cast(influence_sum as double precision) * cast(influence_sum as double precision)
        as decimal(38, 15))) as double precision)
            / (cast(max(matched_participants) as double precision) * max(matched_participants)) as variance
    from person_influence
    group by initiative_code, outcome, horizon_months
)

select
    e.initiative_code,
    e.outcome,
    cast(e.horizon_months as integer) as horizon_months,
    cast(v.persons as integer) as persons,
    cast(e.effect as double precision) as effect,
    cast(v.variance as double precision) as variance,
    cast(e.effect - 1.959963984540054 * sqrt(v.variance) as double precision) as ci_low,
    cast(e.effect + 1.959963984540054 * sqrt(v.variance) as double precision) as ci_high
from estimates as e
inner join variances as v
    on v.initiative_code = e.initiative_code
    and v.outcome = e.outcome
    and v.horizon_months = e.horizon_months
