-- Mart invariant (error): the gender split adds up to the caseload, and its work/study endings
-- to the outflow of the same month.
with by_month as (
    select month, sum(statushouders_on_benefit) as on_benefit, sum(ended_work) as ended_work, sum(ended_study) as ended_study
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
left join by_month as p on p.month = c.month
left join outflow as o on o.month = c.month
where p.month is null
    or p.on_benefit <> c.statushouders_on_benefit
    or p.ended_work <> coalesce(o.ended_work, 0)
    or p.ended_study <> coalesce(o.ended_study, 0)
