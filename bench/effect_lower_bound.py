"""The lower bound of the effect step: marts.initiative_effect and marts.initiative_effect_curve
as the effect contract (../shared/specs/effect-contract.md) defines them, in plain DuckDB SQL and
numpy, on the lower bound's own landing tables and person-months (bench/lower_bound.py).

Written from the contract and docs/rendement.md, sharing no code with orchestration/ or
dbt_project/ (the household of a leefvorm code is read from dbt_project/seeds/leefvorm.csv, as
data). The decisions the contract leaves open are taken as docs/rendement.md documents them:

- cell: gender and household of the month's current bijstand row (latest aanvangsdatum, then
  the highest registratienummer), age band at the first day of the month from that row's
  geboortedatum (no date, a date after that day or an age of 120 or more: `onbekend`), duration
  band from the month of its aanvangsdatum (a start after the month counts as 0 months);
- start: the first startdatum of the person's trajectories in the initiative, each in its latest
  delivered state; initiative `onbekend` (outside the code list) is not assessed;
- participant: a statushouder on bijstand in the start month, the start month no later than the
  last benefits month and with a benefits delivery;
- the 95% interval: the percentile bootstrap over persons (multinomial person counts, 1,000
  resamples, one generator per initiative seeded from the seed and the CRC-32 of its code, persons
  numbered by pseudonym, groups by month and cell) for the initiatives whose records fit the
  budget (smallest first, 400,000 records), else the analytic (influence-function) interval with
  persons as the units; the same parameters as the pipeline's dbt vars.

`build_effect(con)` needs the temp tables `persons`, `on_benefit` and `endings` that
lower_bound.build_marts makes, and lb_landing.uitkeringen / lb_landing.trajecten.
"""
from __future__ import annotations

import csv
import time
import zlib
from pathlib import Path

import numpy as np

SEEDS_DIR = Path(__file__).resolve().parent.parent / "dbt_project" / "seeds"
HORIZONS = (6, 12, 24)
MAX_K = 24
OUTCOMES = {"werk": "work_lag", "studie": "study_lag"}
MIN_MATCHED = 20        # estimate_status 'estimated' from 20 matched participants (contract)
RESAMPLES = 1000        # bootstrap: resamples, seed and record budget (the pipeline's dbt vars)
SEED = 20171031
MAX_RECORDS = 400_000
Z95 = 1.959963984540054
NO_EXIT = 9999


def households() -> dict[str, str]:
    with open(SEEDS_DIR / "leefvorm.csv", encoding="utf-8") as fh:
        return {r["code"]: r["huishouden"] for r in csv.DictReader(fh)}


def _lit(v: str) -> str:
    return "'" + v.replace("'", "''") + "'"


def prepare(con) -> None:
    """The panel (statushouders on bijstand per month with cell and exit lags), the starts, the
    participants with their groups, and the control records."""
    household = " ".join(f"WHEN {_lit(k)} THEN {_lit(v)}" for k, v in households().items())
    con.execute(f"""
    CREATE OR REPLACE TEMP TABLE eff_panel AS
    WITH cur AS (
        SELECT month, person_id, birth_date, start_date
        FROM lb_landing.uitkeringen WHERE statistiekcode = '01' AND person_id IS NOT NULL
        QUALIFY row_number() OVER (PARTITION BY month, person_id ORDER BY start_date DESC, benefit_id DESC, rn) = 1),
    aged AS (
        SELECT o.month, o.person_id, o.gender,
               CASE o.leefvorm {household} ELSE 'onbekend' END AS household,
               c.birth_date,
               year(o.month) - year(c.birth_date)
                   - CASE WHEN month(c.birth_date) > month(o.month)
                            OR (month(c.birth_date) = month(o.month) AND day(c.birth_date) > 1) THEN 1 ELSE 0 END AS age,
               datediff('month', date_trunc('month', c.start_date), o.month) AS months_on_benefit
        FROM on_benefit o JOIN cur c USING (month, person_id)),
    exits AS (
        SELECT DISTINCT person_id, month AS ended_month, reason_group FROM endings
        WHERE reason_group IN ('werk', 'studie')),
    werk AS (SELECT * FROM exits WHERE reason_group = 'werk'),
    studie AS (SELECT * FROM exits WHERE reason_group = 'studie')
    SELECT a.month, a.person_id,
           a.gender || '|' || a.household || '|' ||
           CASE WHEN a.birth_date IS NULL OR a.age < 0 OR a.age >= 120 THEN 'onbekend'
                WHEN a.age <= 26 THEN '18-26' WHEN a.age <= 39 THEN '27-39' WHEN a.age <= 54 THEN '40-54'
                ELSE '55+' END || '|' ||
           CASE WHEN a.months_on_benefit <= 5 THEN '0-5' WHEN a.months_on_benefit <= 11 THEN '6-11'
                WHEN a.months_on_benefit <= 23 THEN '12-23' ELSE '24+' END AS cell,
           CAST(datediff('month', a.month, w.ended_month) AS INTEGER) AS work_lag,
           CAST(datediff('month', a.month, s.ended_month) AS INTEGER) AS study_lag
    FROM aged a
    ASOF LEFT JOIN werk w ON w.person_id = a.person_id AND w.ended_month >= a.month
    ASOF LEFT JOIN studie s ON s.person_id = a.person_id AND s.ended_month >= a.month;

    CREATE OR REPLACE TEMP TABLE eff_last AS SELECT max(month) AS last_month FROM lb_landing.uitkeringen;

    -- each trajectory in its latest delivered state; the first start per person and initiative
    CREATE OR REPLACE TEMP TABLE eff_starts AS
    WITH latest AS (
        SELECT person_id, initiatief, startdatum FROM lb_landing.trajecten
        QUALIFY row_number() OVER (PARTITION BY partner, person_id, initiatief, aanmelddatum ORDER BY month DESC, rn DESC) = 1)
    SELECT initiatief AS initiative_code, person_id, CAST(date_trunc('month', min(startdatum)) AS DATE) AS start_month
    FROM latest WHERE startdatum IS NOT NULL AND initiatief <> 'onbekend' AND person_id IS NOT NULL
    GROUP BY ALL;

    CREATE OR REPLACE TEMP TABLE eff_participants AS
    SELECT st.initiative_code, st.person_id, st.start_month AS month, p.cell, p.work_lag, p.study_lag,
           CAST(datediff('month', st.start_month, l.last_month) AS INTEGER) AS months_observed
    FROM eff_starts st, eff_last l
    JOIN persons pe ON pe.person_id = st.person_id AND pe.statushouder
    JOIN eff_panel p ON p.person_id = st.person_id AND p.month = st.start_month
    WHERE st.start_month <= l.last_month;

    -- groups: initiative, start month and cell; numbered by month and cell within the initiative
    CREATE OR REPLACE TEMP TABLE eff_groups AS
    SELECT initiative_code, month, cell, any_value(months_observed) AS months_observed, count(*) AS m,
           CAST(row_number() OVER (PARTITION BY initiative_code ORDER BY month, cell) AS INTEGER) AS g
    FROM eff_participants GROUP BY initiative_code, month, cell;
    CREATE OR REPLACE TEMP TABLE eff_participants AS
    SELECT p.*, g.g FROM eff_participants p JOIN eff_groups g USING (initiative_code, month, cell);

    -- control records: on bijstand in the group's month and cell, no start in the initiative by then
    CREATE OR REPLACE TEMP TABLE eff_controls AS
    SELECT g.initiative_code, g.g, p.person_id, p.work_lag, p.study_lag
    FROM eff_groups g
    JOIN eff_panel p ON p.month = g.month AND p.cell = g.cell
    WHERE NOT EXISTS (SELECT 1 FROM eff_starts st WHERE st.initiative_code = g.initiative_code
                      AND st.person_id = p.person_id AND st.start_month <= p.month);

    CREATE OR REPLACE TEMP TABLE eff_group_n AS
    SELECT g.*, coalesce(c.n, 0) AS n
    FROM eff_groups g LEFT JOIN (SELECT initiative_code, g, count(*) AS n FROM eff_controls GROUP BY ALL) c
        USING (initiative_code, g);
    """)


def shares(con) -> None:
    """eff_shares: per initiative, outcome and k = 0..24 the contract's counts and shares: per
    matched group the participants and controls with an exit within k months, summed over the
    groups that count at k (m_g * T_g / n_g for the comparison)."""
    lag_counts = " UNION ALL ".join(
        f"""SELECT initiative_code, g, '{o}' AS outcome, {lag} AS lag, count(*) FILTER (WHERE part) AS p,
                   count(*) FILTER (WHERE NOT part) AS c
            FROM r WHERE {lag} <= {MAX_K} GROUP BY ALL""" for o, lag in OUTCOMES.items())
    con.execute(f"""
    CREATE OR REPLACE TEMP TABLE eff_shares AS
    WITH r AS (
        SELECT initiative_code, g, true AS part, work_lag, study_lag FROM eff_participants
        UNION ALL SELECT initiative_code, g, false, work_lag, study_lag FROM eff_controls),
    lags AS ({lag_counts}),
    ks AS (SELECT CAST(k AS INTEGER) AS k FROM range(0, {MAX_K + 1}) t(k)),
    at_k AS (
        SELECT g.initiative_code, ks.k, sum(g.m) AS participants, sum(g.m) FILTER (WHERE g.n > 0) AS matched
        FROM eff_group_n g JOIN ks ON ks.k <= g.months_observed GROUP BY ALL),
    exits AS (
        SELECT g.initiative_code, l.outcome, ks.k, sum(l.p) AS participant_exits, sum(g.m * l.c / g.n) AS comparison_exits
        FROM eff_group_n g JOIN lags l USING (initiative_code, g)
        JOIN ks ON ks.k >= l.lag AND ks.k <= g.months_observed
        WHERE g.n > 0 GROUP BY ALL),
    control_persons AS (
        SELECT c.initiative_code, c.person_id, max(g.months_observed) AS months_observed
        FROM eff_controls c JOIN eff_groups g USING (initiative_code, g) GROUP BY ALL),
    controls_at AS (
        SELECT c.initiative_code, ks.k, count(*) AS controls
        FROM control_persons c JOIN ks ON ks.k <= c.months_observed GROUP BY ALL)
    SELECT a.initiative_code, o.outcome, a.k,
           CAST(a.participants AS INTEGER) AS participants, CAST(coalesce(a.matched, 0) AS INTEGER) AS matched,
           CAST(coalesce(c.controls, 0) AS INTEGER) AS controls,
           CASE WHEN a.matched > 0 THEN coalesce(e.participant_exits, 0) / a.matched END AS participant_share,
           CASE WHEN a.matched > 0 THEN coalesce(e.comparison_exits, 0) / a.matched END AS comparison_share,
           coalesce(a.matched, 0) >= {MIN_MATCHED} AS estimated
    FROM at_k a CROSS JOIN (VALUES ('werk'), ('studie')) o(outcome)
    LEFT JOIN exits e ON e.initiative_code = a.initiative_code AND e.outcome = o.outcome AND e.k = a.k
    LEFT JOIN controls_at c ON c.initiative_code = a.initiative_code AND c.k = a.k
    """)


def naive(con) -> None:
    """eff_naive: per initiative, outcome and horizon the naive share (contract): per start month of
    the matched participants, everyone on bijstand then without a start in the initiative by then."""
    parts = []
    for outcome, lag in OUTCOMES.items():
        for h in HORIZONS:
            parts.append(f"""
            SELECT mm.initiative_code, '{outcome}' AS outcome, {h} AS horizon, mm.matched,
                   (t.n_{lag}_{h} - coalesce(s.n_{lag}_{h}, 0)) / (t.n - coalesce(s.n, 0)) AS share
            FROM mm JOIN t USING (month) LEFT JOIN s USING (initiative_code, month)
            WHERE mm.months_observed >= {h}""")
    cols = ", ".join(f"count(*) FILTER (WHERE p.{lag} <= {h}) AS n_{lag}_{h}" for lag in OUTCOMES.values() for h in HORIZONS)
    con.execute(f"""
    CREATE OR REPLACE TEMP TABLE eff_naive AS
    WITH mm AS (
        SELECT initiative_code, month, max(months_observed) AS months_observed, sum(m) AS matched
        FROM eff_group_n WHERE n > 0 GROUP BY ALL),
    t AS (
        SELECT p.month, count(*) AS n, {cols} FROM eff_panel p
        WHERE p.month IN (SELECT month FROM mm) GROUP BY p.month),
    s AS (
        SELECT mm.initiative_code, mm.month, count(*) AS n, {cols}
        FROM mm JOIN eff_starts st ON st.initiative_code = mm.initiative_code AND st.start_month <= mm.month
        JOIN eff_panel p ON p.person_id = st.person_id AND p.month = mm.month
        GROUP BY ALL),
    x AS ({' UNION ALL '.join(parts)})
    SELECT initiative_code, outcome, horizon, sum(matched * share) / sum(matched) AS naive_share
    FROM x GROUP BY ALL
    """)


# ------------------------------------------------------------------------------------------------
# Intervals

def _records(con, code: str, min_h: int | None = None):
    """An initiative's records of matched groups (counting at min_h or more): person index (by
    pseudonym), group index (by month and cell), participant flag, lags; and per group its months
    observed."""
    where = f"AND g.months_observed >= {min_h}" if min_h is not None else ""
    data = con.execute(f"""
        WITH r AS (
            SELECT g.g, g.months_observed, p.person_id, true AS part, p.work_lag, p.study_lag
            FROM eff_participants p JOIN eff_group_n g USING (initiative_code, g)
            WHERE p.initiative_code = ? AND g.n > 0 {where}
            UNION ALL
            SELECT c.g, g.months_observed, c.person_id, false, c.work_lag, c.study_lag
            FROM eff_controls c JOIN eff_group_n g USING (initiative_code, g)
            WHERE c.initiative_code = ? {where})
        SELECT dense_rank() OVER (ORDER BY person_id) - 1 AS person, dense_rank() OVER (ORDER BY g) - 1 AS grp,
               months_observed,
               part, coalesce(work_lag, {NO_EXIT}) AS work_lag, coalesce(study_lag, {NO_EXIT}) AS study_lag
        FROM r ORDER BY grp, person, part""", [code, code]).fetchnumpy()
    group = np.asarray(data["grp"], dtype=np.int64)
    months_observed = np.zeros(int(group.max()) + 1 if group.size else 0, dtype=np.int64)
    months_observed[group] = np.asarray(data["months_observed"])
    return (np.asarray(data["person"], dtype=np.int64), group, np.asarray(data["part"], dtype=bool),
            {"werk": np.asarray(data["work_lag"]), "studie": np.asarray(data["study_lag"])}, months_observed)


def _effects(weights, person, group, part, y, counts):
    """p - c per estimate (columns of y / counts) for each row of person weights."""
    groups = counts.shape[0]
    order_p, order_c = np.flatnonzero(part), np.flatnonzero(~part)
    out = np.full((weights.shape[0], y.shape[1]), np.nan)

    def group_sums(idx, values):  # (R x groups) weighted sums of records idx
        res = np.zeros((weights.shape[0], groups))
        if idx.size:
            w = weights[:, person[idx]] * values[idx]
            g = group[idx]
            starts = np.flatnonzero(np.r_[True, g[1:] != g[:-1]])
            res[:, g[starts]] = np.add.reduceat(w, starts, axis=1)
        return res

    ones = np.ones(person.size)
    m, n = group_sums(order_p, ones), group_sums(order_c, ones)
    with np.errstate(invalid="ignore", divide="ignore"):
        for j in range(y.shape[1]):
            matched = (n > 0) & counts[:, j]
            mp = np.where(matched, m, 0).sum(axis=1)
            pe = np.where(matched, group_sums(order_p, y[:, j]), 0).sum(axis=1)
            ce = np.where(matched, m * group_sums(order_c, y[:, j]) / np.where(n > 0, n, 1), 0).sum(axis=1)
            ok = mp > 0
            out[ok, j] = (pe[ok] - ce[ok]) / mp[ok]
    return out


def bootstrap(con, code: str, pairs: list[tuple[str, int]], resamples: int = RESAMPLES, seed: int = SEED):
    """Percentile interval per (outcome, horizon) pair, and the resamples with a value."""
    person, group, part, lags, months_observed = _records(con, code, min(h for _, h in pairs))
    y = np.column_stack([lags[o] <= h for o, h in pairs]).astype(np.float64)
    counts = np.column_stack([months_observed >= h for _, h in pairs])
    persons = int(person.max()) + 1
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, zlib.crc32(code.encode())])))
    chunk = max(1, min(resamples, 4_000_000 // max(persons, person.size * 2, 1)))
    reps = np.empty((resamples, len(pairs)))
    for first in range(0, resamples, chunk):
        count = min(chunk, resamples - first)
        w = np.empty((count, persons))
        for i in range(count):
            w[i] = np.bincount(rng.integers(0, persons, size=persons), minlength=persons)
        reps[first:first + count] = _effects(w, person, group, part, y, counts)
    out = {}
    for j, pair in enumerate(pairs):
        values = reps[np.isfinite(reps[:, j]), j]
        if values.size:
            out[pair] = (*np.percentile(values, [2.5, 97.5]), values.size)
    return out


def analytic(con, code: str, pairs: list[tuple[str, int]], effects: dict) -> dict:
    """Influence-function interval per pair: persons are the units; a control record weighs
    m_g / n_g, a person's records add up before squaring."""
    person, group, part, lags, months_observed = _records(con, code)
    out = {}
    groups = months_observed.size
    m = np.bincount(group[part], minlength=groups).astype(float)
    n = np.bincount(group[~part], minlength=groups).astype(float)
    for outcome, h in pairs:
        counting = months_observed[group] >= h
        y = (lags[outcome] <= h).astype(float)
        sum_c = np.bincount(group[~part], weights=y[~part], minlength=groups)
        cbar = np.divide(sum_c, n, out=np.zeros(groups), where=n > 0)
        M = m[months_observed >= h].sum()
        effect = effects[(outcome, h)]
        psi = np.where(part, y - cbar[group] - effect, -(m[group] / n[group]) * (y - cbar[group]))
        psi = np.bincount(person[counting], weights=psi[counting], minlength=int(person.max()) + 1)
        se = np.sqrt((psi ** 2).sum()) / M
        out[(outcome, h)] = (effect - Z95 * se, effect + Z95 * se)
    return out


def intervals(con, max_records: int = MAX_RECORDS, resamples: int = RESAMPLES) -> None:
    """eff_intervals: the bootstrap interval for the initiatives within the record budget, the
    analytic one for the others."""
    est = con.execute(f"""SELECT initiative_code, outcome, k, participant_share - comparison_share
                          FROM eff_shares WHERE estimated AND k IN {HORIZONS} ORDER BY ALL""").fetchall()
    by_code: dict[str, dict] = {}
    for code, outcome, h, effect in est:
        by_code.setdefault(code, {})[(outcome, h)] = effect
    sizes = dict(con.execute("""
        SELECT r.initiative_code, count(*) FROM (
            SELECT initiative_code, g FROM eff_participants
            UNION ALL SELECT initiative_code, g FROM eff_controls
        ) r JOIN eff_group_n g USING (initiative_code, g)
        JOIN (SELECT initiative_code, min(k) AS first_h FROM eff_shares WHERE estimated AND k IN (6, 12, 24) GROUP BY ALL) f
            USING (initiative_code)
        WHERE g.n > 0 AND g.months_observed >= f.first_h GROUP BY ALL""").fetchall())
    chosen, total = set(), 0
    for code in sorted(by_code, key=lambda c: (sizes.get(c, 0), c)):
        if total + sizes.get(code, 0) <= max_records:
            chosen.add(code)
            total += sizes.get(code, 0)
    rows = []
    for code, effects in sorted(by_code.items()):
        pairs = sorted(effects)
        booted = bootstrap(con, code, pairs, resamples) if code in chosen else {}
        rest = [p for p in pairs if p not in booted]
        anal = analytic(con, code, rest, effects) if rest else {}
        for outcome, h in pairs:
            if (outcome, h) in booted:
                low, high, _ = booted[(outcome, h)]
                rows.append((code, outcome, h, float(low), float(high), "bootstrap"))
            else:
                low, high = anal[(outcome, h)]
                rows.append((code, outcome, h, float(low), float(high), "analytic"))
    con.execute("CREATE OR REPLACE TEMP TABLE eff_intervals (initiative_code VARCHAR, outcome VARCHAR, horizon INTEGER, "
                "ci_low DOUBLE, ci_high DOUBLE, method VARCHAR)")
    if rows:
        con.executemany("INSERT INTO eff_intervals VALUES (?, ?, ?, ?, ?, ?)", rows)


def build_effect(con, max_records: int = MAX_RECORDS, resamples: int = RESAMPLES) -> dict:
    """marts.initiative_effect and marts.initiative_effect_curve; seconds per phase."""
    t0 = time.perf_counter()
    prepare(con)
    shares(con)
    naive(con)
    t1 = time.perf_counter()
    intervals(con, max_records, resamples)
    t2 = time.perf_counter()
    con.execute(f"""
    CREATE OR REPLACE TABLE marts.initiative_effect AS
    SELECT s.initiative_code, s.outcome, s.k AS horizon_months, s.participants,
           s.matched AS matched_participants, s.controls,
           CASE WHEN s.estimated THEN s.participant_share END AS participant_share,
           CASE WHEN s.estimated THEN s.comparison_share END AS comparison_share,
           CASE WHEN s.estimated THEN n.naive_share END AS naive_share,
           CASE WHEN s.estimated THEN 100 * (s.participant_share - s.comparison_share) END AS effect_pp,
           CASE WHEN s.estimated THEN 100 * i.ci_low END AS effect_ci_low_pp,
           CASE WHEN s.estimated THEN 100 * i.ci_high END AS effect_ci_high_pp,
           CASE WHEN s.estimated THEN i.method END AS interval_method,
           CASE WHEN s.estimated THEN 'estimated' ELSE 'too_few' END AS estimate_status
    FROM eff_shares s
    LEFT JOIN eff_naive n ON n.initiative_code = s.initiative_code AND n.outcome = s.outcome AND n.horizon = s.k
    LEFT JOIN eff_intervals i ON i.initiative_code = s.initiative_code AND i.outcome = s.outcome AND i.horizon = s.k
    WHERE s.k IN {HORIZONS};

    CREATE OR REPLACE TABLE marts.initiative_effect_curve AS
    SELECT initiative_code, outcome, k AS months_since_start, matched AS matched_participants,
           participant_share, comparison_share,
           CASE WHEN estimated THEN 'estimated' ELSE 'too_few' END AS estimate_status
    FROM eff_shares WHERE matched > 0;
    """)
    t3 = time.perf_counter()
    return {"seconds_effect_estimate": round(t1 - t0 + t3 - t2, 3), "seconds_effect_interval": round(t2 - t1, 3),
            "seconds_effect": round(t3 - t0, 3)}
