{{ config(
    materialized='incremental',
    incremental_strategy='append',
    pre_hook="{{ delete_run_months('month') }}",
    on_schema_change='fail'
) }}
-- depends_on: {{ source('landing', 'run_months') }}
-- The state of each client in the case system at the end of each delivered month.
-- Incremental per delivery month: a monthly run replaces the run's months only (a delivery
-- changes only its own month's rows); a full build (no run months) rebuilds every month.
-- After a change of the code lists (seeds) run a full build: earlier months keep the old codes.
-- a client listed twice in one month: the later row stands (macros/file_versions.sql)
with client_rows as (
    {{ current_landing_rows(source('landing', 'klantbeeld'), ['person_id']) }}
)

select
    cast(delivery_month as date) as month,
    person_id,
    klantmanager_id as caseworker_id,
    assessment_datum as assessment_date,
    plan_van_aanpak_datum as action_plan_date,
    advies_route as advice_route,
    afstand_arbeidsmarkt as labour_market_distance,
    laatste_contact_datum as last_contact_date,
    source,
    source_file,
    file_hash,
    row_number as source_row
from client_rows
