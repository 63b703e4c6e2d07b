{#- The record key a steward looks up for a partner trajectory: its identity in the partner's
    delivery (partner, initiatief, aanmelddatum). Stable across snapshots, unlike file and row,
    so a waiver keeps matching; callers add the person's pseudonym. -#}
{% macro trajectory_record_key(partner, initiative, registration_date) -%}
    'partner=' || {{ partner }} || '; initiatief=' || {{ initiative }}
        || '; aanmelddatum=' || cast({{ registration_date }} as {{ dbt.type_string() }})
{%- endmacro %}
