"""Property: any valid canonical trajectory table, written in any partner's dialect of the registry
(canonical or legacy layout), reads back to the same rows."""
from __future__ import annotations

import datetime as dt
import shutil
import tempfile
from pathlib import Path

import duckdb
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingestion_helpers import KEY, by_result, excel_serial, write_xlsx
from orchestration.config import REGISTRY_FILE
from orchestration.db import ensure_landing_schema
from orchestration.sources.ingest import ingest_month
from orchestration.pseudonym import pseudonymise
from orchestration.quality.suites import code_list

CANONICAL = ["bsn", "initiatief", "aanmelddatum", "startdatum", "einddatum", "uitkomst", "uitkomstdatum",
             "uren_per_week"]
DATE_COLUMNS = {"aanmelddatum", "startdatum", "einddatum", "uitkomstdatum"}
INITIATIVES = code_list("initiatieven")
OUTCOMES = code_list("uitkomst")
# Text an ignored free-text column may hold: delimiters, quotes, accents, a line break.
REMARK_ALPHABET = "abcé ë;,\"'\n-"


def registry_dialects() -> list[tuple[dict, dict | None]]:
    """(source entry, legacy layout or None) for every trajecten source and layout of the registry."""
    data = yaml.safe_load(REGISTRY_FILE.read_text(encoding="utf-8"))
    dialects = []
    for entry in data["sources"]:
        if entry["kind"] != "trajecten":
            continue
        for layout in entry.get("layouts") or [{"name": "canonical"}]:
            dialects.append((entry, layout if layout.get("headers") else None))
    return dialects


def bsn_from(body: int) -> str:
    """A valid 9-digit BSN from an 8-digit body (skipping bodies whose check digit would be 10)."""
    digits = [int(c) for c in f"{body:08d}"]
    total = sum(w * d for w, d in zip(range(9, 1, -1), digits))
    last = total % 11
    if last == 10 or (total - last) == 0:
        return bsn_from(body + 1 if body + 1 < 10**8 else 10**6)
    return f"{body:08d}{last}"


dates = st.dates(min_value=dt.date(2010, 1, 1), max_value=dt.date(2030, 12, 31))


@st.composite
def trajectory(draw, legacy: dict | None):
    outcomes = list((legacy or {}).get("value_maps", {}).get("uitkomst", {}).values()) if legacy else OUTCOMES
    return {
        "bsn": bsn_from(draw(st.integers(10**6, 10**8 - 1))),  # BSNs have at most one leading zero
        "initiatief": legacy["constants"]["initiatief"] if legacy else draw(st.sampled_from(INITIATIVES)),
        "aanmelddatum": draw(dates),
        "startdatum": draw(st.none() | dates),
        "einddatum": draw(st.none() | dates),
        "uitkomst": draw(st.none() | st.sampled_from(outcomes)),
        "uitkomstdatum": draw(st.none() | dates),
        "uren_per_week": draw(st.none() | st.integers(0, 160).map(lambda n: n / 4)),
        "opmerking": draw(st.text(REMARK_ALPHABET, max_size=12)),
        "short_bsn": draw(st.booleans()),
    }


@st.composite
def delivery(draw):
    entry, legacy = draw(st.sampled_from(registry_dialects()))
    rows = draw(st.lists(trajectory(legacy), min_size=0, max_size=12))
    return entry, legacy, rows


def write_delivery(path: Path, entry: dict, legacy: dict | None, rows: list[dict]) -> None:
    header_of = {canonical: delivered for delivered, canonical in legacy["headers"].items()} if legacy else {}
    columns = [c for c in CANONICAL if not (legacy and c in legacy.get("constants", {}))]
    header = [header_of.get(c, c) for c in columns] + ["opmerking"]
    reverse_vocab = {v: k for k, v in legacy["value_maps"]["uitkomst"].items()} if legacy else {}
    date_format = entry["date_format"]

    def cell(row: dict, column: str):
        value = row[column]
        if value is None:
            return None
        if column == "bsn":
            return value[1:] if row["short_bsn"] and value.startswith("0") else value
        if column == "uitkomst":
            return reverse_vocab.get(value, value)
        if column in DATE_COLUMNS:
            if date_format == "excel":
                return value if row["short_bsn"] else excel_serial(value)  # date cell or bare serial
            return value.strftime("%d-%m-%Y" if date_format == "DD-MM-YYYY" else "%Y-%m-%d")
        if column == "uren_per_week":
            if date_format == "excel":
                return value
            text = f"{value:g}"
            return text.replace(".", ",") if entry.get("decimal_comma") else text
        return value

    table = [[cell(row, c) for c in columns] + [row["opmerking"] or None] for row in rows]
    if entry["format"] == "xlsx":
        write_xlsx(path, header, [[int(v) if c == "bsn" else v for c, v in zip(columns + ["opmerking"], r)] for r in table],
                   sheet=entry["sheet"])
        return
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out, delimiter=entry["delimiter"], lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([["" if v is None else v for v in r] for r in table])
    encoding = {"utf-8": "utf-8-sig" if entry.get("bom") else "utf-8", "windows-1252": "cp1252"}[entry["encoding"]]
    path.write_bytes(out.getvalue().encode(encoding))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(delivery())
def test_any_canonical_table_reads_back_identically_in_every_dialect(case):
    entry, legacy, rows = case
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "raw"
        month = raw / "2019-06"
        month.mkdir(parents=True)
        suffix = ".xlsx" if entry["format"] == "xlsx" else ".csv"
        write_delivery(month / f"trajecten_{entry['partner']}{suffix}", entry, legacy, rows)
        con = duckdb.connect()
        ensure_landing_schema(con)
        (result,) = by_result(ingest_month(con, raw, "2019-06", "trajecten", KEY), f"trajecten_{entry['partner']}")
        assert result.status == "loaded", result.message
        assert (result.rows_in, result.rows_loaded, result.rows_quarantined) == (len(rows), len(rows), 0)
        landed = con.execute(
            f"SELECT row_number, person_id, {', '.join(CANONICAL[1:])} FROM landing.trajecten ORDER BY row_number"
        ).fetchall()
        expected = [(i, pseudonymise(r["bsn"], KEY), *[r[c] for c in CANONICAL[1:]]) for i, r in enumerate(rows, 1)]
        assert landed == expected
        assert con.execute("SELECT count(*) FROM landing.row_issues").fetchone()[0] == 0
        con.close()
        shutil.rmtree(raw)
