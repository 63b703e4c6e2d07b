-- The naive share of effect contract, per initiative, outcome and horizon h (6, 12, 24): for each
-- start month s of the initiative's matched participants counting at h, the mean outcome of all
-- statushouders on benefit in s without a start in this initiative in or before s (no cells);
-- these month means weighted by the month's matched participants. Beside the matched comparison
-- share it shows the selection that matching corrects. Month means are summed in DECIMAL (see
-- int_effect_shares: a rerun gives the same bytes).
{%- set horizons = [6, 12, 24] %}
{%- set outcomes = {'werk': 'work_exit_lag', 'studie': 'study_exit_lag'} %}
{%- set estimates = [] %}{% for outcome in outcomes %}{% for h in horizons %}{% do estimates.append((outcome, h)) %}{% endfor %}{% endfor %}
with matched_months as (
    select initiative_code, month, max(months_observed) as months_observed, sum(participants) as matched_participants
    from {{ ref('int_effect_groups') }}
    where is_matched
    group by initiative_code, month
),

-- everyone on benefit in those months, and the starters of each initiative among them
month_totals as (
    select
        p.month,
        count(*) as persons
        {%- for outcome, lag in outcomes.items() %}{% for h in horizons %},
        sum(case when p.{{ lag }} <= {{ h }} then 1 else 0 end) as {{ outcome }}_{{ h }}
        {%- endfor %}{% endfor %}
    from {{ ref('int_effect_panel') }} as p
    where p.month in (select month from matched_months)
    group by p.month
),

starters_on_benefit as (
    select
        mm.initiative_code,
        mm.month,
        count(*) as persons
        {%- for outcome, lag in outcomes.items() %}{% for h in horizons %},
        sum(case when p.{{ lag }} <= {{ h }} then 1 else 0 end) as {{ outcome }}_{{ h }}
        {%- endfor %}{% endfor %}
    from matched_months as mm
    inner join {{ ref('int_effect_starts') }} as st
        on st.initiative_code = mm.initiative_code
        and st.start_month <= mm.month
    inner join {{ ref('int_effect_panel') }} as p
        on p.person_id = st.person_id
        and p.month = mm.month
    group by mm.initiative_code, mm.month
),

month_shares as (
    {%- for outcome, h in estimates %}
    select
        mm.initiative_code,
        '{{ outcome }}' as outcome,
        {{ h }} as horizon_months,
        mm.matched_participants,
        cast(
            cast(mm.matched_participants * (t.{{ outcome }}_{{ h }} - coalesce(s.{{ outcome }}_{{ h }}, 0)) as double precision)
            / (t.persons - coalesce(s.persons, 0))
        as decimal(38, 15)) as weighted_share
    from matched_months as mm
    inner join month_totals as t on t.month = mm.month
    left join starters_on_benefit as s
        on s.initiative_code = mm.initiative_code
        and s.month = mm.month
    where mm.months_observed >= {{ h }}
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
)

select
    initiative_code,
    outcome,
    cast(horizon_months as integer) as horizon_months,
    cast(sum(matched_participants) as integer) as matched_participants,
    cast(cast(sum(weighted_share) as double precision) / sum(matched_participants) as double precision) as naive_share
from month_shares
group by initiative_code, outcome, horizon_months
