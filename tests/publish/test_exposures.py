"""dbt exposures name exactly what is published, and the marts they reference exist."""
from __future__ import annotations

import re
from pathlib import Path

import yaml

from orchestration.publish.tables import MART_TABLES

DBT = Path(__file__).parents[2] / "dbt_project"


def test_exposures_match_the_publication():
    exposures = {e["name"]: e for e in yaml.safe_load((DBT / "models" / "exposures.yml").read_text())["exposures"]}
    assert set(exposures) == {"published_bi_tables", "stewards_file", "raadsrapportage"}
    refs = lambda e: {re.fullmatch(r"ref\('(\w+)'\)", d).group(1) for d in e["depends_on"] if d.startswith("ref(")}
    # the dbt nodes published (the derived quarter and year totals come from these)
    published = {t.source_relation.split(".")[-1] for t in MART_TABLES}
    assert refs(exposures["published_bi_tables"]) == published
    assert refs(exposures["raadsrapportage"]) <= published
    assert refs(exposures["stewards_file"]) == {"dq_issues"}
    for model in published | {"dq_issues"}:
        assert (DBT / "models" / "marts" / f"{model}.sql").exists() or (DBT / "seeds" / f"{model}.csv").exists(), model
