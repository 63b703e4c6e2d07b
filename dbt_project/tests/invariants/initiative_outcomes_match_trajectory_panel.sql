-- dagster-dbt: report this test as an asset check of initiative_outcomes
{{ config(severity='error', meta={'dagster': {'ref': {'name': 'initiative_outcomes'}}}) }}
-- Mart invariant (error): per month, the trajectories of initiative_outcomes are exactly the
-- statushouder trajectories existing as of that month (nothing lost or counted twice).
with panel as (
    select t.as_of_month, count(*) as trajectories
    from {{ ref('int_trajectories_as_of_month') }} as t
    inner join {{ ref('int_statushouder_status') }} as s on s.person_id = t.person_id
    where s.is_statushouder
    group by t.as_of_month
),

mart as (
    select as_of_month, sum(trajectories) as trajectories
    from {{ ref('initiative_outcomes') }}
    group by as_of_month
)

select coalesce(p.as_of_month, m.as_of_month) as as_of_month, p.trajectories as panel, m.trajectories as mart
from panel as p
full outer join mart as m on m.as_of_month = p.as_of_month
where p.trajectories is distinct from m.trajectories
