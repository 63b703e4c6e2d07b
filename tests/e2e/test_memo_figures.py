"""Every figure of the memo (../shared/specs/memo_figures.csv), reproduced by the pipeline from
person-level demo data, figure by figure, within the memo's accuracy (exact, or 10% where the
memo says "around" or "half")."""
import pytest

from orchestration.figures import START_HBO_WO_BY_YEAR, compute_figures, memo_figures

FIGURES = memo_figures()


def test_every_memo_figure_has_a_query():
    from orchestration.figures import QUERIES

    assert {f.figure_id for f in FIGURES} == set(QUERIES)


@pytest.mark.parametrize("figure", FIGURES, ids=[f.figure_id for f in FIGURES])
def test_memo_figure(memo_con, figure):
    [computed] = compute_figures(memo_con, [figure])
    assert computed.holds, f"{figure.figure_id}: memo {figure.memo_value:g} ({figure.accuracy}), pipeline {computed.pipeline_value}"


def test_hbo_wo_starts_by_year(memo_con):
    # "in 2016, 2017 en 2018 twee respectievelijk veertien en dertien statushouders"
    assert memo_con.execute(START_HBO_WO_BY_YEAR).fetchall() == [(2016, 2), (2017, 14), (2018, 13)]


def test_registration_gap_is_flagged_and_repaired(memo_con):
    """The 2014/2015 gap: statushouders found only through the BRP are counted, and listed."""
    missing, total = memo_con.execute(
        "select registration_missing, statushouders_on_benefit from marts.caseload_monthly where month = date '2018-05-01'"
    ).fetchone()
    assert 0 < missing < total
    listed = memo_con.execute(  # listed as of 2018-05: found in that month (the data go on after it)
        "select count(distinct person_id) from intermediate.int_dq_findings "
        "where rule_id = 'statushouder_registration_missing' and seen_month = date '2018-05-01'").fetchone()[0]
    assert listed == missing
    cohorts = dict(memo_con.execute(
        "select cohort_year, max(persons) from marts.cohort_progress where cohort_year in (2014, 2015) group by 1").fetchall())
    assert cohorts.get(2014, 0) > 0 and cohorts.get(2015, 0) > 0
