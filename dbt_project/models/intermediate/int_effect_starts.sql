-- Every person with a start in an initiative, and whether they are a participant of its effect
-- estimate (effect contract, "Participants"): the start is the first startdatum, as each
-- trajectory's latest delivery gives it, of any trajectory of the person in the initiative;
-- start month s = its month. A participant is a statushouder on benefit in s. The others are kept
-- with the reason they are not (start_status), so nobody drops out unseen
-- (marts.initiative_effect_population counts them), and every starter stays out of the controls
-- of that initiative from s on. Rebuilt in full (status, trajectory states and the panel revise).
with latest_states as (
    -- as of the last month every trajectory ever delivered is there, in its latest delivered state
    select person_id, initiative_code, start_date
    from {{ ref('int_trajectories_as_of_month') }}
    where as_of_month = (select max(as_of_month) from {{ ref('int_trajectories_as_of_month') }})
        and start_date is not null
        -- an initiatief outside the code list (an unknown_code finding) is no initiative to assess
        and initiative_code <> 'onbekend'
),

starts as (
    select initiative_code, person_id, min(start_date) as start_date
    from latest_states
    group by initiative_code, person_id
),

last_loaded as (
    select max(month) as last_benefits_month
    from {{ ref('int_reporting_months') }}
    where has_benefits_delivery
),

classified as (
    select
        st.initiative_code,
        st.person_id,
        st.start_date,
        {{ month_start('st.start_date') }} as start_month,
        case
            when not coalesce(s.is_statushouder, false) then 'not_statushouder'
            when {{ month_start('st.start_date') }} > ll.last_benefits_month then 'start_after_last_month'
            when rm.month is null then 'no_benefits_delivery'
            when p.person_id is null then 'not_on_benefit'
            else 'participant'
        end as start_status,
        p.gender,
        p.household,
        p.age_band,
        p.duration_band,
        p.work_exit_lag,
        p.study_exit_lag,
        cast({{ dbt.datediff(month_start('st.start_date'), 'll.last_benefits_month', 'month') }} as integer)
            as months_observed
    from starts as st
    cross join last_loaded as ll
    left join {{ ref('int_statushouder_status') }} as s
        on s.person_id = st.person_id
    left join {{ ref('int_reporting_months') }} as rm
        on rm.month = {{ month_start('st.start_date') }}
        and rm.has_benefits_delivery
    left join {{ ref('int_effect_panel') }} as p
        on p.person_id = st.person_id
        and p.month = {{ month_start('st.start_date') }}
)

select * from classified
