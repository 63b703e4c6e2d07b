{#- The months of this run: var `months`, a list of 'YYYY-MM' (or one comma-separated string).
    Incremental models rebuild every month from the earliest changed one onwards, because a
    month's facts depend on earlier months (previous month on benefit, trajectory state as of). -#}

{#- Where the months come from: var `months` when not empty (by hand, in tests), else the source
    landing.run_months that Dagster fills before each build. Reading a table at execution time
    keeps dbt's partial parsing valid across runs (a changed --vars forces a full re-parse).
    A model that reads the run's months declares the source in a `-- depends_on:` comment, so
    lineage (dbt docs, the Dagster asset graph) shows it. -#}
{% macro run_months() -%}
    {%- set months = var('months', []) -%}
    {%- if months | length == 0 -%}
        {%- set months = run_months_from_table() -%}
    {%- endif -%}
    {%- if months is string -%}
        {%- set months = months.split(',') | map('trim') | reject('equalto', '') | list -%}
    {%- endif -%}
    {%- for m in months -%}
        {%- if not modules.re.match('^[0-9]{4}-[0-9]{2}$', m | string) -%}
            {{ exceptions.raise_compiler_error("var months: expected 'YYYY-MM', got '" ~ m ~ "'") }}
        {%- endif -%}
    {%- endfor -%}
    {{ return(months | map('string') | list) }}
{%- endmacro %}

{#- First day of the earliest month of this run as a SQL date literal, or none (= all months). -#}
{% macro run_from_month() -%}
    {%- set months = run_months() -%}
    {%- if months | length == 0 -%}{{ return(none) }}{%- endif -%}
    {{ return(date_literal((months | sort | first) ~ '-01')) }}
{%- endmacro %}

{#- `and <column> >= <earliest month of this run>` on an incremental run with var months, else
    nothing. `lookback_months` widens the window for facts that need earlier months. -#}
{% macro incremental_month_filter(column, lookback_months=0) -%}
    {%- set from_month = run_from_month() -%}
    {%- if is_incremental() and from_month is not none -%}
        {%- if lookback_months -%}
    and {{ column }} >= {{ add_months(from_month, -lookback_months) }}
        {%- else -%}
    and {{ column }} >= {{ from_month }}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}

{#- Pre-hook of the month-keyed incremental models: before new rows are appended, remove every
    month this run rebuilds (from the earliest month of var months on; all months without it),
    so a month that no longer yields rows cannot leave stale ones behind. -#}
{% macro delete_rebuilt_months(column) -%}
    {%- if is_incremental() -%}
        {%- set from_month = run_from_month() -%}
    delete from {{ this }}{% if from_month is not none %} where {{ column }} >= {{ from_month }}{% endif %}
    {%- endif -%}
{%- endmacro %}

{% macro run_months_from_table() -%}
    {%- if not execute -%}{{ return([]) }}{%- endif -%}
    {%- set run_months_source = source('landing', 'run_months') -%}
    {#- in a dbt unit test the source is the test's given rows, not a table: a full build -#}
    {%- if run_months_source.schema is none -%}{{ return([]) }}{%- endif -%}
    {%- set relation = adapter.get_relation(database=run_months_source.database, schema=run_months_source.schema,
                                            identifier=run_months_source.identifier) -%}
    {%- if relation is none -%}{{ return([]) }}{%- endif -%}
    {%- set result = run_query("select month from " ~ relation ~ " order by month") -%}
    {{ return(result.columns[0].values() | map('string') | list) }}
{%- endmacro %}

{#- Models keyed by delivery month (staging): a delivery changes only its own month, so an
    incremental run replaces exactly the run's months. `and <column> in (<run months>)` on such a
    run, else nothing (a full build reads every month). -#}
{% macro incremental_delivery_month_filter(column) -%}
    {#- `this` is None in a unit test: the model is built from its given rows, in full -#}
    {%- if this is not none and is_incremental() and run_months() | length > 0 %}
    and {{ in_run_months(column) }}
    {%- endif -%}
{%- endmacro %}

{#- Pre-hook of the delivery-month models: remove the run's months (every month without run
    months) before their rows are appended again; a withdrawn month leaves nothing behind. -#}
{% macro delete_run_months(column) -%}
    {%- if is_incremental() -%}
    delete from {{ this }}{% if run_months() | length > 0 %} where {{ in_run_months(column) }}{% endif %}
    {%- endif -%}
{%- endmacro %}
