{{ config(
    materialized='incremental',
    incremental_strategy='append',
    pre_hook="{{ delete_all_unless_appending('last_delivery_month') }}",
    post_hook="{{ delete_superseded_spell_rows() }}",
    on_schema_change='fail'
) }}
-- depends_on: {{ source('landing', 'run_months') }}
-- Benefit spells from the monthly snapshots, one row per spell and person: a spell is a benefit
-- (registratienummer_uitkering) with its start date, so a benefit number that ends and later
-- restarts with a new aanvangsdatum is two spells; a household benefit lists each partner on its
-- own row under the same number (BUS: one row per person per benefit), so a spell can have
-- several persons. The end, its reason and reason group come from the latest delivery that
-- contains the spell ("benefit ended in M": that delivery's einddatum_uitkering lies in M), so a
-- later correction overrides an earlier end, a month delivered twice counts once (staging keeps
-- one version) and a missing month changes nothing. A spell that vanishes without an end date is
-- not ended here: it is a dq issue (benefit_vanished). Marts count benefits by spell_id.
--
-- Incremental when the run only adds months after every month this table holds (the monthly
-- refresh): a spell's row depends only on its own deliveries, so only the spells delivered in
-- the new months change, and their row follows from the earlier row and the new months (the
-- latest delivery is a new one; first month, months delivered and persons merge). The earlier
-- rows of those spells are removed after the insert (post-hook). A run that includes a month
-- this table already holds (a re-delivery, a late month) or no months rebuilds it in full:
-- a re-delivered month can change or remove any spell delivered in it.
{%- set watermark = append_watermark('last_delivery_month') %}
with benefit_rows as (
    select
        month,
        person_id,
        benefit_id,
        benefit_kind_code,
        is_general_assistance,
        benefit_start_date,
        benefit_end_date,
        end_reason_code,
        end_reason_group,
        source_file,
        source_row,
        {{ spell_id('benefit_id', 'benefit_start_date') }} as spell_id
    from {{ ref('stg_uitkeringen__benefits') }}
    {%- if watermark is not none %}
    where month > {{ watermark }}  -- the months after the latest one this table holds
    {%- endif %}
),
{%- if watermark is none %}

spell_bounds as (
    select
        spell_id,
        min(month) as first_delivery_month,
        max(month) as last_delivery_month,
        count(distinct month) as months_delivered
    from benefit_rows
    group by spell_id
),

spell_persons as (
    select spell_id, person_id, max(month) as person_last_delivery_month
    from benefit_rows
    group by spell_id, person_id
),
{%- else %}

new_bounds as (
    select
        spell_id,
        min(month) as first_delivery_month,
        max(month) as last_delivery_month,
        count(distinct month) as months_delivered
    from benefit_rows
    group by spell_id
),

-- what this table holds for the same spells: all of it from months before the new ones
earlier_rows as (
    select s.spell_id, s.person_id, s.first_delivery_month, s.months_delivered, s.person_last_delivery_month
    from {{ this }} as s
    inner join new_bounds as n on n.spell_id = s.spell_id
),

spell_bounds as (
    select
        n.spell_id,
        coalesce(e.first_delivery_month, n.first_delivery_month) as first_delivery_month,
        n.last_delivery_month,
        coalesce(e.months_delivered, 0) + n.months_delivered as months_delivered
    from new_bounds as n
    left join (
        select spell_id, min(first_delivery_month) as first_delivery_month, max(months_delivered) as months_delivered
        from earlier_rows
        group by spell_id
    ) as e on e.spell_id = n.spell_id
),

spell_persons as (
    select
        coalesce(n.spell_id, e.spell_id) as spell_id,
        coalesce(n.person_id, e.person_id) as person_id,
        coalesce(n.person_last_delivery_month, e.person_last_delivery_month) as person_last_delivery_month
    from (
        select spell_id, person_id, max(month) as person_last_delivery_month
        from benefit_rows
        group by spell_id, person_id
    ) as n
    full outer join earlier_rows as e
        on e.spell_id = n.spell_id
        and e.person_id = n.person_id
),
{%- endif %}

spell_person_counts as (
    select spell_id, count(*) as persons
    from spell_persons
    group by spell_id
)

select
    r.spell_id,
    r.benefit_id,
    p.person_id,
    c.persons as persons_on_benefit,
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
-- the spell's row in its latest delivery (one with an end date first, then the first row of the
-- file): ranked among the rows of that delivery only, not all 21.7 million of a national backfill
from (
    select
        r.*,
        row_number() over (
            partition by r.benefit_id, r.benefit_start_date
            order by (r.benefit_end_date is null), r.source_row
        ) as recency
    from benefit_rows as r
    inner join spell_bounds as latest
        on latest.spell_id = r.spell_id
        and latest.last_delivery_month = r.month
) as r
inner join spell_bounds as b on b.spell_id = r.spell_id
inner join spell_persons as p on p.spell_id = r.spell_id
inner join spell_person_counts as c on c.spell_id = r.spell_id
where r.recency = 1
