{#- The CBS cohort-monitor layout, shared by the permit and the settlement cohort marts.
    Duration N counts whole calendar months from the cohort date's month; a (cohort, N) row
    exists once every member can have reached N: December of the cohort year + N months is no
    later than the last loaded benefits month. N = 6, 12, 18, ... -#}
{% macro cohort_progress(cohort_date_column, cohort_year_column) %}
with members as (
    select
        person_id,
        {{ month_start(cohort_date_column) }} as cohort_month,
        {{ cohort_year_column }} as cohort_year
    from {{ ref('int_statushouder_status') }}
    where is_statushouder
        and {{ cohort_date_column }} is not null
        -- at least one benefits row ever
        and first_benefits_month is not null
),

last_loaded as (
    select max(month) as last_benefits_month
    from {{ ref('int_reporting_months') }}
    where has_benefits_delivery
),

-- 6 .. 1200 months: more than any history the warehouse keeps
durations as (
    select 6 * generated_number as months_since
    from ({{ dbt.generate_series(200) }}) as n
),

cohort_durations as (
    select distinct m.cohort_year, d.months_since
    from (select distinct cohort_year from members) as m
    cross join durations as d
    cross join last_loaded as ll
    where {{ add_months(date_literal('1900-12-01'), '(m.cohort_year - 1900) * 12 + d.months_since') }}
        <= ll.last_benefits_month
),

member_targets as (
    select
        m.person_id,
        m.cohort_year,
        cd.months_since,
        {{ add_months('m.cohort_month', 'cd.months_since') }} as target_month
    from members as m
    inner join cohort_durations as cd on cd.cohort_year = m.cohort_year
),

benefit_months as (
    select month from {{ ref('int_reporting_months') }} where has_benefits_delivery
),

-- bijstand endings only (statistiekcode 01), as outflow_monthly counts them: an IOAW or other
-- benefit that ends is no outflow from bijstand (unit test cohort_outflow_counts_bijstand_endings_only)
statushouder_endings as (
    select sp.person_id, sp.ended_month, sp.end_reason_group
    from {{ ref('int_benefit_spells') }} as sp
    where sp.is_general_assistance
        and sp.is_ended
        and sp.end_reason_group in ('werk', 'studie')
),

member_progress as (
    select
        mt.person_id,
        mt.cohort_year,
        mt.months_since,
        max(case when p.person_id is not null then 1 else 0 end) as on_benefit,
        max(case when bm.month is not null then 1 else 0 end) as target_delivered,
        max(case when e.end_reason_group = 'werk' then 1 else 0 end) as outflow_work,
        max(case when e.end_reason_group = 'studie' then 1 else 0 end) as outflow_study
    from member_targets as mt
    left join {{ ref('int_person_months') }} as p
        on p.person_id = mt.person_id
        and p.month = mt.target_month
    left join benefit_months as bm on bm.month = mt.target_month
    left join statushouder_endings as e
        on e.person_id = mt.person_id
        and e.ended_month <= mt.target_month
    group by mt.person_id, mt.cohort_year, mt.months_since
)

select
    cohort_year,
    cast(months_since as integer) as months_since_permit,
    cast(count(*) as integer) as persons,
    -- unknown when some member's month cohort date + N has no benefits delivery
    cast(case when min(target_delivered) = 1 then sum(on_benefit) end as integer) as on_benefit,
    cast(sum(outflow_work) as integer) as outflow_work,
    cast(sum(outflow_study) as integer) as outflow_study
from member_progress
group by cohort_year, months_since
{% endmacro %}
