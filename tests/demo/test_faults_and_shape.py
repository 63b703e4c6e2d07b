"""The faults the memo's stewards should see, at their documented rates and on rows no memo figure
counts; and the population's shape (Haarlem's caseload, cohorts, households, the team)."""
from __future__ import annotations

import pandas as pd
import pytest

from checker import ASYLUM_TITLES, on_benefit, statushouders, trajectory_states
from orchestration.demo import constants as C


@pytest.fixture(scope="module")
def sh(haarlem_frames):
    return statushouders(haarlem_frames)


def _brp_year(text: str) -> int | None:
    return int(text[:4]) if text and text[:4] != "0000" else None


def test_invalid_bsns_at_their_rate_and_never_a_statushouder(haarlem_frames, sh):
    q = haarlem_frames.quarantined
    rate = q["uitkeringen"] / q["uitkeringen_rows"]
    assert 0.5 * C.FAULTS["bsn_invalid_uitkeringen_row"] < rate < 1.6 * C.FAULTS["bsn_invalid_uitkeringen_row"]
    b = haarlem_frames.benefits
    owners = set(b.loc[b["reg"].isin(q["uitkeringen_regs"]), "person"])
    assert owners and not owners & sh
    assert q["trajecten"] > 0


def test_bsn_without_leading_zero_in_klantbeeld(haarlem_demo):
    kb = pd.read_csv(haarlem_demo[0] / "2018-05" / "klantbeeld.csv", sep=";", dtype=str, keep_default_na=False)
    eight = kb["bsn"].str.len() == 8
    assert 0.02 < eight.mean() < 0.12 and (kb["bsn"].str.len() >= 8).all()


def test_ending_faults_sit_on_overig_endings(haarlem_frames):
    b = haarlem_frames.benefits
    ended = b[b["end"].notna()].drop_duplicates("reg")
    assert (ended["reden"] == "").sum() > 0, "benefit_end_reason_missing"
    assert (ended["reden"] == "99").sum() > 0, "a reason outside the list"
    share = (ended["reden"] == "").mean()
    assert share < 2 * C.FAULTS["benefit_end_reason_missing"]


def test_vanished_benefits_are_other_clients(haarlem_frames, sh):
    b = haarlem_frames.benefits
    last = b.sort_values("month").groupby("reg").tail(1)
    vanished = last[last["end"].isna() & (last["month"] < haarlem_frames.months[-1])]
    # a quarantined row makes a benefit skip one month too; count those that never come back
    assert len(vanished) > 0
    assert not set(vanished["person"]) & sh


def test_unknown_codes_only_on_other_clients(haarlem_frames, sh):
    b = haarlem_frames.benefits
    odd = b[(b["leefvorm"] == "5") | (b["geslacht"] == "3")]
    assert len(odd) > 0 and not set(odd["person"]) & sh
    t = haarlem_frames.trajectories
    assert (t["uitkomst"] == "onbekend").sum() > 0


def test_trajectory_dates_in_wrong_order_only_for_other_clients(haarlem_frames, sh):
    t = haarlem_frames.trajectories
    wrong = t[(t["einddatum"].notna() & t["startdatum"].notna() & (t["einddatum"] < t["startdatum"]))
              | (t["startdatum"].notna() & (t["startdatum"] < t["aanmelddatum"]))]
    assert len(wrong) > 0 and set(wrong["partner"]) <= {"agros", "pasmatch"}
    assert not set(wrong["person"]) & sh


def test_registration_gap_and_conflicts(haarlem_frames, sh):
    b, brp = haarlem_frames.benefits, haarlem_frames.brp
    assert (b.loc[b["month"] < "2017-01", "kenmerk"] == "").all()
    title = brp[brp["verblijfstitel"].isin(ASYLUM_TITLES)].drop_duplicates("person").set_index("person")
    cohort = title["datum_ingang_verblijfstitel"].map(_brp_year)
    may = b[(b["month"] == "2018-05") & (b["code"] == "01") & b["person"].isin(title.index)]
    flag = may.groupby("person")["kenmerk"].first()
    early = flag[cohort.reindex(flag.index).isin([2014, 2015])]
    late = flag[cohort.reindex(flag.index) >= 2016]
    assert (early == "").mean() > 0.6, "most of the 2014/2015 cohort still without the flag"
    assert (late == "J").mean() > 0.9
    conflicts = set(b.loc[b["kenmerk"] == "N", "person"]) & set(title.index)
    assert 0 < len(conflicts) < 20
    registered_only = set(b.loc[b["kenmerk"] == "J", "person"]) - set(title.index)
    assert len(registered_only) > 0, "statushouders known only by the municipal flag"


def test_haarlem_caseload_shape(haarlem_frames, sh):
    b = haarlem_frames.benefits
    may = b[b["month"] == "2018-05"]
    assert 3_600 <= may.loc[may["code"] == "01", "person"].nunique() <= 4_600
    assert {"01", "02", "03", "11", "12", "14"} <= set(b["code"])
    per_reg = may[may["code"] == "01"].groupby("reg")["person"].nunique()
    assert (per_reg == 2).sum() > 0, "couples share one benefit"
    two_rows = b[b["code"] == "01"].groupby(["month", "person"]).size()
    assert (two_rows > 1).sum() > 0, "a household change gives two 01 rows in one month"
    counts = [len(on_benefit(haarlem_frames, m) & sh) for m in ("2014-06", "2015-06", "2016-06", "2017-06", "2018-05")]
    assert counts == sorted(counts) and counts[0] < 100


def test_cohorts_gender_nationality_settlement(haarlem_frames, sh):
    brp = haarlem_frames.brp
    people = brp[brp["person"].isin(sh)].drop_duplicates("person")
    titled = people[people["verblijfstitel"].isin(ASYLUM_TITLES)]
    nat = titled["nationaliteit"].value_counts()
    assert list(nat.index[:2]) == ["SYR", "ERI"]
    cohort = titled["datum_ingang_verblijfstitel"].map(_brp_year)
    last_year = int(haarlem_frames.months[-1][:4])
    assert {2014, 2015, 2016, 2017, 2018} <= set(cohort.dropna().astype(int)) <= set(range(2014, last_year + 1))
    early = titled[cohort.between(2014, 2016)]
    assert (early["geslacht"] == "M").mean() > 0.55
    settled_after = (titled["datum_vestiging_gemeente"].str[:6] >= titled["datum_ingang_verblijfstitel"].str[:6])
    assert settled_after.all()


def test_team_statushouders_grows_to_80_clients_per_fte(haarlem_frames, sh):
    f = haarlem_frames.formatie
    team = f[f["team"] == "statushouders"].groupby("month")["fte"].sum()
    assert team.index.min() == "2016-04"
    assert team["2016-04"] < team["2016-12"] < team["2017-07"]
    ratio = {m: len(on_benefit(haarlem_frames, m) & sh) / team[m] for m in ("2016-10", "2017-01", "2017-07")}
    assert ratio["2016-10"] > ratio["2017-01"] > 100 > ratio["2017-07"]
    b = haarlem_frames.benefits
    km = b[(b["month"] == "2018-05") & b["person"].isin(sh)]["km"].str.strip()
    assert km.isin(set(f.loc[(f["month"] == "2018-05") & (f["team"] == "statushouders"), "km"])).all()


def test_partner_clients_and_dual_trajectories(haarlem_frames, sh):
    t = haarlem_frames.trajectories
    seen = set(haarlem_frames.benefits["person"])
    assert len(set(t["person"]) - seen) > 0, "partner clients never on bijstand here"
    assert len(set(t.loc[t["partner"].isin(["agros", "pasmatch"]), "person"]) - sh) > 0, "other clients too"
    st = trajectory_states(haarlem_frames, "2018-05", sh)
    sur = set(st.loc[st["initiatief"] == "SUR_ATELIER", "person"])
    others = set(st.loc[st["initiatief"] != "SUR_ATELIER", "person"])
    assert sur and sur <= others, "Sur Atelier beside another trajectory"
    timnit = set(st.loc[st["initiatief"] == "TIMNIT", "person"])
    brp = haarlem_frames.brp.drop_duplicates("person").set_index("person")
    assert (brp.loc[list(timnit), "nationaliteit"] == "ERI").all()
