{{ config(
    materialized='incremental',
    incremental_strategy='append',
    pre_hook="{{ delete_run_months('month') }}",
    on_schema_change='fail'
) }}
-- depends_on: {{ source('landing', 'run_months') }}
-- One row per person per BRP delivery month; the asylum flag from the verblijfstitel list.
-- Incomplete BRP dates arrive imputed from landing (unknown day = 1st, unknown month = July).
-- Incremental per delivery month: a monthly run replaces the run's months only (a delivery
-- changes only its own month's rows); a full build (no run months) rebuilds every month.
-- After a change of the code lists (seeds) run a full build: earlier months keep the old codes.
-- a person listed twice in one extract: the later row stands (macros/file_versions.sql)
with person_rows as (
    {{ current_landing_rows(source('landing', 'brp'), ['person_id']) }}
)

select
    cast(p.delivery_month as date) as month,
    p.person_id,
    p.geboortedatum as birth_date,
    p.geboortedatum_raw as birth_date_raw,
    p.geslacht as gender_letter,
    case p.geslacht when 'M' then 'man' when 'V' then 'vrouw' end as gender,
    p.nationaliteit as nationality,
    p.verblijfstitel as residence_title_code,
    coalesce(vt.asielvergunning = 'J', false) as is_asylum_permit,
    p.datum_ingang_verblijfstitel as residence_title_start_date,
    p.datum_ingang_verblijfstitel_raw as residence_title_start_date_raw,
    p.datum_vestiging_gemeente as settlement_date,
    p.datum_vestiging_gemeente_raw as settlement_date_raw,
    p.source,
    p.source_file,
    p.file_hash,
    p.row_number as source_row
from person_rows as p
left join {{ ref('verblijfstitel') }} as vt on vt.code = p.verblijfstitel
