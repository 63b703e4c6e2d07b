"""Suppression: no count 1..4 is visible, and no hidden figure can be computed back from the
published tables: within a row, across tables, across months, through ratios, across a cohort's N.
Each attack is shown to work on a primary-only suppression first, so the tests can fail."""
from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from attacker import KEYS, Published, disclosed, identities, recoverable, sandwiched, _k
from marts_fixture import write_warehouse
from orchestration.publish import publish
from orchestration.publish.suppression import RELATIONS, Ratio, apply_suppression
from orchestration.publish.core import _derive
from orchestration.publish.tables import MART_TABLES, PUBLISHED_TABLES


def _as_read(marts: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The marts as the publication reads them: its columns, its expressions and its rows."""
    con = duckdb.connect()
    try:
        out = {}
        for t in MART_TABLES:
            con.register("mart", marts[t.name])
            columns = ", ".join(f'{t.read_sql(c.name)} AS "{c.name}"' for c in t.columns)
            out[t.name] = con.execute(f"SELECT {columns} FROM mart" + (f" WHERE {t.read_where}" if t.read_where
                                                                        else "")).df()
            con.unregister("mart")
        return out
    finally:
        con.close()


def _frames(panel_marts) -> dict[str, pd.DataFrame]:
    """The published tables before suppression: the marts' contract columns, plus the year totals."""
    return _derive(_as_read(panel_marts))


def _read_published(path) -> dict[str, pd.DataFrame]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return {t.name: con.execute(f"SELECT * FROM {t.name}").df() for t in PUBLISHED_TABLES}
    finally:
        con.close()


@pytest.fixture(scope="module")
def published(panel_marts, tmp_path_factory):
    root = tmp_path_factory.mktemp("suppression")
    result = publish(write_warehouse(root / "monitor.duckdb", panel_marts), root / "out", None)
    return result, _read_published(result.published_file)


@pytest.fixture
def primary_only(panel_marts):
    """What a publication with only primary suppression (and no ratio rule) would show."""
    frames = _frames(panel_marts)
    return apply_suppression(frames, relations=()).frames


def _truth(panel_marts, cell):
    table, key, column = cell
    df = panel_marts[table]
    mask = pd.Series(True, index=df.index)
    for k, v in zip(KEYS[table], key):
        mask &= df[k].map(_k) == v
    return float(df.loc[mask, column].iloc[0])


def test_no_count_from_1_to_4_is_visible(published):
    _, tables = published
    for spec in PUBLISHED_TABLES:
        df = tables[spec.name]
        for column in spec.counts:
            visible = df[column].dropna()
            assert not ((visible >= 1) & (visible <= 4)).any(), (spec.name, column)
            # a flag for every count, TRUE exactly where the value is hidden
            assert (df[column].isna() >= df[f"{column}_suppressed"]).all()


def test_flags_and_exact_counts(published, panel_marts):
    result, tables = published
    warehouse = result.published_file.parent.parent / "monitor.duckdb"
    assert result.suppressed_total == sum(
        int(tables[s.name][[f"{c}_suppressed" for c in s.flagged]].to_numpy().sum()) for s in PUBLISHED_TABLES)
    assert result.suppressed_cells["caseload_monthly"] > 0 and result.suppressed_cells["participation_by_gender"] > 0
    # the warehouse keeps its exact counts
    con = duckdb.connect(str(warehouse), read_only=True)
    small = con.execute("SELECT count(*) FROM marts.participation_by_gender "
                        "WHERE statushouders_on_benefit BETWEEN 1 AND 4").fetchone()[0]
    con.close()
    assert small == ((panel_marts["participation_by_gender"]["statushouders_on_benefit"].between(1, 4)).sum()) > 0


@pytest.fixture
def frames_with_small_cells(panel_marts):
    """The marts, with one month whose family households are few, and one year whose outflow to
    work is small in one month only (the simulated data has neither)."""
    marts = _as_read(panel_marts)
    c = marts["caseload_monthly"]
    c.loc[5, "single_households"] += c.loc[5, "family_households"] - 3
    c.loc[5, "family_households"] = 3
    o = marts["outflow_monthly"]
    werk_2018 = o.index[(o.reason_group == "werk") & (pd.to_datetime(o.month).dt.year == 2018)]
    o.loc[werk_2018, "benefits_ended"] = 6
    o.loc[werk_2018[0], "benefits_ended"] = 2
    return _derive(marts)


@pytest.mark.parametrize("kind", ["row", "tables", "months", "years", "periods", "effect"])
def test_differencing_recovers_nothing(published, frames_with_small_cells, panel_marts, kind):
    # the attack works where only primary suppression was applied...
    weak = Published(apply_suppression(frames_with_small_cells, relations=()).frames)
    found = disclosed(weak, recoverable(weak, identities(weak, kinds=(kind,))))
    assert found, f"the {kind} attack found nothing to recover in primary-only output"
    if kind in ("tables", "months"):  # exact identities in the data: recovered = true value
        # (outflow to work was altered above, so only the caseload identities still hold exactly)
        checked = {c: v for c, v in found.items() if c[2] == "statushouders_on_benefit" or kind == "months"}
        assert checked and all(v == _truth(panel_marts, c) for c, v in checked.items())
    if kind == "effect":  # the unmatched participants come back: participants - matched, 1..4
        unmatched = {c: v for c, v in found.items() if c[2] == "unmatched"}
        assert unmatched and all(v == _truth(panel_marts, (c[0], c[1], "participants"))
                                 - _truth(panel_marts, (c[0], c[1], "matched_participants")) for c, v in unmatched.items())
        assert any(c[2] == "matched_participants step" for c in found)  # and the starters of a quarter
    # ...and recovers nothing once secondary suppression is applied
    strong = Published(apply_suppression(frames_with_small_cells).frames)
    assert disclosed(strong, recoverable(strong, identities(strong, kinds=(kind,)))) == {}
    # nor from the publication itself
    _, tables = published
    pub = Published(tables)
    assert disclosed(pub, recoverable(pub, identities(pub, kinds=(kind,)))) == {}


def test_a_hidden_month_is_not_the_quarter_minus_the_published_months(frames_with_small_cells):
    """The attack the quarter and year totals invite: a suppressed month = its quarter (or year)
    total minus the other months of it. It recovers the true count from primary-only output,
    and nothing from the secondary-suppressed output, with every identity together."""
    o = frames_with_small_cells["outflow_monthly"]
    small = o.index[(o.reason_group == "werk") & (o.benefits_ended == 2)][0]
    cell = ("outflow_monthly", (_k(o.at[small, "month"]), "werk"), "benefits_ended")
    weak = Published(apply_suppression(frames_with_small_cells, relations=()).frames)
    assert weak.cells[cell] == "hidden"
    assert weak.cells[("outflow_quarterly", (_k(o.at[small, "month"]), "werk"), "benefits_ended")] == 14.0
    assert recoverable(weak, identities(weak, kinds=("periods",)))[cell] == 2.0
    strong = Published(apply_suppression(frames_with_small_cells).frames)
    assert strong.cells[cell] == "hidden"
    assert disclosed(strong, recoverable(strong, identities(strong))) == {}


def test_all_identities_together_recover_nothing(published):
    _, tables = published
    pub = Published(tables)
    assert disclosed(pub, recoverable(pub, identities(pub))) == {}


def test_ratio_does_not_reveal_a_hidden_caseload(published, primary_only, panel_marts):
    weak = primary_only["caseload_monthly"]
    # Primary-only: a caseload of 1..4 hidden but its ratio shown would give it back. Build such a
    # month to show the attack: hide nothing else, keep the ratio.
    df = panel_marts["caseload_monthly"].copy()
    df.loc[0, "statushouders_on_benefit"] = 3
    df.loc[0, "clients_per_caseworker"] = 3 / df.loc[0, "caseworker_fte"]
    frames = _frames(panel_marts)
    frames["caseload_monthly"] = df
    weak = apply_suppression(frames, relations=()).frames["caseload_monthly"]
    assert pd.isna(weak.loc[0, "statushouders_on_benefit"])
    assert round(weak.loc[0, "clients_per_caseworker"] * weak.loc[0, "caseworker_fte"]) == 3
    strong = apply_suppression(frames).frames["caseload_monthly"]
    assert pd.isna(strong.loc[0, "clients_per_caseworker"]) and bool(strong.loc[0, "clients_per_caseworker_suppressed"])
    # and in the real publication: every hidden caseload has a hidden ratio
    _, tables = published
    c = tables["caseload_monthly"]
    hidden = c["statushouders_on_benefit_suppressed"]
    assert c.loc[hidden, "clients_per_caseworker"].isna().all()
    assert any(isinstance(r, Ratio) for r in RELATIONS)


def test_cohort_figures_across_n(published, panel_marts):
    _, tables = published
    pub = Published(tables)
    assert sandwiched(pub) == {}
    assert recoverable(pub, identities(pub, kinds=("cohort",))) == {}
    # The attack itself works: a figure hidden between two equal visible ones is known. (A count
    # of 1..4 can never sit between two equal visible figures: they would be 1..4 too; only a
    # secondarily hidden one could, and the cohort figures are not used for secondary hiding.)
    frame = pd.DataFrame({"cohort_year": [2015] * 3, "months_since_permit": [6, 12, 18], "persons": [40] * 3,
                          "on_benefit": [30, 20, 10], "outflow_work": [6, None, 6], "outflow_work_suppressed":
                          [False, True, False], "outflow_study": [0, 0, 0]})
    assert sandwiched(Published({**tables, "cohort_progress": frame})) == {
        ("cohort_progress", (2015, 12), "outflow_work"): 6.0}


def test_zero_plus_total(panel_marts):
    """A row whose other parts are zero: total = hidden part. The total must be hidden too."""
    frames = _frames(panel_marts)
    df = frames["initiative_flows"]
    df.loc[0, ["trajectories", "clients"]] = [7, 3]  # clients hidden, trajectories visible: no equality
    out = apply_suppression(frames).frames["initiative_flows"]
    assert bool(out.loc[0, "clients_suppressed"]) and bool(out.loc[0, "trajectories_suppressed"])
    c = frames["caseload_monthly"]
    c.loc[5, ["statushouders_on_benefit", "single_households", "family_households"]] = [40, 0, 3]
    out = apply_suppression(frames).frames["caseload_monthly"]
    hidden = [bool(out.loc[5, f"{x}_suppressed"]) for x in ("statushouders_on_benefit", "single_households",
                                                            "family_households")]
    assert hidden[2] and sum(hidden) >= 2
