{#- Date helpers on top of dbt's cross-database macros, so that the same SQL runs on DuckDB and
    PostgreSQL (where date_trunc and date + interval return timestamps). -#}

{% macro month_start(date_expr) -%}
    cast({{ dbt.date_trunc('month', date_expr) }} as date)
{%- endmacro %}

{% macro add_months(date_expr, months) -%}
    cast({{ dbt.dateadd('month', months, date_expr) }} as date)
{%- endmacro %}

{% macro add_days(date_expr, days) -%}
    cast({{ dbt.dateadd('day', days, date_expr) }} as date)
{%- endmacro %}

{% macro date_literal(iso_date) -%}
    cast('{{ iso_date }}' as date)
{%- endmacro %}

{% macro year_of(date_expr) -%}
    cast(extract(year from {{ date_expr }}) as integer)
{%- endmacro %}

{#- Reference date for waivers: var `as_of_date` (YYYY-MM-DD) or the database's current date. -#}
{% macro as_of_date() -%}
    {%- set as_of = var('as_of_date', none) -%}
    {%- if as_of -%}{{ date_literal(as_of) }}{%- else -%}current_date{%- endif -%}
{%- endmacro %}
