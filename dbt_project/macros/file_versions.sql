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
