-- The risk-set panel of the effect estimate: every statushouder on benefit in every delivered
-- month, with the month's cell (int_effect_cells) and when they left the bijstand for work and for
-- study from that month on: exit lag = whole months from the month to the first month m >= it in
-- which a bijstand benefit (statistiekcode 01) of theirs ended with reason group werk (studie),
-- NULL when none has yet. The outcome at horizon h is "exit lag <= h" (effect contract, "Outcome").
-- Rebuilt in full: status is decided over all deliveries and a later delivery can end or correct
-- a benefit, which changes the lags of every earlier month.
-- Each ending is the first one of its reason group for the months after the previous one (a
-- window), so a person-month meets at most one ending of each: two joins, no aggregation over
-- the panel (millions of rows at national scale).
with exit_windows as (
    select
        person_id,
        end_reason_group,
        ended_month,
        lag(ended_month) over (partition by person_id, end_reason_group order by ended_month) as previous_ended_month
    from (
        select distinct person_id, ended_month, end_reason_group
        from {{ ref('int_benefit_spells') }}
        where is_general_assistance
            and is_ended
            and end_reason_group in ('werk', 'studie')
    ) as endings
)

select
    c.month,
    c.person_id,
    c.gender,
    c.household,
    c.age_band,
    c.duration_band,
    cast({{ dbt.datediff('c.month', 'w.ended_month', 'month') }} as integer) as work_exit_lag,
    cast({{ dbt.datediff('c.month', 'st.ended_month', 'month') }} as integer) as study_exit_lag
from {{ ref('int_effect_cells') }} as c
inner join {{ ref('int_statushouder_status') }} as s
    on s.person_id = c.person_id
left join exit_windows as w
    on w.person_id = c.person_id
    and w.end_reason_group = 'werk'
    and c.month <= w.ended_month
    and (w.previous_ended_month is null or c.month > w.previous_ended_month)
left join exit_windows as st
    on st.person_id = c.person_id
    and st.end_reason_group = 'studie'
    and c.month <= st.ended_month
    and (st.previous_ended_month is null or c.month > st.previous_ended_month)
where s.is_statushouder
