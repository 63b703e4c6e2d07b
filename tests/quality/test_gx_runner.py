"""Row rules run by GX on the parsed batch: stored results, and GX's counts against what the
ingestion (the same suites compiled to SQL) quarantined or flagged on a bad delivery."""
import json

import pytest

from orchestration.config import EXPECTATIONS_DIR
from orchestration.ingest import ensure_landing_schema, ingest_month
from orchestration.quality.gx_runner import validate_parsed_batch

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


@pytest.fixture
def ingested(con, tmp_path):
    raw = tmp_path / "raw"
    (raw / "2018-05").mkdir(parents=True)
    lines = [HEADER] + [benefit_row(n) for n in range(20)]
    n = 100
    for bad in BAD_ROWS.values():
        for overrides in bad:
            lines.append(benefit_row(n, **overrides))
            n += 1
    (raw / "2018-05" / "uitkeringen.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    ensure_landing_schema(con)
    ingest_month(con, raw, "2018-05", "uitkeringen", b"test-key-not-secret")
    return con


def test_gx_counts_equal_what_ingestion_quarantined_or_flagged(ingested):
    con = ingested
    outcomes = validate_parsed_batch(con, "uitkeringen", ["2018-05"])
    gx_counts: dict[str, int] = {}
    for o in outcomes:
        assert o.source == "uitkeringen" and o.month == "2018-05" and o.element_count == ROWS
        gx_counts[o.rule] = gx_counts.get(o.rule, 0) + (o.unexpected_count or 0)
    ingestion_counts = dict(con.execute(
        """SELECT rule, count(*) FROM (SELECT rule FROM landing.quarantine
                                       UNION ALL SELECT rule FROM landing.row_issues) GROUP BY rule"""
    ).fetchall())
    expected = {rule: len(rows) for rule, rows in BAD_ROWS.items()}
    assert ingestion_counts == expected
    assert {rule: count for rule, count in gx_counts.items() if count} == expected
    for o in outcomes:
        assert o.success == (not o.unexpected_count)
        assert o.severity == "warn"
    # the rows GX passed are exactly those landed
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
    outcomes = validate_parsed_batch(con, "uitkeringen", ["2018-05"])
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


def test_partner_delivery_gx_counts_equal_ingestion(con, tmp_path):
    raw = tmp_path / "raw"
    (raw / "2018-05").mkdir(parents=True)
    lines = [TRAJECTORY_HEADER] + [trajectory_row(n) for n in range(12)]
    n = 200
    for bad in BAD_TRAJECTORIES.values():
        for overrides in bad:
            lines.append(trajectory_row(n, **overrides))
            n += 1
    (raw / "2018-05" / "trajecten_uaf.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    ensure_landing_schema(con)
    ingest_month(con, raw, "2018-05", "trajecten", b"test-key-not-secret")
    outcomes = validate_parsed_batch(con, "trajecten", ["2018-05"])
    assert {o.source for o in outcomes} == {"trajecten_uaf"}
    gx_counts: dict[str, int] = {}
    for o in outcomes:
        gx_counts[o.rule] = gx_counts.get(o.rule, 0) + (o.unexpected_count or 0)
    ingestion_counts = dict(con.execute(
        """SELECT rule, count(*) FROM (SELECT rule FROM landing.quarantine
                                       UNION ALL SELECT rule FROM landing.row_issues) GROUP BY rule"""
    ).fetchall())
    expected = {rule: len(rows) for rule, rows in BAD_TRAJECTORIES.items()}
    assert ingestion_counts == expected
    assert {rule: count for rule, count in gx_counts.items() if count} == expected


def test_results_are_stored_once_per_expectation_and_replaced(ingested):
    con = ingested
    outcomes = validate_parsed_batch(con, "uitkeringen", ["2018-05"])
    validate_parsed_batch(con, "uitkeringen", ["2018-05"])
    rows = con.execute(
        """SELECT rule, column_name, success, unexpected_count, element_count, severity, detail, suite_name
           FROM landing.expectation_results ORDER BY rule, column_name"""
    ).fetchall()
    suite = json.loads((EXPECTATIONS_DIR / "uitkeringen.json").read_text())
    assert len(rows) == len(outcomes) == len(suite["expectations"])
    failed = [r for r in rows if not r[2]]
    assert {r[0] for r in failed} == set(BAD_ROWS)
    bsn = next(r for r in failed if r[0] == "bsn_invalid")
    assert bsn[3] == 2 and f"2 of {ROWS} rows fail" in bsn[6]
    code = next(r for r in failed if r[0] == "unknown_code" and r[1] == "statistiekcode")
    assert "'99'" in code[6]
    # no BSN in any detail: the 9-digit BSN values of the fixture never appear
    details = " ".join(r[6] for r in rows)
    assert elfproef_failure(30) not in details and valid_bsn(0) not in details
    assert con.execute("SELECT count(*) FROM landing.gx_validation_results").fetchone()[0] == 1


def test_no_bsn_like_value_in_stored_gx_results(con, tmp_path):
    """GX keeps example values; a 9-digit value (say a BSN typed into another column) is masked."""
    con.execute("CREATE SCHEMA parsed")
    con.execute("""CREATE TABLE parsed.klantbeeld AS SELECT DATE '2018-05-01' AS delivery_month, 'klantbeeld' AS source,
                   i::INTEGER AS row_number, CASE WHEN i = 2 THEN '123456782' ELSE 'werk' END AS advies_route
                   FROM range(1, 4) t(i)""")
    suite = tmp_path / "klantbeeld.json"
    suite.write_text(json.dumps({"name": "t", "expectations": [
        {"type": "expect_column_values_to_be_in_set", "kwargs": {"column": "advies_route", "value_set": ["werk"]},
         "meta": {"rule": "unknown_code"}}]}))
    (outcome,) = validate_parsed_batch(con, "klantbeeld", ["2018-05"], suite_path=suite)
    assert outcome.unexpected_count == 1 and "******782" in outcome.detail
    stored = con.execute("SELECT result_json FROM landing.gx_validation_results").fetchone()[0]
    assert "123456782" not in stored and "******782" in stored


def test_months_outside_the_request_are_not_validated(ingested):
    assert validate_parsed_batch(ingested, "uitkeringen", ["2018-04"]) == []
    assert validate_parsed_batch(ingested, "brp", ["2018-05"]) == []  # nothing parsed for brp


def test_severity_and_parameters_from_a_suite_file(con, tmp_path):
    con.execute("CREATE SCHEMA parsed")
    con.execute(
        """CREATE TABLE parsed.formatie AS SELECT DATE '2018-05-01' AS delivery_month, 'formatie' AS source,
           '2018-05/formatie.csv' AS source_file, i::INTEGER AS row_number,
           CASE WHEN i = 3 THEN '2018-04' ELSE '2018-05' END AS maand, 'statushouders' AS team FROM range(1, 6) t(i)"""
    )
    suite = tmp_path / "formatie.json"
    suite.write_text(json.dumps({"name": "test_formatie", "expectations": [
        {"type": "expect_column_values_to_be_in_set", "kwargs": {"column": "maand", "value_set": ["2018-05"]},
         "meta": {"rule": "maand_of_folder", "severity": "error", "description": "maand equals the folder's month"}},
        {"type": "expect_column_values_to_be_in_set", "kwargs": {"column": "team", "value_set": {"$PARAMETER": "codes_leefvorm"}},
         "meta": {"rule": "team_code", "code_list": "leefvorm"}},
    ]}))
    outcomes = validate_parsed_batch(con, "formatie", ["2018-05"], suite_path=suite)
    maand, team = outcomes
    assert (maand.rule, maand.success, maand.unexpected_count, maand.severity) == ("maand_of_folder", False, 1, "error")
    assert maand.detail.startswith("maand equals the folder's month: 1 of 5 rows fail (formatie 2018-05)")
    assert (team.rule, team.unexpected_count, team.severity) == ("team_code", 5, "warn")
