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
with current_versions as (
    {{ current_file_versions(source('landing', 'klantbeeld'), incremental_delivery_month_filter('delivery_month')) }}
),

client_rows as (
    select
        k.*,
        row_number() over (
            partition by k.delivery_month, k.person_id order by k.row_number desc
        ) as duplicate_rank
    from {{ source('landing', 'klantbeeld') }} as k
    inner join current_versions as v
        on v.source = k.source
        and v.delivery_month = k.delivery_month
        and v.file_hash = k.file_hash
    where 1 = 1 {{ incremental_delivery_month_filter('k.delivery_month') }}
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
-- a client listed twice in one month: the later row stands
where duplicate_rank = 1
