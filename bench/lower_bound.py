"""The lower bound of the monitor's work: the same delivery files read, the same row rules applied,
the BSNs pseudonymised with HMAC-SHA256 and the marts of the mart contract computed, by plain
DuckDB SQL in one process. Python only where DuckDB cannot read a format (Windows-1252 is decoded
in Python, xlsx is read with openpyxl).

Written for the benchmark from the contracts (../shared/specs: landing-contract.md,
mart-contract.md), not imported from the pipeline: it shares no code with orchestration/ or
dbt_project/ (it reads the code lists, which are data, from dbt_project/seeds/). What it leaves
out on purpose, because it is not needed for the marts: the quarantine and row-issue tables,
dq_issues, GX validation results, publication and the report.

Marts covered (schema `marts` of --db): caseload_monthly, outflow_monthly, initiative_outcomes,
participation_by_gender, cohort_progress, cohort_progress_settlement, and the effect marts
initiative_effect and initiative_effect_curve (bench/effect_lower_bound.py).

    python bench/lower_bound.py --raw-dir DIR --db FILE [--month YYYY-MM] [--key KEY]

Without --month every month folder is loaded (a backfill); with it only that month. A delivery
whose file is byte-identical to the version already loaded (sha256) is skipped; when nothing
changed the marts are not recomputed (the lower bound of a run with no new data). Prints one
line of JSON: months, files loaded/unchanged, rows loaded, seconds per phase.
"""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import functools
import hashlib
import io
import json
import os
import re
import sys
import tempfile
import time
from pathlib import Path

import duckdb

SEEDS_DIR = Path(__file__).resolve().parent.parent / "dbt_project" / "seeds"
FIRST_MONTH = "2014-01"
MONTH_DIR = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")

# One entry per delivered file (landing contract, "Dialects agreed with each partner").
# source, kind, file-name regex, format, delimiter, encoding, date format, decimal comma
SOURCES = [
    ("uitkeringen", "uitkeringen", r"uitkeringen.*\.csv", "csv", ";", "utf-8", "iso", False),
    ("brp", "brp", r"brp.*\.csv", "csv", ";", "utf-8", "brp", False),
    ("klantbeeld", "klantbeeld", r"klantbeeld.*\.csv", "csv", ";", "utf-8", "dmy", False),
    ("formatie", "formatie", r"formatie.*\.csv", "csv", ";", "utf-8", "iso", True),
    ("adviesteam", "trajecten", r"trajecten_adviesteam.*\.csv", "csv", ";", "utf-8", "iso", False),
    ("uaf", "trajecten", r"trajecten_uaf.*\.csv", "csv", ",", "utf-8", "iso", False),
    ("agros", "trajecten", r"trajecten_agros.*\.xlsx", "xlsx", None, None, "excel", False),
    ("pasmatch", "trajecten", r"trajecten_pasmatch.*\.csv", "csv", ";", "cp1252", "dmy", True),
    ("aandeslag", "trajecten", r"trajecten_aandeslag.*\.csv", "csv", ",", "utf-8", "iso", False),
    ("timnit", "trajecten", r"trajecten_timnit.*\.csv", "csv", ";", "utf-8", "dmy", False),
    ("vluchtelingenwerk", "trajecten", r"trajecten_vluchtelingenwerk.*\.csv", "csv", ";", "utf-8", "dmy", False),
    ("wsp", "trajecten", r"trajecten_wsp.*\.xlsx", "xlsx", None, None, "excel", False),
    ("sur_atelier", "trajecten", r"trajecten_sur_atelier.*\.csv", "csv", ",", "utf-8", "iso", False),
    ("nova", "trajecten", r"trajecten_nova.*\.csv", "csv", ";", "utf-8", "dmy", False),
    ("gemeente", "trajecten", r"trajecten_gemeente.*\.csv", "csv", ";", "utf-8", "iso", False),
]

COLUMNS = {
    "uitkeringen": ["statistiekjaar", "statistiekmaand", "registratienummer_uitkering", "statistiekcode", "bsn",
                    "geboortedatum", "geslacht", "leefvorm", "aanvangsdatum_uitkering", "einddatum_uitkering",
                    "reden_beeindiging", "kenmerk_statushouder", "klantmanager_id"],
    "brp": ["bsn", "geboortedatum", "geslacht", "nationaliteit", "verblijfstitel", "datum_ingang_verblijfstitel",
            "datum_vestiging_gemeente"],
    "klantbeeld": ["bsn", "klantmanager_id", "assessment_datum", "plan_van_aanpak_datum", "advies_route",
                   "afstand_arbeidsmarkt", "laatste_contact_datum"],
    "formatie": ["maand", "team", "klantmanager_id", "fte"],
    "trajecten": ["bsn", "initiatief", "aanmelddatum", "startdatum", "einddatum", "uitkomst", "uitkomstdatum",
                  "uren_per_week"],
}

# Legacy partner headers before 2018 (landing contract): header -> canonical, the initiative they
# leave out, and their outcome words.
LEGACY = {
    "agros": ({"bsn": "bsn", "datum aanmelding": "aanmelddatum", "datum start": "startdatum",
               "datum einde": "einddatum", "resultaat": "uitkomst", "datum resultaat": "uitkomstdatum",
               "uren": "uren_per_week"}, "AGROS",
              {"loopt": "LOPEND", "werk": "WERK", "stage": "STAGE", "uitval": "UITGEVALLEN", "afgerond": "AFGEROND"}),
    "pasmatch": ({"burgerservicenummer": "bsn", "aanmelddatum": "aanmelddatum", "startdatum traject": "startdatum",
                  "einddatum traject": "einddatum", "status": "uitkomst", "datum status": "uitkomstdatum",
                  "uren p/w": "uren_per_week"}, "PASMATCH",
                 {"actief": "LOPEND", "plaatsing": "WERK", "stageplaats": "STAGE", "gestopt": "UITGEVALLEN",
                  "klaar": "AFGEROND"}),
}

DDL = """
CREATE SCHEMA IF NOT EXISTS lb_landing;
CREATE SCHEMA IF NOT EXISTS marts;
CREATE TABLE IF NOT EXISTS lb_landing.deliveries (month DATE, source VARCHAR, file VARCHAR, sha256 VARCHAR, rows_in BIGINT,
    rows_loaded BIGINT);
CREATE TABLE IF NOT EXISTS lb_landing.uitkeringen (month DATE, source VARCHAR, rn BIGINT, person_id VARCHAR,
    benefit_id VARCHAR, statistiekcode VARCHAR, geslacht VARCHAR, leefvorm VARCHAR, start_date DATE,
    end_date DATE, reden VARCHAR, kenmerk VARCHAR, birth_date DATE);
CREATE TABLE IF NOT EXISTS lb_landing.brp (month DATE, source VARCHAR, rn BIGINT, person_id VARCHAR, geslacht VARCHAR,
    verblijfstitel VARCHAR, title_date DATE, settlement_date DATE);
CREATE TABLE IF NOT EXISTS lb_landing.klantbeeld (month DATE, source VARCHAR, rn BIGINT, person_id VARCHAR,
    assessment_date DATE, action_plan_date DATE, afstand VARCHAR, last_contact DATE);
CREATE TABLE IF NOT EXISTS lb_landing.formatie (month DATE, source VARCHAR, rn BIGINT, maand DATE, team VARCHAR,
    klantmanager_id VARCHAR, fte DOUBLE);
CREATE TABLE IF NOT EXISTS lb_landing.trajecten (month DATE, source VARCHAR, rn BIGINT, partner VARCHAR,
    person_id VARCHAR, initiatief VARCHAR, aanmelddatum DATE, startdatum DATE, einddatum DATE, uitkomst VARCHAR,
    uitkomstdatum DATE, uren DOUBLE);
"""


# ------------------------------------------------------------------------------------------------
# SQL pieces

def lit(value: str) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def trimmed(col: str) -> str:
    """Spaces, tabs, non-breaking spaces and a stray BOM trimmed; empty = NULL."""
    return f"nullif(trim({col}, ' ' || chr(9) || chr(13) || chr(10) || chr(160) || chr(65279)), '')"


def date_sql(col: str, style: str) -> str:
    if style == "iso":
        return f"CAST(try_strptime({col}, '%Y-%m-%d') AS DATE)"
    if style == "dmy":
        return f"CAST(try_strptime({col}, '%d-%m-%Y') AS DATE)"
    if style == "excel":  # date cells arrive as ISO text; a serial number or Dutch text also occurs
        serial = (f"CASE WHEN regexp_full_match({col}, '[0-9]{{1,7}}(\\.[0-9]+)?') "
                  f"THEN DATE '1899-12-30' + CAST(floor(CAST({col} AS DOUBLE)) AS INTEGER) END")
        return f"coalesce({serial}, {date_sql(col, 'iso')}, {date_sql(col, 'dmy')})"
    if style == "brp":  # YYYYMMDD; year 0000 unknown, month 00 = July, day 00 = the 1st
        return (f"CASE WHEN regexp_full_match({col}, '[0-9]{{8}}') AND {col}[1:4] <> '0000' THEN "
                f"CAST(try_strptime({col}[1:4] || CASE {col}[5:6] WHEN '00' THEN '07' ELSE {col}[5:6] END"
                f" || CASE {col}[7:8] WHEN '00' THEN '01' ELSE {col}[7:8] END, '%Y%m%d') AS DATE) END")
    raise ValueError(style)


def in_list_or_onbekend(col: str, values: list[str]) -> str:
    return f"CASE WHEN {col} IS NULL THEN NULL WHEN {col} IN ({', '.join(map(lit, values))}) THEN {col} ELSE 'onbekend' END"


BSN9 = "CASE WHEN regexp_full_match(bsn, '[0-9]{8}') THEN '0' || bsn ELSE bsn END"


def bsn_valid(bsn9: str) -> str:
    """The 11-check: 9*d1 + 8*d2 + ... + 2*d8 - d9 divisible by 11 and not 0."""
    d = [f"CAST({bsn9}[{i}] AS INTEGER)" for i in range(1, 10)]
    total = " + ".join(f"{9 - i} * {d[i]}" for i in range(8)) + f" - {d[8]}"
    return (f"(coalesce(regexp_full_match({bsn9}, '[0-9]{{9}}'), false) AND "
            f"CASE WHEN regexp_full_match({bsn9}, '[0-9]{{9}}') THEN ({total}) % 11 = 0 AND ({total}) <> 0 ELSE false END)")


@functools.lru_cache(maxsize=None)
def codes(name: str, where: tuple[str, str] | None = None) -> list[str]:
    """The codes of a code list (dbt_project/seeds/<name>.csv), optionally where column == value."""
    with open(SEEDS_DIR / f"{name}.csv", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    return [r["code"] for r in rows if where is None or r[where[0]] == where[1]]


# ------------------------------------------------------------------------------------------------
# Reading one file into a temp table of trimmed canonical text columns (rn = data row number)

def _header_map(header: list[str], source: str, kind: str) -> tuple[dict[int, str], dict[str, str], dict[str, str]]:
    """Header position -> canonical column, constants, outcome value map (legacy layouts)."""
    canonical = {c: c for c in COLUMNS[kind]}
    names = [h.strip().lower() for h in header]
    positions = {i: canonical[n] for i, n in enumerate(names) if n in canonical}
    if source in LEGACY and not {"bsn", "initiatief", "aanmelddatum"} <= set(positions.values()):
        headers, initiative, outcomes = LEGACY[source]
        positions = {i: headers[n] for i, n in enumerate(names) if n in headers}
        return positions, {"initiatief": initiative}, outcomes
    return positions, {}, {}


def _select_canonical(kind: str, positions: dict[int, str], constants: dict[str, str], outcome_map: dict[str, str]) -> str:
    by_col = {c: f"c{i}" for i, c in positions.items()}
    parts = ["rn"]
    for col in COLUMNS[kind]:
        if col in constants:
            expr = lit(constants[col])
        elif col in by_col:
            expr = trimmed(by_col[col])
            if col == "uitkomst" and outcome_map:
                whens = " ".join(f"WHEN {lit(k)} THEN {lit(v)}" for k, v in outcome_map.items())
                expr = f"CASE lower({expr}) {whens} ELSE {expr} END"
        else:
            expr = "NULL::VARCHAR"
        parts.append(f"{expr} AS {col}")
    return ", ".join(parts)


def read_file(con, path: Path, source: str, kind: str, fmt: str, delimiter: str | None, encoding: str | None) -> str:
    table = "raw_" + source
    con.execute(f"DROP TABLE IF EXISTS {table}")
    if fmt == "xlsx":
        import openpyxl  # DuckDB reads no xlsx here
        import pyarrow as pa

        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
        ws = wb["trajecten"]
        rows = ws.iter_rows(values_only=True)
        header = [str(h) if h is not None else "" for h in next(rows)]
        cells = [[] for _ in header]
        for row in rows:
            if row is None or all(v is None for v in row):
                continue
            for j in range(len(header)):
                v = row[j] if j < len(row) else None
                if isinstance(v, dt.datetime):
                    v = v.date().isoformat()
                elif isinstance(v, float) and v.is_integer():
                    v = str(int(v))
                elif v is not None:
                    v = str(v)
                cells[j].append(v)
        wb.close()
        arrow = pa.table({f"c{j}": pa.array(col, pa.string()) for j, col in enumerate(cells)})
        arrow = arrow.append_column("rn", pa.array(range(1, arrow.num_rows + 1), pa.int64()))
        positions, constants, outcome_map = _header_map(header, source, kind)
        con.register("xlsx_rows", arrow)
        con.execute(f"CREATE TEMP TABLE {table} AS SELECT {_select_canonical(kind, positions, constants, outcome_map)} FROM xlsx_rows")
        con.unregister("xlsx_rows")
        return table

    tmp = None
    if encoding == "cp1252":  # DuckDB reads UTF-8 only: decode in Python, hand over a UTF-8 copy
        text = path.read_bytes().decode("cp1252")
        tmp = tempfile.NamedTemporaryFile("w", suffix=".csv", encoding="utf-8", newline="", delete=False)
        tmp.write(text)
        tmp.close()
        read_path, first_line = tmp.name, text.split("\n", 1)[0]
    else:
        read_path = str(path)
        with open(path, encoding="utf-8-sig", newline="") as fh:
            first_line = fh.readline()
    try:
        header = next(csv.reader([first_line.rstrip("\r\n")], delimiter=delimiter))
        positions, constants, outcome_map = _header_map(header, source, kind)
        columns = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(header))) + "}"
        # rows that cannot be split into the header's fields are skipped (= quarantined)
        con.execute(
            f"""CREATE TEMP TABLE {table} AS
                SELECT {_select_canonical(kind, positions, constants, outcome_map)}
                FROM (SELECT *, row_number() OVER () AS rn
                      FROM read_csv(?, header = false, skip = 1, delim = {lit(delimiter)}, quote = '"',
                                    columns = {columns}, auto_detect = false, ignore_errors = true))""",
            [read_path],
        )
    finally:
        if tmp is not None:
            os.unlink(tmp.name)
    return table


# ------------------------------------------------------------------------------------------------
# Row rules and typing per kind: the WHERE is the quarantine, the SELECT the loaded values

def typed_insert(kind: str, raw: str, month: str, source: str, partner: str | None, dates: str, decimal_comma: bool) -> str:
    m = dt.date.fromisoformat(month + "-01")
    head = f"SELECT DATE {lit(m.isoformat())} AS month, {lit(source)} AS source, rn, "
    pid = "p.person_id"
    join = f"FROM (SELECT *, {BSN9} AS bsn9 FROM {raw}) r LEFT JOIN pseudonyms p ON p.bsn9 = r.bsn9"
    valid = bsn_valid("r.bsn9")
    if kind == "uitkeringen":
        return (f"INSERT INTO lb_landing.uitkeringen {head} {pid}, registratienummer_uitkering, "
                f"{in_list_or_onbekend('statistiekcode', codes('statistiekcode'))}, "
                f"{in_list_or_onbekend('geslacht', codes('geslacht'))}, {in_list_or_onbekend('leefvorm', codes('leefvorm'))}, "
                f"{date_sql('aanvangsdatum_uitkering', dates)}, {date_sql('einddatum_uitkering', dates)}, "
                f"{in_list_or_onbekend('reden_beeindiging', codes('reden_beeindiging'))}, "
                f"{in_list_or_onbekend('kenmerk_statushouder', ['J', 'N'])}, {date_sql('geboortedatum', dates)} {join} "
                f"WHERE {valid} AND registratienummer_uitkering IS NOT NULL "
                f"AND TRY_CAST(statistiekjaar AS INTEGER) = {m.year} AND TRY_CAST(statistiekmaand AS INTEGER) = {m.month} "
                f"AND {date_sql('aanvangsdatum_uitkering', dates)} IS NOT NULL")
    if kind == "brp":
        return (f"INSERT INTO lb_landing.brp {head} {pid}, {in_list_or_onbekend('geslacht', ['M', 'V', 'O'])}, "
                f"CASE WHEN regexp_full_match(verblijfstitel, '[0-9]{{2}}') THEN verblijfstitel "
                f"WHEN verblijfstitel IS NOT NULL THEN 'onbekend' END, "
                f"{date_sql('datum_ingang_verblijfstitel', 'brp')}, {date_sql('datum_vestiging_gemeente', 'brp')} "
                f"{join} WHERE {valid}")
    if kind == "klantbeeld":
        return (f"INSERT INTO lb_landing.klantbeeld {head} {pid}, {date_sql('assessment_datum', dates)}, "
                f"{date_sql('plan_van_aanpak_datum', dates)}, "
                f"{in_list_or_onbekend('afstand_arbeidsmarkt', ['overbrugbaar', 'onoverbrugbaar'])}, "
                f"{date_sql('laatste_contact_datum', dates)} {join} WHERE {valid}")
    if kind == "formatie":
        fte = "replace(replace(fte, '.', ''), ',', '.')" if decimal_comma else "fte"
        maand = "CAST(try_strptime(maand || '-01', '%Y-%m-%d') AS DATE)"
        return (f"INSERT INTO lb_landing.formatie {head} {maand}, team, klantmanager_id, TRY_CAST({fte} AS DOUBLE) "
                f"FROM {raw} WHERE {maand} IS NOT NULL AND team IS NOT NULL AND klantmanager_id IS NOT NULL")
    if kind == "trajecten":
        uren = "replace(uren_per_week, ',', '.')" if decimal_comma else "uren_per_week"
        return (f"INSERT INTO lb_landing.trajecten {head} {lit(partner)}, {pid}, "
                f"{in_list_or_onbekend('initiatief', codes('initiatieven'))}, {date_sql('aanmelddatum', dates)}, "
                f"{date_sql('startdatum', dates)}, {date_sql('einddatum', dates)}, "
                f"{in_list_or_onbekend('uitkomst', codes('uitkomst'))}, {date_sql('uitkomstdatum', dates)}, "
                f"TRY_CAST({uren} AS DOUBLE) {join} "
                f"WHERE {valid} AND initiatief IS NOT NULL AND {date_sql('aanmelddatum', dates)} IS NOT NULL")
    raise ValueError(kind)


def pseudonymise(con, raw_tables: list[str], key: bytes) -> None:
    """HMAC-SHA256(key, bsn9), first 32 hex characters, in SQL (RFC 2104 with DuckDB's sha256), once
    per distinct valid BSN of this run's files. The BSN lives only in this process's temp tables."""
    block = hashlib.sha256(key).digest() if len(key) > 64 else key
    block = block.ljust(64, b"\0")
    ipad, opad = bytes(b ^ 0x36 for b in block), bytes(b ^ 0x5C for b in block)
    new = " UNION ".join(f"SELECT {BSN9} AS bsn9 FROM {t}" for t in raw_tables)
    con.execute(
        f"""INSERT INTO pseudonyms
            SELECT bsn9, left(sha256($opad || unhex(sha256($ipad || CAST(bsn9 AS BLOB)))), 32)
            FROM ({new}) WHERE {bsn_valid('bsn9')} AND bsn9 NOT IN (SELECT bsn9 FROM pseudonyms)""",
        {"ipad": ipad, "opad": opad},
    )


# ------------------------------------------------------------------------------------------------
# Loading months

def month_files(raw_dir: Path, month: str) -> list[tuple[tuple, Path]]:
    """Per source the file in force: the newest by modification time (then name) of its pattern."""
    folder = raw_dir / month
    files = [p for p in folder.iterdir() if p.is_file() and not p.name.startswith((".", "~$"))]
    chosen = []
    for spec in SOURCES:
        matching = [p for p in files if re.fullmatch(spec[2], p.name, flags=re.IGNORECASE)]
        if matching:
            chosen.append((spec, max(matching, key=lambda p: (p.stat().st_mtime_ns, p.name))))
    return chosen


def load_month(con, raw_dir: Path, month: str, key: bytes) -> dict:
    stats = {"files_loaded": 0, "files_unchanged": 0, "rows_loaded": 0}
    todo, replaced = [], []
    for spec, path in month_files(raw_dir, month):
        source = spec[0]
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        known = con.execute("SELECT sha256 FROM lb_landing.deliveries WHERE month = ? AND source = ?",
                            [month + "-01", source]).fetchone()
        if known and known[0] == digest:
            stats["files_unchanged"] += 1
            continue
        todo.append((spec, path, digest))
        replaced.append(known is not None)
    if not todo:
        return stats
    raw_tables = [read_file(con, path, spec[0], spec[1], spec[3], spec[4], spec[5]) for spec, path, _ in todo]
    pseudonymise(con, [t for t, (spec, _, _) in zip(raw_tables, todo) if spec[1] != "formatie"], key)
    con.begin()
    for raw, (spec, path, digest), replaces in zip(raw_tables, todo, replaced):
        source, kind, _, _, _, _, dates, decimal_comma = spec
        if replaces:  # a changed re-delivery replaces the version loaded before
            for table in ("deliveries", kind):
                con.execute(f"DELETE FROM lb_landing.{table} WHERE month = ? AND source = ?", [month + "-01", source])
        loaded = con.execute(typed_insert(kind, raw, month, source, source if kind == "trajecten" else None, dates,
                                          decimal_comma)).fetchone()[0]
        rows_in = con.execute(f"SELECT count(*) FROM {raw}").fetchone()[0]
        con.execute("INSERT INTO lb_landing.deliveries VALUES (?, ?, ?, ?, ?, ?)",
                    [month + "-01", source, path.relative_to(raw_dir).as_posix(), digest, rows_in, loaded])
        stats["files_loaded"] += 1
        stats["rows_loaded"] += loaded
    con.commit()
    for raw in raw_tables:
        con.execute(f"DROP TABLE {raw}")
    return stats


# ------------------------------------------------------------------------------------------------
# The marts, from the mart contract's definitions

def build_marts(con) -> None:
    asylum = ", ".join(map(lit, codes("verblijfstitel", ("asielvergunning", "J"))))
    werk = ", ".join(map(lit, codes("reden_beeindiging", ("reden_groep", "werk"))))
    studie = ", ".join(map(lit, codes("reden_beeindiging", ("reden_groep", "studie"))))
    con.execute(f"""
    -- every calendar month from the first to the last loaded month; months with a benefits delivery
    CREATE OR REPLACE TEMP TABLE months AS
        SELECT CAST(m AS DATE) AS month FROM range(
            (SELECT min(month) FROM lb_landing.deliveries), (SELECT max(month) FROM lb_landing.deliveries) + INTERVAL 1 MONTH,
            INTERVAL 1 MONTH) t(m);
    CREATE OR REPLACE TEMP TABLE benefit_months AS
        SELECT DISTINCT month FROM lb_landing.uitkeringen;

    -- statushouder: registered (J in any benefits delivery) or derived (an asylum title in any BRP
    -- delivery); permit cohort date: earliest asylum title date, else (registered) earliest benefit start
    CREATE OR REPLACE TEMP TABLE persons AS
    WITH b AS (
        SELECT person_id, coalesce(bool_or(kenmerk = 'J'), false) AS registered, min(start_date) AS first_start
        FROM lb_landing.uitkeringen GROUP BY person_id),
    r AS (
        SELECT person_id, coalesce(bool_or(verblijfstitel IN ({asylum})), false) AS derived,
               min(title_date) FILTER (WHERE verblijfstitel IN ({asylum})) AS permit_date,
               min(settlement_date) AS settlement_date
        FROM lb_landing.brp GROUP BY person_id)
    SELECT person_id,
           coalesce(b.registered, false) OR coalesce(r.derived, false) AS statushouder,
           coalesce(r.derived, false) AS derived,
           b.person_id IS NOT NULL AS has_benefit_row,
           coalesce(r.permit_date, CASE WHEN b.registered THEN b.first_start END) AS permit_date,
           r.settlement_date
    FROM b FULL JOIN r USING (person_id);

    -- one row per BRP delivery and person (a person listed twice: the later row)
    CREATE OR REPLACE TEMP TABLE brp_rows AS
        SELECT month, person_id, CASE geslacht WHEN 'M' THEN 'man' WHEN 'V' THEN 'vrouw' END AS gender
        FROM lb_landing.brp QUALIFY row_number() OVER (PARTITION BY month, person_id ORDER BY rn DESC) = 1;

    -- on benefit in M: a statistiekcode 01 row in M's delivery; household and gender from the row
    -- with the latest aanvangsdatum (gender: BUS, else the BRP letter in force, else onbekend)
    CREATE OR REPLACE TEMP TABLE on_benefit AS
    WITH pm AS (
        SELECT month, person_id,
               arg_max(leefvorm, (start_date, benefit_id)) AS leefvorm,
               arg_max(CASE geslacht WHEN '1' THEN 'man' WHEN '2' THEN 'vrouw' END, (start_date, benefit_id))
                   FILTER (WHERE geslacht IN ('1', '2')) AS bus_gender,
               coalesce(bool_or(kenmerk = 'J'), false) AS flag_j
        FROM lb_landing.uitkeringen WHERE statistiekcode = '01' GROUP BY month, person_id)
    SELECT pm.month, pm.person_id, pm.leefvorm, pm.flag_j, p.derived,
           coalesce(pm.bus_gender, br.gender, 'onbekend') AS gender
    FROM pm
    JOIN persons p ON p.person_id = pm.person_id AND p.statushouder
    ASOF LEFT JOIN brp_rows br ON br.person_id = pm.person_id AND pm.month >= br.month;

    -- benefit ended in M: a spell is a benefit number with its aanvangsdatum; the latest delivery
    -- containing the spell (a row with an einddatum first) gives an einddatum in M; a household
    -- benefit lists each partner: one row per statushouder person of the spell
    CREATE OR REPLACE TEMP TABLE endings AS
    WITH latest AS (
        SELECT benefit_id, start_date, statistiekcode, end_date, reden FROM lb_landing.uitkeringen
        QUALIFY row_number() OVER (PARTITION BY benefit_id, start_date ORDER BY month DESC, end_date IS NULL, rn) = 1),
    spell_persons AS (
        SELECT benefit_id, start_date, person_id, max(month) AS last_month
        FROM lb_landing.uitkeringen WHERE person_id IS NOT NULL GROUP BY ALL)
    SELECT l.benefit_id || '|' || l.start_date AS benefit_id, sp.person_id,
           CAST(date_trunc('month', l.end_date) AS DATE) AS month, sp.last_month,
           CASE WHEN l.reden IN ({werk}) THEN 'werk' WHEN l.reden IN ({studie}) THEN 'studie' ELSE 'overig' END AS reason_group
    FROM latest l JOIN spell_persons sp USING (benefit_id, start_date)
    JOIN persons p ON p.person_id = sp.person_id AND p.statushouder
    WHERE l.statistiekcode = '01' AND l.end_date IS NOT NULL;

    -- trajectory state as of M: the latest snapshot of its partner with month <= M that contains it
    CREATE OR REPLACE TEMP TABLE trajectory_states AS
    WITH snap AS (
        SELECT * FROM lb_landing.trajecten
        QUALIFY row_number() OVER (PARTITION BY month, partner, person_id, initiatief, aanmelddatum ORDER BY rn DESC) = 1),
    spans AS (
        SELECT *, lead(month) OVER (PARTITION BY partner, person_id, initiatief, aanmelddatum ORDER BY month) AS next_month
        FROM snap)
    SELECT m.month AS as_of_month, s.partner, s.person_id, s.initiatief, s.aanmelddatum, s.startdatum, s.einddatum,
           coalesce(s.uitkomst, CASE WHEN s.einddatum IS NULL THEN 'LOPEND' ELSE 'onbekend' END) AS uitkomst
    FROM spans s
    JOIN persons p ON p.person_id = s.person_id AND p.statushouder
    JOIN months m ON m.month >= s.month AND (s.next_month IS NULL OR m.month < s.next_month);
    """)

    con.execute("""
    CREATE OR REPLACE TABLE marts.caseload_monthly AS
    WITH counts AS (
        SELECT month, count(*) AS n,
               count(*) FILTER (WHERE leefvorm = '1') AS single,
               count(*) FILTER (WHERE leefvorm IN ('2', '3')) AS family,
               count(*) FILTER (WHERE derived AND NOT flag_j) AS registration_missing
        FROM on_benefit GROUP BY month),
    moves AS (
        SELECT coalesce(c.month, CAST(p.month + INTERVAL 1 MONTH AS DATE)) AS month,
               count(*) FILTER (WHERE p.person_id IS NULL) AS new_on_benefit,
               count(*) FILTER (WHERE c.person_id IS NULL) AS left_benefit
        FROM on_benefit c FULL JOIN on_benefit p
            ON p.person_id = c.person_id AND p.month = CAST(c.month - INTERVAL 1 MONTH AS DATE)
        GROUP BY 1),
    fte AS (
        SELECT maand AS month, sum(fte) AS fte FROM lb_landing.formatie f
        WHERE team = 'statushouders' AND f.month = (SELECT max(month) FROM lb_landing.formatie g WHERE g.maand = f.maand)
        GROUP BY maand)
    SELECT bm.month,
           CAST(coalesce(c.n, 0) AS INTEGER) AS statushouders_on_benefit,
           CAST(coalesce(c.single, 0) AS INTEGER) AS single_households,
           CAST(coalesce(c.family, 0) AS INTEGER) AS family_households,
           CAST(CASE WHEN bm.month >= DATE '2017-01-01' THEN coalesce(c.registration_missing, 0) END AS INTEGER) AS registration_missing,
           CAST(CASE WHEN prev.month IS NOT NULL THEN coalesce(mv.new_on_benefit, 0) END AS INTEGER) AS new_on_benefit,
           CAST(CASE WHEN prev.month IS NOT NULL THEN coalesce(mv.left_benefit, 0) END AS INTEGER) AS left_benefit,
           CAST(f.fte AS DOUBLE) AS caseworker_fte,
           CAST(coalesce(c.n, 0) / nullif(f.fte, 0) AS DOUBLE) AS clients_per_caseworker
    FROM benefit_months bm
    LEFT JOIN benefit_months prev ON prev.month = CAST(bm.month - INTERVAL 1 MONTH AS DATE)
    LEFT JOIN counts c ON c.month = bm.month
    LEFT JOIN moves mv ON mv.month = bm.month
    LEFT JOIN fte f ON f.month = bm.month;

    CREATE OR REPLACE TABLE marts.outflow_monthly AS
    WITH returned AS (
        SELECT DISTINCT e.benefit_id FROM endings e
        JOIN on_benefit o ON o.person_id = e.person_id AND o.month > e.month
            AND o.month <= CAST(e.month + INTERVAL 6 MONTH AS DATE))
    SELECT e.month, e.reason_group, CAST(count(DISTINCT e.benefit_id) AS INTEGER) AS benefits_ended,
           CAST(CASE WHEN CAST(e.month + INTERVAL 6 MONTH AS DATE) <= (SELECT max(month) FROM benefit_months)
                THEN count(DISTINCT r.benefit_id) END AS INTEGER) AS returned_within_6_months
    FROM endings e LEFT JOIN returned r USING (benefit_id)
    GROUP BY e.month, e.reason_group;

    CREATE OR REPLACE TABLE marts.initiative_outcomes AS
    SELECT as_of_month, initiatief AS initiative_code, uitkomst AS outcome_code,
           CAST(count(*) AS INTEGER) AS trajectories, CAST(count(DISTINCT person_id) AS INTEGER) AS clients
    FROM trajectory_states GROUP BY ALL;

    CREATE OR REPLACE TABLE marts.participation_by_gender AS
    WITH klant AS (
        SELECT month, person_id, assessment_date FROM lb_landing.klantbeeld
        QUALIFY row_number() OVER (PARTITION BY month, person_id ORDER BY rn DESC) = 1),
    active AS (
        SELECT as_of_month AS month, person_id,
               bool_or(startdatum IS NOT NULL AND startdatum < as_of_month + INTERVAL 1 MONTH
                       AND (einddatum IS NULL OR einddatum >= as_of_month + INTERVAL 1 MONTH)) AS in_trajectory,
               bool_or(initiatief = 'ASSESSMENT' AND startdatum < as_of_month + INTERVAL 1 MONTH) AS assessment_trajectory
        FROM trajectory_states GROUP BY ALL),
    per_person AS (
        SELECT o.month, o.person_id, o.gender,
               coalesce(a.in_trajectory, false) AS in_trajectory,
               coalesce(a.assessment_trajectory, false)
                   OR coalesce(k.assessment_date < o.month + INTERVAL 1 MONTH, false) AS assessed
        FROM on_benefit o
        LEFT JOIN active a ON a.month = o.month AND a.person_id = o.person_id
        ASOF LEFT JOIN klant k ON k.person_id = o.person_id AND o.month >= k.month),
    ended AS (  -- a household benefit of a man and a woman counts for both genders, once each
        SELECT month, gender,
               count(DISTINCT benefit_id) FILTER (WHERE reason_group = 'werk') AS ended_work,
               count(DISTINCT benefit_id) FILTER (WHERE reason_group = 'studie') AS ended_study
        FROM (SELECT e.month, e.benefit_id, e.reason_group, coalesce(o.gender, last_o.gender, 'onbekend') AS gender
              FROM endings e
              LEFT JOIN on_benefit o ON o.person_id = e.person_id AND o.month = e.month
              LEFT JOIN on_benefit last_o ON last_o.person_id = e.person_id AND last_o.month = e.last_month)
        GROUP BY ALL),
    grid AS (SELECT month, gender FROM benefit_months, (VALUES ('man'), ('vrouw'), ('onbekend')) g(gender))
    SELECT g.month, g.gender,
           CAST(count(p.person_id) AS INTEGER) AS statushouders_on_benefit,
           CAST(count(*) FILTER (WHERE p.in_trajectory) AS INTEGER) AS in_trajectory,
           CAST(count(*) FILTER (WHERE p.assessed) AS INTEGER) AS assessed,
           CAST(coalesce(any_value(e.ended_work), 0) AS INTEGER) AS ended_work,
           CAST(coalesce(any_value(e.ended_study), 0) AS INTEGER) AS ended_study
    FROM grid g
    LEFT JOIN per_person p ON p.month = g.month AND p.gender = g.gender
    LEFT JOIN ended e ON e.month = g.month AND e.gender = g.gender
    GROUP BY g.month, g.gender;
    """)

    for table, date_col in (("cohort_progress", "permit_date"), ("cohort_progress_settlement", "settlement_date")):
        con.execute(f"""
        CREATE OR REPLACE TABLE marts.{table} AS
        WITH members AS (
            SELECT person_id, year({date_col}) AS cohort_year, CAST(date_trunc('month', {date_col}) AS DATE) AS cohort_month
            FROM persons WHERE statushouder AND has_benefit_row AND {date_col} IS NOT NULL),
        durations AS (
            SELECT DISTINCT m.cohort_year, CAST(6 * n AS INTEGER) AS months_since
            FROM members m, range(1, 201) t(n)
            WHERE make_date(m.cohort_year, 12, 1) + to_months(CAST(6 * n AS INTEGER)) <= (SELECT max(month) FROM benefit_months)),
        targets AS (
            SELECT m.person_id, m.cohort_year, d.months_since,
                   CAST(m.cohort_month + to_months(d.months_since) AS DATE) AS target
            FROM members m JOIN durations d USING (cohort_year))
        SELECT t.cohort_year, t.months_since AS months_since_permit,
               CAST(count(*) AS INTEGER) AS persons,
               CAST(CASE WHEN bool_and(bm.month IS NOT NULL) THEN count(*) FILTER (WHERE o.person_id IS NOT NULL) END AS INTEGER) AS on_benefit,
               CAST(count(*) FILTER (WHERE EXISTS (SELECT 1 FROM endings e WHERE e.person_id = t.person_id
                        AND e.reason_group = 'werk' AND e.month <= t.target)) AS INTEGER) AS outflow_work,
               CAST(count(*) FILTER (WHERE EXISTS (SELECT 1 FROM endings e WHERE e.person_id = t.person_id
                        AND e.reason_group = 'studie' AND e.month <= t.target)) AS INTEGER) AS outflow_study
        FROM targets t
        LEFT JOIN on_benefit o ON o.person_id = t.person_id AND o.month = t.target
        LEFT JOIN benefit_months bm ON bm.month = t.target
        GROUP BY t.cohort_year, t.months_since
        """)


# ------------------------------------------------------------------------------------------------

def find_months(raw_dir: Path) -> list[str]:
    return sorted(p.name for p in raw_dir.iterdir() if p.is_dir() and MONTH_DIR.match(p.name) and p.name >= FIRST_MONTH)


def run(raw_dir: Path, db: Path, month: str | None, key: bytes, threads: int | None = None,
        effect_max_records: int | None = None) -> dict:
    t0 = time.perf_counter()
    con = duckdb.connect(str(db))
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    con.execute(DDL)
    con.execute("CREATE TEMP TABLE pseudonyms (bsn9 VARCHAR, person_id VARCHAR)")
    months = [month] if month else find_months(raw_dir)
    totals = {"files_loaded": 0, "files_unchanged": 0, "rows_loaded": 0}
    for m in months:
        for k, v in load_month(con, raw_dir, m, key).items():
            totals[k] += v
    t_load = time.perf_counter()
    effect = {}
    if totals["files_loaded"]:
        build_marts(con)
        t_marts = time.perf_counter()
        from effect_lower_bound import MAX_RECORDS, build_effect  # bench/effect_lower_bound.py, beside this script

        effect = build_effect(con, MAX_RECORDS if effect_max_records is None else effect_max_records)
    else:
        t_marts = t_load
    con.close()
    t_end = time.perf_counter()
    return {"months": len(months), **totals, "seconds_load": round(t_load - t0, 3),
            "seconds_marts": round(t_marts - t_load, 3), **effect, "seconds": round(t_end - t0, 3)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--raw-dir", type=Path, required=True)
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--month", help="only this month (YYYY-MM); default: every month folder")
    parser.add_argument("--key", default=os.environ.get("STATMON_PSEUDONYM_KEY"),
                        help="pseudonym key (default: $STATMON_PSEUDONYM_KEY)")
    parser.add_argument("--effect-max-records", type=int,
                        help="the effect bootstrap's record budget (default: the pipeline's); 0: analytic intervals only")
    args = parser.parse_args(argv)
    if not args.key:
        parser.error("no pseudonym key: pass --key or set STATMON_PSEUDONYM_KEY")
    if args.month and not (args.raw_dir / args.month).is_dir():
        parser.error(f"{args.raw_dir / args.month} does not exist")
    print(json.dumps(run(args.raw_dir, args.db, args.month, args.key.encode("utf-8"),
                         effect_max_records=args.effect_max_records)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
