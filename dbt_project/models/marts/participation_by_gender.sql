-- Women's participation, as the council asked (mart contract: participation_by_gender): per
-- month with a benefits delivery and gender, statushouders on benefit, in a trajectory,
-- assessed, and statushouder benefits ended for work or study.
with statushouder_months as (
    select p.*
    from {{ ref('int_person_months') }} as p
    inner join {{ ref('int_statushouder_status') }} as s
        on s.person_id = p.person_id
    where s.is_statushouder
),

grid as (
    select m.month, g.gender
    from {{ ref('int_reporting_months') }} as m
    cross join (
        select 'man' as gender
        union all select 'vrouw'
        union all select 'onbekend'
    ) as g
    where m.has_benefits_delivery
),

on_benefit as (
    select
        month,
        gender,
        count(*) as statushouders_on_benefit,
        sum(case when in_trajectory then 1 else 0 end) as in_trajectory,
        sum(case when is_assessed then 1 else 0 end) as assessed
    from statushouder_months
    group by month, gender
),

-- statushouder benefits ended in the month by the gender of their statushouder persons (the
-- person's gender in the panel that month, else person-level); a household benefit of a man and
-- a woman counts for both genders, once each
ending_genders as (
    select distinct
        sp.spell_id,
        sp.ended_month as month,
        coalesce(p.gender, s.gender) as gender,
        sp.end_reason_group
    from {{ ref('int_benefit_spells') }} as sp
    inner join {{ ref('int_statushouder_status') }} as s
        on s.person_id = sp.person_id
    left join {{ ref('int_person_months') }} as p
        on p.person_id = sp.person_id
        and p.month = sp.ended_month
    where s.is_statushouder
        and sp.is_general_assistance
        and sp.is_ended
),

endings as (
    select
        month,
        gender,
        sum(case when end_reason_group = 'werk' then 1 else 0 end) as ended_work,
        sum(case when end_reason_group = 'studie' then 1 else 0 end) as ended_study
    from ending_genders
    group by month, gender
)

select
    g.month,
    g.gender,
    cast(coalesce(o.statushouders_on_benefit, 0) as integer) as statushouders_on_benefit,
    cast(coalesce(o.in_trajectory, 0) as integer) as in_trajectory,
    cast(coalesce(o.assessed, 0) as integer) as assessed,
    cast(coalesce(e.ended_work, 0) as integer) as ended_work,
    cast(coalesce(e.ended_study, 0) as integer) as ended_study
from grid as g
left join on_benefit as o on o.month = g.month and o.gender = g.gender
left join endings as e on e.month = g.month and e.gender = g.gender
