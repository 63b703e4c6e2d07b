-- The matched comparison as records (effect contract, "Control"): one row per participant
-- (initiative, person, start month s) and one per control of a participant group, where a group
-- is an initiative, a start month and a cell. The controls of a group are the statushouders on
-- benefit in s in the same cell without a start in this initiative in or before s: a later
-- starter is a control until the month before their own start, and one person is a control in
-- as many groups (months, initiatives) as they qualify for. A group without controls keeps its
-- participants here (unmatched). What the estimate (int_effect_shares), the analytic variance
-- (int_effect_analytic) and the bootstrap (int_effect_bootstrap) aggregate. The cell of a record
-- is its group's (group_id, int_effect_groups): millions of rows at national scale need no copy
-- of it. Rebuilt in full.
with participants as (
    select *
    from {{ ref('int_effect_starts') }}
    where start_status = 'participant'
),

-- group_id numbers the groups in a fixed order (a rerun numbers them the same)
participant_groups as (
    select
        *,
        cast(dense_rank() over (
            order by initiative_code, month, gender, household, age_band, duration_band
        ) as integer) as group_id
    from (
        select distinct initiative_code, start_month as month, gender, household, age_band, duration_band, months_observed
        from participants
    ) as distinct_groups
),

controls as (
    select
        g.group_id,
        g.initiative_code,
        p.person_id,
        p.month,
        false as is_participant,
        p.work_exit_lag,
        p.study_exit_lag,
        g.months_observed
    from participant_groups as g
    inner join {{ ref('int_effect_panel') }} as p
        on p.month = g.month
        and p.gender = g.gender
        and p.household = g.household
        and p.age_band = g.age_band
        and p.duration_band = g.duration_band
    left join {{ ref('int_effect_starts') }} as st
        on st.initiative_code = g.initiative_code
        and st.person_id = p.person_id
    where st.start_month is null
        or st.start_month > p.month
)

select
    g.group_id,
    p.initiative_code,
    p.person_id,
    p.start_month as month,
    true as is_participant,
    p.work_exit_lag,
    p.study_exit_lag,
    p.months_observed
from participants as p
inner join participant_groups as g
    on g.initiative_code = p.initiative_code
    and g.month = p.start_month
    and g.gender = p.gender
    and g.household = p.household
    and g.age_band = p.age_band
    and g.duration_band = p.duration_band
union all
select * from controls
