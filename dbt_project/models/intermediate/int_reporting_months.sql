-- Every calendar month from the first to the last delivered month of any source, with what was
-- delivered: the spine for "as of month" facts. A month without a benefits delivery has no
-- caseload; the previous month's delivery decides whether new/left can be counted.
with benefits_months as (
    select distinct month from {{ ref('stg_uitkeringen__benefits') }}
),

client_state_months as (
    select distinct month from {{ ref('stg_klantbeeld__client_states') }}
),

delivered_months as (
    select month from benefits_months
    union
    select month from client_state_months
    union
    select distinct snapshot_month from {{ ref('stg_trajecten__trajectories') }}
),

bounds as (
    select min(month) as first_month, max(month) as last_month from delivered_months
),

-- 600 months = 50 years of history, far more than the retention period
spine as (
    select {{ add_months('b.first_month', 'n.generated_number - 1') }} as month
    from bounds as b
    cross join ({{ dbt.generate_series(600) }}) as n
    where {{ add_months('b.first_month', 'n.generated_number - 1') }} <= b.last_month
)

select
    s.month,
    bm.month is not null as has_benefits_delivery,
    prev_bm.month is not null as previous_month_has_benefits_delivery,
    (select max(x.month) from benefits_months as x where x.month < s.month) as previous_benefits_month,
    (select min(x.month) from benefits_months as x where x.month > s.month) as next_benefits_month,
    (select max(x.month) from benefits_months as x) as last_benefits_month,
    (select max(x.month) from client_state_months as x where x.month <= s.month) as client_state_month
from spine as s
left join benefits_months as bm on bm.month = s.month
left join benefits_months as prev_bm on prev_bm.month = {{ add_months('s.month', -1) }}
