-- The participant groups of the effect estimate: one row per initiative, start month s and cell
-- with a participant (group_id, numbered in int_effect_records), with its participants (m) and controls (n) from int_effect_records. A group
-- is matched when it has a control; its participants count at horizon k when
-- k <= months_observed (s + k no later than the last loaded benefits month). The one place where
-- "matched" is decided: the estimate, the naive share, the analytic variance, the bootstrap and
-- the population mart read it here.
select
    group_id,
    initiative_code,
    month,
    gender,
    household,
    age_band,
    duration_band,
    max(months_observed) as months_observed,
    cast(sum(case when is_participant then 1 else 0 end) as integer) as participants,
    cast(sum(case when is_participant then 0 else 1 end) as integer) as controls,
    sum(case when is_participant then 0 else 1 end) > 0 as is_matched
from {{ ref('int_effect_records') }}
group by group_id, initiative_code, month, gender, household, age_band, duration_band
