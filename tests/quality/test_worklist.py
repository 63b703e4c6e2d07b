"""The stewards' worklist (`statmon dq`) on a warehouse with a dq_issues table of the mart
contract's columns and a quarantine, read-only."""
import csv
import datetime as dt

import duckdb
import pytest
from openpyxl import load_workbook

from orchestration.quality.worklist import WorklistError, write_worklist

EVIL = ['=HYPERLINK("http://x","y")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A2)"]


@pytest.fixture
def warehouse(tmp_path):
    path = tmp_path / "warehouse.duckdb"
    con = duckdb.connect(str(path))
    con.execute(open(__import__("orchestration.config", fromlist=["x"]).LANDING_DDL_FILE).read())
    con.execute("CREATE SCHEMA marts")
    con.execute("""CREATE TABLE marts.dq_issues (rule_id VARCHAR, severity VARCHAR, source VARCHAR, record_key VARCHAR,
                   first_seen_month DATE, last_seen_month DATE, status VARCHAR, detail VARCHAR)""")
    issues = [
        ("benefit_end_reason_missing", "warn", "uitkeringen", "UK-1", "2018-01-01", "2018-05-01", "open", "einddatum without reden"),
        ("benefit_end_reason_missing", "warn", "uitkeringen", "UK-2", "2018-02-01", "2018-03-01", "resolved", "fixed"),
        ("benefit_end_reason_missing", "warn", "uitkeringen", "UK-3", "2018-01-01", "2018-05-01", "waived", "accepted"),
        ("statushouder_registration_missing", "warn", "uitkeringen", EVIL[0], "2018-05-01", "2018-05-01", "open", EVIL[1]),
        ("statushouder_registration_conflict", "warn", "uitkeringen", "UK-9", "2017-01-01", "2017-02-01", "resolved", EVIL[2]),
        ("row_count_vs_previous_month", "error", "uitkeringen", "uitkeringen 2018-05", "2018-05-01", "2018-05-01", "open", EVIL[3]),
    ]
    con.executemany("INSERT INTO marts.dq_issues VALUES (?, ?, ?, ?, ?::DATE, ?::DATE, ?, ?)", issues)
    con.execute("""INSERT INTO landing.quarantine VALUES
        (DATE '2018-05-01', 'uitkeringen', '2018-05/uitkeringen.csv', 'h', 7, 'bsn', '******123', 'bsn_invalid', 'BSN ******123 fails the 11-check', 'UK-7'),
        (DATE '2018-05-01', 'uitkeringen', '2018-05/uitkeringen.csv', 'h', 9, 'aanvangsdatum_uitkering', '=1+1', 'required_date_invalid', 'not a date', 'UK-8'),
        (DATE '2018-04-01', 'uitkeringen', '2018-04/uitkeringen.csv', 'h', 3, 'bsn', '******999', 'bsn_invalid', 'BSN fails', NULL)""")
    con.close()
    return path


def test_xlsx_has_summary_and_a_sheet_per_rule_and_no_formula(warehouse, tmp_path):
    path = write_worklist(warehouse, None, "xlsx", tmp_path / "out")
    assert path == tmp_path / "out" / "dq_worklist_all.xlsx"
    book = load_workbook(path)
    assert book.sheetnames[0] == "summary"
    assert "benefit_end_reason_missing" in book.sheetnames and "quarantine" in book.sheetnames
    assert all(len(name) <= 31 for name in book.sheetnames)
    assert {"statush_registration_missing", "statush_registration_conflict"} <= set(book.sheetnames)
    assert len(book.sheetnames) == 1 + 4 + 1  # summary, 4 rules, quarantine
    summary = {row[0]: row for row in book["summary"].iter_rows(min_row=2, values_only=True)}
    assert summary["benefit_end_reason_missing"][1:6] == ("warn", 1, 1, 1, 3)  # open, waived, resolved, total
    assert summary["row_count_vs_previous_month"][1] == "error"
    assert summary["statushouder_registration_conflict"][6] == "statush_registration_conflict"
    assert book["summary"]["G2"].hyperlink.location == f"'{book['summary']['G2'].value}'!A1"
    assert summary["quarantine: bsn_invalid"][5] == 2
    rule_sheet = book["benefit_end_reason_missing"]
    assert [c.value for c in rule_sheet[1]] == ["status", "source", "record_key", "first_seen_month", "last_seen_month", "severity", "detail"]
    assert [row[0] for row in rule_sheet.iter_rows(min_row=2, values_only=True)] == ["open", "waived", "resolved"]
    assert rule_sheet.auto_filter.ref == "A1:G4" and rule_sheet.freeze_panes == "A2"
    assert rule_sheet["A1"].font.bold
    assert rule_sheet.column_dimensions["G"].width >= len("einddatum without reden")
    texts = []
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{sheet.title}!{cell.coordinate} is a formula: {cell.value!r}"
                if isinstance(cell.value, str):
                    texts.append(cell.value)
    for value in EVIL + ["=1+1"]:
        assert value in texts  # kept verbatim, as text


def test_extra_columns_of_the_dbt_model_are_shown(warehouse, tmp_path):
    con = duckdb.connect(str(warehouse))
    con.execute("ALTER TABLE marts.dq_issues ADD COLUMN source_file VARCHAR")
    con.execute("ALTER TABLE marts.dq_issues ADD COLUMN waived_by VARCHAR")
    con.execute("UPDATE marts.dq_issues SET source_file = '2018-05/uitkeringen.csv', waived_by = 'j.jansen' WHERE record_key = 'UK-3'")
    con.close()
    sheet = load_workbook(write_worklist(warehouse, None, "xlsx", tmp_path))["benefit_end_reason_missing"]
    assert [c.value for c in sheet[1]][-2:] == ["source_file", "waived_by"]
    assert list(sheet.iter_rows(min_row=3, max_row=3, values_only=True))[0][-2:] == ("2018-05/uitkeringen.csv", "j.jansen")


def test_month_filter(warehouse, tmp_path):
    book = load_workbook(write_worklist(warehouse, "2018-04", "xlsx", tmp_path))
    # issues seen in 2018-04: UK-1 and UK-3 (UK-2 ended in 2018-03); quarantine of 2018-04 only
    assert book.sheetnames == ["summary", "benefit_end_reason_missing", "quarantine"]
    assert [r[2] for r in book["benefit_end_reason_missing"].iter_rows(min_row=2, values_only=True)] == ["UK-1", "UK-3"]
    assert [r[3] for r in book["quarantine"].iter_rows(min_row=2, values_only=True)] == [3]


def test_csv_neutralises_formulas(warehouse, tmp_path):
    path = write_worklist(warehouse, "2018-05", "csv", tmp_path)
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter=";"))
    assert {r["kind"] for r in rows} == {"issue", "quarantine"}
    for row in rows:
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@")), value
    assert "'" + EVIL[0] in [r["record_key"] for r in rows]
    assert any(r["value"] == "'=1+1" for r in rows)


def test_table_for_the_terminal(warehouse):
    text = write_worklist(warehouse, None, "table", None)
    assert "benefit_end_reason_missing" in text and "quarantine: bsn_invalid" in text
    assert "[open] uitkeringen UK-1 (2018-01..2018-05)" in text


def test_opened_read_only(warehouse, tmp_path):
    # the worklist never writes: the file is unchanged and a read-only open would refuse writes
    before = warehouse.read_bytes()
    write_worklist(warehouse, None, "xlsx", tmp_path)
    assert warehouse.read_bytes() == before


def test_reads_the_published_stewards_file_layout(tmp_path):
    path = tmp_path / "stewards.duckdb"
    con = duckdb.connect(str(path))
    con.execute("""CREATE TABLE dq_issues AS SELECT 'bsn_invalid' rule_id, 'warn' severity, 'uitkeringen' source,
                   'UK-1' record_key, DATE '2018-05-01' first_seen_month, DATE '2018-05-01' last_seen_month,
                   'open' status, 'BSN fails the check' detail""")
    con.close()
    assert "bsn_invalid" in write_worklist(path, None, "table", None)


def test_clear_error_without_dq_issues(tmp_path):
    path = tmp_path / "empty.duckdb"
    duckdb.connect(str(path)).close()
    with pytest.raises(WorklistError, match="no dq_issues table"):
        write_worklist(path, None, "table", None)
    with pytest.raises(WorklistError, match="does not exist"):
        write_worklist(tmp_path / "absent.duckdb", None, "table", None)


def test_while_a_run_writes_the_warehouse_the_published_stewards_file_is_read(warehouse, tmp_path, capsys):
    """DuckDB lets one process write a file; a run holds the warehouse, the steward reads the
    stewards' file published beside it."""
    import subprocess
    import sys

    writer = subprocess.Popen(
        [sys.executable, "-c", f"import duckdb, sys, time; c = duckdb.connect({str(warehouse)!r}); print('holding', flush=True); time.sleep(60)"],
        stdout=subprocess.PIPE, text=True)
    try:
        assert writer.stdout.readline().strip() == "holding"
        with pytest.raises(WorklistError, match="being written by a run and no published stewards' file"):
            write_worklist(warehouse, None, "table", None)
        stewards = warehouse.parent / "stewards.duckdb"
        con = duckdb.connect(str(stewards))
        con.execute("""CREATE TABLE dq_issues AS SELECT 'benefit_vanished' rule_id, 'warn' severity, 'uitkeringen' source,
                       'UK-5' record_key, DATE '2018-05-01' first_seen_month, DATE '2018-05-01' last_seen_month,
                       'open' status, 'published copy' detail""")
        con.close()
        text = write_worklist(warehouse, None, "table", None)
        assert "published copy" in text and "benefit_end_reason_missing" not in text
        assert "is being written by a run" in capsys.readouterr().err
    finally:
        writer.kill()
        writer.wait()
