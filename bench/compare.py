"""Compare the lower bound's marts with the pipeline's, row for row (as multisets)."""
from __future__ import annotations

from pathlib import Path

import duckdb

MARTS = ("caseload_monthly", "outflow_monthly", "initiative_outcomes", "participation_by_gender",
         "cohort_progress", "cohort_progress_settlement")
EFFECT_MARTS = ("initiative_effect", "initiative_effect_curve")  # bench/effect_lower_bound.py


def _select(con, alias: str, table: str, columns: list[tuple[str, str]]) -> str:
    # doubles rounded: the two sides may sum FTEs in a different order
    cols = ", ".join(f"round({c}, 9) AS {c}" if t in ("DOUBLE", "FLOAT") else c for c, t in columns)
    return f"SELECT {cols} FROM {alias}.marts.{table}"


def compare_marts(pipeline_db: Path, lower_bound_db: Path, marts=MARTS, examples: int = 5) -> dict[str, dict]:
    """Per mart: rows on each side and the rows found on one side only (with a few examples)."""
    con = duckdb.connect()
    con.execute(f"ATTACH '{pipeline_db}' AS p (READ_ONLY)")
    con.execute(f"ATTACH '{lower_bound_db}' AS lb (READ_ONLY)")
    out = {}
    for table in marts:
        columns = con.execute(
            "SELECT column_name, data_type FROM duckdb_columns() WHERE database_name = 'lb' AND schema_name = 'marts' "
            "AND table_name = ? ORDER BY column_index", [table]).fetchall()
        p, lb = _select(con, "p", table, columns), _select(con, "lb", table, columns)
        only_p = con.execute(f"SELECT * FROM ({p} EXCEPT ALL {lb}) ORDER BY ALL").fetchall()
        only_lb = con.execute(f"SELECT * FROM ({lb} EXCEPT ALL {p}) ORDER BY ALL").fetchall()
        out[table] = {
            "columns": [c for c, _ in columns],
            "rows_pipeline": con.execute(f"SELECT count(*) FROM p.marts.{table}").fetchone()[0],
            "rows_lower_bound": con.execute(f"SELECT count(*) FROM lb.marts.{table}").fetchone()[0],
            "only_pipeline": len(only_p), "only_lower_bound": len(only_lb),
            "examples_pipeline": only_p[:examples], "examples_lower_bound": only_lb[:examples],
        }
    con.close()
    return out


if __name__ == "__main__":
    import sys

    for name, r in compare_marts(Path(sys.argv[1]), Path(sys.argv[2]), MARTS + EFFECT_MARTS).items():
        print(f"{name}: pipeline {r['rows_pipeline']} rows, lower bound {r['rows_lower_bound']}, "
              f"only pipeline {r['only_pipeline']}, only lower bound {r['only_lower_bound']}")
        print("   ", r["columns"])
        for row in r["examples_pipeline"]:
            print("    P ", row)
        for row in r["examples_lower_bound"]:
            print("    LB", row)
