"""A month's state follows the files in raw/, not the history of attempts (issue 15), through real
`statmon run` processes: chain `state` of conftest.py (reliability_helpers.month_state_chain).
  corrupt:  2018-02/uitkeringen.csv replaced by a copy saved with `,` as delimiter (--month 2018-02);
  restored: the original put back byte-identical, and 2018-03/ with the partner files only;
  moved:    2018-01/klantbeeld.csv removed, 2017-12/uitkeringen.csv also as uitkeringen_kopie.csv,
            2018-02/ renamed 2018-04/.
In every run the printed verdict, the exit status, the checks and the publication must agree."""
from __future__ import annotations

import re

from reliability_helpers import MONTHS, published_through, query

MONTH = MONTHS[-1]  # 2018-02
TABLE_LINE = re.compile(r"^(\d{4}-\d{2}) +(\d+) +(\d+)  (.+)$", re.M)


def assert_verdict_agrees(result, ws) -> None:
    """What the run printed, its exit status, its checks and the publication BI readers see tell
    the same story."""
    out = result.stdout
    published = published_through(ws.published_dir)
    assert re.search(rf"^published through {published}$", out, re.M), out
    table = TABLE_LINE.findall(out)
    assert table, out
    for month, _rows, _quarantined, state in table:
        assert state.startswith("published") == (month <= published), (month, state, published)
    blocked = re.findall(r"^(\d{4}-\d{2})[^:]*: blocked \[error\]", out, re.M)
    error_checks = re.findall(r"^check failed \[error\]", out, re.M)
    verdict = re.search(r"^run [0-9a-f]{8}: \d+ month\(s\) in [0-9.]+ s: (.+)$", out, re.M).group(1)
    if result.rc == 0:
        assert not blocked and not error_checks and verdict.startswith("ok"), out
    else:
        assert result.rc == 1 and verdict.startswith("FAILED"), result.describe()
        # an error check or a blocked month, and every blocked month is unpublished
        assert blocked or error_checks, out
        assert all(month > (published or "") for month in blocked), (blocked, published)


def state_of(out: str, month: str) -> str:
    return dict((m, s) for m, _r, _q, s in TABLE_LINE.findall(out))[month]


def test_a_corrupt_benefits_redelivery_keeps_the_month_published(scenarios, good_run):
    chain = scenarios["state"].wait()
    result, ws = chain.steps["corrupt"], chain.ws
    assert result.rc == 0, result.describe()
    assert_verdict_agrees(result, ws)
    # the steward reads what is wrong, that the earlier version stays in force, that the month stays published
    line = next(l for l in result.stdout.splitlines() if l.startswith(f"{MONTH}: {MONTH}/uitkeringen.csv:"))
    assert "the file seems to use ',' as delimiter; the registry expects ';'" in line
    assert line.endswith(f"the version loaded earlier ({MONTH}/uitkeringen.csv) stays in force; {MONTH} stays published")
    assert state_of(result.stdout, MONTH) == "published, 1 warning(s)"
    assert "check failed [warn]: landing/uitkeringen delivery" in result.stdout
    # the version in force is untouched, and BI readers keep the last good figures, every one of them
    assert chain.steps["landing_after_corrupt"] == chain.steps["landing_before"]
    assert published_through(ws.published_dir) == MONTH
    assert chain.steps["published_after_corrupt"] == good_run.published
    # a warn in dq_issues and on the worklist of the published stewards' file
    (issue,) = chain.steps["issues_after_corrupt"]
    assert issue[:4] == ("delivery_failed", "warn", f"uitkeringen {MONTH}", "open")
    assert "',' as delimiter" in issue[4] and "stays in force" in issue[4]
    rows = [r for r in chain.steps["worklist_after_corrupt"] if r["rule"] == "delivery_failed"]
    assert [(r["severity"], r["record_key"]) for r in rows] == [("warn", f"uitkeringen {MONTH}")]


def test_the_original_put_back_and_a_partner_only_month(scenarios, good_run):
    chain = scenarios["state"].wait()
    result, ws = chain.steps["restored"], chain.ws
    assert result.rc == 0, result.describe()
    assert_verdict_agrees(result, ws)
    # nothing refers to the failed attempt any more: no error, no warning, 2018-02 published
    assert "[error]" not in result.stdout
    assert state_of(result.stdout, MONTH) == "published"
    assert not [l for l in result.stdout.splitlines() if l.startswith(f"{MONTH}:")]
    # ... but the history keeps it for the steward
    assert [s for (s,) in chain.steps["benefits_attempts"]] == ["loaded", "failed", "unchanged"]
    # the partner-only month waits: not published, not an error, said in the summary
    assert state_of(result.stdout, "2018-03") == "waiting for uitkeringen, brp, klantbeeld, formatie: not published"
    assert ("2018-03: waiting for uitkeringen, brp, klantbeeld, formatie: not published until the benefits delivery "
            "arrives") in result.stdout.splitlines()
    assert re.search(r"^run [0-9a-f]{8}: 4 month\(s\) in [0-9.]+ s: ok \(2018-03 waiting for the benefits delivery\)$",
                     result.stdout, re.M), result.stdout
    assert published_through(ws.published_dir) == MONTH
    assert not query(ws.published_dir / "published.duckdb", "SELECT * FROM caseload_monthly WHERE month > DATE '2018-02-01'")
    assert chain.steps["published_after_restored"]["duckdb:caseload_monthly"] == good_run.published["duckdb:caseload_monthly"]
    # delivery_missing per source that has not arrived (every partner did), in dq_issues and on the worklist
    expected = [("delivery_missing", "warn", f"{source} 2018-03", "open") for source in sorted(
        ("uitkeringen", "brp", "klantbeeld", "formatie"))]
    assert [i[:4] for i in chain.steps["issues_after_restored"]] == expected
    worklist = sorted((r["rule"], r["severity"], r["record_key"], r["status"])
                      for r in chain.steps["worklist_after_restored"] if r["rule"].startswith("deliver"))
    assert worklist == expected


def test_files_removed_duplicated_and_a_folder_renamed_to_another_month(scenarios, good_run):
    chain = scenarios["state"].wait()
    result, ws = chain.steps["moved"], chain.ws
    before, after = chain.steps["landing_before"], chain.steps["landing_after_moved"]
    # 2018-02/ renamed 2018-04/: every benefits row is in the wrong month, 0 rows land, an error for April
    assert result.rc == 1, result.describe()
    assert_verdict_agrees(result, ws)
    assert re.search(r"^run [0-9a-f]{8}: 5 month\(s\) in [0-9.]+ s: FAILED \(2018-04 blocked by an error\)$",
                     result.stdout, re.M), result.stdout
    assert ("2018-04: blocked [error]: uitkeringen row_count_vs_previous_month: uitkeringen 2018-04: 0 rows landed, "
            "below half of the ") in result.stdout
    assert "check failed [error]: landing/uitkeringen delivery" in result.stdout
    # February's files are gone from raw/, its versions stay in force and published, and the steward is told
    assert all(rows == before[key] for key, rows in after.items() if key[2] == MONTH)
    assert {k for k in before if k[2] == MONTH} == {k for k in after if k[2] == MONTH}
    gone = [l for l in result.stdout.splitlines() if l.startswith(f"{MONTH}: the files loaded for uitkeringen, brp, ")]
    assert len(gone) == 1 and gone[0].endswith(f"are no longer in raw/{MONTH}/: the versions loaded earlier stay in force; "
                                               f"put them back (a rebuild from raw/ would lose them); {MONTH} stays published")
    issues = chain.steps["issues_after_moved"]
    assert ("delivery_file_gone", "warn", f"uitkeringen {MONTH}", "open") in [i[:4] for i in issues]
    # a file removed after it was loaded: the same, for that source only
    assert ("2018-01: no file matching klantbeeld*.csv in 2018-01/ any more: the version loaded earlier "
            "(2018-01/klantbeeld.csv) stays in force; put it back in raw/ (a rebuild from raw/ would lose it); "
            "2018-01 stays published") in result.stdout.splitlines()
    assert after[("klantbeeld", "klantbeeld", "2018-01")] == before[("klantbeeld", "klantbeeld", "2018-01")]
    assert [i[:4] for i in issues if i[2].endswith("2018-01")] == [("delivery_file_gone", "warn", "klantbeeld 2018-01", "open")]
    # the same file under two names: recorded as identical, read once, no double rows
    assert after[("uitkeringen", "uitkeringen", "2017-12")] == before[("uitkeringen", "uitkeringen", "2017-12")]
    deliveries = query(ws.warehouse, """SELECT source_file, status, message FROM landing.deliveries
                                        WHERE source = 'uitkeringen' AND delivery_month = DATE '2017-12-01'
                                        ORDER BY loaded_at DESC LIMIT 2""")
    assert sorted(deliveries) == [
        ("2017-12/uitkeringen.csv", "superseded", "identical to uitkeringen_kopie.csv (the same delivery under two names): read once"),
        ("2017-12/uitkeringen_kopie.csv", "unchanged",
         "identical to the version already loaded (2017-12/uitkeringen.csv); nothing changed")]
    assert not [i for i in issues if i[2].endswith("2017-12")]
    # the publication: through February (March waits, April is blocked), its figures those of the good run
    assert published_through(ws.published_dir) == MONTH
    assert chain.steps["published_after_moved"]["duckdb:caseload_monthly"] == good_run.published["duckdb:caseload_monthly"]
