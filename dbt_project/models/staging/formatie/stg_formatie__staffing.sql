-- FTE per team, caseworker and month (column `maand`), from the latest delivery that covers
-- that month.
with current_versions as (
    {{ current_file_versions(source('landing', 'formatie')) }}
),

staffing_rows as (
    select f.*
    from {{ source('landing', 'formatie') }} as f
    inner join current_versions as v
        on v.source = f.source
        and v.delivery_month = f.delivery_month
        and v.file_hash = f.file_hash
),

latest_delivery_per_month as (
    select maand, max(delivery_month) as delivery_month
    from staffing_rows
    group by maand
)

select
    cast(s.maand as date) as month,
    s.team,
    s.klantmanager_id as caseworker_id,
    s.fte,
    cast(s.delivery_month as date) as delivery_month,
    s.source_file,
    s.row_number as source_row
from staffing_rows as s
inner join latest_delivery_per_month as l
    on l.maand = s.maand
    and l.delivery_month = s.delivery_month
