{#- The file version in force per (source, delivery_month) of a landing table. Ingestion keeps one
    version per source and month (a re-delivery replaces the older one); should two versions
    ever be present, the one landed last (landing.deliveries.loaded_at) wins, then the highest
    file name and hash, so a month delivered twice is never counted twice. -#}
{% macro current_file_versions(landing_table, month_filter='') -%}
    select source, delivery_month, file_hash
    from (
        select
            v.source,
            v.delivery_month,
            v.file_hash,
            row_number() over (
                partition by v.source, v.delivery_month
                order by d.loaded_at desc nulls last, v.source_file desc, v.file_hash desc
            ) as version_rank
        from (
            select distinct source, delivery_month, source_file, file_hash
            from {{ landing_table }}
            where 1 = 1 {{ month_filter }}
        ) as v
        left join (
            select source, delivery_month, file_hash, max(loaded_at) as loaded_at
            from {{ source('landing', 'deliveries') }}
            where status in ('loaded', 'unchanged')
            group by source, delivery_month, file_hash
        ) as d
            on d.source = v.source
            and d.delivery_month = v.delivery_month
            and d.file_hash = v.file_hash
    ) as ranked_versions
    where version_rank = 1
{%- endmacro %}

{#- The rows of a landing table that stand: those of the file version in force per delivery month
    (current_file_versions) and, of a key listed twice in one delivery month, the later row
    (highest row_number). Delivery months limited to the run's on an incremental run.
    Duplicates are rare: they are found with a narrow aggregate over the keys, and the wide rows
    stream through hash joins with small build sides (`not materialized`: read twice, never
    copied). Ranking every row with all its columns in a window instead made stg_brp__persons
    spill at dbt's 2 GB memory limit (national backfill, bench/findings.md: 39 -> 18 s for that
    model alone). Keys must be not null (a NULL key never equals itself in the join below: such
    rows would all stand). -#}
{% macro current_landing_rows(landing_table, key_columns) -%}
    {%- set month_filter = incremental_delivery_month_filter('delivery_month') -%}
    with versions_in_force as (
        {{ current_file_versions(landing_table, month_filter) }}
    ),

    rows_in_force as not materialized (
        select r.*
        from {{ landing_table }} as r
        inner join versions_in_force as v
            on v.source = r.source
            and v.delivery_month = r.delivery_month
            and v.file_hash = r.file_hash
        where 1 = 1 {{ incremental_delivery_month_filter('r.delivery_month') }}
    ),

    duplicated_keys as (
        select delivery_month, {{ key_columns | join(', ') }}, max(row_number) as last_row
        from rows_in_force
        group by delivery_month, {{ key_columns | join(', ') }}
        having count(*) > 1
    )

    select r.*
    from rows_in_force as r
    left join duplicated_keys as d
        on d.delivery_month = r.delivery_month
        {%- for k in key_columns %}
        and d.{{ k }} = r.{{ k }}
        {%- endfor %}
    where d.last_row is null or r.row_number = d.last_row
{%- endmacro %}
