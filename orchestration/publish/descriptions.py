"""Table and column comments of the published tables, so BI readers see what a column means
beside it (DuckDB ``COMMENT ON``; ``postgres.py`` copies them to PostgreSQL).

One source of truth: the descriptions of the dbt models and seeds (``dbt_project/models/marts``,
``dbt_project/seeds``: the yml files dbt docs are built from). The derived quarter and year
tables take their columns' descriptions from the monthly mart they are summed from; a
``<column>_suppressed`` flag says which column it guards. Only the publication's own tables
(log, revisions) are described here, because no dbt model defines them.
"""
from __future__ import annotations

import functools
from pathlib import Path

import yaml

from ..config import DBT_PROJECT_DIR
from .tables import PUBLISHED_TABLES, PublishedTable

# libyaml's safe loader when PyYAML was built with it (its wheels are): ~10x faster on the ~14
# yml files a publication reads, the same documents.
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

SUPPRESSED_FLAG = ("TRUE when {column} is suppressed (published as NULL): a count of 1 to 4, or a figure from "
                   "which such a count could be computed back. Show it as 'afgeschermd' (x), never as zero.")
SUPPRESSED_RATIO_FLAG = ("TRUE when {column} is suppressed (published as NULL) because the count it is computed "
                         "from is: it would give that count back. Show it as 'afgeschermd' (x), never as zero.")
PERIOD_COLUMNS = {
    "quarter": "Quarter, as the date of its first month (2018-04-01 = Q2 2018).",
    "year": "Calendar year.",
}

# The publication's own tables (no dbt model defines them).
LOG_TABLES: dict[str, tuple[str, dict[str, str]]] = {
    "publication_log": ("One row per publication: when it was made and which months it covers.", {
        "publication_id": "Id of the publication (UTC time stamp + random suffix).",
        "published_at": "When it was published (UTC).",
        "months_from": "First month covered.",
        "months_to": "Last month covered (the last month without a blocking error).",
        "run_id": "Dagster run that published it.",
        "row_counts": "Rows per published table (JSON).",
        "suppressed_cells": "Figures suppressed in this publication.",
        "revisions": "Figures published before whose value changed in this publication.",
        "unprotectable_cells": "Suppressed figures computable from earlier publications (should be 0).",
    }),
    "revisions": ("Every published figure that changed since the previous publication, with old and new value.", {
        "publication_id": "The publication that changed the figure.",
        "published_at": "When that publication was made (UTC).",
        "table_name": "Published table of the figure.",
        "row_key": "The figure's row: its key columns and values.",
        "column_name": "The figure's column.",
        "old_value": "Value in the previous publication ('suppressed' when hidden there).",
        "new_value": "Value in this publication ('suppressed' when hidden now).",
    }),
    "revision_deliveries": ("Why figures changed: per publication, the months already published before that "
                            "were delivered again or late since, per source.", {
        "publication_id": "The publication that used the new deliveries.",
        "delivery_month": "Month of the delivery (a month the previous publication already covered).",
        "source": "Source kind of the delivery (uitkeringen, brp, a partner's trajecten...).",
        "files": "Files of that source and month loaded since the previous publication.",
    }),
    "suppression_relations": ("The identities secondary suppression protects (no suppressed figure can be "
                              "computed back through them).", {"relation": "One identity, in words."}),
}


@functools.cache
def dbt_descriptions(project_dir: Path = DBT_PROJECT_DIR) -> dict[str, tuple[str, dict[str, str]]]:
    """(table description, {column: description}) per dbt model and seed, from the project's yml."""
    out: dict[str, tuple[str, dict[str, str]]] = {}
    for folder, kind in ((project_dir / "models", "models"), (project_dir / "seeds", "seeds")):
        for path in sorted(folder.rglob("*.yml")):
            doc = yaml.load(path.read_text(encoding="utf-8"), Loader=SAFE_LOADER) or {}
            for node in doc.get(kind) or []:
                columns = {c["name"]: " ".join(str(c.get("description", "")).split())
                           for c in node.get("columns") or [] if c.get("description")}
                out[node["name"]] = (" ".join(str(node.get("description", "")).split()), columns)
    return out


def published_descriptions(spec: PublishedTable) -> tuple[str, dict[str, str]]:
    """The comments of one published table: (table comment, {column: comment})."""
    dbt = dbt_descriptions()
    if spec.derived_sql is not None:
        monthly = spec.derived_sql.split(" FROM ")[1].split()[0]
        table_text, monthly_columns = dbt.get(monthly, ("", {}))
        columns = {c: monthly_columns.get(c, "") for c in spec.keys[1:] + spec.counts}
        columns[spec.keys[0]] = PERIOD_COLUMNS[spec.keys[0]]
        table_text = spec.description or table_text
    else:
        source = (spec.source or spec.name).split(".")[-1]
        table_text, columns = dbt.get(source, ("", {}))
        columns = dict(columns)
    for column in spec.counts:
        columns[f"{column}_suppressed"] = SUPPRESSED_FLAG.format(column=column)
    for column in spec.ratios:
        columns[f"{column}_suppressed"] = SUPPRESSED_RATIO_FLAG.format(column=column)
    return table_text, columns


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def comment_published_tables(con, tables=PUBLISHED_TABLES) -> None:
    """COMMENT ON every published table and column that has a description (DuckDB connection)."""
    for spec in tables:
        table_text, columns = published_descriptions(spec)
        _comment(con, spec.name, table_text, columns)


def comment_log_tables(con) -> None:
    for name, (table_text, columns) in LOG_TABLES.items():
        _comment(con, name, table_text, columns)


def _comment(con, table: str, table_text: str, columns: dict[str, str]) -> None:
    if table_text:
        con.execute(f'COMMENT ON TABLE "{table}" IS {_quote(table_text)}')
    for column, text in columns.items():
        if text:
            con.execute(f'COMMENT ON COLUMN "{table}"."{column}" IS {_quote(text)}')
