{#- A model's key and value rules in one test (one dbt node, one Dagster asset check per model
    instead of one per rule), each rule as dbt's own test of that name would check it:
    - not_null: [column, ...]          no NULL in the column;
    - unique: [column or [columns], ...] a column (NULLs ignored, as dbt's `unique`) or a
                                       combination of columns (as `unique_combination`) holds
                                       each value once;
    - accepted_values: {column: [value, ...]}  every non-NULL value is one of these.
    Returns one row per broken rule: `rule` names it (e.g. `not_null(person_id)`) and
    `failures` counts its failing rows (duplicated keys for `unique`); the test's failure count
    is their sum. -#}
{% test keys_and_values(model, not_null=[], unique=[], accepted_values={}) %}
{{ config(fail_calc='coalesce(sum(failures), 0)') }}
with checked as (
    select * from {{ model }}
),

rule_results as (
    {%- for column in not_null %}
    select 'not_null({{ column }})' as rule, count(*) as failures
    from checked where {{ column }} is null
    union all
    {%- endfor %}
    {%- for key in unique %}
    {%- set columns = [key] if key is string else key %}
    select 'unique({{ columns | join(", ") }})' as rule, count(*) as failures
    from (
        select {{ columns | join(', ') }}
        from checked
        {%- if key is string %}
        where {{ key }} is not null
        {%- endif %}
        group by {{ columns | join(', ') }}
        having count(*) > 1
    ) duplicated_keys
    union all
    {%- endfor %}
    {%- for column, values in accepted_values.items() %}
    select 'accepted_values({{ column }})' as rule, count(*) as failures
    from checked
    where {{ column }} is not null
        and {{ column }} not in (
            {%- for value in values %}'{{ value }}'{{ ", " if not loop.last }}{% endfor -%}
        )
    union all
    {%- endfor %}
    select 'none' as rule, 0 as failures
)

select rule, failures
from rule_results
where failures > 0
{% endtest %}
