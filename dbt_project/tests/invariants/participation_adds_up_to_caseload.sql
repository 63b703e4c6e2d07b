-- dagster-dbt: report this test as an asset check of participation_by_gender
{{ config(severity='error', meta={'dagster': {'ref': {'name': 'participation_by_gender'}}}) }}
-- Mart invariant (error): the gender split adds up to the caseload; its work/study endings per
-- gender never exceed the outflow, and together cover it (a household benefit of a man and a
-- woman counts for both genders, so the sum may be larger).
with by_gender as (
    select
        month,
        sum(statushouders_on_benefit) as on_benefit,
        sum(ended_work) as ended_work,
        sum(ended_study) as ended_study,
        max(ended_work) as max_ended_work,
        max(ended_study) as max_ended_study
    from {{ ref('participation_by_gender') }}
    group by month
),

outflow as (
    select
        month,
        sum(case when reason_group = 'werk' then benefits_ended else 0 end) as ended_work,
        sum(case when reason_group = 'studie' then benefits_ended else 0 end) as ended_study
    from {{ ref('outflow_monthly') }}
    group by month
)

select c.month, c.statushouders_on_benefit, p.on_benefit, p.ended_work, o.ended_work as outflow_work
from {{ ref('caseload_monthly') }} as c
left join by_gender as p on p.month = c.month
left join outflow as o on o.month = c.month
where p.month is null
    or p.on_benefit <> c.statushouders_on_benefit
    or p.ended_work < coalesce(o.ended_work, 0)
    or p.ended_study < coalesce(o.ended_study, 0)
    or p.max_ended_work > coalesce(o.ended_work, 0)
    or p.max_ended_study > coalesce(o.ended_study, 0)
