{#- Incremental models keyed by something other than the month (a spell, a person) can be
    updated by merging months that come after everything they hold; anything else (a
    re-delivered or late month, a full build) rebuilds them in full. -#}

{#- The latest month the model holds (max of `month_column`) as a SQL date literal when this run
    can be appended: the model exists, the run has months, and its earliest month is after that
    latest month. None = rebuild in full. Evaluated before the model changes (compile and
    pre-hook see the same table). -#}
{% macro append_watermark(month_column) -%}
    {#- `this` is None in a unit test: the model is built from its given rows, in full -#}
    {%- if not execute or this is none or not is_incremental() -%}{{ return(none) }}{%- endif -%}
    {%- set months = run_months() -%}
    {%- if months | length == 0 -%}{{ return(none) }}{%- endif -%}
    {%- set result = run_query(
        "select cast(max(" ~ month_column ~ ") as " ~ dbt.type_string() ~ ") from " ~ this) -%}
    {%- set latest = result.columns[0].values()[0] -%}
    {%- if latest is none or (months | sort | first) ~ '-01' <= (latest | string)[:10] -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return(date_literal((latest | string)[:10])) }}
{%- endmacro %}

{#- Pre-hook: empty the model when this run rebuilds it in full (see append_watermark). -#}
{% macro delete_all_unless_appending(month_column) -%}
    {%- if is_incremental() and append_watermark(month_column) is none -%}
    delete from {{ this }}
    {%- endif -%}
{%- endmacro %}

{#- Post-hook of int_benefit_spells: an appended spell has its new rows beside its earlier ones;
    the earlier ones (an older last_delivery_month) go. A spell rebuilt in full has one
    last_delivery_month on all its rows, so nothing of it is removed. -#}
{% macro delete_superseded_spell_rows() -%}
    {%- if is_incremental() -%}
    delete from {{ this }} as earlier
    where exists (
        select 1 from {{ this }} as newer
        where newer.spell_id = earlier.spell_id
            and newer.last_delivery_month > earlier.last_delivery_month
    )
    {%- endif -%}
{%- endmacro %}

{#- A benefit spell's id: registratienummer_uitkering and aanvangsdatum. -#}
{% macro spell_id(benefit_id, start_date) -%}
    {{ dbt.concat([benefit_id, "'|'", "cast(" ~ start_date ~ " as " ~ dbt.type_string() ~ ")"]) }}
{%- endmacro %}
