-- Statushouder bijstand benefits (statistiekcode 01) ended per month and reason group, and how
-- many of them had their person on benefit again within 6 months (mart contract:
-- outflow_monthly). Benefits are counted by spell (registratienummer_uitkering + start), once
-- also when a household benefit lists two partners; it is a statushouder benefit when any of
-- its persons is a statushouder.
with ended_spell_persons as (
    select sp.spell_id, sp.person_id, sp.ended_month, sp.end_reason_group, s.is_statushouder
    from {{ ref('int_benefit_spells') }} as sp
    left join {{ ref('int_statushouder_status') }} as s
        on s.person_id = sp.person_id
    where sp.is_general_assistance
        and sp.is_ended
),

endings as (
    select spell_id, ended_month, end_reason_group
    from ended_spell_persons
    group by spell_id, ended_month, end_reason_group
    having {{ dbt.bool_or('coalesce(is_statushouder, false)') }}
),

last_loaded as (
    select max(month) as last_benefits_month
    from {{ ref('int_reporting_months') }}
    where has_benefits_delivery
),

-- a person of the benefit on benefit again in one of the 6 months after the month of ending
returns as (
    select distinct e.spell_id
    from ended_spell_persons as e
    inner join {{ ref('int_person_months') }} as p
        on p.person_id = e.person_id
        and p.month > e.ended_month
        and p.month <= {{ add_months('e.ended_month', 6) }}
)

select
    e.ended_month as month,
    e.end_reason_group as reason_group,
    cast(count(*) as integer) as benefits_ended,
    -- NULL while the 6 months after the ending are not all loaded
    cast(case
        when {{ add_months('e.ended_month', 6) }} <= max(ll.last_benefits_month)
        then count(r.spell_id)
    end as integer) as returned_within_6_months
from endings as e
cross join last_loaded as ll
left join returns as r on r.spell_id = e.spell_id
group by e.ended_month, e.end_reason_group
