{#- Custom schemas are used as given (staging, intermediate, marts, codes), not prefixed with the
    target schema: the mart contract fixes the schema name `marts`. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}{{ target.schema }}{%- else -%}{{ custom_schema_name | trim }}{%- endif -%}
{%- endmacro %}
