"""The rendement of the initiatives: the interval computations of the matched effect estimate
(the estimate itself is dbt SQL: dbt_project/models/intermediate/int_effect_*.sql). See
docs/rendement.md."""
