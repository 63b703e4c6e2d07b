-- Who the effect estimate of each initiative is about, and why the others are not in it: every
-- coded initiative, the persons with a start in it (int_effect_starts) by start_status, and of the
-- participants how many are matched (their cell had a control in their start month) and how many
-- have no valid geboortedatum (age band onbekend). Nobody drops out of the estimate unseen; an
-- initiative without participants has a row here and none in initiative_effect.
with initiatives as (
    select code as initiative_code from {{ ref('initiatieven') }}
    union
    select distinct initiative_code from {{ ref('int_effect_starts') }}
),

matched_groups as (
    select initiative_code, month, gender, household, age_band, duration_band
    from {{ ref('int_effect_groups') }}
    where is_matched
),

starts as (
    select
        st.*,
        mg.initiative_code is not null as is_matched
    from {{ ref('int_effect_starts') }} as st
    left join matched_groups as mg
        on mg.initiative_code = st.initiative_code
        and mg.month = st.start_month
        and mg.gender = st.gender
        and mg.household = st.household
        and mg.age_band = st.age_band
        and mg.duration_band = st.duration_band
        and st.start_status = 'participant'
),

counts as (
    select
        initiative_code,
        count(*) as persons_started,
        sum(case when start_status = 'not_statushouder' then 1 else 0 end) as not_statushouder,
        sum(case when start_status = 'start_after_last_month' then 1 else 0 end) as started_after_last_month,
        sum(case when start_status = 'no_benefits_delivery' then 1 else 0 end) as no_benefits_delivery_in_start_month,
        sum(case when start_status = 'not_on_benefit' then 1 else 0 end) as not_on_benefit_in_start_month,
        sum(case when start_status = 'participant' then 1 else 0 end) as participants,
        sum(case when is_matched then 1 else 0 end) as matched_participants,
        sum(case when start_status = 'participant' and age_band = 'onbekend' then 1 else 0 end) as participants_age_unknown
    from starts
    group by initiative_code
)

select
    i.initiative_code,
    cast(coalesce(c.persons_started, 0) as integer) as persons_started,
    cast(coalesce(c.not_statushouder, 0) as integer) as not_statushouder,
    cast(coalesce(c.started_after_last_month, 0) as integer) as started_after_last_month,
    cast(coalesce(c.no_benefits_delivery_in_start_month, 0) as integer) as no_benefits_delivery_in_start_month,
    cast(coalesce(c.not_on_benefit_in_start_month, 0) as integer) as not_on_benefit_in_start_month,
    cast(coalesce(c.participants, 0) as integer) as participants,
    cast(coalesce(c.matched_participants, 0) as integer) as matched_participants,
    cast(coalesce(c.participants_age_unknown, 0) as integer) as participants_age_unknown
from initiatives as i
left join counts as c on c.initiative_code = i.initiative_code
