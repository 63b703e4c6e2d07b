-- Statushouder status per person, decided over all deliveries loaded so far: registered
-- (kenmerk_statushouder = J in any benefits delivery), derived (an asylum title in any BRP
-- delivery), both or none; the permit and settlement cohorts; the source of each fact.
-- Rebuilt in full on every run: a new delivery can revise every earlier month.
with benefit_facts as (
    select
        person_id,
        {{ dbt.bool_or("coalesce(statushouder_flag = 'J', false)") }} as is_registered,
        {{ dbt.bool_or("coalesce(statushouder_flag = 'N', false)") }} as has_flag_not_statushouder,
        min(case when statushouder_flag = 'J' then month end) as registered_first_month,
        min(benefit_start_date) as first_benefit_start_date,
        min(month) as first_benefits_month,
        max(month) as last_benefits_month
    from {{ ref('stg_uitkeringen__benefits') }}
    group by person_id
),

brp_facts as (
    select
        person_id,
        {{ dbt.bool_or('is_asylum_permit') }} as is_derived,
        min(case when is_asylum_permit then month end) as derived_first_month,
        min(case when is_asylum_permit then residence_title_start_date end) as asylum_permit_date,
        min(settlement_date) as settlement_date
    from {{ ref('stg_brp__persons') }}
    group by person_id
),

-- person-level gender for facts outside a benefits month (trajectory flows): the latest BUS
-- gender, else the latest BRP letter
latest_benefit_gender as (
    select person_id, gender
    from (
        select
            person_id,
            gender,
            row_number() over (partition by person_id order by month desc, source_row desc) as recency
        from {{ ref('stg_uitkeringen__benefits') }}
        where gender is not null
    ) as g
    where recency = 1
),

latest_brp_gender as (
    select person_id, gender
    from (
        select
            person_id,
            gender,
            row_number() over (partition by person_id order by month desc) as recency
        from {{ ref('stg_brp__persons') }}
        where gender is not null
    ) as g
    where recency = 1
),

persons as (
    select person_id from benefit_facts
    union
    select person_id from brp_facts
),

status as (
    select
        p.person_id,
        coalesce(b.is_registered, false) as is_registered,
        coalesce(r.is_derived, false) as is_derived,
        coalesce(b.has_flag_not_statushouder, false) as has_flag_not_statushouder,
        b.registered_first_month,
        r.derived_first_month,
        r.asylum_permit_date,
        b.first_benefit_start_date,
        b.first_benefits_month,
        b.last_benefits_month,
        r.settlement_date,
        coalesce(bg.gender, rg.gender, 'onbekend') as gender
    from persons as p
    left join benefit_facts as b on b.person_id = p.person_id
    left join brp_facts as r on r.person_id = p.person_id
    left join latest_benefit_gender as bg on bg.person_id = p.person_id
    left join latest_brp_gender as rg on rg.person_id = p.person_id
),

cohorts as (
    select
        *,
        is_registered or is_derived as is_statushouder,
        case
            when is_registered and is_derived then 'both'
            when is_registered then 'registered'
            when is_derived then 'derived'
            else 'none'
        end as status_source,
        case
            when asylum_permit_date is not null then asylum_permit_date
            when is_registered then first_benefit_start_date
        end as permit_cohort_date,
        case
            when asylum_permit_date is not null then 'brp_asylum_permit'
            when is_registered and first_benefit_start_date is not null then 'first_benefit_start'
        end as permit_cohort_source
    from status
)

select
    person_id,
    is_statushouder,
    status_source,
    is_registered,
    is_derived,
    is_derived and not is_registered as is_registration_missing,
    is_derived and has_flag_not_statushouder as has_registration_conflict,
    registered_first_month,
    derived_first_month,
    permit_cohort_date,
    {{ year_of('permit_cohort_date') }} as permit_cohort_year,
    permit_cohort_source,
    settlement_date,
    {{ year_of('settlement_date') }} as settlement_cohort_year,
    first_benefits_month,
    last_benefits_month,
    gender
from cohorts
