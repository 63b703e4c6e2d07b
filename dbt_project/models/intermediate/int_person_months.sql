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
with general_assistance as (
    select *
    from {{ ref('stg_uitkeringen__benefits') }}
    where is_general_assistance
    {{ incremental_month_filter('month', lookback_months=1) }}
),

person_month_facts as (
    select
        month,
        person_id,
        count(*) as benefit_rows,
        min(benefit_start_date) as earliest_benefit_start_date,
        -- an empty flag is not J (coalesce: bool_or over only NULLs is NULL)
        {{ dbt.bool_or("coalesce(statushouder_flag = 'J', false)") }} as has_statushouder_flag,
        {{ dbt.bool_or("coalesce(statushouder_flag = 'N', false)") }} as has_flag_not_statushouder
    from general_assistance
    group by month, person_id
),

-- household and caseworker from the row with the latest aanvangsdatum_uitkering
current_benefit as (
    select month, person_id, benefit_id, household_code, household_type, caseworker_id
    from (
        select
            *,
            row_number() over (
                partition by month, person_id
                order by benefit_start_date desc, benefit_id desc
            ) as recency
        from general_assistance
    ) as ranked
    where recency = 1
),

benefit_gender as (
    select month, person_id, gender
    from (
        select
            month,
            person_id,
            gender,
            row_number() over (
                partition by month, person_id
                order by benefit_start_date desc, benefit_id desc
            ) as recency
        from general_assistance
        where gender is not null
    ) as ranked
    where recency = 1
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
    c.benefit_id as current_benefit_id,
    f.benefit_rows,
    f.earliest_benefit_start_date,
    {{ dbt.datediff('f.earliest_benefit_start_date', 'f.month', 'month') }} as months_on_benefit,
    c.household_code,
    c.household_type,
    coalesce(bg.gender, brp.gender, 'onbekend') as gender,
    case
        when bg.gender is not null then 'uitkeringen'
        when brp.gender is not null then 'brp'
        else 'unknown'
    end as gender_source,
    c.caseworker_id,
    f.has_statushouder_flag,
    f.has_flag_not_statushouder,
    m.previous_month_has_benefits_delivery,
    case
        when m.previous_month_has_benefits_delivery then prev.person_id is not null
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
inner join current_benefit as c on c.month = f.month and c.person_id = f.person_id
left join benefit_gender as bg on bg.month = f.month and bg.person_id = f.person_id
left join brp_gender as brp
    on brp.person_id = f.person_id
    and brp.valid_from <= f.month
    and (brp.valid_until is null or brp.valid_until > f.month)
left join person_month_facts as prev
    on prev.person_id = f.person_id
    and prev.month = {{ add_months('f.month', -1) }}
left join {{ ref('stg_klantbeeld__client_states') }} as k
    on k.month = m.client_state_month
    and k.person_id = f.person_id
left join trajectories_as_of as t
    on t.as_of_month = f.month
    and t.person_id = f.person_id
