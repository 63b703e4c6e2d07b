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
-- (int_effect_bootstrap, and always on PostgreSQL).
-- One pass over the records for all six estimates (outcome x horizon, as columns): at national
-- scale the records are millions. A person's influence is summed in DECIMAL(18, 12) (exact integer
-- arithmetic: a parallel sum of doubles depends on the order of its rows, a rerun must give the
-- same bytes); the squares in DECIMAL(38, 15).
{%- set estimates = [] %}
{%- for outcome, lag in [('werk', 'work_exit_lag'), ('studie', 'study_exit_lag')] %}{% for h in [6, 12, 24] %}
{%- do estimates.append({'outcome': outcome, 'lag': lag, 'h': h, 'name': outcome ~ '_' ~ h}) %}
{%- endfor %}{% endfor %}
with shares as (
    select *
    from {{ ref('int_effect_shares') }}
    where is_estimated
        and months_since_start in (6, 12, 24)
),

-- per initiative with an estimate: each estimate's effect and matched participants (NULL: none)
estimates as (
    select
        initiative_code
        {%- for e in estimates %},
        max(case when outcome = '{{ e.outcome }}' and months_since_start = {{ e.h }}
            then participant_share - comparison_share end) as effect_{{ e.name }},
        max(case when outcome = '{{ e.outcome }}' and months_since_start = {{ e.h }}
            then matched_participants end) as matched_{{ e.name }}
        {%- endfor %}
    from shares
    group by initiative_code
),

-- the records of matched groups of initiatives with an estimate, with their outcome per estimate
records as (
    select
        r.group_id,
        r.initiative_code,
        r.person_id,
        r.is_participant,
        g.months_observed,
        cast(g.participants as double precision) / g.controls as control_weight
        {%- for e in estimates %},
        case when r.{{ e.lag }} <= {{ e.h }} then 1 else 0 end as y_{{ e.name }}
        {%- endfor %}
    from {{ ref('int_effect_records') }} as r
    inner join {{ ref('int_effect_groups') }} as g on g.group_id = r.group_id
    where g.is_matched
        and g.months_observed >= 6
        and r.initiative_code in (select initiative_code from estimates)
),

control_means as (
    select
        group_id
        {%- for e in estimates %},
        cast(sum(case when is_participant then 0 else y_{{ e.name }} end) as double precision)
            / sum(case when is_participant then 0 else 1 end) as cbar_{{ e.name }}
        {%- endfor %}
    from records
    group by group_id
),

person_influence as (
    select
        r.initiative_code
        {%- for e in estimates %},
        sum(case when r.months_observed >= {{ e.h }} and e.effect_{{ e.name }} is not null then cast(
            case
                when r.is_participant then r.y_{{ e.name }} - c.cbar_{{ e.name }} - e.effect_{{ e.name }}
                else -r.control_weight * (r.y_{{ e.name }} - c.cbar_{{ e.name }})
            end
        as decimal(18, 12)) end) as psi_{{ e.name }}
        {%- endfor %}
    from records as r
    inner join control_means as c on c.group_id = r.group_id
    inner join estimates as e on e.initiative_code = r.initiative_code
    group by r.initiative_code, r.person_id
),

variances as (
    {%- for e in estimates %}
    select
        p.initiative_code,
        '{{ e.outcome }}' as outcome,
        {{ e.h }} as horizon_months,
        max(e.effect_{{ e.name }}) as effect,
        count(p.psi_{{ e.name }}) as persons,
        cast(sum(cast(
            cast(p.psi_{{ e.name }} as double precision) * cast(p.psi_{{ e.name }} as double precision)
        as decimal(38, 15))) as double precision)
            / (cast(max(e.matched_{{ e.name }}) as double precision) * max(e.matched_{{ e.name }})) as variance
    from person_influence as p
    inner join estimates as e on e.initiative_code = p.initiative_code
    where e.effect_{{ e.name }} is not null
    group by p.initiative_code
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
)

select
    initiative_code,
    outcome,
    cast(horizon_months as integer) as horizon_months,
    cast(persons as integer) as persons,
    cast(effect as double precision) as effect,
    cast(variance as double precision) as variance,
    cast(effect - 1.959963984540054 * sqrt(variance) as double precision) as ci_low,
    cast(effect + 1.959963984540054 * sqrt(variance) as double precision) as ci_high
from variances
