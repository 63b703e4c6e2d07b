"""GX is the oracle of the row rules. The suites expectations/<kind>.json are their one definition
and the SQL compiled from them (orchestration/sources/rules.py) their one production engine; on the
rows of a delivery as the rules see them (`prepare_delivery`, the function ingestion lands from),
GX Core on pandas must flag exactly the rows the compiled SQL flags, for every expectation. The
deliveries: demo data of every source and dialect (csv/xlsx, UTF-8/Windows-1252, every date
format, legacy layouts), the hand-written fixtures, and files of tricky values written here (the
edges where Python's strptime, which GX runs, and DuckDB's try_strptime part ways)."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import numpy as np
import pytest

from ingestion_helpers import FIXTURES, excel_serial, write_partner_xlsx, write_xlsx
from orchestration.demo.bsn import BsnPool
from orchestration.quality import gx, suites
from orchestration.sources.ingest import drop_prepared, prepare_file
from orchestration.sources.registry import SOURCE_KINDS
from orchestration.sources.rules import SUPPORTED_TYPES, compile_rules

# The demo months in which every source of the registry delivers, in both its legacy and its
# current layout (the legacy Agros/Pasmatch files end with 2017-12).
DEMO_MONTHS = ("2017-12", "2018-01")
COMPLETE = {"result_format": "COMPLETE", "unexpected_index_column_names": ["row_number"]}

ISO_DATES = ["2018-02-03", "2018-2-3", "2018-02- 3", "2018- 2-03", "18-02-03", "0018-02-03", "0000-01-01",
             "2018-02-30", "2016-02-29", "2018-02-29", "2018-02-03T00:00", "2018-02-03 00:00", "2018/02/03",
             "20180203", "+2018-02-03", "-2018-02-03", "02018-02-03", "2018-002-03", "2018-13-01", "2018-00-10",
             "2018-02-00", "9999-12-31", " 2018-02-03\u00a0", "\u0662\u0660\u0661\u0668-\u0660\u0662-\u0660\u0663",
             "\uff12\uff10\uff11\uff18-\uff10\uff12-\uff10\uff13", "03-02-2018", "gisteren", ""]
DUTCH_DATES = ["03-02-2018", "3-2-2018", " 3-02-2018", "3- 2-2018", "03-02-18", "3-2-18", "31-04-2018",
               "29-02-2019", "29-02-2020", "2018-02-03", "03/02/2018", "03-02-02018", "00-01-2018", "3-13-2018", ""]
BRP_DATES = ["19800203", "19800003", "19800200", "19800000", "00000000", "1980023", "198002031", "1980-02-03",
             "19801303", "19800230", ""]
VALID_BSNS = BsnPool(np.random.default_rng(5)).take(400).tolist()
MONTHS = ["2018-03", "2018-3", "2018- 3", "2018-003", "2018-13", "18-03", "2018-03-01", "0000-03", "201803", ""]


def _bsn(n: int) -> str:
    """The n-th of a fixed list of valid BSNs (the demo generator's pool: it shares no code with
    ingestion)."""
    return f"{VALID_BSNS[n]:09d}"


def write_tricky_deliveries(month_dir: Path) -> None:
    """One delivery per date dialect with the edge values of dates, months, codes and numbers."""
    month_dir.mkdir(parents=True, exist_ok=True)
    header = ("statistiekjaar;statistiekmaand;registratienummer_uitkering;statistiekcode;bsn;geboortedatum;geslacht;"
              "leefvorm;aanvangsdatum_uitkering;einddatum_uitkering;reden_beeindiging;kenmerk_statushouder;klantmanager_id")
    lines = [header]
    for i, date in enumerate(ISO_DATES):
        lines.append(f"2018;03;UK-{i};01;{_bsn(i)};{date};1;1;{date or '2017-01-01'};{date};;J;km1")
    lines.append(f"2018;3;UK-x;99;{_bsn(90)[:8]};1990-01-01;7;1;2017-01-01;;;j;km1")
    lines.append(f"2018;3;UK-y;01;{_bsn(91)[:8]}X;1990-01-01;1;1;2017-01-01;;;J;km1")
    (month_dir / "uitkeringen.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")

    lines = ["bsn;klantmanager_id;assessment_datum;plan_van_aanpak_datum;advies_route;afstand_arbeidsmarkt;laatste_contact_datum"]
    for i, date in enumerate(DUTCH_DATES):
        lines.append(f"{_bsn(100 + i)};km1;{date};{date};werk;{'Overbrugbaar' if i % 2 else 'overbrugbaar'};{date}")
    (month_dir / "klantbeeld.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")

    lines = ["bsn;geboortedatum;geslacht;nationaliteit;verblijfstitel;datum_ingang_verblijfstitel;datum_vestiging_gemeente"]
    codes = ["SYR", "syr", "SY", "SYRI", "ÅLA", "S1R", "\u0662\u0666", "26", "6", "026"]
    for i, date in enumerate(BRP_DATES):
        code = codes[i % len(codes)]
        lines.append(f"{_bsn(200 + i)};{date};{'MVOX'[i % 4]};{code};{code if i % 2 else '26'};{date};{date}")
    (month_dir / "brp.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")

    lines = ["maand;team;klantmanager_id;fte"]
    ftes = ["1,0", "0,89", "1.0", "1", ",5", "1,", "1e3", "-1", "1,0,0", "één"]
    for i, month in enumerate(MONTHS):
        lines.append(f"{month};statushouders;km{i};{ftes[i % len(ftes)]}")
    (month_dir / "formatie.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")

    # xlsx (date format `excel`): date cells, serial numbers and text typed into cells
    import datetime as dt
    cells = [dt.date(2018, 2, 3), excel_serial(dt.date(2018, 2, 3)), 43134.75, 0, 2958466, "03-02-2018", "3-2-2018",
             "2018-02-03", "2018-2-3", "29-02-2019", "03-02-18", "gisteren", None]
    rows = [[int(_bsn(300 + i)), "AGROS", cell, cell, None, "LOPEND", cell, "32.5" if i % 2 else 12]
            for i, cell in enumerate(cells)]
    write_xlsx(month_dir / "trajecten_agros.xlsx",
               ["bsn", "initiatief", "aanmelddatum", "startdatum", "einddatum", "uitkomst", "uitkomstdatum", "uren_per_week"],
               rows)


@pytest.fixture(scope="module")
def deliveries(tmp_path_factory) -> list[Path]:
    """Every file the oracle checks."""
    from orchestration.demo import generate

    root = tmp_path_factory.mktemp("oracle")
    generate(root / "demo", scale=0.1, seed=7, start=DEMO_MONTHS[0], end=DEMO_MONTHS[-1])
    shutil.copytree(FIXTURES / "raw", root / "fixtures")
    write_partner_xlsx(root / "fixtures")
    write_tricky_deliveries(root / "tricky" / "2018-03")
    return sorted(p for p in root.glob("*/*/*") if p.is_file())


@pytest.fixture(scope="module")
def con():
    connection = duckdb.connect()
    yield connection
    connection.close()


def sql_and_gx_flags(con, path: Path) -> tuple[tuple, list[tuple]]:
    """The delivery's (source, layout, date format) and, per expectation, (index, type, column,
    rows the SQL flags, rows GX flags)."""
    prepared = prepare_file(con, path)
    try:
        month = path.parent.name
        suite = suites.resolved_row_rules(prepared.kind.name, month)
        rules = compile_rules(suite, prepared.source.date_format)
        flags = con.execute(
            f"SELECT row_number, {', '.join(f'NOT {r.passes_sql}' for r in rules)} FROM {prepared.table}").fetchall()
        frame = con.execute(f"SELECT * EXCLUDE (bsn, bsn9) FROM {prepared.table}" if "bsn" in prepared.kind.column_names
                            else f"SELECT * FROM {prepared.table}").df()
    finally:
        drop_prepared(con, prepared)
    validation = gx.validate(suite, frame, result_format=COMPLETE)
    compared = []
    for result in gx.results_of(validation, suite, prepared.source.source, month, None, None):
        assert result.exception is None, (path.name, result.rule, result.exception)
        gx_rows = sorted(int(item["row_number"]) for item in result.result.get("unexpected_index_list") or [])
        rule = rules[result.index]
        sql_rows = sorted(row[0] for row in flags if row[1 + result.index])
        compared.append((rule.index, rule.type, rule.column, sql_rows, gx_rows))
    assert len(compared) == len(rules)
    return (prepared.source.source, prepared.layout.name, prepared.source.date_format), compared


@pytest.fixture(scope="module")
def comparisons(con, deliveries) -> dict[Path, tuple]:
    return {path: sql_and_gx_flags(con, path) for path in deliveries}


def test_gx_and_the_compiled_sql_flag_the_same_rows_on_every_dialect(comparisons):
    covered: dict[str, int] = {}          # expectation type -> rows flagged
    for path, (_dialect, compared) in comparisons.items():
        for index, exp_type, column, sql_rows, gx_rows in compared:
            where = (path.parent.parent.name, path.parent.name, path.name, index, column)
            assert (where, sql_rows) == (where, gx_rows)
            covered[exp_type] = covered.get(exp_type, 0) + len(sql_rows)
    # every source of the registry, both layouts of the legacy partners, every date dialect
    from orchestration.sources.registry import load_registry

    dialects = {dialect for dialect, _compared in comparisons.values()}
    assert {s.source for s in load_registry().sources} <= {d[0] for d in dialects}
    assert {("trajecten_agros", "legacy"), ("trajecten_pasmatch", "legacy")} <= {d[:2] for d in dialects}
    assert {d[2] for d in dialects} == {"YYYY-MM-DD", "DD-MM-YYYY", "YYYYMMDD", "excel"}
    # every expectation type the compiler supports did flag rows (the comparison is not vacuous)
    assert set(covered) == set(SUPPORTED_TYPES) and all(covered.values()), covered


@pytest.mark.parametrize("name, column, values, value, passes", [
    ("uitkeringen.csv", "geboortedatum", ISO_DATES, "2018-02- 3", True),    # Python's %d takes a space-padded day
    ("uitkeringen.csv", "geboortedatum", ISO_DATES, "18-02-03", False),     # DuckDB alone would read the year 18
    ("uitkeringen.csv", "geboortedatum", ISO_DATES, "0000-01-01", False),   # DuckDB alone would read the year 0
    ("uitkeringen.csv", "geboortedatum", ISO_DATES, "2018-2-3", True),
    ("klantbeeld.csv", "assessment_datum", DUTCH_DATES, "03-02-18", False),  # not read as the year 18 either
    ("klantbeeld.csv", "assessment_datum", DUTCH_DATES, "3- 2-2018", False),
    ("formatie.csv", "maand", MONTHS, "2018-3", True),
    ("formatie.csv", "maand", MONTHS, "0000-03", False),
])
def test_the_edges_where_strptime_and_duckdb_part_ways(comparisons, name, column, values, value, passes):
    path = next(p for p in comparisons if p.parent.parent.name == "tricky" and p.name == name)
    row = values.index(value) + 1  # the tricky files hold one value per row, in this order
    _dialect, compared = comparisons[path]
    (sql_rows, gx_rows), = [(c[3], c[4]) for c in compared
                            if c[1] == "expect_column_values_to_match_strftime_format" and c[2] == column]
    assert (row in sql_rows, row in gx_rows) == (not passes, not passes)


def test_the_suites_are_gx_suites_with_rule_metadata():
    import great_expectations

    for kind in SOURCE_KINDS:
        data = json.loads(suites.row_rules_path(kind).read_text(encoding="utf-8"))
        suite = great_expectations.ExpectationSuite(**data)   # GX itself loads the file as it is
        assert suite.name == f"landing_{kind}_rows"
        assert len(suite.expectations) == len(data["expectations"]) > 0
        for exp in data["expectations"]:
            assert exp["meta"]["on_fail"] in ("quarantine", "onbekend", "null")
            assert exp["meta"]["rule"] and exp["type"] in SUPPORTED_TYPES
            # code lists come from the seeds through a parameter, never copied into the JSON
            if "code_list" in exp["meta"]:
                assert exp["kwargs"]["value_set"] == {"$PARAMETER": f"codes_{exp['meta']['code_list']}"}
    resolved = suites.gx_suite(suites.resolved_row_rules("uitkeringen", "2018-03"))
    statistiekcode = next(e for e in resolved.expectations if e.column == "statistiekcode")
    assert set(statistiekcode.value_set) == {"01", "02", "03", "11", "12", "14"}


def test_an_expectation_type_the_compiler_does_not_know_is_refused():
    suite = suites.resolved_row_rules("formatie", "2018-03")
    suite["expectations"].append({"type": "expect_column_values_to_be_between",
                                  "kwargs": {"column": "fte", "min_value": 0, "max_value": 2},
                                  "meta": {"rule": "fte_range", "on_fail": "null", "severity": "warn"}})
    with pytest.raises(ValueError, match="expect_column_values_to_be_between is not supported by the row-rule compiler"):
        compile_rules(suite, "YYYY-MM-DD")
