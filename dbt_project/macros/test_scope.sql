{#- Data tests scoped to the months of this run, so that a monthly `dbt build` tests the new
    month and not the whole history again, and a full build (no run months) tests everything.

    A test's `where` config (dbt_project.yml sets it per folder; a test may combine it with its
    own condition) can hold two placeholders, replaced here when the test runs (dbt renders a
    yml `where` at parse time, before the run's months are known):
    - `__in_run_months__(column)`: the column is one of this run's months. For facts keyed by
      delivery month (the staging models): a delivery only changes its own month's rows.
    - `__in_rebuilt_months__(column)`: the column is on or after the earliest month of this run,
      i.e. the months the incremental models delete and rebuild.
    Without run months (full build) both read `1 = 1`. -#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') -%}
    {%- if where -%}
        {%- set filtered -%}
            (select * from {{ relation }} where {{ expand_run_month_scopes(where) }}) dbt_subquery
        {%- endset -%}
        {{ return(filtered) }}
    {%- else -%}
        {{ return(relation) }}
    {%- endif -%}
{%- endmacro %}

{% macro expand_run_month_scopes(where) -%}
    {#- re.split with two groups: text, scope, column, text, scope, column, ..., text -#}
    {%- set parts = modules.re.split('__(in_run_months|in_rebuilt_months)__\\(\\s*(\\w+)\\s*\\)', where) -%}
    {%- set expanded -%}
        {%- for part in parts -%}
            {%- if loop.index0 % 3 == 0 -%}{{ part }}
            {%- elif loop.index0 % 3 == 2 -%}
                {%- if parts[loop.index0 - 1] == 'in_run_months' -%}({{ in_run_months(part) }})
                {%- else -%}({{ in_rebuilt_months(part) }})
                {%- endif -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endset -%}
    {{ return(expanded) }}
{%- endmacro %}

{#- SQL condition: `column` is one of this run's months (first day); all months without any. -#}
{% macro in_run_months(column) -%}
    {%- set months = run_months() -%}
    {%- if months | length == 0 -%}
        {{ return('1 = 1') }}
    {%- endif -%}
    {%- set literals = [] -%}
    {%- for m in months | sort -%}
        {%- do literals.append(date_literal(m ~ '-01')) -%}
    {%- endfor -%}
    {{ return(column ~ ' in (' ~ literals | join(', ') ~ ')') }}
{%- endmacro %}

{#- SQL condition: `column` is a month the incremental models rebuild in this run. -#}
{% macro in_rebuilt_months(column) -%}
    {%- set from_month = run_from_month() -%}
    {%- if from_month is none -%}
        {{ return('1 = 1') }}
    {%- endif -%}
    {{ return(column ~ ' >= ' ~ from_month) }}
{%- endmacro %}
