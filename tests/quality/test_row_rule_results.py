"""The result of every row rule, recorded by ingestion from the compiled SQL in the transaction
that lands the delivery (landing.expectation_results): counts that agree with what was quarantined
or flagged, examples without a BSN, replaced with the delivery, read back by the row_rules check.
That GX finds the same rows is tests/ingestion/test_ingest_rules_gx.py."""
import json

import pytest

from orchestration.config import EXPECTATIONS_DIR
from orchestration.db import ensure_landing_schema
from orchestration.quality.expectation_results import recorded_outcomes
from orchestration.sources.ingest import ingest_month

ROW_SUITE = "landing_uitkeringen_rows"


def outcomes_of(con, kind: str, months: list[str]):
    return recorded_outcomes(con, f"landing_{kind}_rows", months)

HEADER = ("statistiekjaar;statistiekmaand;registratienummer_uitkering;statistiekcode;bsn;geboortedatum;geslacht;"
          "leefvorm;aanvangsdatum_uitkering;einddatum_uitkering;reden_beeindiging;kenmerk_statushouder;klantmanager_id")


def valid_bsn(n: int) -> str:
    """The n-th 9-digit number (from 100000000 up) that passes the 11-check."""
    candidate, found = 100_000_000, -1
    while True:
        digits = [int(c) for c in str(candidate)]
        total = sum(w * d for w, d in zip(range(9, 1, -1), digits[:8])) - digits[8]
        if total % 11 == 0 and total != 0:
            found += 1
            if found == n:
                return str(candidate)
        candidate += 1


def benefit_row(n: int, **overrides) -> str:
    row = {
        "statistiekjaar": "2018", "statistiekmaand": "5", "registratienummer_uitkering": f"UK-{n}",
        "statistiekcode": "01", "bsn": valid_bsn(n), "geboortedatum": "1990-01-01", "geslacht": "1",
        "leefvorm": "1", "aanvangsdatum_uitkering": "2017-03-01", "einddatum_uitkering": "",
        "reden_beeindiging": "", "kenmerk_statushouder": "J", "klantmanager_id": "km1",
    }
    row.update(overrides)
    return ";".join(row[c] for c in HEADER.split(";"))


def elfproef_failure(n: int) -> str:
    good = valid_bsn(n)
    return good[:8] + str((int(good[8]) + 1) % 10)


# Each bad row breaks exactly one rule, so per rule the numbers must agree exactly.
BAD_ROWS = {
    "bsn_invalid": [dict(bsn=elfproef_failure(30)), dict(bsn="12345")],
    "key_missing": [dict(registratienummer_uitkering="")],
    "wrong_month": [dict(statistiekmaand="4")],
    "required_date_missing": [dict(aanvangsdatum_uitkering="")],
    "required_date_invalid": [dict(aanvangsdatum_uitkering="2017-02-30")],
    "unknown_code": [dict(statistiekcode="99"), dict(statistiekcode="99"), dict(geslacht="7")],
    "date_invalid": [dict(geboortedatum="01-01-1990")],
}


ROWS = 20 + sum(len(rows) for rows in BAD_ROWS.values())


def land(con, tmp_path, file_name: str, kind: str, header: str, row, good: int, bad_rows: dict, first_bad: int) -> None:
    """Write raw/2018-05/<file_name>: `good` rows, then one row per override of `bad_rows`; ingest it."""
    raw = tmp_path / "raw"
    (raw / "2018-05").mkdir(parents=True, exist_ok=True)
    lines = [header] + [row(n) for n in range(good)]
    overrides = [o for bad in bad_rows.values() for o in bad]
    lines += [row(first_bad + i, **o) for i, o in enumerate(overrides)]
    (raw / "2018-05" / file_name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    ensure_landing_schema(con)
    ingest_month(con, raw, "2018-05", kind, b"test-key-not-secret")


def counts_by_rule(con, kind: str) -> tuple[dict, dict]:
    """(failing rows per rule as recorded, rows per rule in quarantine and row_issues)."""
    recorded: dict[str, int] = {}
    for o in outcomes_of(con, kind, ["2018-05"]):
        recorded[o.rule] = recorded.get(o.rule, 0) + (o.unexpected_count or 0)
    landed = dict(con.execute(
        """SELECT rule, count(*) FROM (SELECT rule FROM landing.quarantine
                                       UNION ALL SELECT rule FROM landing.row_issues) GROUP BY rule"""
    ).fetchall())
    return {rule: count for rule, count in recorded.items() if count}, landed


@pytest.fixture
def ingested(con, tmp_path):
    land(con, tmp_path, "uitkeringen.csv", "uitkeringen", HEADER, benefit_row, 20, BAD_ROWS, 100)
    return con
def test_recorded_counts_equal_what_ingestion_quarantined_or_flagged(ingested):
    con = ingested
    outcomes = outcomes_of(con, "uitkeringen", ["2018-05"])
    for o in outcomes:
        assert o.source == "uitkeringen" and o.month == "2018-05" and o.element_count == ROWS
        assert o.success == (not o.unexpected_count)
        assert o.severity == "warn"
    expected = {rule: len(rows) for rule, rows in BAD_ROWS.items()}
    assert counts_by_rule(con, "uitkeringen") == (expected, expected)
    # the rows that passed are exactly those landed
    assert con.execute("SELECT count(*) FROM landing.uitkeringen").fetchone()[0] == ROWS - sum(
        len(BAD_ROWS[r]) for r in ("bsn_invalid", "key_missing", "wrong_month", "required_date_missing", "required_date_invalid"))


def test_clean_delivery_passes_every_expectation(con, tmp_path):
    raw = tmp_path / "raw"
    (raw / "2018-05").mkdir(parents=True)
    (raw / "2018-05" / "uitkeringen.csv").write_text(
        "\n".join([HEADER] + [benefit_row(n, einddatum_uitkering="2018-05-20", reden_beeindiging="07") if n % 5 == 0
                             else benefit_row(n) for n in range(25)]) + "\n", encoding="utf-8")
    ensure_landing_schema(con)
    ingest_month(con, raw, "2018-05", "uitkeringen", b"test-key-not-secret")
    outcomes = outcomes_of(con, "uitkeringen", ["2018-05"])
    assert outcomes and all(o.success and not o.unexpected_count for o in outcomes)
    assert con.execute("SELECT count(*) FROM landing.quarantine").fetchone()[0] == 0


TRAJECTORY_HEADER = "bsn,initiatief,aanmelddatum,startdatum,einddatum,uitkomst,uitkomstdatum,uren_per_week"


def trajectory_row(n: int, **overrides) -> str:
    row = {"bsn": valid_bsn(n), "initiatief": "UAF", "aanmelddatum": "2018-01-15", "startdatum": "2018-02-01",
           "einddatum": "", "uitkomst": "LOPEND", "uitkomstdatum": "", "uren_per_week": ""}
    row.update(overrides)
    return ",".join(row[c] for c in TRAJECTORY_HEADER.split(","))


BAD_TRAJECTORIES = {
    "bsn_invalid": [dict(bsn=elfproef_failure(40))],
    "key_missing": [dict(initiatief="")],
    "required_date_invalid": [dict(aanmelddatum="15-01-2018")],
    "date_invalid": [dict(einddatum="2018-02-31"), dict(uitkomstdatum="gisteren")],
    "unknown_code": [dict(uitkomst="GESLAAGD"), dict(initiatief="ONBEKEND_PROJECT")],
    "number_invalid": [dict(uitkomst="WERK", uren_per_week="twintig")],
}


def test_partner_delivery_counts_equal_ingestion(con, tmp_path):
    land(con, tmp_path, "trajecten_uaf.csv", "trajecten", TRAJECTORY_HEADER, trajectory_row, 12, BAD_TRAJECTORIES, 200)
    assert {o.source for o in outcomes_of(con, "trajecten", ["2018-05"])} == {"trajecten_uaf"}
    expected = {rule: len(rows) for rule, rows in BAD_TRAJECTORIES.items()}
    assert counts_by_rule(con, "trajecten") == (expected, expected)


def test_results_are_recorded_once_per_expectation_with_examples_and_no_bsn(ingested):
    con = ingested
    rows = con.execute(
        """SELECT rule, column_name, success, unexpected_count, element_count, severity, detail, suite_name, result,
                  kwargs, expectation_index, file_hash
           FROM landing.expectation_results ORDER BY expectation_index"""
    ).fetchall()
    suite = json.loads((EXPECTATIONS_DIR / "uitkeringen.json").read_text())
    assert len(rows) == len(suite["expectations"]) and [r[10] for r in rows] == list(range(len(rows)))
    assert {r[7] for r in rows} == {ROW_SUITE}
    failed = [r for r in rows if not r[2]]
    assert {r[0] for r in failed} == set(BAD_ROWS)
    bsn = next(r for r in failed if r[0] == "bsn_invalid")
    assert bsn[3] == 2 and f"2 of {ROWS} rows fail" in bsn[6]
    assert json.loads(bsn[8])["partial_unexpected_list"] == ["elfproef", "wrong_length"]
    code = next(r for r in failed if r[0] == "unknown_code" and r[1] == "statistiekcode")
    assert "'99'" in code[6] and json.loads(code[9])["value_set"] == ["01", "02", "03", "11", "12", "14"]
    # the file version the results describe
    assert {r[11] for r in rows} == {con.execute("SELECT file_hash FROM landing.deliveries").fetchone()[0]}
    # no BSN in any detail or result: the 9-digit BSN values of the fixture never appear
    stored = " ".join(f"{r[6]} {r[8]}" for r in rows)
    assert elfproef_failure(30) not in stored and valid_bsn(0) not in stored


def test_a_bsn_like_value_in_another_column_is_masked_in_the_examples(con, tmp_path):
    raw = tmp_path / "raw"
    (raw / "2018-05").mkdir(parents=True)
    (raw / "2018-05" / "uitkeringen.csv").write_text(
        "\n".join([HEADER, benefit_row(1), benefit_row(2, statistiekcode="123456782")]) + "\n", encoding="utf-8")
    ensure_landing_schema(con)
    ingest_month(con, raw, "2018-05", "uitkeringen", b"test-key-not-secret")
    detail, result = con.execute(
        "SELECT detail, result FROM landing.expectation_results WHERE rule = 'unknown_code' AND column_name = 'statistiekcode'"
    ).fetchone()
    assert "******782" in detail and "******782" in result
    assert "123456782" not in detail + result


def test_months_outside_the_request_report_nothing(ingested):
    assert outcomes_of(ingested, "uitkeringen", ["2018-04"]) == []
    assert outcomes_of(ingested, "brp", ["2018-05"]) == []  # nothing delivered for brp
