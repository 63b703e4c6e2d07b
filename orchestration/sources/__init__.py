"""Ingestion: from the delivery files in raw/<YYYY-MM>/ to schema `landing`.

    registry.yaml, registry.py   every delivery format (file pattern, dialect, layouts)
    readers.py                   one file -> a temporary table of raw text (csv, xlsx)
    rules.py                     the row rules (expectations/<kind>.json) compiled to DuckDB SQL
    ingest.py                    prepare, check, pseudonymise and land a month's files; record the
                                 rules' results (ingest_month, prepare_delivery, find_months)
    landing.sql                  the landing schema: every table, declared once

docs/ingestion.md tells the whole story."""
