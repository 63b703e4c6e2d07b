-- Statushouders on bijstand per month with a benefits delivery (mart contract: caseload_monthly).
with statushouder_months as (
    select p.*, s.is_derived
    from {{ ref('int_person_months') }} as p
    inner join {{ ref('int_statushouder_status') }} as s
        on s.person_id = p.person_id
    where s.is_statushouder
),

benefit_months as (
    select month, previous_month_has_benefits_delivery
    from {{ ref('int_reporting_months') }}
    where has_benefits_delivery
),

on_benefit as (
    select
        month,
        count(*) as statushouders_on_benefit,
        sum(case when household_type = 'alleenstaand' then 1 else 0 end) as single_households,
        sum(case when household_type = 'gezin' then 1 else 0 end) as family_households,
        sum(case when is_derived and not has_statushouder_flag then 1 else 0 end) as registration_missing,
        sum(case when not was_on_benefit_previous_month then 1 else 0 end) as new_on_benefit
    from statushouder_months
    group by month
),

-- on benefit in M-1 and not in M, counted in M
left_benefit as (
    select {{ add_months('prev.month', 1) }} as month, count(*) as left_benefit
    from statushouder_months as prev
    left join statushouder_months as cur
        on cur.person_id = prev.person_id
        and cur.month = {{ add_months('prev.month', 1) }}
    where cur.person_id is null
    group by {{ add_months('prev.month', 1) }}
),

staffing as (
    -- summed as decimals: a sum of doubles depends on the order its rows arrive in (two builds of
    -- the national data gave 166.13999999999933 and ...973), and a rebuild must publish the same bytes
    select month, sum(cast(fte as decimal(18, 6))) as caseworker_fte
    from {{ ref('stg_formatie__staffing') }}
    where team = 'statushouders'
    group by month
)

select
    m.month,
    cast(coalesce(o.statushouders_on_benefit, 0) as integer) as statushouders_on_benefit,
    cast(coalesce(o.single_households, 0) as integer) as single_households,
    cast(coalesce(o.family_households, 0) as integer) as family_households,
    -- kenmerk_statushouder exists from 2017-01 on
    cast(case
        when m.month >= {{ date_literal('2017-01-01') }} then coalesce(o.registration_missing, 0)
    end as integer) as registration_missing,
    -- unknown when the previous month was not delivered
    cast(case
        when m.previous_month_has_benefits_delivery then coalesce(o.new_on_benefit, 0)
    end as integer) as new_on_benefit,
    cast(case
        when m.previous_month_has_benefits_delivery then coalesce(l.left_benefit, 0)
    end as integer) as left_benefit,
    cast(st.caseworker_fte as double precision) as caseworker_fte,
    cast(
        coalesce(o.statushouders_on_benefit, 0) / nullif(st.caseworker_fte, 0)
        as double precision
    ) as clients_per_caseworker
from benefit_months as m
left join on_benefit as o on o.month = m.month
left join left_benefit as l on l.month = m.month
left join staffing as st on st.month = m.month
