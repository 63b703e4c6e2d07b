"""Timing of the GX validations (not a test; run by hand):

    .venv/bin/python tests/quality/bench_gx_validation.py [rows ...]

Builds parsed.uitkeringen and landing.uitkeringen of the given sizes (default 5,000 and 400,000
rows; 1% with an unknown code, 0.5% with a failing BSN check) in a temporary DuckDB file and
times `validate_parsed_batch` (the row-rule suite, 15 expectations) and `run_file_rules` per size,
after GX was imported once."""
from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import duckdb


def build(con, rows: int, month: str) -> None:
    d = f"{month}-01"
    con.execute(f"""INSERT INTO parsed.uitkeringen BY NAME SELECT DATE '{d}' AS delivery_month, 'uitkeringen' AS source,
        '{month}/uitkeringen.csv' AS source_file, 'h' AS file_hash, i::INTEGER AS row_number,
        md5(i::VARCHAR)[1:32] AS person_id, CASE WHEN i % 200 = 0 THEN 'elfproef' ELSE 'ok' END AS bsn_check,
        '{int(month[:4])}' AS statistiekjaar, '{int(month[5:])}' AS statistiekmaand, 'UK' || i AS registratienummer_uitkering,
        CASE WHEN i % 100 = 0 THEN '99' ELSE '01' END AS statistiekcode, '1990-01-01' AS geboortedatum,
        CASE WHEN i % 2 = 0 THEN '1' ELSE '2' END AS geslacht, '1' AS leefvorm, '2016-01-01' AS aanvangsdatum_uitkering,
        NULL AS einddatum_uitkering, NULL AS reden_beeindiging, 'J' AS kenmerk_statushouder, 'km1' AS klantmanager_id
        FROM range(1, {rows} + 1) t(i)""")
    con.execute(f"""INSERT INTO landing.uitkeringen BY NAME SELECT * EXCLUDE (bsn_check) REPLACE (statistiekjaar::INTEGER AS statistiekjaar,
        statistiekmaand::INTEGER AS statistiekmaand, geboortedatum::DATE AS geboortedatum,
        aanvangsdatum_uitkering::DATE AS aanvangsdatum_uitkering, einddatum_uitkering::DATE AS einddatum_uitkering)
        FROM parsed.uitkeringen WHERE delivery_month = DATE '{d}'""")
    con.execute(f"INSERT INTO landing.deliveries VALUES (DATE '{d}', 'uitkeringen', '{month}/uitkeringen.csv', 'h', 1, 'loaded', "
                f"{rows}, {rows}, 0, NULL, now())")


def main(sizes: list[int]) -> None:
    from orchestration.db import ensure_landing_schema
    from orchestration.quality.file_rules import run_file_rules
    from orchestration.quality.gx_runner import gx_context, validate_parsed_batch

    started = time.perf_counter()
    gx_context()
    print(f"GX import + context: {time.perf_counter() - started:.1f} s")
    with tempfile.TemporaryDirectory() as tmp:
        con = duckdb.connect(str(Path(tmp) / "bench.duckdb"))
        ensure_landing_schema(con)
        for index, rows in enumerate(sizes):
            previous, month = f"2017-{index + 1:02d}", f"2018-{index + 1:02d}"
            build(con, rows, previous)
            build(con, rows, month)
            validate_parsed_batch(con, "uitkeringen", [previous])  # warm-up: suite and asset created
            started = time.perf_counter()
            outcomes = validate_parsed_batch(con, "uitkeringen", [month])
            row_rules = time.perf_counter() - started
            started = time.perf_counter()
            run_file_rules(con, "uitkeringen", [month])
            file_rules = time.perf_counter() - started
            failed = sum(not o.success for o in outcomes)
            print(f"{rows:>9,} rows: row rules {row_rules:6.2f} s ({len(outcomes)} expectations, {failed} failed), "
                  f"file rules {file_rules:6.2f} s")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [5_000, 400_000])
