{{ config(
    materialized='incremental',
    incremental_strategy='append',
    pre_hook="{{ delete_run_months('month') }}",
    on_schema_change='fail'
) }}
-- depends_on: {{ source('landing', 'run_months') }}
-- One row per benefit (registratienummer_uitkering) per delivered month, from the file version in
-- force for that month; codes joined to their lists (household, gender, reason group).
-- Incremental per delivery month: a monthly run replaces the run's months only (a delivery
-- changes only its own month's rows); a full build (no run months) rebuilds every month.
-- After a change of the code lists (seeds) run a full build: earlier months keep the old codes.
with current_versions as (
    {{ current_file_versions(source('landing', 'uitkeringen'), incremental_delivery_month_filter('delivery_month')) }}
),

benefit_rows as (
    select u.*
    from {{ source('landing', 'uitkeringen') }} as u
    inner join current_versions as v
        on v.source = u.source
        and v.delivery_month = u.delivery_month
        and v.file_hash = u.file_hash
    where 1 = 1 {{ incremental_delivery_month_filter('u.delivery_month') }}
)

select
    cast(b.delivery_month as date) as month,
    b.registratienummer_uitkering as benefit_id,
    b.statistiekcode as benefit_kind_code,
    b.statistiekcode = '01' as is_general_assistance,
    b.person_id,
    b.geboortedatum as birth_date,
    b.geslacht as gender_code,
    g.omschrijving as gender,
    b.leefvorm as household_code,
    coalesce(lv.huishouden, 'onbekend') as household_type,
    b.aanvangsdatum_uitkering as benefit_start_date,
    b.einddatum_uitkering as benefit_end_date,
    b.reden_beeindiging as end_reason_code,
    -- no reason or an unknown one counts as `overig` (mart contract)
    case
        when b.einddatum_uitkering is not null then coalesce(rb.reden_groep, 'overig')
    end as end_reason_group,
    b.kenmerk_statushouder as statushouder_flag,
    b.klantmanager_id as caseworker_id,
    b.source,
    b.source_file,
    b.file_hash,
    b.row_number as source_row
from benefit_rows as b
left join {{ ref('geslacht') }} as g on g.code = b.geslacht
left join {{ ref('leefvorm') }} as lv on lv.code = b.leefvorm
left join {{ ref('reden_beeindiging') }} as rb on rb.code = b.reden_beeindiging
