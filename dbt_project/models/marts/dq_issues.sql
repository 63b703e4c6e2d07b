-- What data stewards work through (mart contract: dq_issues): one row per issue and record, not
-- per month, with first and last month seen and its status: `resolved` when the latest delivery
-- holding the record no longer shows it, else `waived` while a steward's waiver (rule_id +
-- record_key) is valid on var as_of_date (default today), else `open`.
with findings as (
    select * from {{ ref('int_dq_findings') }}
),

latest_finding as (
    select *
    from (
        select
            *,
            row_number() over (
                partition by rule_id, record_key
                order by seen_month desc, source_file desc, source_row desc
            ) as recency
        from findings
    ) as ranked
    where recency = 1
),

issue_spans as (
    select
        rule_id,
        record_key,
        min(seen_month) as first_seen_month,
        max(seen_month) as last_seen_month,
        max(record_latest_month) as latest_delivery_month,
        count(distinct seen_month) as months_seen,
        max(case when severity = 'error' then 1 else 0 end) as has_error
    from findings
    group by rule_id, record_key
),

valid_waivers as (
    select
        rule_id,
        record_key,
        max(valid_until) as waived_until,
        max(reason) as waiver_reason,
        max(waived_by) as waived_by
    from {{ source('landing', 'dq_waivers') }}
    where valid_until >= {{ as_of_date() }}
    group by rule_id, record_key
)

select
    i.rule_id,
    case when i.has_error = 1 then 'error' else 'warn' end as severity,
    l.source,
    i.record_key,
    i.first_seen_month,
    i.last_seen_month,
    case
        when i.last_seen_month < i.latest_delivery_month then 'resolved'
        when w.rule_id is not null then 'waived'
        else 'open'
    end as status,
    l.detail,
    l.person_id,
    l.benefit_id as registratienummer_uitkering,
    l.source_file,
    l.source_row,
    i.latest_delivery_month,
    cast(i.months_seen as integer) as months_seen,
    w.waived_until,
    w.waiver_reason,
    w.waived_by
from issue_spans as i
inner join latest_finding as l
    on l.rule_id = i.rule_id
    and l.record_key = i.record_key
left join valid_waivers as w
    on w.rule_id = i.rule_id
    and w.record_key = i.record_key
