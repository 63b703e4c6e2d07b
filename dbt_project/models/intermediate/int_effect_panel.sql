-- The risk-set panel of the effect estimate: every statushouder on benefit in every delivered
-- month, with the month's cell (int_effect_cells) and when they left the bijstand for work and for
-- study from that month on: exit lag = whole months from the month to the first month m >= it in
-- which a bijstand benefit (statistiekcode 01) of theirs ended with reason group werk (studie),
-- NULL when none has yet. The outcome at horizon h is "exit lag <= h" (effect contract, "Outcome").
-- Rebuilt in full: status is decided over all deliveries and a later delivery can end or correct
-- a benefit, which changes the lags of every earlier month.
with endings as (
    select distinct person_id, ended_month, end_reason_group
    from {{ ref('int_benefit_spells') }}
    where is_general_assistance
        and is_ended
        and end_reason_group in ('werk', 'studie')
)

select
    c.month,
    c.person_id,
    c.gender,
    c.household,
    c.age_band,
    c.duration_band,
    cast(min(case
        when e.end_reason_group = 'werk' then {{ dbt.datediff('c.month', 'e.ended_month', 'month') }}
    end) as integer) as work_exit_lag,
    cast(min(case
        when e.end_reason_group = 'studie' then {{ dbt.datediff('c.month', 'e.ended_month', 'month') }}
    end) as integer) as study_exit_lag
from {{ ref('int_effect_cells') }} as c
inner join {{ ref('int_statushouder_status') }} as s
    on s.person_id = c.person_id
left join endings as e
    on e.person_id = c.person_id
    and e.ended_month >= c.month
where s.is_statushouder
group by c.month, c.person_id, c.gender, c.household, c.age_band, c.duration_band
