{{ config(
    materialized='incremental',
    incremental_strategy='append',
    pre_hook="{{ delete_rebuilt_months('month') }}",
    on_schema_change='fail'
) }}
-- depends_on: {{ source('landing', 'run_months') }}
-- The person-month panel the marts aggregate: one row per person on benefit (a row with
-- statistiekcode 01) per month with a benefits delivery, with household, gender, caseworker,
-- trajectories, assessment and plan van aanpak as known at the end of the month.
-- Statushouder status is deliberately not here (it is decided over all deliveries and changes
-- backwards): marts join int_statushouder_status, so this panel can stay incremental.
-- Incremental on month: a run with var months rebuilds from the earliest changed month on.
-- `not materialized`: read three times below, streamed from the staging table each time rather than
-- copied (the copy spilled at dbt's 2 GB limit in the national backfill)
with general_assistance as not materialized (
    select *
    from {{ ref('stg_uitkeringen__benefits') }}
    where is_general_assistance
    {{ incremental_month_filter('month', lookback_months=1) }}
),

-- A person-month with more than one benefit row is rare (national backfill: 595 of 19.5 million).
-- Those are found with a narrow count; every other person-month is its one row as it stands, and
-- only the rare ones are ranked and aggregated. Aggregating or ranking all 19.5 million rows
-- with their columns took 85 s of the national backfill, this 40 s (bench/findings.md).
multi_benefit_months as (
    select month, person_id
    from general_assistance
    group by month, person_id
    having count(*) > 1
),

single_benefit_facts as (
    select
        g.month,
        g.person_id,
        1 as benefit_rows,
        g.benefit_start_date as earliest_benefit_start_date,
        -- an empty flag is not J
        coalesce(g.statushouder_flag = 'J', false) as has_statushouder_flag,
        coalesce(g.statushouder_flag = 'N', false) as has_flag_not_statushouder,
        g.benefit_id as current_benefit_id,
        g.household_code,
        g.household_type,
        g.caseworker_id,
        g.gender as benefit_gender
    from general_assistance as g
    left join multi_benefit_months as multi
        on multi.month = g.month
        and multi.person_id = g.person_id
    where multi.person_id is null
),

-- household and caseworker from the row with the latest aanvangsdatum_uitkering; the gender
-- from the latest row that has one
multi_benefit_rows as (
    select
        g.*,
        row_number() over (
            partition by g.month, g.person_id
            order by g.benefit_start_date desc, g.benefit_id desc
        ) as recency,
        row_number() over (
            partition by g.month, g.person_id
            order by case when g.gender is null then 1 else 0 end, g.benefit_start_date desc, g.benefit_id desc
        ) as gender_recency
    from general_assistance as g
    inner join multi_benefit_months as multi
        on multi.month = g.month
        and multi.person_id = g.person_id
),

multi_benefit_facts as (
    select
        month,
        person_id,
        count(*) as benefit_rows,
        min(benefit_start_date) as earliest_benefit_start_date,
        -- coalesce: bool_or over only NULLs is NULL
        {{ dbt.bool_or("coalesce(statushouder_flag = 'J', false)") }} as has_statushouder_flag,
        {{ dbt.bool_or("coalesce(statushouder_flag = 'N', false)") }} as has_flag_not_statushouder,
        max(case when recency = 1 then benefit_id end) as current_benefit_id,
        max(case when recency = 1 then household_code end) as household_code,
        max(case when recency = 1 then household_type end) as household_type,
        max(case when recency = 1 then caseworker_id end) as caseworker_id,
        max(case when gender_recency = 1 then gender end) as benefit_gender
    from multi_benefit_rows
    group by month, person_id
),

-- the previous benefit month of the person (was_on_benefit_previous_month below): a window over
-- the panel rather than a second join of it with itself
person_month_facts as (
    select
        facts.*,
        lag(month) over (partition by person_id order by month) as previous_benefit_month
    from (
        select * from single_benefit_facts
        union all
        select * from multi_benefit_facts
    ) as facts
),

-- the BRP letter known at the end of each month: each person's BRP row holds until the next
-- BRP delivery that lists them. Only the rows where a person's letter changes are kept (the
-- first, and each change): the same periods, but one or two rows per person instead of one per
-- delivery, so the range join below stays small (national backfill: 32 -> 24 s for this select)
brp_letters as (
    select
        person_id,
        month,
        gender,
        lag(gender) over (partition by person_id order by month) as previous_gender,
        row_number() over (partition by person_id order by month) as nth_delivery
    from {{ ref('stg_brp__persons') }}
),

brp_gender as (
    select
        person_id,
        month as valid_from,
        lead(month) over (partition by person_id order by month) as valid_until,
        gender
    from brp_letters
    where nth_delivery = 1 or gender is distinct from previous_gender
),

panel_months as (
    select month, previous_month_has_benefits_delivery, client_state_month
    from {{ ref('int_reporting_months') }}
    where has_benefits_delivery
    {{ incremental_month_filter('month') }}
),

trajectories_as_of as (
    select
        as_of_month,
        person_id,
        count(*) as trajectories,
        {{ dbt.bool_or('is_active') }} as in_trajectory,
        min(case
            when initiative_code = 'ASSESSMENT' and start_date < {{ add_months('as_of_month', 1) }}
            then start_date
        end) as assessment_trajectory_start_date
    from {{ ref('int_trajectories_as_of_month') }}
    where 1 = 1
    {{ incremental_month_filter('as_of_month') }}
    group by as_of_month, person_id
)

select
    f.month,
    f.person_id,
    f.current_benefit_id,
    f.benefit_rows,
    f.earliest_benefit_start_date,
    {{ dbt.datediff('f.earliest_benefit_start_date', 'f.month', 'month') }} as months_on_benefit,
    f.household_code,
    f.household_type,
    coalesce(f.benefit_gender, brp.gender, 'onbekend') as gender,
    case
        when f.benefit_gender is not null then 'uitkeringen'
        when brp.gender is not null then 'brp'
        else 'unknown'
    end as gender_source,
    f.caseworker_id,
    f.has_statushouder_flag,
    f.has_flag_not_statushouder,
    m.previous_month_has_benefits_delivery,
    case
        when m.previous_month_has_benefits_delivery
        then coalesce(f.previous_benefit_month = {{ add_months('f.month', -1) }}, false)
    end as was_on_benefit_previous_month,
    coalesce(t.trajectories, 0) > 0 as has_trajectory,
    coalesce(t.in_trajectory, false) as in_trajectory,
    k.assessment_date,
    t.assessment_trajectory_start_date,
    (k.assessment_date is not null and k.assessment_date < {{ add_months('f.month', 1) }})
        or t.assessment_trajectory_start_date is not null as is_assessed,
    k.action_plan_date,
    k.action_plan_date is not null and k.action_plan_date < {{ add_months('f.month', 1) }} as has_action_plan,
    k.labour_market_distance,
    k.last_contact_date,
    m.client_state_month
from person_month_facts as f
inner join panel_months as m on m.month = f.month
left join brp_gender as brp
    on brp.person_id = f.person_id
    and brp.valid_from <= f.month
    and (brp.valid_until is null or brp.valid_until > f.month)
left join {{ ref('stg_klantbeeld__client_states') }} as k
    on k.month = m.client_state_month
    and k.person_id = f.person_id
left join trajectories_as_of as t
    on t.as_of_month = f.month
    and t.person_id = f.person_id
