-- Statushouder trajectories per initiative and outcome as of each month (mart contract:
-- initiative_outcomes). Trajectory marts count statushouders only.
select
    t.as_of_month,
    t.initiative_code,
    t.outcome_code,
    cast(count(*) as integer) as trajectories,
    cast(count(distinct t.person_id) as integer) as clients
from {{ ref('int_trajectories_as_of_month') }} as t
inner join {{ ref('int_statushouder_status') }} as s
    on s.person_id = t.person_id
where s.is_statushouder
group by t.as_of_month, t.initiative_code, t.outcome_code
