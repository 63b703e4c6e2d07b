-- dagster-dbt: report this test as an asset check of caseload_monthly
{{ config(severity='error', meta={'dagster': {'ref': {'name': 'caseload_monthly'}}}) }}
-- Mart invariant (error: blocks publication): for consecutive delivered months,
-- caseload(M) = caseload(M-1) + new_on_benefit(M) - left_benefit(M).
select cur.month, cur.statushouders_on_benefit, prev.statushouders_on_benefit as previous, cur.new_on_benefit, cur.left_benefit
from {{ ref('caseload_monthly') }} as cur
inner join {{ ref('caseload_monthly') }} as prev
    on prev.month = {{ add_months('cur.month', -1) }}
where cur.new_on_benefit is null
    or cur.left_benefit is null
    or cur.statushouders_on_benefit <> prev.statushouders_on_benefit + cur.new_on_benefit - cur.left_benefit
