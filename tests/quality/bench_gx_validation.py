"""Timing of what GX does in the pipeline (not a test; run by hand):

    .venv/bin/python tests/quality/bench_gx_validation.py [rows ...]

Lands uitkeringen deliveries of the given sizes (default 5,000 and 400,000 rows, two months each)
with the real ingestion (the row rules compiled to SQL, their results recorded), then times the
file rules (`run_file_rules`: GX on the landed rows of the new month), the same call again (the
delivery unchanged: recorded results reused, no GX), and the Data Docs of the month. GX's import
and context are timed apart, first."""
from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "ingestion"))

import duckdb  # noqa: E402

from bench_uitkeringen import write_month  # noqa: E402


def main(sizes: list[int]) -> None:
    from orchestration.db import ensure_landing_schema
    from orchestration.quality import gx
    from orchestration.quality.data_docs import build_data_docs
    from orchestration.quality.file_rules import run_file_rules
    from orchestration.sources.ingest import ingest_month

    started = time.perf_counter()
    gx.context()
    print(f"GX import + context: {time.perf_counter() - started:.1f} s")
    with tempfile.TemporaryDirectory() as tmp:
        con = duckdb.connect(str(Path(tmp) / "bench.duckdb"))
        ensure_landing_schema(con)
        for index, rows in enumerate(sizes):
            months = [f"{2016 + index}-01", f"{2016 + index}-02"]
            for seed, month in enumerate(months):
                folder = Path(tmp) / "raw" / month
                folder.mkdir(parents=True)
                write_month(folder / "uitkeringen.csv", rows, int(month[:4]), int(month[5:]), seed=seed)
                started = time.perf_counter()
                ingest_month(con, Path(tmp) / "raw", month, "uitkeringen", b"bench-key")
                landed = time.perf_counter() - started
            run_file_rules(con, "uitkeringen", months[:1])
            started = time.perf_counter()
            outcomes = run_file_rules(con, "uitkeringen", months[1:])
            file_rules = time.perf_counter() - started
            started = time.perf_counter()
            run_file_rules(con, "uitkeringen", months[1:])
            reused = time.perf_counter() - started
            started = time.perf_counter()
            build_data_docs(con, months[1], Path(tmp) / "docs" / months[1])
            docs = time.perf_counter() - started
            failed = sum(not o.passed for o in outcomes)
            print(f"{rows:>9,} rows: landed with row rules recorded {landed:6.2f} s, file rules {file_rules:6.2f} s "
                  f"({len(outcomes)} outcomes, {failed} failed), unchanged again {reused:5.2f} s, Data Docs {docs:5.2f} s")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [5_000, 400_000])
