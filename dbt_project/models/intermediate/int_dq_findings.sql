-- Every data-quality finding per delivery month in which it was seen: the rules of the mart
-- contract, the quarantine, row issues (unknown codes, ...) and failed expectations. dq_issues
-- folds these into one row per issue and record. `record_key` is stable across months (a
-- partner's row number is not, so a trajectory is keyed by its natural key and its file and row
-- are given beside it); `record_latest_month` is the latest delivery that holds the record: an
-- issue no longer seen there is resolved. Never a BSN: persons appear as person_id.
with status as (
    select * from {{ ref('int_statushouder_status') }}
),

-- the latest delivery holding a record, from the small intermediate tables rather than another
-- pass over the staged history: a benefit's from its spells, a trajectory's from its state as of
-- the last month (the latest snapshot that contains it)
benefit_last_month as (
    select benefit_id, max(last_delivery_month) as last_month
    from {{ ref('int_benefit_spells') }}
    group by benefit_id
),

benefits_delivered as (
    select max(month) as last_benefits_month
    from {{ ref('int_reporting_months') }}
    where has_benefits_delivery
),

trajectory_last_month as (
    select trajectory_key, state_snapshot_month as last_month
    from {{ ref('int_trajectories_as_of_month') }}
    where as_of_month = (select max(as_of_month) from {{ ref('int_trajectories_as_of_month') }})
),

-- the latest month each source landed anything (rows, quarantine, row issues, a file): from the
-- landing tables, not the staging views. Staging holds one file version per (source, month) that
-- landed, so the months are the same, and the views' de-duplication over the whole history cost
-- most of this model's time (scale 100: 11.5 s of 12 s).
landed_months as (
    select source, max(last_month) as last_month
    from (
        select source, max(delivery_month) as last_month from {{ source('landing', 'deliveries') }}
        where status in ('loaded', 'unchanged')
        group by source
        {%- for landing_table in ['uitkeringen', 'brp', 'klantbeeld', 'trajecten', 'quarantine', 'row_issues'] %}
        union all
        select source, max(delivery_month) from {{ source('landing', landing_table) }} group by source
        {%- endfor %}
    ) as months
    group by source
),

registration_missing as (
    select
        'statushouder_registration_missing' as rule_id,
        'warn' as severity,
        b.source,
        'registratienummer_uitkering=' || b.benefit_id || '; person_id=' || b.person_id as record_key,
        b.person_id,
        b.benefit_id,
        b.month as seen_month,
        bl.last_month as record_latest_month,
        'Asylum title in BRP (derived statushouder) but kenmerk_statushouder is '
            || coalesce(b.statushouder_flag, 'empty')
            || ' on this benefit: register the person as statushouder in the benefits administration.' as detail,
        b.source_file,
        b.source_row
    from {{ ref('stg_uitkeringen__benefits') }} as b
    inner join status as s on s.person_id = b.person_id
    inner join {{ ref('int_person_months') }} as p
        on p.person_id = b.person_id
        and p.month = b.month
    inner join benefit_last_month as bl on bl.benefit_id = b.benefit_id
    where s.is_derived
        and b.is_general_assistance
        and not p.has_statushouder_flag
        and b.month >= {{ date_literal('2017-01-01') }}
),

registration_conflict as (
    select
        'statushouder_registration_conflict' as rule_id,
        'warn' as severity,
        b.source,
        'registratienummer_uitkering=' || b.benefit_id || '; person_id=' || b.person_id as record_key,
        b.person_id,
        b.benefit_id,
        b.month as seen_month,
        bl.last_month as record_latest_month,
        'kenmerk_statushouder = N while BRP gives an asylum title: correct the flag or the BRP record.' as detail,
        b.source_file,
        b.source_row
    from {{ ref('stg_uitkeringen__benefits') }} as b
    inner join status as s on s.person_id = b.person_id
    inner join benefit_last_month as bl on bl.benefit_id = b.benefit_id
    where s.is_derived
        and b.statushouder_flag = 'N'
),

-- one issue per benefit (a household benefit lists both partners: the first person stands for it)
end_reason_missing as (
    select
        'benefit_end_reason_missing' as rule_id,
        'warn' as severity,
        'uitkeringen' as source,
        'registratienummer_uitkering=' || b.benefit_id || '; person_id=' || min(b.person_id) as record_key,
        min(b.person_id) as person_id,
        b.benefit_id,
        b.month as seen_month,
        max(bl.last_month) as record_latest_month,
        'einddatum_uitkering ' || cast(max(b.benefit_end_date) as {{ dbt.type_string() }})
            || ' is set but reden_beeindiging is empty: the ending counts as overig until a reason is given.' as detail,
        min(b.source_file) as source_file,
        min(b.source_row) as source_row
    from {{ ref('stg_uitkeringen__benefits') }} as b
    inner join benefit_last_month as bl on bl.benefit_id = b.benefit_id
    where b.benefit_end_date is not null
        and b.end_reason_code is null
    group by b.benefit_id, b.month
),

-- a running spell (no einddatum) absent from the next benefits delivery: every delivery from
-- then on until it appears again is an occurrence. Which month of a spell is followed by an
-- absence needs the next month the spell appears in; a window over every spell-month ranked
-- ~19 million rows at national scale (and spilled). Most spells appear in every benefits
-- delivery from their first month to their last, so one narrow aggregate per spell finds the
-- rare spells with a gap; only their months, and the last month of every spell, are looked at.
benefit_delivery_index as (
    select
        month,
        row_number() over (order by month) as delivery_index
    from {{ ref('int_reporting_months') }}
    where has_benefits_delivery
),

spell_bounds as (
    select
        s.benefit_id,
        s.benefit_start_date,
        s.last_month,
        -- a spell is in a benefits delivery only (has_benefits_delivery comes from the same rows),
        -- so fewer months than deliveries between its first and last month means a gap
        s.months_delivered < li.delivery_index - fi.delivery_index + 1 as has_gap
    from (
        select
            benefit_id,
            benefit_start_date,
            min(month) as first_month,
            max(month) as last_month,
            count(distinct month) as months_delivered
        from {{ ref('stg_uitkeringen__benefits') }}
        group by benefit_id, benefit_start_date
    ) as s
    inner join benefit_delivery_index as fi on fi.month = s.first_month
    inner join benefit_delivery_index as li on li.month = s.last_month
),

spell_months as (
    select
        b.benefit_id,
        b.benefit_start_date,
        b.month,
        min(b.person_id) as person_id,
        {{ dbt.bool_or('b.benefit_end_date is not null') }} as has_end_date,
        min(b.source_file) as source_file,
        min(b.source_row) as source_row
    from {{ ref('stg_uitkeringen__benefits') }} as b
    inner join spell_bounds as sb
        on sb.benefit_id = b.benefit_id
        and sb.benefit_start_date = b.benefit_start_date
    where sb.has_gap or b.month = sb.last_month
    group by b.benefit_id, b.benefit_start_date, b.month
),

spell_deliveries as (
    select
        sm.*,
        lead(sm.month) over (
            partition by sm.benefit_id, sm.benefit_start_date order by sm.month
        ) as next_month_with_spell,
        rm.next_benefits_month
    from spell_months as sm
    inner join {{ ref('int_reporting_months') }} as rm on rm.month = sm.month
),

benefit_vanished as (
    select
        'benefit_vanished' as rule_id,
        'warn' as severity,
        'uitkeringen' as source,
        'registratienummer_uitkering=' || sd.benefit_id || '; person_id=' || sd.person_id as record_key,
        sd.person_id,
        sd.benefit_id,
        rm.month as seen_month,
        ll.last_benefits_month as record_latest_month,
        'Running benefit (aanvangsdatum ' || cast(sd.benefit_start_date as {{ dbt.type_string() }})
            || ', last delivered ' || cast(sd.month as {{ dbt.type_string() }})
            || ') is missing from later deliveries without einddatum_uitkering: enter the end date and reason.' as detail,
        sd.source_file,
        sd.source_row
    from spell_deliveries as sd
    inner join {{ ref('int_reporting_months') }} as rm
        on rm.has_benefits_delivery
        and rm.month >= sd.next_benefits_month
        and (sd.next_month_with_spell is null or rm.month < sd.next_month_with_spell)
    cross join benefits_delivered as ll
    where not sd.has_end_date
        and sd.next_benefits_month is not null
        and (sd.next_month_with_spell is null or sd.next_month_with_spell > sd.next_benefits_month)
),

partner_client_unknown as (
    select
        'partner_client_unknown' as rule_id,
        'warn' as severity,
        t.source,
        {{ trajectory_record_key('t.partner', 't.initiative_code', 't.registration_date') }}
            || '; person_id=' || t.person_id as record_key,
        t.person_id,
        cast(null as {{ dbt.type_string() }}) as benefit_id,
        t.snapshot_month as seen_month,
        tl.last_month as record_latest_month,
        'Trajectory of a person never seen in a benefits delivery (' || t.source_file
            || ' row ' || cast(t.source_row as {{ dbt.type_string() }})
            || '): check the BSN with the partner.' as detail,
        t.source_file,
        t.source_row
    from {{ ref('stg_trajecten__trajectories') }} as t
    inner join trajectory_last_month as tl on tl.trajectory_key = t.trajectory_key
    left join status as s on s.person_id = t.person_id
    where s.first_benefits_month is null
),

trajectory_dates_inconsistent as (
    select
        'trajectory_dates_inconsistent' as rule_id,
        'warn' as severity,
        t.source,
        {{ trajectory_record_key('t.partner', 't.initiative_code', 't.registration_date') }}
            || '; person_id=' || t.person_id as record_key,
        t.person_id,
        cast(null as {{ dbt.type_string() }}) as benefit_id,
        t.snapshot_month as seen_month,
        tl.last_month as record_latest_month,
        case
            when t.end_date < t.start_date
                then 'einddatum ' || cast(t.end_date as {{ dbt.type_string() }})
                    || ' is before startdatum ' || cast(t.start_date as {{ dbt.type_string() }})
            else 'startdatum ' || cast(t.start_date as {{ dbt.type_string() }})
                || ' is before aanmelddatum ' || cast(t.registration_date as {{ dbt.type_string() }})
        end || ' (' || t.source_file || ' row ' || cast(t.source_row as {{ dbt.type_string() }})
            || '): ask the partner to correct the dates.' as detail,
        t.source_file,
        t.source_row
    from {{ ref('stg_trajecten__trajectories') }} as t
    inner join trajectory_last_month as tl on tl.trajectory_key = t.trajectory_key
    where t.end_date < t.start_date
        or t.start_date < t.registration_date
),

statushouder_months as (
    select p.*, s.settlement_date
    from {{ ref('int_person_months') }} as p
    inner join status as s on s.person_id = p.person_id
    where s.is_statushouder
),

-- the memo's sluitende aanpak: settled from 2018 on, an assessment and a plan van aanpak
-- within 13 weeks (91 days) of settling
intake_incomplete as (
    select
        'intake_incomplete' as rule_id,
        'warn' as severity,
        'klantbeeld' as source,
        'person_id=' || p.person_id as record_key,
        p.person_id,
        p.current_benefit_id as benefit_id,
        p.month as seen_month,
        ll.last_benefits_month as record_latest_month,
        'Settled ' || cast(p.settlement_date as {{ dbt.type_string() }})
            || ', 13 weeks passed '
            || case
                when not (p.assessment_date <= {{ add_days('p.settlement_date', 91) }}
                        or p.assessment_trajectory_start_date <= {{ add_days('p.settlement_date', 91) }})
                    or (p.assessment_date is null and p.assessment_trajectory_start_date is null)
                then 'without an assessment'
                else 'with an assessment'
            end
            || case
                when p.action_plan_date <= {{ add_days('p.settlement_date', 91) }} then ' and a plan van aanpak'
                else ' and without a plan van aanpak'
            end
            || ' within 13 weeks (caseworker ' || coalesce(p.caseworker_id, 'unknown')
            || ', registratienummer_uitkering ' || p.current_benefit_id || ').' as detail,
        cast(null as {{ dbt.type_string() }}) as source_file,
        cast(null as integer) as source_row
    from statushouder_months as p
    cross join benefits_delivered as ll
    where p.settlement_date >= {{ date_literal('2018-01-01') }}
        and {{ add_days('p.settlement_date', 91) }} < {{ add_months('p.month', 1) }}
        and not (
            coalesce(
                p.assessment_date <= {{ add_days('p.settlement_date', 91) }}
                or p.assessment_trajectory_start_date <= {{ add_days('p.settlement_date', 91) }},
                false
            )
            and coalesce(p.action_plan_date <= {{ add_days('p.settlement_date', 91) }}, false)
        )
),

-- the memo's "onvoldoende in beeld"
client_not_in_view as (
    select
        'client_not_in_view' as rule_id,
        'warn' as severity,
        'klantbeeld' as source,
        'person_id=' || p.person_id as record_key,
        p.person_id,
        p.current_benefit_id as benefit_id,
        p.month as seen_month,
        ll.last_benefits_month as record_latest_month,
        'On benefit for ' || cast(p.months_on_benefit as {{ dbt.type_string() }})
            || ' months without assessment, plan van aanpak or trajectory, last contact '
            || coalesce(cast(p.last_contact_date as {{ dbt.type_string() }}), 'never')
            || ' (caseworker ' || coalesce(p.caseworker_id, 'unknown')
            || ', registratienummer_uitkering ' || p.current_benefit_id || ').' as detail,
        cast(null as {{ dbt.type_string() }}) as source_file,
        cast(null as integer) as source_row
    from statushouder_months as p
    cross join benefits_delivered as ll
    where p.months_on_benefit >= 6
        and coalesce(p.labour_market_distance, '') <> 'onoverbrugbaar'
        and not p.is_assessed
        and not p.has_action_plan
        and not p.has_trajectory
        and (p.last_contact_date is null or p.last_contact_date < {{ add_months('p.month', -11) }})
),

-- quarantine: a BSN that fails the check is bsn_invalid; other reasons keep ingestion's rule id
quarantined as (
    select
        case when q.rule like 'bsn%' then 'bsn_invalid' else q.rule end as rule_id,
        'warn' as severity,
        q.source,
        case
            when q.record_key is not null and q.source = 'uitkeringen'
                then 'registratienummer_uitkering=' || q.record_key
            when q.record_key is not null then q.source || ' record ' || q.record_key
            else q.source_file || ' row ' || cast(q.row_number as {{ dbt.type_string() }})
        end as record_key,
        cast(null as {{ dbt.type_string() }}) as person_id,
        case when q.source = 'uitkeringen' then q.record_key end as benefit_id,
        q.delivery_month as seen_month,
        lm.last_month as record_latest_month,
        'Row quarantined (' || q.source_file || ' row ' || cast(q.row_number as {{ dbt.type_string() }})
            || ', column ' || coalesce(q.column_name, '-') || ', value ' || coalesce(q.value, 'empty')
            || '): ' || q.message as detail,
        q.source_file,
        q.row_number as source_row
    from {{ source('landing', 'quarantine') }} as q
    left join landed_months as lm on lm.source = q.source
),

-- findings on rows that loaded: unknown codes (loaded as onbekend), unparseable optional dates
row_findings as (
    select
        r.rule as rule_id,
        'warn' as severity,
        r.source,
        case
            when r.source = 'uitkeringen' and r.record_key is not null
                then 'registratienummer_uitkering=' || r.record_key
            when t.person_id is not null
                then {{ trajectory_record_key('t.partner', 't.initiatief', 't.aanmelddatum') }}
            when r.record_key is not null then r.source || ' record ' || r.record_key
            when r.person_id is null or r.source = 'formatie'
                then r.source_file || ' row ' || cast(r.row_number as {{ dbt.type_string() }})
            else r.source
        end
            || case when r.person_id is not null then '; person_id=' || r.person_id else '' end
            || '; column=' || r.column_name as record_key,
        r.person_id,
        case when r.source = 'uitkeringen' then r.record_key end as benefit_id,
        r.delivery_month as seen_month,
        lm.last_month as record_latest_month,
        r.column_name || ' = ' || coalesce(r.value, 'empty') || ' (' || r.source_file || ' row '
            || cast(r.row_number as {{ dbt.type_string() }}) || '): ' || r.message as detail,
        r.source_file,
        r.row_number as source_row
    from {{ source('landing', 'row_issues') }} as r
    left join {{ source('landing', 'trajecten') }} as t
        on r.source like 'trajecten%'
        and t.delivery_month = r.delivery_month
        and t.source_file = r.source_file
        and t.row_number = r.row_number
    left join landed_months as lm on lm.source = r.source
),

expectation_checks as (
    select
        e.*,
        'suite=' || e.suite_name || '; expectation=' || e.expectation_type
            || coalesce('; column=' || e.column_name, '') as expectation_key,
        max(e.delivery_month) over (
            partition by e.source, e.suite_name, e.rule, e.expectation_type, e.column_name
        ) as last_validated_month
    from {{ source('landing', 'expectation_results') }} as e
),

failed_expectations as (
    select
        e.rule as rule_id,
        e.severity,
        e.source,
        e.source || ': ' || e.expectation_key as record_key,
        cast(null as {{ dbt.type_string() }}) as person_id,
        cast(null as {{ dbt.type_string() }}) as benefit_id,
        e.delivery_month as seen_month,
        e.last_validated_month as record_latest_month,
        'Expectation ' || e.expectation_type || coalesce(' on ' || e.column_name, '') || ' failed'
            || coalesce(' for ' || cast(e.unexpected_count as {{ dbt.type_string() }}) || ' of '
                || cast(e.element_count as {{ dbt.type_string() }}) || ' rows', '')
            || coalesce(': ' || e.detail, '') as detail,
        cast(null as {{ dbt.type_string() }}) as source_file,
        cast(null as integer) as source_row
    from expectation_checks as e
    where not e.success
),

-- the delivery rules (orchestration/quality/month_state.py): an expected delivery missing, a file
-- that cannot be read, a loaded file no longer in raw/ (warn), a benefits file that cannot be read
-- with no version of the month in force (error). They describe the present state of raw/: recorded
-- afresh for every month in every run, so a finding whose file arrived or was replaced is gone.
delivery_findings as (
    select
        c.rule as rule_id,
        c.severity,
        c.source,
        c.record_key,
        cast(null as {{ dbt.type_string() }}) as person_id,
        cast(null as {{ dbt.type_string() }}) as benefit_id,
        c.delivery_month as seen_month,
        c.delivery_month as record_latest_month,
        c.description as detail,
        cast(null as {{ dbt.type_string() }}) as source_file,
        cast(null as integer) as source_row
    from {{ source('landing', 'check_results') }} as c
    where c.origin = 'file_rule'
        and c.rule in ('benefits_delivery_unusable', 'delivery_failed', 'delivery_missing', 'delivery_file_gone')
        and not c.passed
)

select * from registration_missing
union all select * from registration_conflict
union all select * from end_reason_missing
union all select * from benefit_vanished
union all select * from partner_client_unknown
union all select * from trajectory_dates_inconsistent
union all select * from intake_incomplete
union all select * from client_not_in_view
union all select * from quarantined
union all select * from row_findings
union all select * from failed_expectations
union all select * from delivery_findings
