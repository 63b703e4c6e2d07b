{{ config(
    materialized='incremental',
    incremental_strategy='append',
    pre_hook="{{ delete_run_months('snapshot_month') }}",
    on_schema_change='fail'
) }}
-- depends_on: {{ source('landing', 'run_months') }}
-- One row per trajectory per partner snapshot. A trajectory is (partner, person, initiative,
-- aanmelddatum); `trajectory_key` spells that out so a steward can read it.
-- Incremental per delivery month: a monthly run replaces the run's months only (a delivery
-- changes only its own month's rows); a full build (no run months) rebuilds every month.
-- After a change of the code lists (seeds) run a full build: earlier months keep the old codes.
-- the same trajectory twice in one snapshot: the later row stands (macros/file_versions.sql)
with trajectory_rows as (
    {{ current_landing_rows(source('landing', 'trajecten'), ['partner', 'person_id', 'initiatief', 'aanmelddatum']) }}
)

select
    cast(delivery_month as date) as snapshot_month,
    partner,
    person_id,
    initiatief as initiative_code,
    aanmelddatum as registration_date,
    {{ dbt.concat([
        "partner", "'|'", "initiatief", "'|'",
        "cast(aanmelddatum as " ~ dbt.type_string() ~ ")", "'|'", "person_id"
    ]) }} as trajectory_key,
    startdatum as start_date,
    einddatum as end_date,
    -- an empty uitkomst reads as LOPEND while einddatum is empty (mart contract); ended without
    -- any reported outcome is `onbekend`
    coalesce(uitkomst, case when einddatum is null then 'LOPEND' else 'onbekend' end) as outcome_code,
    uitkomst as reported_outcome_code,
    uitkomstdatum as outcome_date,
    uren_per_week as hours_per_week,
    source,
    source_file,
    file_hash,
    row_number as source_row
from trajectory_rows
