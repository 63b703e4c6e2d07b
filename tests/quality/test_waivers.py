import datetime as dt

import pytest

from orchestration.config import PROJECT_DIR
from orchestration.quality.waivers import WaiverFileError, load_waivers, waivers_path

HEADER = "rule_id,record_key,reason,waived_by,valid_until\n"


def test_valid_file_replaces_table(con, tmp_path):
    path = tmp_path / "w.csv"
    path.write_text(HEADER + "benefit_end_reason_missing,UK-1,old system,j.jansen,2030-12-31\n"
                    "bsn_invalid,2018-05/uitkeringen.csv row 7,known,p.p,2020-01-01\n\n")
    assert load_waivers(con, path) == 2
    path.write_text(HEADER + "unknown_code,UK-9,\"reason, with comma\",a.b,2031-01-31\n")
    assert load_waivers(con, path) == 1
    assert con.execute("SELECT rule_id, record_key, reason, valid_until FROM landing.dq_waivers").fetchall() == [
        ("unknown_code", "UK-9", "reason, with comma", dt.date(2031, 1, 31))
    ]


def test_excel_style_semicolon_and_bom(con, tmp_path):
    path = tmp_path / "w.csv"
    path.write_bytes(("\ufeff" + HEADER.replace(",", ";") + "unknown_code;UK-1;ok;me;2030-01-01\n").encode("utf-8"))
    assert load_waivers(con, path) == 1


def test_bad_rows_are_named_and_nothing_loads(con, tmp_path):
    path = tmp_path / "w.csv"
    path.write_text(HEADER + "unknown_code,UK-1,ok,me,2030-01-01\n")
    load_waivers(con, path)
    path.write_text(
        HEADER
        + "unknown_code,UK-2,ok,me,31-12-2030\n"  # line 2: wrong date format
        + "unknown_code,UK-3,,me,2030-01-01\n"  # line 3: empty reason
        + "unknown_code,UK-4,ok,me,2030-01-01\n"
        + "unknown_code,UK-4,again,me,2030-01-01\n"  # line 5: duplicate
        + "unknown_code,UK-5,ok,me,2030-02-30\n"  # line 6: no such day
    )
    with pytest.raises(WaiverFileError) as error:
        load_waivers(con, path)
    message = str(error.value)
    assert "line 2: valid_until '31-12-2030' is not a date YYYY-MM-DD" in message
    assert "line 3: empty reason" in message
    assert "line 5:" in message and "already waived on line 4" in message
    assert "line 6: valid_until '2030-02-30'" in message
    assert "4 bad row(s)" in message
    # the table keeps the previous waivers
    assert con.execute("SELECT record_key FROM landing.dq_waivers").fetchall() == [("UK-1",)]


def test_missing_column_in_header(con, tmp_path):
    path = tmp_path / "w.csv"
    path.write_text("rule_id,record_key,reason,valid_until\nunknown_code,UK-1,ok,2030-01-01\n")
    with pytest.raises(WaiverFileError, match="lacks column\\(s\\) waived_by"):
        load_waivers(con, path)


def test_missing_file_means_no_waivers(con, tmp_path):
    con.execute("INSERT INTO landing.dq_waivers VALUES ('a', 'b', 'c', 'd', DATE '2030-01-01')")
    assert load_waivers(con, tmp_path / "absent.csv") == 0
    assert con.execute("SELECT count(*) FROM landing.dq_waivers").fetchone()[0] == 0


def test_repository_file_is_valid_and_path_overridable(con, tmp_path, monkeypatch):
    assert waivers_path() == PROJECT_DIR / "config" / "dq_waivers.csv"
    assert load_waivers(con, waivers_path()) == 0
    monkeypatch.setenv("STATMON_WAIVERS", str(tmp_path / "elsewhere.csv"))
    assert waivers_path() == tmp_path / "elsewhere.csv"


def test_unknown_rule_is_reported_but_loaded(con, tmp_path, caplog):
    path = tmp_path / "w.csv"
    path.write_text(HEADER + "benefit_end_reason_mising,UK-1,typo,me,2030-01-01\n"
                    "row_count_vs_previous_month,uitkeringen 2018-05,real drop,me,2030-01-01\n"
                    "required_date_invalid,2018-05/uitkeringen.csv row 3,known,me,2030-01-01\n")
    with caplog.at_level("WARNING", logger="orchestration.quality.waivers"):
        assert load_waivers(con, path) == 3
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert len(warnings) == 1 and "'benefit_end_reason_mising'" in warnings[0]
