-- The participant groups of the effect estimate: one row per initiative, start month s and cell
-- with a participant (group_id, numbered in int_effect_records), with its participants (m) and controls (n) from int_effect_records. A group
-- is matched when it has a control; its participants count at horizon k when
-- k <= months_observed (s + k no later than the last loaded benefits month). The one place where
-- "matched" is decided: the estimate, the naive share, the analytic variance, the bootstrap and
-- the population mart read it here.
with group_sizes as (
    select
        group_id,
        cast(sum(case when is_participant then 1 else 0 end) as integer) as participants,
        cast(sum(case when is_participant then 0 else 1 end) as integer) as controls
    from {{ ref('int_effect_records') }}
    group by group_id
),

-- the cell of each group, from its participants
group_cells as (
    select distinct
        r.group_id, st.initiative_code, st.start_month as month, st.gender, st.household, st.age_band,
        st.duration_band, st.months_observed
    from {{ ref('int_effect_records') }} as r
    inner join {{ ref('int_effect_starts') }} as st
        on st.initiative_code = r.initiative_code
        and st.person_id = r.person_id
    where r.is_participant
)

select
    c.group_id,
    c.initiative_code,
    c.month,
    c.gender,
    c.household,
    c.age_band,
    c.duration_band,
    c.months_observed,
    s.participants,
    s.controls,
    s.controls > 0 as is_matched
from group_cells as c
inner join group_sizes as s on s.group_id = c.group_id
