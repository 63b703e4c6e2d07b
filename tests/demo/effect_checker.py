"""The effect contract's matched comparison (../shared/specs/effect-contract.md), computed with
pandas from the checker's frames of the generated files: no pipeline, no generator code. Used to
show that the demo data carries the effects it plants (orchestration/demo/README.md, "Planted
effects"); the interval is left to the pipeline.

Participants of an initiative: statushouders on benefit (a 01 row) in the month s of their first
startdatum in it; cell in s from the 01 row with the latest aanvangsdatum (gender, household, age
band, months on that benefit); controls: statushouders on benefit in s in the same cell without a
start in the initiative in or before s; outcome at h: a 01 benefit of the person ended with reason
group werk (or studie) in a month s..s+h, counted when s+h is loaded. Gender as the mart contract
defines it: BUS geslacht, where empty the BRP letter.
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from checker import STUDY_REASONS, WORK_REASONS, Frames, statushouders

CELL = ["gender", "household", "age_band", "duration_band"]


def _month_index(text: pd.Series) -> pd.Series:
    return text.str[:4].astype(int) * 12 + text.str[5:7].astype(int) - 1


def _bands(values: pd.Series, bounds: list[int], labels: list[str]) -> pd.Series:
    return pd.cut(values, [-10**6, *bounds, 10**6], right=False, labels=labels).astype(str)


@dataclass
class Estimate:
    participants: int
    matched: int
    controls: int
    participant_share: float | None
    comparison_share: float | None
    naive_share: float | None

    @property
    def effect_pp(self) -> float | None:
        if self.participant_share is None:
            return None
        return 100 * (self.participant_share - self.comparison_share)


class EffectData:
    """Person-months with their cell and next endings, and each person's first start per
    initiative, read once from the frames."""

    def __init__(self, fr: Frames):
        sh = statushouders(fr)
        b = fr.benefits[(fr.benefits["code"] == "01") & fr.benefits["person"].isin(sh)].copy()
        b["m"] = _month_index(b["month"])
        self.last_month = int(b["m"].max())
        # the cell, from the row with the latest aanvangsdatum in the month
        rows = b.sort_values(["person", "m", "start"]).groupby(["person", "m"]).tail(1).copy()
        # the mart contract's gender: BUS geslacht, where empty the BRP letter of that month
        brp = fr.brp.drop_duplicates(["month", "person"]).set_index(["month", "person"])["geslacht"]
        letter = pd.Series(list(zip(rows["month"], rows["person"])), index=rows.index).map(brp)
        rows["gender"] = (rows["geslacht"].map({"1": "man", "2": "vrouw"})
                          .fillna(letter.map({"M": "man", "V": "vrouw"})).fillna("onbekend"))
        rows["household"] = rows["leefvorm"].map({"1": "alleenstaand", "2": "gezin", "3": "gezin"}).fillna("anders")
        birth = pd.to_datetime(rows["geboortedatum"].replace("", None), format="%Y-%m-%d", errors="coerce")
        first = pd.to_datetime(rows["month"] + "-01")
        age = first.dt.year - birth.dt.year - ((first.dt.month < birth.dt.month)
                                               | ((first.dt.month == birth.dt.month) & (first.dt.day < birth.dt.day)))
        rows["age_band"] = _bands(age, [27, 40, 55], ["18-26", "27-39", "40-54", "55+"]).where(birth.notna(), "onbekend")
        duration = rows["m"] - (rows["start"].dt.year * 12 + rows["start"].dt.month - 1)
        rows["duration_band"] = _bands(duration, [6, 12, 24], ["0-5", "6-11", "12-23", "24+"])
        self.person_months = rows[["person", "m", *CELL]].reset_index(drop=True)
        # endings: the latest delivery holding each benefit gives its einddatum and reason; every
        # person on it then has that outcome
        latest = b[b["m"] == b.groupby("reg")["m"].transform("max")]
        ended = latest[latest["end"].notna()].copy()
        ended["end_m"] = ended["end"].dt.year * 12 + ended["end"].dt.month - 1
        ended["group"] = ended["reden"].map(lambda r: "werk" if r in WORK_REASONS else
                                            ("studie" if r in STUDY_REASONS else "overig"))
        self.endings = ended[["person", "end_m", "group"]].drop_duplicates()
        # first start per person and initiative, each trajectory as its latest delivery gives it
        t = fr.trajectories[fr.trajectories["person"].isin(sh)]
        key = ["partner", "person", "initiatief", "aanmelddatum"]
        t = t.sort_values("month").groupby(key).tail(1)
        t = t[t["startdatum"].notna()]
        t = t.assign(s=[d.year * 12 + d.month - 1 for d in t["startdatum"]])
        self.starts = t.groupby(["person", "initiatief"])["s"].min().reset_index()

    def outcome(self, pm: pd.DataFrame, outcome: str, horizon: int) -> pd.Series:
        """1.0 where the person of each row (person, m) has an ending of this group in m..m+h."""
        e = self.endings[self.endings["group"] == outcome]
        hit = pm[["person", "m"]].reset_index().merge(e, on="person")
        hit = hit[(hit["end_m"] >= hit["m"]) & (hit["end_m"] <= hit["m"] + horizon)]
        return pd.Series(pm.index.isin(hit["index"]).astype(float), index=pm.index)

    def estimate(self, initiative: str, outcome: str, horizon: int) -> Estimate:
        pm = self.person_months
        starts = self.starts[self.starts["initiatief"] == initiative][["person", "s"]]
        part = starts.merge(pm, left_on=["person", "s"], right_on=["person", "m"])
        part = part[part["m"] + horizon <= self.last_month].drop(columns="s")
        if part.empty:
            return Estimate(0, 0, 0, None, None, None)
        # the risk set in the participants' start months: no start in this initiative in or before m
        risk = pm[pm["m"].isin(part["m"].unique())].merge(starts, on="person", how="left")
        risk = risk[risk["s"].isna() | (risk["s"] > risk["m"])].drop(columns="s")
        risk = risk.assign(y=self.outcome(risk.reset_index(drop=True), outcome, horizon).to_numpy())
        part = part.assign(y=self.outcome(part.reset_index(drop=True), outcome, horizon).to_numpy())
        cells = risk.groupby(["m", *CELL]).agg(c=("y", "mean"), n=("y", "size")).reset_index()
        matched = part.merge(cells, on=["m", *CELL])
        if matched.empty:
            return Estimate(len(part), 0, 0, None, None, None)
        used = risk.merge(matched[["m", *CELL]].drop_duplicates(), on=["m", *CELL])
        naive_by_month = risk.groupby("m")["y"].mean()
        weights = matched["m"].value_counts()
        naive = float((naive_by_month[weights.index] * weights).sum() / weights.sum())
        return Estimate(len(part), len(matched), int(used["person"].nunique()), float(matched["y"].mean()),
                        float(matched["c"].mean()), naive)
