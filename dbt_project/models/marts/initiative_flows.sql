-- What happened to statushouder trajectories in each month, per initiative, gender and event
-- (mart contract: initiative_flows): `registered` (aanmelddatum), `started` (startdatum) from the
-- latest known state of the trajectory, and `outcome:<CODE>` for an outcome first seen, in the
-- month of the uitkomstdatum of the first snapshot that showed it (no uitkomstdatum, no event).
with statushouder_snapshots as (
    select t.*, s.gender
    from {{ ref('stg_trajecten__trajectories') }} as t
    inner join {{ ref('int_statushouder_status') }} as s
        on s.person_id = t.person_id
    where s.is_statushouder
),

latest_state as (
    select *
    from (
        select
            *,
            row_number() over (partition by trajectory_key order by snapshot_month desc) as recency
        from statushouder_snapshots
    ) as ranked
    where recency = 1
),

first_outcomes as (
    select *
    from (
        select
            *,
            row_number() over (
                partition by trajectory_key, outcome_code order by snapshot_month
            ) as sighting
        from statushouder_snapshots
        where outcome_date is not null
    ) as ranked
    where sighting = 1
),

events as (
    select
        {{ month_start('registration_date') }} as month,
        initiative_code, gender, 'registered' as event, trajectory_key, person_id
    from latest_state
    union all
    select
        {{ month_start('start_date') }} as month,
        initiative_code, gender, 'started' as event, trajectory_key, person_id
    from latest_state
    where start_date is not null
    union all
    select
        {{ month_start('outcome_date') }} as month,
        initiative_code, gender, {{ dbt.concat(["'outcome:'", "outcome_code"]) }} as event,
        trajectory_key, person_id
    from first_outcomes
)

select
    month,
    initiative_code,
    gender,
    event,
    cast(count(*) as integer) as trajectories,
    cast(count(distinct person_id) as integer) as clients
from events
group by month, initiative_code, gender, event
