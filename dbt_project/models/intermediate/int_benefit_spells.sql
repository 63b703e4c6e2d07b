-- Benefit spells from the monthly snapshots, one row per spell and person: a spell is a benefit
-- (registratienummer_uitkering) with its start date, so a benefit number that ends and later
-- restarts with a new aanvangsdatum is two spells; a household benefit lists each partner on its
-- own row under the same number (BUS: one row per person per benefit), so a spell can have
-- several persons. The end, its reason and reason group come from the latest delivery that
-- contains the spell ("benefit ended in M": that delivery's einddatum_uitkering lies in M), so a
-- later correction overrides an earlier end, a month delivered twice counts once (staging keeps
-- one version) and a missing month changes nothing. A spell that vanishes without an end date is
-- not ended here: it is a dq issue (benefit_vanished). Marts count benefits by spell_id.
-- Rebuilt in full: a correction may arrive for any spell in any later month.
with benefit_rows as (
    select
        *,
        row_number() over (
            partition by benefit_id, benefit_start_date
            order by month desc, (benefit_end_date is null), source_row
        ) as recency
    from {{ ref('stg_uitkeringen__benefits') }}
),

spell_bounds as (
    select
        benefit_id,
        benefit_start_date,
        min(month) as first_delivery_month,
        max(month) as last_delivery_month,
        count(distinct month) as months_delivered,
        count(distinct person_id) as persons
    from benefit_rows
    group by benefit_id, benefit_start_date
),

spell_persons as (
    select benefit_id, benefit_start_date, person_id, max(month) as person_last_delivery_month
    from benefit_rows
    group by benefit_id, benefit_start_date, person_id
)

select
    {{ dbt.concat(["r.benefit_id", "'|'", "cast(r.benefit_start_date as " ~ dbt.type_string() ~ ")"]) }} as spell_id,
    r.benefit_id,
    p.person_id,
    b.persons as persons_on_benefit,
    r.benefit_kind_code,
    r.is_general_assistance,
    r.benefit_start_date as start_date,
    b.first_delivery_month,
    b.last_delivery_month,
    p.person_last_delivery_month,
    b.months_delivered,
    r.benefit_end_date as end_date,
    r.end_reason_code,
    r.end_reason_group,
    r.benefit_end_date is not null as is_ended,
    case when r.benefit_end_date is not null then {{ month_start('r.benefit_end_date') }} end as ended_month,
    r.source_file as latest_source_file,
    r.source_row as latest_source_row
from benefit_rows as r
inner join spell_bounds as b
    on b.benefit_id = r.benefit_id
    and b.benefit_start_date = r.benefit_start_date
inner join spell_persons as p
    on p.benefit_id = r.benefit_id
    and p.benefit_start_date = r.benefit_start_date
where r.recency = 1
