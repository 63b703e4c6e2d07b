-- The state of each client in the case system at the end of each delivered month.
with current_versions as (
    {{ current_file_versions(source('landing', 'klantbeeld')) }}
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
