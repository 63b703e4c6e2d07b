{{ config(
    materialized='incremental',
    incremental_strategy='append',
    pre_hook="{{ delete_rebuilt_months('as_of_month') }}",
    on_schema_change='fail'
) }}
-- depends_on: {{ source('landing', 'run_months') }}
-- Each trajectory's state as of each month, across all partners: the state in the latest
-- snapshot of its partner with month <= M that contains it. It exists as of M from the first
-- snapshot that contains it, and a trajectory absent from a later snapshot keeps its last
-- known state. Dual trajectories (one person in several initiatives, or registered twice) are
-- distinct rows. Independent of statushouder status: the marts join that.
-- Incremental on as_of_month: a run with var months rebuilds as-of months from the earliest
-- changed month on (later states depend on earlier snapshots, never the reverse).
with snapshots as (
    select
        *,
        lead(snapshot_month) over (partition by trajectory_key order by snapshot_month) as superseded_month
    from {{ ref('stg_trajecten__trajectories') }}
),

as_of_months as (
    select month as as_of_month
    from {{ ref('int_reporting_months') }}
    where 1 = 1
    {{ incremental_month_filter('month') }}
)

select
    m.as_of_month,
    s.trajectory_key,
    s.partner,
    s.person_id,
    s.initiative_code,
    s.registration_date,
    s.start_date,
    s.end_date,
    s.outcome_code,
    s.outcome_date,
    s.hours_per_week,
    -- "started and not ended as of the month": at the end of the month
    s.start_date is not null
        and s.start_date < {{ add_months('m.as_of_month', 1) }}
        and (s.end_date is null or s.end_date >= {{ add_months('m.as_of_month', 1) }}) as is_active,
    s.snapshot_month as state_snapshot_month,
    s.source_file,
    s.source_row
from as_of_months as m
inner join snapshots as s
    on s.snapshot_month <= m.as_of_month
    and (s.superseded_month is null or s.superseded_month > m.as_of_month)
