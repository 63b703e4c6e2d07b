-- Participants against their comparison over the months since start, for the report's chart
-- (effect contract: marts.initiative_effect_curve): per initiative, outcome and k = 0..24, over the
-- matched participants whose start month plus k is loaded, the cumulative participant share and
-- comparison share (as in initiative_effect with h = k; at k = 6, 12, 24 the same numbers).
-- Given for every k with a matched participant: the 20-participant rule of initiative_effect
-- (estimate_status) is applied where it is published or reported.
select
    as_of_month,
    initiative_code,
    outcome,
    cast(months_since_start as integer) as months_since_start,
    cast(matched_participants as integer) as matched_participants,
    cast(participant_share as double precision) as participant_share,
    cast(comparison_share as double precision) as comparison_share,
    case when is_estimated then 'estimated' else 'too_few' end as estimate_status
from {{ ref('int_effect_shares') }}
where matched_participants > 0
