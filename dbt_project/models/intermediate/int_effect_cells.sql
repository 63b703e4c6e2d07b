{{ config(
    materialized='incremental',
    incremental_strategy='append',
    pre_hook="{{ delete_rebuilt_months('month') }}",
    on_schema_change='fail'
) }}
-- depends_on: {{ source('landing', 'run_months') }}
-- The matching cell of every person on benefit in every month (effect contract, "Cell"): gender,
-- household, age band at the first day of the month and duration band, all from the month's
-- benefits delivery, the row with the latest aanvangsdatum_uitkering (int_person_months picks it
-- as current_benefit_id and takes gender and household from it). Statushouder status is not here
-- (it is decided over all deliveries): int_effect_panel joins it, so this stays incremental on
-- month like int_person_months, whose months it follows.
-- A person-month with one benefit row is that row: all but ~600 of 19.5 million nationally
-- (int_person_months counts them, benefit_rows). Only the others are ranked: a window over every
-- person-month with its columns took most of this model's time at national scale.
with person_months as not materialized (
    select month, person_id, gender, household_type, current_benefit_id, benefit_rows
    from {{ ref('int_person_months') }}
    where 1 = 1
    {{ incremental_month_filter('month') }}
),

general_assistance as not materialized (
    select month, person_id, benefit_id, birth_date, benefit_start_date, source_row
    from {{ ref('stg_uitkeringen__benefits') }}
    where is_general_assistance
    {{ incremental_month_filter('month') }}
),

current_rows as (
    select p.month, p.person_id, p.gender, p.household_type, b.birth_date, b.benefit_start_date
    from person_months as p
    inner join general_assistance as b
        on b.month = p.month
        and b.person_id = p.person_id
    where p.benefit_rows = 1

    union all

    select month, person_id, gender, household_type, birth_date, benefit_start_date
    from (
        select
            p.month,
            p.person_id,
            p.gender,
            p.household_type,
            b.birth_date,
            b.benefit_start_date,
            -- a benefit listed twice in one delivery (a warn finding): its row with the latest
            -- start date, as int_person_months ranks it, then the first row of the file
            row_number() over (
                partition by p.month, p.person_id
                order by b.benefit_start_date desc, b.source_row
            ) as pick
        from person_months as p
        inner join general_assistance as b
            on b.month = p.month
            and b.person_id = p.person_id
            and b.benefit_id = p.current_benefit_id
        where p.benefit_rows > 1
    ) as ranked
    where pick = 1
),

ages as (
    select
        *,
        -- whole years at the first day of the month: one less while the birthday is still to come
        {{ year_of('month') }} - {{ year_of('birth_date') }}
            - case
                when extract(month from birth_date) > extract(month from month)
                    or (extract(month from birth_date) = extract(month from month)
                        and extract(day from birth_date) > 1)
                then 1 else 0
            end as age_years,
        {{ dbt.datediff(month_start('benefit_start_date'), 'month', 'month') }} as months_on_benefit
    from current_rows
)

select
    month,
    person_id,
    gender,
    -- the contract's households are alleenstaand, gezin and anders; a leefvorm outside the code
    -- list (loaded as onbekend, an unknown_code finding) is a cell of its own
    household_type as household,
    case
        -- no date, a date after the first day of the month or an age of 120 or more: no valid date
        when birth_date is null or age_years < 0 or age_years >= 120 then 'onbekend'
        when age_years <= 26 then '18-26'  -- under 18 included (contract)
        when age_years <= 39 then '27-39'
        when age_years <= 54 then '40-54'
        else '55+'
    end as age_band,
    case
        -- an aanvangsdatum after the month (impossible in a BUS delivery) counts as 0 months
        when months_on_benefit <= 5 then '0-5'
        when months_on_benefit <= 11 then '6-11'
        when months_on_benefit <= 23 then '12-23'
        else '24+'
    end as duration_band,
    birth_date,
    benefit_start_date,
    cast(months_on_benefit as integer) as months_on_benefit
from ages
