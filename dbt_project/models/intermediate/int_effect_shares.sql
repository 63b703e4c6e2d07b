-- The estimate of effect contract, per initiative, outcome and k = 0..24 months since start, over
-- the participants that count at k (s + k no later than the last loaded benefits month): a
-- participant is matched when their group (initiative, s, cell) has a control; participant share
-- p = mean outcome of the matched participants; comparison share c = mean over the matched
-- participants of their group's control mean (each control of a group weighs the same, each
-- participant the same), so c = sum over groups of m_g * T_g / n_g, divided by M (m_g matched
-- participants, n_g controls, T_g controls with the outcome within k months, M = sum of m_g).
-- `is_estimated` is the contract's rule for an estimate: at least 20 matched participants.
-- `as_of_month` is the last loaded benefits month, up to which the outcomes and horizons count (as
-- in int_effect_starts): the publication publishes the estimate only when that month is published.
-- The sum in c runs in DECIMAL over per-group terms rounded to 15 decimals: a sum of doubles in a
-- parallel aggregate depends on the order of its rows, and a rerun must give the same bytes.
with records as (
    select * from {{ ref('int_effect_records') }}
),

horizons as (
    select cast(generated_number - 1 as integer) as months_since_start
    from ({{ dbt.generate_series(25) }}) as n
),

outcomes as (
    select 'werk' as outcome
    union all
    select 'studie'
),

groups as (
    select * from {{ ref('int_effect_groups') }}
),

as_of as (
    select max(month) as as_of_month from {{ ref('int_reporting_months') }} where has_benefits_delivery
),

participants_at as (
    select
        g.initiative_code,
        h.months_since_start,
        sum(g.participants) as participants,
        sum(case when g.is_matched then g.participants else 0 end) as matched_participants
    from groups as g
    inner join horizons as h on h.months_since_start <= g.months_observed
    group by g.initiative_code, h.months_since_start
),

-- per group, outcome and exit lag (within 24 months): how many participants and controls left
group_exit_lags as (
    {%- for outcome, lag in [('werk', 'work_exit_lag'), ('studie', 'study_exit_lag')] %}
    select
        group_id,
        '{{ outcome }}' as outcome,
        {{ lag }} as exit_lag,
        sum(case when is_participant then 1 else 0 end) as participant_exits,
        sum(case when is_participant then 0 else 1 end) as control_exits
    from records
    where {{ lag }} <= 24
    group by group_id, {{ lag }}
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
),

-- per matched group, outcome and k it counts at: the exits within k months
group_exits as (
    select
        g.initiative_code,
        x.outcome,
        h.months_since_start,
        g.participants,
        g.controls,
        sum(x.participant_exits) as participant_exits,
        sum(x.control_exits) as control_exits
    from groups as g
    inner join group_exit_lags as x on x.group_id = g.group_id
    inner join horizons as h
        on h.months_since_start >= x.exit_lag
        and h.months_since_start <= g.months_observed
    where g.is_matched
    group by g.group_id, g.initiative_code, x.outcome, h.months_since_start, g.participants, g.controls
),

exits_at as (
    select
        initiative_code,
        outcome,
        months_since_start,
        sum(participant_exits) as participant_exits,
        sum(cast(cast(participants * control_exits as double precision) / controls as decimal(38, 15)))
            as comparison_exits
    from group_exits
    group by initiative_code, outcome, months_since_start
),

-- distinct persons used as a control at k: a control record counts at k when its group does,
-- so a person counts from their earliest control month (the most months observed) on
control_persons as (
    select initiative_code, months_observed, count(*) as persons
    from (
        select initiative_code, person_id, max(months_observed) as months_observed
        from records
        where not is_participant
        group by initiative_code, person_id
    ) as first_control_months
    group by initiative_code, months_observed
),

controls_at as (
    select c.initiative_code, h.months_since_start, sum(c.persons) as controls
    from control_persons as c
    inner join horizons as h on h.months_since_start <= c.months_observed
    group by c.initiative_code, h.months_since_start
)

select
    a.as_of_month,
    p.initiative_code,
    o.outcome,
    p.months_since_start,
    cast(p.participants as integer) as participants,
    cast(p.matched_participants as integer) as matched_participants,
    cast(coalesce(c.controls, 0) as integer) as controls,
    cast(case when p.matched_participants > 0 then coalesce(e.participant_exits, 0) end as integer) as participant_exits,
    case when p.matched_participants > 0 then coalesce(e.comparison_exits, 0) end as comparison_exits,
    cast(case
        when p.matched_participants > 0
            then cast(coalesce(e.participant_exits, 0) as double precision) / p.matched_participants
    end as double precision) as participant_share,
    cast(case
        when p.matched_participants > 0
            then cast(coalesce(e.comparison_exits, 0) as double precision) / p.matched_participants
    end as double precision) as comparison_share,
    p.matched_participants >= 20 as is_estimated
from participants_at as p
cross join outcomes as o
cross join as_of as a
left join exits_at as e
    on e.initiative_code = p.initiative_code
    and e.outcome = o.outcome
    and e.months_since_start = p.months_since_start
left join controls_at as c
    on c.initiative_code = p.initiative_code
    and c.months_since_start = p.months_since_start
