"""Benchmark (not part of the test suite): ingest a national-scale uitkeringen month.

    .venv/bin/python tests/ingestion/bench_uitkeringen.py [ROWS] [--months N]

Writes ROWS (default 400,000) benefit rows (1% with a bad BSN, 1% with an unknown code) into a
temporary raw/<month>/uitkeringen.csv, ingests it into a fresh DuckDB file and prints the time.
With --months N it ingests N months in a row (the same file copied), as a backfill does."""
from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import duckdb  # noqa: E402

from orchestration.db import ensure_landing_schema  # noqa: E402

from orchestration.sources.ingest import ingest_month  # noqa: E402

HEADER = ("statistiekjaar;statistiekmaand;registratienummer_uitkering;statistiekcode;bsn;geboortedatum;geslacht;"
          "leefvorm;aanvangsdatum_uitkering;einddatum_uitkering;reden_beeindiging;kenmerk_statushouder;klantmanager_id")


def valid_bsn(rng: random.Random) -> str:
    while True:
        body = f"{rng.randrange(10**7, 10**8):08d}"
        total = sum(w * int(d) for w, d in zip(range(9, 1, -1), body))
        if total % 11 != 10:
            return body + str(total % 11)


def write_month(path: Path, rows: int, year: int, month: int, seed: int = 1) -> None:
    rng = random.Random(seed)
    lines = [HEADER]
    for i in range(rows):
        bsn = valid_bsn(rng) if rng.random() > 0.01 else "12345678X"
        code = "01" if rng.random() > 0.01 else "77"
        ended = rng.random() < 0.03
        lines.append(
            f"{year};{month};U{i:08d};{code};{bsn};19{rng.randrange(50, 99)}-0{rng.randrange(1, 9)}-1{rng.randrange(0, 9)};"
            f"{rng.choice('12')};{rng.choice('1234')};2015-0{rng.randrange(1, 9)}-01;"
            f"{f'{year}-{month:02d}-15' if ended else ''};{'11' if ended else ''};{rng.choice('JN ')};KM{rng.randrange(100):03d}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("rows", nargs="?", type=int, default=400_000)
    parser.add_argument("--months", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "raw"
        first = raw / "2018-01"
        first.mkdir(parents=True)
        t0 = time.perf_counter()
        write_month(first / "uitkeringen.csv", args.rows, 2018, 1)
        print(f"wrote {args.rows:,} rows ({(first / 'uitkeringen.csv').stat().st_size / 1e6:.1f} MB) in {time.perf_counter() - t0:.1f} s")
        con = duckdb.connect(str(Path(tmp) / "monitor.duckdb"))
        ensure_landing_schema(con)
        total = 0.0
        for i in range(args.months):
            year, month = 2018 + i // 12, i % 12 + 1
            folder = raw / f"{year}-{month:02d}"
            if i:
                folder.mkdir()
                write_month(folder / "uitkeringen.csv", args.rows, year, month, seed=i)
            t0 = time.perf_counter()
            (result,) = ingest_month(con, raw, folder.name, "uitkeringen", b"bench-key")
            elapsed = time.perf_counter() - t0
            total += elapsed
            print(f"{folder.name}: {result.status} in {elapsed:.2f} s: rows in {result.rows_in:,}, loaded "
                  f"{result.rows_loaded:,}, quarantined {result.rows_quarantined:,}, with issues {result.rows_with_issues:,}")
        if args.months > 1:
            print(f"{args.months} months: {total:.1f} s ingest time")
        con.close()


if __name__ == "__main__":
    main()
