"""A warehouse with a `marts` schema built from a simulated person-level panel.

The marts follow the mart contract's columns and types exactly, and they are aggregated from
person rows here, so the identities the suppression protects (households sum to the total,
the monthly balance, sums over gender, cumulative cohorts) hold as they do in the real marts.
Small populations give plenty of counts from 1 to 4.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

LANDING_DDL = Path(__file__).resolve().parents[2] / "orchestration" / "sources" / "landing.sql"
CBS_SEED = Path(__file__).resolve().parents[2] / "dbt_project" / "seeds" / "cbs_cohort_reference.csv"

FIRST_MONTH = date(2017, 1, 1)
INITIATIVES = ["ADVIES_ONDERWIJS", "UAF", "AGROS", "PASMATCH", "AAN_DE_SLAG", "TIMNIT", "VIP", "STARTBAAN",
               "LEERWERKSTAGE", "ASSESSMENT", "SUR_ATELIER", "VOORSCHAKEL", "VOORSCHAKEL_ZORG"]
OUTCOMES = ["LOPEND", "WERK", "STAGE", "BBL", "OPLEIDING_HBO_WO", "VOORSCHAKEL", "VOORGESTELD", "ON_HOLD",
            "UITGEVALLEN"]


def month_index(d: date) -> int:
    return (d.year - FIRST_MONTH.year) * 12 + d.month - FIRST_MONTH.month


def month_date(i: int) -> date:
    y, m = divmod(FIRST_MONTH.month - 1 + i, 12)
    return date(FIRST_MONTH.year + y, m + 1, 1)


@dataclass
class Panel:
    persons: pd.DataFrame  # person_id, gender, household, registered, permit_m, settle_m (month index, may be < 0)
    spells: pd.DataFrame  # person_id, start_m, end_m (None = running), reason_group
    trajectories: pd.DataFrame  # person_id, initiative, registered_m, started_m, outcome, outcome_m
    n_months: int


def simulate(seed: int = 7, n_persons: int = 220, n_months: int = 24) -> Panel:
    rng = np.random.default_rng(seed)
    persons = pd.DataFrame({
        "person_id": [f"p{i:04d}" for i in range(n_persons)],
        "gender": rng.choice(["man", "vrouw", "onbekend"], n_persons, p=[0.55, 0.42, 0.03]),
        "household": rng.choice(["1", "2", "4"], n_persons, p=[0.5, 0.46, 0.04]),
        "registered": rng.random(n_persons) > 0.12,
    })
    # permit month: 2014..2018 (month index relative to 2017-01)
    persons["permit_m"] = rng.integers(-36, n_months - 2, n_persons)
    persons["settle_m"] = persons["permit_m"] + rng.integers(0, 10, n_persons)
    spells = []
    for pid, settle in zip(persons.person_id, persons.settle_m):
        start = max(0, int(settle)) if settle >= 0 or rng.random() < 0.8 else 0
        while start < n_months:
            length = int(rng.integers(2, 40))
            end = start + length
            reason = rng.choice(["werk", "studie", "overig"], p=[0.35, 0.2, 0.45])
            spells.append((pid, start, end if end < n_months else None, reason if end < n_months else None))
            if end >= n_months or rng.random() > 0.25:
                break
            start = end + int(rng.integers(1, 9))
    spells = pd.DataFrame(spells, columns=["person_id", "start_m", "end_m", "reason_group"])
    trajectories = []
    for pid in persons.person_id:
        for _ in range(int(rng.poisson(0.9))):
            reg = int(rng.integers(0, n_months))
            start = reg + int(rng.integers(0, 3))
            outcome = rng.choice(OUTCOMES)
            outcome_m = start + int(rng.integers(1, 8)) if outcome != "LOPEND" else None
            trajectories.append((pid, rng.choice(INITIATIVES), reg, start if start < n_months else None,
                                 outcome, outcome_m if outcome_m is not None and outcome_m < n_months else None))
    trajectories = pd.DataFrame(trajectories, columns=["person_id", "initiative", "registered_m", "started_m",
                                                       "outcome", "outcome_m"])
    return Panel(persons, spells, trajectories, n_months)


def _on_benefit(panel: Panel) -> pd.DataFrame:
    rows = []
    for s in panel.spells.itertuples():
        last = (s.end_m if s.end_m is not None and not pd.isna(s.end_m) else panel.n_months - 1)
        rows.extend((s.person_id, m) for m in range(int(s.start_m), int(last) + 1))
    return pd.DataFrame(rows, columns=["person_id", "m"]).drop_duplicates()


# The rendement marts are simulated apart from the panel (their estimation is tested in
# tests/effect): per initiative, participants with a start month (months before the month the
# estimate is as of), matched or not, and months until they left the bijstand for work and for
# study. (code, participants, latest start: months back, earliest start: months back, hazard of
# work per month after the first 3 months (lock-in: a quarter of it before), hazard of study).
EFFECT_INITIATIVES = (
    ("AGROS", 110, 0, 34, 0.07, 0.004),
    ("PASMATCH", 60, 2, 30, 0.035, 0.004),
    ("UAF", 48, 0, 30, 0.02, 0.05),
    ("ADVIES_ONDERWIJS", 140, 0, 18, 0.03, 0.03),  # nobody started 24 months ago: h = 24 not reached
    ("VOORSCHAKEL", 26, 0, 9, 0.03, 0.06),  # only h = 6
    ("VIP", 14, 0, 28, 0.05, 0.0),  # too_few everywhere
)
COMPARISON_HAZARD = {"werk": 0.035, "studie": 0.012}


def build_effect_marts(as_of: date, seed: int = 12) -> dict[str, pd.DataFrame]:
    """marts.initiative_effect and marts.initiative_effect_curve as of ``as_of``, with the
    effect contract's counts exact over simulated participants (so the identities the
    suppression protects hold), the comparison share a known curve and a normal interval."""
    rng = np.random.default_rng(seed)
    effect_rows, curve_rows = [], []
    for code, n, latest, earliest, work_hazard, study_hazard in EFFECT_INITIATIVES:
        back = rng.integers(latest, earliest + 1, n)  # months from the start month to as_of
        matched = rng.random(n) > 0.04
        lags = {}
        for outcome, hazard in (("werk", work_hazard), ("studie", study_hazard)):
            k = np.arange(25)
            monthly = np.where(k < 3, hazard / 4, hazard)
            survival = np.cumprod(1 - monthly)
            draws = rng.random(n)
            lags[outcome] = np.array([int(np.argmax(survival < d)) if (survival < d).any() else 99 for d in draws])
        for outcome in ("werk", "studie"):
            comparison = [1 - (1 - COMPARISON_HAZARD[outcome]) ** (k + 1) for k in range(25)]
            for k in range(25):
                counting = back >= k
                m = int((counting & matched).sum())
                if m == 0:
                    continue
                p = float(((lags[outcome] <= k) & counting & matched).sum()) / m
                status = "estimated" if m >= 20 else "too_few"
                curve_rows.append((as_of, code, outcome, k, m, p, comparison[k], status))
                if k in (6, 12, 24):
                    c = comparison[k]
                    half = 196 * np.sqrt(p * (1 - p) / m + c * (1 - c) / (3 * m) + 1e-4)
                    estimate = (p, c, min(1.0, 1.4 * c), 100 * (p - c), 100 * (p - c) - half, 100 * (p - c) + half,
                                "bootstrap") if status == "estimated" else (None,) * 7
                    effect_rows.append((as_of, code, outcome, k, int(counting.sum()), m, 3 * m + 17 + int(k == 6),
                                        *estimate, status))
            for h in (6, 12, 24):  # a horizon whose participants are all unmatched still has a row
                counting = back >= h
                if counting.any() and not (counting & matched).any():
                    effect_rows.append((as_of, code, outcome, h, int(counting.sum()), 0, 0, *(None,) * 7, "too_few"))
    effect = pd.DataFrame(effect_rows, columns=[
        "as_of_month", "initiative_code", "outcome", "horizon_months", "participants", "matched_participants",
        "controls", "participant_share", "comparison_share", "naive_share", "effect_pp", "effect_ci_low_pp",
        "effect_ci_high_pp", "interval_method", "estimate_status"])
    curve = pd.DataFrame(curve_rows, columns=[
        "as_of_month", "initiative_code", "outcome", "months_since_start", "matched_participants",
        "participant_share", "comparison_share", "estimate_status"])
    return {"initiative_effect": effect.sort_values(["initiative_code", "outcome", "horizon_months"]),
            "initiative_effect_curve": curve.sort_values(["initiative_code", "outcome", "months_since_start"])}


def build_marts(panel: Panel, effect_as_of: date | None = None) -> dict[str, pd.DataFrame]:
    """The mart tables, aggregated from the panel with DuckDB SQL; the rendement marts as of
    ``effect_as_of`` (default: the panel's last month)."""
    con = duckdb.connect()
    persons = panel.persons
    on = _on_benefit(panel)
    spells = panel.spells.astype({"end_m": "Int64"})
    traj = panel.trajectories.astype({"started_m": "Int64", "outcome_m": "Int64"})
    months = pd.DataFrame({"m": range(panel.n_months),
                           "month": [month_date(i) for i in range(panel.n_months)],
                           "fte": [None if i in (3,) else 2.0 + 0.25 * (i // 6) for i in range(panel.n_months)]})
    last_m = panel.n_months - 1
    for name, df in (("persons", persons), ("onb", on), ("spells", spells), ("traj", traj), ("months", months)):
        con.register(name, df)
    marts = {}
    marts["caseload_monthly"] = con.execute("""
        WITH c AS (
          SELECT mo.m, mo.month, mo.fte,
                 count(o.person_id) AS total,
                 count(*) FILTER (WHERE p.household = '1') AS single,
                 count(*) FILTER (WHERE p.household = '2') AS family,
                 count(*) FILTER (WHERE NOT p.registered) AS reg_missing,
                 count(*) FILTER (WHERE NOT EXISTS (SELECT 1 FROM onb o2 WHERE o2.person_id = o.person_id
                                                    AND o2.m = mo.m - 1) AND mo.m > 0) AS new_on,
          FROM months mo LEFT JOIN onb o ON o.m = mo.m LEFT JOIN persons p USING (person_id)
          GROUP BY ALL)
        SELECT month::DATE AS month, total::INTEGER AS statushouders_on_benefit, single::INTEGER AS single_households,
               family::INTEGER AS family_households, reg_missing::INTEGER AS registration_missing,
               (CASE WHEN m = 0 THEN total ELSE new_on END)::INTEGER AS new_on_benefit,
               (SELECT count(*) FROM onb o1 WHERE o1.m = c.m - 1
                  AND NOT EXISTS (SELECT 1 FROM onb o2 WHERE o2.person_id = o1.person_id AND o2.m = c.m))::INTEGER
                 AS left_benefit,
               fte::DOUBLE AS caseworker_fte, (total / fte)::DOUBLE AS clients_per_caseworker
        FROM c ORDER BY month""").df()
    marts["outflow_monthly"] = con.execute(f"""
        SELECT mo.month::DATE AS month, s.reason_group, count(*)::INTEGER AS benefits_ended,
               CASE WHEN s.end_m + 6 > {last_m} THEN NULL ELSE count(*) FILTER (WHERE EXISTS (
                  SELECT 1 FROM spells s2 WHERE s2.person_id = s.person_id AND s2.start_m > s.end_m
                  AND s2.start_m <= s.end_m + 6)) END::INTEGER AS returned_within_6_months
        FROM spells s JOIN months mo ON mo.m = s.end_m
        GROUP BY mo.month, s.reason_group, s.end_m ORDER BY 1, 2""").df()
    marts["participation_by_gender"] = con.execute("""
        WITH ended AS (SELECT s.end_m AS m, p.gender, count(*) FILTER (WHERE reason_group = 'werk') AS w,
                              count(*) FILTER (WHERE reason_group = 'studie') AS st
                       FROM spells s JOIN persons p USING (person_id) WHERE s.end_m IS NOT NULL GROUP BY ALL),
             onm AS (SELECT o.m, p.gender, count(*) AS n,
                            count(*) FILTER (WHERE EXISTS (SELECT 1 FROM traj t WHERE t.person_id = o.person_id
                                AND t.started_m <= o.m AND coalesce(t.outcome_m, 999) > o.m)) AS in_traj,
                            count(*) FILTER (WHERE hash(o.person_id) % 3 = 0 AND o.m > 2) AS assessed
                     FROM onb o JOIN persons p USING (person_id) GROUP BY ALL)
        SELECT mo.month::DATE AS month, g.gender, coalesce(onm.n, 0)::INTEGER AS statushouders_on_benefit,
               coalesce(onm.in_traj, 0)::INTEGER AS in_trajectory, coalesce(onm.assessed, 0)::INTEGER AS assessed,
               coalesce(ended.w, 0)::INTEGER AS ended_work, coalesce(ended.st, 0)::INTEGER AS ended_study
        FROM months mo CROSS JOIN (SELECT DISTINCT gender FROM persons) g
        LEFT JOIN onm ON onm.m = mo.m AND onm.gender = g.gender
        LEFT JOIN ended ON ended.m = mo.m AND ended.gender = g.gender
        WHERE onm.n IS NOT NULL OR ended.m IS NOT NULL ORDER BY 1, 2""").df()
    marts["initiative_flows"] = con.execute("""
        WITH ev AS (
          SELECT person_id, initiative, registered_m AS m, 'registered' AS event FROM traj
          UNION ALL SELECT person_id, initiative, started_m, 'started' FROM traj WHERE started_m IS NOT NULL
          UNION ALL SELECT person_id, initiative, outcome_m, 'outcome:' || outcome FROM traj WHERE outcome_m IS NOT NULL)
        SELECT mo.month::DATE AS month, ev.initiative AS initiative_code, p.gender, ev.event,
               count(*)::INTEGER AS trajectories, count(DISTINCT ev.person_id)::INTEGER AS clients
        FROM ev JOIN months mo ON mo.m = ev.m JOIN persons p USING (person_id)
        GROUP BY ALL ORDER BY 1, 2, 3, 4""").df()
    marts["initiative_outcomes"] = con.execute("""
        SELECT mo.month::DATE AS as_of_month, t.initiative AS initiative_code,
               CASE WHEN t.outcome_m <= mo.m THEN t.outcome ELSE 'LOPEND' END AS outcome_code,
               count(*)::INTEGER AS trajectories, count(DISTINCT t.person_id)::INTEGER AS clients
        FROM traj t JOIN months mo ON t.registered_m <= mo.m
        GROUP BY ALL ORDER BY 1, 2, 3""").df()
    for table, date_col in (("cohort_progress", "permit_m"), ("cohort_progress_settlement", "settle_m")):
        marts[table] = con.execute(f"""
            WITH members AS (
              SELECT p.person_id, p.{date_col} AS d, 2017 + floor(p.{date_col} / 12)::INTEGER AS cohort_year
              FROM persons p WHERE EXISTS (SELECT 1 FROM spells s WHERE s.person_id = p.person_id)),
            ns AS (SELECT DISTINCT cohort_year, n * 6 AS n FROM members, range(1, 20) r(n)
                   WHERE (cohort_year - 2017) * 12 + 11 + n * 6 <= {last_m})
            SELECT ns.cohort_year::INTEGER AS cohort_year, ns.n::INTEGER AS months_since_permit,
                   count(DISTINCT m.person_id)::INTEGER AS persons,
                   count(DISTINCT m.person_id) FILTER (WHERE EXISTS (SELECT 1 FROM onb o WHERE o.person_id = m.person_id
                        AND o.m = m.d + ns.n))::INTEGER AS on_benefit,
                   count(DISTINCT m.person_id) FILTER (WHERE EXISTS (SELECT 1 FROM spells s WHERE s.person_id = m.person_id
                        AND s.reason_group = 'werk' AND s.end_m <= m.d + ns.n))::INTEGER AS outflow_work,
                   count(DISTINCT m.person_id) FILTER (WHERE EXISTS (SELECT 1 FROM spells s WHERE s.person_id = m.person_id
                        AND s.reason_group = 'studie' AND s.end_m <= m.d + ns.n))::INTEGER AS outflow_study
            FROM ns JOIN members m USING (cohort_year) GROUP BY ALL ORDER BY 1, 2""").df()
    marts["dq_issues"] = pd.DataFrame({
        "rule_id": ["statushouder_registration_missing", "bsn_invalid", "benefit_vanished"],
        "severity": ["warn", "warn", "warn"],
        "source": ["uitkeringen", "uitkeringen", "uitkeringen"],
        "record_key": ["U000123 / p0001", "2017-03/uitkeringen.csv:17", "U000456 / p0002"],
        "first_seen_month": pd.to_datetime(["2017-01-01", "2017-03-01", "2018-02-01"]).date,
        "last_seen_month": pd.to_datetime(["2018-12-01", "2017-03-01", "2018-03-01"]).date,
        "status": ["open", "resolved", "open"],
        "detail": ["kenmerk_statushouder ontbreekt", "BSN faalt de elfproef", "uitkering verdwenen"],
    })
    con.close()
    marts.update(build_effect_marts(effect_as_of or month_date(last_m)))
    # the real seed file (national figures are not simulated)
    marts["national_cohort_reference"] = pd.read_csv(CBS_SEED, dtype={"measure": str}).astype(
        {"cohort_year": "int32", "months_since_permit": "int32", "percentage": "float64"})
    return marts


_TYPES = {
    "caseload_monthly": "month DATE, statushouders_on_benefit INTEGER, single_households INTEGER, family_households INTEGER, registration_missing INTEGER, new_on_benefit INTEGER, left_benefit INTEGER, caseworker_fte DOUBLE, clients_per_caseworker DOUBLE",
    "outflow_monthly": "month DATE, reason_group VARCHAR, benefits_ended INTEGER, returned_within_6_months INTEGER",
    "initiative_outcomes": "as_of_month DATE, initiative_code VARCHAR, outcome_code VARCHAR, trajectories INTEGER, clients INTEGER",
    "initiative_flows": "month DATE, initiative_code VARCHAR, gender VARCHAR, event VARCHAR, trajectories INTEGER, clients INTEGER",
    "cohort_progress": "cohort_year INTEGER, months_since_permit INTEGER, persons INTEGER, on_benefit INTEGER, outflow_work INTEGER, outflow_study INTEGER",
    "cohort_progress_settlement": "cohort_year INTEGER, months_since_permit INTEGER, persons INTEGER, on_benefit INTEGER, outflow_work INTEGER, outflow_study INTEGER",
    "participation_by_gender": "month DATE, gender VARCHAR, statushouders_on_benefit INTEGER, in_trajectory INTEGER, assessed INTEGER, ended_work INTEGER, ended_study INTEGER",
    "initiative_effect": "as_of_month DATE, initiative_code VARCHAR, outcome VARCHAR, horizon_months INTEGER, participants INTEGER, matched_participants INTEGER, controls INTEGER, participant_share DOUBLE, comparison_share DOUBLE, naive_share DOUBLE, effect_pp DOUBLE, effect_ci_low_pp DOUBLE, effect_ci_high_pp DOUBLE, interval_method VARCHAR, estimate_status VARCHAR",
    "initiative_effect_curve": "as_of_month DATE, initiative_code VARCHAR, outcome VARCHAR, months_since_start INTEGER, matched_participants INTEGER, participant_share DOUBLE, comparison_share DOUBLE, estimate_status VARCHAR",
    "dq_issues": "rule_id VARCHAR, severity VARCHAR, source VARCHAR, record_key VARCHAR, first_seen_month DATE, last_seen_month DATE, status VARCHAR, detail VARCHAR",
}


def write_warehouse(path: Path, marts: dict[str, pd.DataFrame]) -> Path:
    """(Re)create the warehouse file with the landing schema and the given marts."""
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path))
    try:
        con.execute(LANDING_DDL.read_text())
        con.execute("CREATE SCHEMA IF NOT EXISTS marts")
        for table, columns in _TYPES.items():
            con.execute(f"CREATE OR REPLACE TABLE marts.{table} ({columns})")
            names = [c.split()[0] for c in columns.split(", ")]
            con.register("frame", marts[table][names])
            con.execute(f"INSERT INTO marts.{table} SELECT * FROM frame")
            con.unregister("frame")
        # the dbt seed of national reference figures, where dbt loads it (schema reference)
        con.execute("CREATE SCHEMA IF NOT EXISTS reference")
        con.register("frame", marts["national_cohort_reference"])
        con.execute("CREATE OR REPLACE TABLE reference.cbs_cohort_reference AS SELECT * FROM frame")
        con.unregister("frame")
        con.execute("DELETE FROM landing.quarantine")
        con.execute("""INSERT INTO landing.quarantine VALUES
            (DATE '2017-03-01', 'uitkeringen', '2017-03/uitkeringen.csv', 'abc', 17, 'bsn', '******789',
             'bsn_invalid', 'BSN faalt de elfproef', 'U000999'),
            (DATE '2017-04-01', 'uitkeringen', '2017-04/uitkeringen.csv', 'def', 3, 'bsn', '123456782',
             'bsn_invalid', 'BSN faalt de elfproef (ongemaskeerd aangeleverd)', NULL)""")
    finally:
        con.close()
    return path


def build_warehouse(path: Path, seed: int = 7, n_persons: int = 220, n_months: int = 24) -> Path:
    return write_warehouse(path, build_marts(simulate(seed, n_persons, n_months)))
