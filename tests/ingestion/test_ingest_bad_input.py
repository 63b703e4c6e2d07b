"""The landing contract's "Bad input": rows that cannot be placed go to quarantine with their
reason, codes outside their list load as 'onbekend' and are reported, optional dates that do not
parse load empty and are reported, and files that cannot be read fail that source for that month
with a message a steward can act on. Rows in = rows loaded + rows quarantined, always."""
from __future__ import annotations

import datetime as dt

import pytest

from ingestion_helpers import KEY, TRAJECT_HEADER, by_result, ingest_all, write_xlsx
from orchestration.sources.ingest import find_months, ingest_month


def quarantine(con, source: str) -> list[tuple]:
    return con.execute(
        "SELECT row_number, column_name, value, rule, message, record_key FROM landing.quarantine "
        "WHERE source = ? ORDER BY row_number", [source]
    ).fetchall()


def row_issues(con, source: str) -> list[tuple]:
    return con.execute(
        "SELECT row_number, column_name, value, rule FROM landing.row_issues WHERE source = ? "
        "ORDER BY row_number, column_name", [source]
    ).fetchall()


def test_every_kind_of_bad_uitkeringen_row_is_quarantined_with_its_reason(con, raw_dir):
    (result,) = ingest_month(con, raw_dir, "2018-03", "uitkeringen", KEY)
    assert (result.status, result.rows_in, result.rows_loaded, result.rows_quarantined, result.rows_with_issues) == (
        "loaded", 14, 5, 9, 2)
    assert result.rows_in == result.rows_loaded + result.rows_quarantined
    assert quarantine(con, "uitkeringen") == [
        (3, "bsn", "******631", "bsn_invalid", "BSN ******631 fails the 11-check", "U003"),
        (4, "bsn", "******859", "bsn_invalid", "BSN ******859 contains characters other than digits", "U004"),
        (5, "bsn", None, "bsn_invalid", "BSN is empty", "U005"),
        (6, "bsn", "******567", "bsn_invalid", "BSN ******567 does not have 8 or 9 digits", "U006"),
        (7, "registratienummer_uitkering", None, "key_missing", "registratienummer_uitkering is empty (required)", None),
        (8, "aanvangsdatum_uitkering", None, "required_date_missing",
         "aanvangsdatum_uitkering is empty (required date)", "U008"),
        (9, "aanvangsdatum_uitkering", "2018-13-01", "required_date_invalid",
         "aanvangsdatum_uitkering '2018-13-01' is not a valid date (expected YYYY-MM-DD)", "U009"),
        (11, "statistiekjaar", "2017", "wrong_month",
         "statistiekjaar '2017' is not the year of the delivery folder (2018); "
         "statistiekmaand '12' is not the month of the delivery folder (3)", "U011"),
        (14, None, None, "malformed_row", "row has 5 fields, the header has 13 (a truncated or incomplete line?)", None),
    ]
    assert row_issues(con, "uitkeringen") == [
        (10, "einddatum_uitkering", "2018-02-30", "date_invalid"),
        (10, "geboortedatum", "31-02-2018", "date_invalid"),
        (12, "geslacht", "3", "unknown_code"),
        (12, "kenmerk_statushouder", "X", "unknown_code"),
        (12, "leefvorm", "7", "unknown_code"),
        (12, "reden_beeindiging", "42", "unknown_code"),
        (12, "statistiekcode", "99", "unknown_code"),
    ]
    loaded = con.execute(
        """SELECT row_number, registratienummer_uitkering, statistiekjaar, statistiekmaand, statistiekcode, geboortedatum,
                  geslacht, leefvorm, einddatum_uitkering, reden_beeindiging, kenmerk_statushouder, klantmanager_id
           FROM landing.uitkeringen ORDER BY row_number"""
    ).fetchall()
    assert loaded == [
        (1, "U001", 2018, 3, "01", dt.date(1985, 4, 12), "1", "1", None, None, "J", "KM01"),
        (2, "U002", 2018, 3, "01", dt.date(1990, 1, 1), "2", "3", dt.date(2018, 3, 20), "11", None, "KM02"),
        (10, "U010", 2018, 3, "01", None, "1", "1", None, None, "J", "KM01"),
        (12, "U012", 2018, 3, "onbekend", dt.date(1980, 1, 1), "onbekend", "onbekend", dt.date(2018, 3, 31),
         "onbekend", "onbekend", "KM03"),
        # spaces, non-breaking spaces and an em space around values are trimmed
        (13, "U013", 2018, 3, "01", dt.date(1970, 7, 7), "2", "2", None, None, "J", "KM03"),
    ]


def test_other_kinds_quarantine_and_report(con, raw_dir):
    ingest_all(con, raw_dir, "2018-03")
    assert quarantine(con, "brp") == [(4, "bsn", "******631", "bsn_invalid", "BSN ******631 fails the 11-check", None)]
    assert row_issues(con, "brp") == [
        (5, "datum_ingang_verblijfstitel", "20160631", "date_invalid"),
        (5, "datum_vestiging_gemeente", "2016", "date_invalid"),
        (5, "geboortedatum", "19801340", "date_invalid"),
        (5, "geslacht", "X", "unknown_code"),
        (5, "nationaliteit", "Syria", "unknown_code"),
        (5, "verblijfstitel", "2", "unknown_code"),
    ]
    assert quarantine(con, "klantbeeld") == [
        (4, "bsn", "******abc", "bsn_invalid", "BSN ******abc contains characters other than digits", None)]
    assert row_issues(con, "klantbeeld") == [
        (3, "advies_route", "reizen", "unknown_code"),
        (3, "afstand_arbeidsmarkt", "dichtbij", "unknown_code"),
        (3, "assessment_datum", "31-02-2018", "date_invalid"),
    ]
    assert quarantine(con, "formatie") == [
        (6, "maand", None, "key_missing", "maand is empty (required)", None),
        (7, "team", None, "key_missing", "team is empty (required)", None),
    ]
    assert row_issues(con, "formatie") == [(5, "fte", "veel", "number_invalid")]
    for source, rows_in, loaded, quarantined in con.execute(
            "SELECT source, rows_in, rows_loaded, rows_quarantined FROM landing.deliveries WHERE status = 'loaded'").fetchall():
        assert rows_in == loaded + quarantined, source
        assert loaded == con.execute(
            f"SELECT count(*) FROM landing.{'trajecten' if source.startswith('trajecten_') else source} WHERE source = ?",
            [source]).fetchone()[0]
        assert quarantined == con.execute("SELECT count(*) FROM landing.quarantine WHERE source = ?", [source]).fetchone()[0]


UAF_HEADER = "bsn,initiatief,aanmelddatum,startdatum,einddatum,uitkomst,uitkomstdatum,uren_per_week"

# (file name, content, expected status, expected message). Each is delivered alone in 2019-05.
BAD_FILES = [
    pytest.param("trajecten_uaf.csv", (UAF_HEADER + "\n799642630,UAF,2019-05-02,,,Beëindigd,,\n").encode("cp1252"),
                 "trajecten_uaf: 2019-05/trajecten_uaf.csv: not valid UTF-8 (byte 0xEB on line 2); the registry expects "
                 "UTF-8. It decodes as Windows-1252: re-export it as UTF-8 (or change the registry's encoding). Nothing "
                 "loaded from this file: no earlier version of this month is loaded: the partner's previous snapshot stays in force.", id="wrong-encoding"),
    pytest.param("trajecten_pasmatch.csv",
                 "bsn;initiatief;aanmelddatum;startdatum;einddatum;uitkomst;uitkomstdatum;uren_per_week\n"
                 "799642630;PASMATCH;02-05-2019;;;Beëindigd;;\n".encode("utf-8"),
                 "trajecten_pasmatch: 2019-05/trajecten_pasmatch.csv: the file is UTF-8 encoded, but the registry expects "
                 "windows-1252. Re-export it as windows-1252 (or change the registry's encoding). Nothing loaded from "
                 "this file: no earlier version of this month is loaded: the partner's previous snapshot stays in force.", id="utf8-where-cp1252-expected"),
    pytest.param("trajecten_uaf.csv", UAF_HEADER.replace(",", ";").encode() + b"\n799642630;UAF;2019-05-02;;;;;\n",
                 "trajecten_uaf: 2019-05/trajecten_uaf.csv: required column(s) missing: bsn, initiatief, aanmelddatum, "
                 "startdatum, einddatum, uitkomst, uitkomstdatum, uren_per_week (closest layout: canonical; header found: "
                 "bsn;initiatief;aanmelddatum;startdatum;einddatum;uitkomst;uitkomstdatum;uren_per_week). The header has "
                 "one column and contains ';': the file seems to use ';' as delimiter; the registry expects ','. Nothing "
                 "loaded from this file: no earlier version of this month is loaded: the partner's previous snapshot stays in force.", id="wrong-delimiter"),
    pytest.param("trajecten_uaf.csv", b"bsn,initiatief,startdatum,einddatum,uitkomst,uitkomstdatum,uren_per_week\n",
                 "trajecten_uaf: 2019-05/trajecten_uaf.csv: required column(s) missing: aanmelddatum (closest layout: "
                 "canonical; header found: bsn | initiatief | startdatum | einddatum | uitkomst | uitkomstdatum | "
                 "uren_per_week). Nothing loaded from this file: no earlier version of this month is loaded: the partner's previous snapshot stays in force.",
                 id="missing-column"),
    pytest.param("trajecten_uaf.csv", b"",
                 "trajecten_uaf: 2019-05/trajecten_uaf.csv: the file is empty (0 bytes). Expected a CSV with a header "
                 "row. Nothing loaded from this file: no earlier version of this month is loaded: the partner's previous snapshot stays in force.", id="empty"),
    pytest.param("trajecten_uaf.csv", bytes(range(256)) * 4,
                 "trajecten_uaf: 2019-05/trajecten_uaf.csv: this is a binary file, not a CSV text file (it contains NUL "
                 "bytes). Expected csv, delimiter ',', utf-8 (BOM allowed), dates YYYY-MM-DD. Nothing loaded from this "
                 "file: no earlier version of this month is loaded: the partner's previous snapshot stays in force.", id="binary-named-csv"),
    pytest.param("trajecten_uaf.csv", b"PK\x03\x04" + b"\x14" * 100,
                 "trajecten_uaf: 2019-05/trajecten_uaf.csv: this is a ZIP/Excel (.xlsx) file named .csv, not a CSV. "
                 "Expected csv, delimiter ',', utf-8 (BOM allowed), dates YYYY-MM-DD. Nothing loaded from this file: "
                 "no earlier version of this month is loaded: the partner's previous snapshot stays in force.", id="xlsx-named-csv"),
    pytest.param("trajecten_wsp.xlsx", b"bsn;initiatief\n1;2\n",
                 "trajecten_wsp: 2019-05/trajecten_wsp.xlsx: not an Excel .xlsx workbook (an .xlsx file is a ZIP "
                 "archive; this one is not). Expected xlsx, sheet 'trajecten', dates excel. Nothing loaded from this "
                 "file: no earlier version of this month is loaded: the partner's previous snapshot stays in force.", id="text-named-xlsx"),
    pytest.param("trajecten_uaf.csv", b"bsn,initiatief,aanmelddatum,bsn,startdatum,einddatum,uitkomst,uitkomstdatum,uren_per_week\n",
                 "trajecten_uaf: 2019-05/trajecten_uaf.csv: column 'bsn' appears more than once in the header (header: "
                 "bsn, initiatief, aanmelddatum, bsn, startdatum, einddatum, uitkomst, uitkomstdatum, uren_per_week). "
                 "Expected each column once. Nothing loaded from this file: no earlier version of this month is loaded: the partner's previous snapshot stays in force.",
                 id="duplicate-column"),
]


@pytest.mark.parametrize("file_name, content, message", BAD_FILES)
def test_unreadable_partner_file_fails_with_a_steward_message(con, tmp_path, file_name, content, message):
    raw = tmp_path / "raw"
    (raw / "2019-05").mkdir(parents=True)
    (raw / "2019-05" / file_name).write_bytes(content)
    results = ingest_month(con, raw, "2019-05", "trajecten", KEY)
    (result,) = [r for r in results if r.status != "missing"]
    assert (result.status, result.severity) == ("failed", "warn")
    assert f"{result.source}: {result.message}" == message
    assert con.execute("SELECT status, message FROM landing.deliveries").fetchall() == [("failed", result.message)]
    assert con.execute("SELECT count(*) FROM landing.trajecten").fetchone()[0] == 0
    assert con.execute("SELECT count(*) FROM landing.expectation_results").fetchone()[0] == 0


def test_xlsx_without_the_sheet_fails(con, tmp_path):
    raw = tmp_path / "raw"
    (raw / "2019-05").mkdir(parents=True)
    write_xlsx(raw / "2019-05" / "trajecten_agros.xlsx", TRAJECT_HEADER, [[799642630, "AGROS", dt.date(2019, 5, 2)]],
               sheet="Blad1")
    (result,) = [r for r in ingest_month(con, raw, "2019-05", "trajecten", KEY) if r.status != "missing"]
    assert result.status == "failed"
    assert result.message == (
        "2019-05/trajecten_agros.xlsx: the workbook has no sheet 'trajecten' (sheets: Blad1). Expected the trajectories "
        "on a sheet named 'trajecten'. Nothing loaded from this file: no earlier version of this month is loaded: the partner's previous snapshot stays in force.")


def test_header_only_file_loads_zero_rows(con, tmp_path):
    """Decision: a header without rows is a valid, empty delivery (a partner with no trajectories
    this month); it loads 0 rows and says so. Its row-count change is the data-quality checks' call."""
    raw = tmp_path / "raw"
    (raw / "2019-05").mkdir(parents=True)
    (raw / "2019-05" / "trajecten_uaf.csv").write_bytes(UAF_HEADER.encode() + b"\r\n")
    (result,) = by_result(ingest_month(con, raw, "2019-05", "trajecten", KEY), "trajecten_uaf")
    assert (result.status, result.rows_in, result.rows_loaded, result.rows_quarantined) == ("loaded", 0, 0, 0)
    assert result.message == "header only: 0 data rows"


def test_unreadable_uitkeringen_redelivery_keeps_the_loaded_version_in_force(con, raw_dir):
    """Decision (docs/stewards.md): a corrupt re-delivery does not withdraw a month whose earlier
    version loaded; that version stays in force, and the failed file is a warning for the steward.
    Without an earlier version the month cannot be published (tests/reliability/test_bad_deliveries.py)."""
    ingest_month(con, raw_dir, "2018-03", "uitkeringen", KEY)
    before = con.execute("SELECT * FROM landing.uitkeringen ORDER BY row_number").fetchall()
    newer = raw_dir / "2018-03" / "uitkeringen_v2.csv"
    newer.write_bytes((raw_dir / "2018-03" / "uitkeringen.csv").read_text(encoding="utf-8-sig")
                      .replace("U001", "U001é").encode("cp1252", errors="replace"))
    results = ingest_month(con, raw_dir, "2018-03", "uitkeringen", KEY)
    assert [(r.source_file, r.status) for r in results] == [
        ("2018-03/uitkeringen.csv", "superseded"), ("2018-03/uitkeringen_v2.csv", "failed")]
    failed = results[1]
    assert failed.severity == "warn"
    assert failed.message == (
        "2018-03/uitkeringen_v2.csv: not valid UTF-8 (byte 0xE9 on line 2); the registry expects UTF-8. It decodes as "
        "Windows-1252: re-export it as UTF-8 (or change the registry's encoding). Nothing loaded from this file: the "
        "version loaded earlier (2018-03/uitkeringen.csv) stays in force.")
    assert con.execute("SELECT * FROM landing.uitkeringen ORDER BY row_number").fetchall() == before
    # what raw/ holds now: the newest file, failed
    assert con.execute("SELECT source_file, files, status FROM landing.raw_state").fetchall() == [
        ("2018-03/uitkeringen_v2.csv", 2, "failed")]


def test_truncated_and_overlong_rows_are_malformed_rows_not_a_failed_file(con, tmp_path):
    raw = tmp_path / "raw"
    (raw / "2019-05").mkdir(parents=True)
    (raw / "2019-05" / "trajecten_uaf.csv").write_text(
        UAF_HEADER + "\n"
        "799642630,UAF,2019-05-02,,,,,\n"
        "799642630,UAF,2019-05-03,,,,,,extra\n"
        "578230859,UAF,2019-05-04,,,,,\n"
        '578230859,"UAF,2019-05-05,,,,,\n'
        "578230859,UAF,2019-05-06,,,,,\n", encoding="utf-8")
    (result,) = by_result(ingest_month(con, raw, "2019-05", "trajecten", KEY), "trajecten_uaf")
    assert (result.status, result.rows_loaded, result.rows_quarantined) == ("loaded", 2, 3)
    assert result.rows_in == result.rows_loaded + result.rows_quarantined
    assert quarantine(con, "trajecten_uaf") == [
        (2, None, None, "malformed_row", "row has 9 fields, the header has 8 (a delimiter inside an unquoted value?)", None),
        (4, None, None, "malformed_row", 'a value has an unterminated or misplaced quote ("); the rest of the file from '
                                         "this row on could not be split into fields", None),
        (5, None, None, "malformed_row", 'not read: follows the unterminated quote (") on row 4', None),
    ]
    assert con.execute("SELECT row_number FROM landing.trajecten ORDER BY 1").fetchall() == [(1,), (3,)]


def test_excel_formula_in_a_text_cell_stays_inert_text(con, tmp_path):
    raw = tmp_path / "raw"
    (raw / "2019-05").mkdir(parents=True)
    formula = '=HYPERLINK("http://example.invalid","klik")'
    write_xlsx(raw / "2019-05" / "trajecten_wsp.xlsx", TRAJECT_HEADER,
               [[799642630, "LEERWERKSTAGE", dt.date(2019, 5, 2), None, None, formula, None, None]])
    (result,) = by_result(ingest_month(con, raw, "2019-05", "trajecten", KEY), "trajecten_wsp")
    assert (result.status, result.rows_loaded) == ("loaded", 1)
    assert con.execute("SELECT uitkomst FROM landing.trajecten").fetchall() == [("onbekend",)]
    assert con.execute("SELECT column_name, value, rule FROM landing.row_issues").fetchall() == [
        ("uitkomst", formula, "unknown_code")]


def test_find_months_skips_non_months_and_future_months(tmp_path):
    for name in ("2018-03", "2017-12", "2018-13", "maart-2018", "2031-01", ".hidden"):
        (tmp_path / name).mkdir()
    (tmp_path / "README.md").write_text("not a folder")
    months, messages = find_months(tmp_path, today=dt.date(2026, 11, 28))
    assert months == ["2017-12", "2018-03"]
    assert messages == [
        "2018-13/: not a delivery month folder (expected YYYY-MM, e.g. 2018-03); skipped",
        "2031-01/: month lies in the future (today is 2026-11-28); skipped",
        "maart-2018/: not a delivery month folder (expected YYYY-MM, e.g. 2018-03); skipped",
    ]


def test_missing_source_is_reported_not_failed(con, tmp_path):
    raw = tmp_path / "raw"
    (raw / "2019-05").mkdir(parents=True)
    (result,) = ingest_month(con, raw, "2019-05", "uitkeringen", KEY)
    assert (result.status, result.source_file, result.message) == (
        "missing", None, "no file matching uitkeringen*.csv in 2019-05/")


def test_an_overlong_line_is_a_malformed_row(con, tmp_path):
    raw = tmp_path / "raw"
    (raw / "2019-05").mkdir(parents=True)
    (raw / "2019-05" / "trajecten_uaf.csv").write_text(
        UAF_HEADER + "\n799642630,UAF,2019-05-02,,,,,\n" + "x" * 3_000_000 + ",UAF,2019-05-02,,,,,\n"
        "578230859,UAF,2019-05-03,,,,,\n", encoding="utf-8")
    (result,) = by_result(ingest_month(con, raw, "2019-05", "trajecten", KEY), "trajecten_uaf")
    assert (result.status, result.rows_in, result.rows_loaded, result.rows_quarantined) == ("loaded", 3, 2, 1)
    assert quarantine(con, "trajecten_uaf") == [
        (2, None, None, "malformed_row",
         "row could not be read: Maximum line size of 2000000 bytes exceeded. Actual Size:3000020 bytes.", None)]
    assert con.execute("SELECT row_number FROM landing.trajecten ORDER BY 1").fetchall() == [(1,), (3,)]


def test_files_no_source_reads_are_named(raw_dir):
    from orchestration.sources.ingest import unmatched_files

    month = raw_dir / "2018-03"
    (month / "trajecten_agros.xlsx").rename(month / "trajecten_agros_maart.csv")
    (month / "uitkering.csv").write_text("x")
    (month / "oud").mkdir()
    assert unmatched_files(raw_dir, "2018-03") == [
        "2018-03/oud/: a folder inside a month folder is not read",
        "2018-03/trajecten_agros_maart.csv: matches no source of the registry; not read "
        "(the registry expects trajecten_agros*.xlsx)",
        "2018-03/uitkering.csv: matches no source of the registry; not read",
    ]
