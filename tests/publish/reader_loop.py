"""A BI reader in its own process. Usage: reader_loop.py OUT_DIR STOP_FILE RESULT_FILE MODE

MODE `loop`: open, read, close the published files in a loop and check that each read sees one
whole publication. MODE `hold`: keep one connection open the whole time, as a BI tool does
(it must not block publication, and keeps reading its own, old publication whole). Two modes,
two processes: within one process DuckDB shares the database instance of a path, so a held
connection would make every new connection of that process see the held publication too."""
import json
import sys
import time
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

out_dir, stop_file, result_file = (Path(a) for a in sys.argv[1:4])
mode = sys.argv[4]
TABLES = ["caseload_monthly", "outflow_monthly", "initiative_outcomes", "initiative_flows", "cohort_progress",
          "cohort_progress_settlement", "participation_by_gender"]
seen, problems, duckdb_reads, parquet_reads = set(), [], 0, 0

# One connection held open for the whole test, as a BI tool does: it must not block publication.
holder = duckdb.connect(str(out_dir / "published.duckdb"), read_only=True) if mode == "hold" else None
held_id = holder.execute("SELECT max(publication_id) FROM publication_log").fetchone()[0] if holder else None
Path(str(result_file) + ".ready").write_text("ready")

while mode == "loop" and not stop_file.exists():
    try:
        con = duckdb.connect(str(out_dir / "published.duckdb"), read_only=True)
        try:
            pub_id, counts, months_to = con.execute(
                "SELECT publication_id, row_counts, months_to FROM publication_log ORDER BY published_at DESC LIMIT 1"
            ).fetchone()
            counts = json.loads(counts)
            for t in TABLES:
                n = con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                if n != counts[t]:
                    problems.append(f"duckdb {pub_id}: {t} has {n} rows, log says {counts[t]}")
            last = con.execute("SELECT max(month) FROM caseload_monthly").fetchone()[0]
            if last != months_to:
                problems.append(f"duckdb {pub_id}: caseload up to {last}, log says {months_to}")
            seen.add(pub_id)
            duckdb_reads += 1
        finally:
            con.close()
        # Parquet: resolve the link once, then read everything from that one folder.
        folder = (out_dir / "published").resolve()
        log = pq.read_table(folder / "publication_log.parquet").to_pylist()
        latest = max(log, key=lambda r: r["published_at"])
        counts = json.loads(latest["row_counts"])
        for t in TABLES:
            n = pq.read_metadata(folder / f"{t}.parquet").num_rows
            if n != counts[t]:
                problems.append(f"parquet {latest['publication_id']}: {t} has {n} rows, log says {counts[t]}")
        if folder.name != latest["publication_id"]:
            problems.append(f"parquet folder {folder.name} holds log of {latest['publication_id']}")
        parquet_reads += 1
    except Exception as exc:  # any error a reader meets is a failure of the guarantee
        problems.append(f"{type(exc).__name__}: {exc}")
    time.sleep(0.005)

while mode == "hold" and not stop_file.exists():
    time.sleep(0.05)
if holder is not None:  # the held connection still reads its (old) publication, whole
    still, counts = holder.execute(
        "SELECT publication_id, row_counts FROM publication_log ORDER BY published_at DESC LIMIT 1").fetchone()
    if still != held_id:
        problems.append(f"held connection changed from {held_id} to {still}")
    for t in TABLES:
        if holder.execute(f"SELECT count(*) FROM {t}").fetchone()[0] != json.loads(counts)[t]:
            problems.append(f"held connection: {t} incomplete")
    seen.add(still)
    holder.close()
Path(result_file).write_text(json.dumps({"seen": sorted(seen), "problems": problems,
                                         "duckdb_reads": duckdb_reads, "parquet_reads": parquet_reads}))
