"""An attacker with the published tables: the identities a reader knows (written here, apart
from the production code's list), and an exact linear solver that says which hidden figures
follow from them. Counts a reader can get by subtraction without their being published (the
unmatched participants, the participants who started between two horizons) are unknowns of the
identities too ("part" cells): the solver says which of them follow, and with what value."""
from __future__ import annotations

import math
from collections import defaultdict
from fractions import Fraction

import numpy as np
import pandas as pd

KEYS = {
    "caseload_monthly": ["month"],
    "outflow_monthly": ["month", "reason_group"],
    "participation_by_gender": ["month", "gender"],
    "initiative_flows": ["month", "initiative_code", "gender", "event"],
    "initiative_outcomes": ["as_of_month", "initiative_code", "outcome_code"],
    "cohort_progress": ["cohort_year", "months_since_permit"],
    "cohort_progress_settlement": ["cohort_year", "months_since_permit"],
    "initiative_flows_yearly": ["year", "initiative_code", "event"],
    "outflow_yearly": ["year", "reason_group"],
    "initiative_flows_quarterly": ["quarter", "initiative_code", "event"],
    "outflow_quarterly": ["quarter", "reason_group"],
    "caseload_flows_quarterly": ["quarter"],
    "caseload_flows_yearly": ["year"],
    "participation_flows_quarterly": ["quarter", "gender"],
    "participation_flows_yearly": ["year", "gender"],
    "initiative_registrations_by_gender_quarterly": ["quarter", "initiative_code", "gender"],
    "initiative_registrations_by_gender_yearly": ["year", "initiative_code", "gender"],
    "national_cohort_reference": ["cohort_year", "months_since_permit", "measure"],
    "initiative_effect": ["as_of_month", "initiative_code", "outcome", "horizon_months"],
    "initiative_effect_curve": ["as_of_month", "initiative_code", "outcome", "months_since_start"],
}


def _k(v):
    return pd.Timestamp(v).date().isoformat() if isinstance(v, (pd.Timestamp,)) or hasattr(v, "isoformat") else v


class Published:
    """Cells of published tables: value (None if hidden) by (table, key, column)."""

    def __init__(self, tables: dict[str, pd.DataFrame]):
        self.tables = tables
        self.cells: dict[tuple, float | None] = {}
        for name, df in tables.items():
            for row in df.to_dict("records"):
                key = tuple(_k(row[k]) for k in KEYS[name])
                for col, v in row.items():
                    # figures: every number (the reference table's texts are no figures)
                    if col in KEYS[name] or col.endswith("_suppressed") or isinstance(v, str):
                        continue
                    hidden = bool(row.get(f"{col}_suppressed", False))
                    self.cells[(name, key, col)] = None if hidden or pd.isna(v) else float(v)
                    if hidden:
                        self.cells[(name, key, col)] = "hidden"

    def hidden(self):
        return [c for c, v in self.cells.items() if v == "hidden"]

    def unknown(self):
        """Hidden figures and the unpublished parts the identities named."""
        return [c for c, v in self.cells.items() if v in ("hidden", "part")]

    def part(self, table: str, key: tuple, name: str) -> tuple:
        """An unpublished count (participants - matched, a step between horizons): unknown."""
        cell = (table, key, name)
        self.cells[cell] = "part"
        return cell


# Quarter and year totals a reader sees beside the months: (total table, monthly table, the keys
# the total keeps besides its period, its columns, a filter on the monthly rows).
PERIOD_TOTALS = [
    (f"{base}_{suffix}", monthly, keys, columns, where)
    for base, monthly, keys, columns, where in (
        ("initiative_flows", "initiative_flows", ["initiative_code", "event"], ["trajectories"], None),
        ("outflow", "outflow_monthly", ["reason_group"], ["benefits_ended"], None),
        ("caseload_flows", "caseload_monthly", [], ["new_on_benefit", "left_benefit"], None),
        ("participation_flows", "participation_by_gender", ["gender"], ["ended_work", "ended_study"], None),
        ("initiative_registrations_by_gender", "initiative_flows", ["initiative_code", "gender"], ["trajectories"],
         ("event", "registered")),
    )
    for suffix in ("quarterly", "yearly")
]


def _period_of(month, total_table: str):
    m = pd.Timestamp(month)
    if total_table.endswith("_yearly"):
        return m.year
    return pd.Timestamp(m.year, 3 * ((m.month - 1) // 3) + 1, 1).date().isoformat()


def identities(pub: Published, kinds=("row", "tables", "months", "cohort", "years", "periods", "effect")) -> list[dict]:
    """Linear identities sum(coef * cell) = 0 a reader can assume (households 'anders' = 0)."""
    eqs = []
    t = pub.tables
    months = sorted(_k(m) for m in t["caseload_monthly"]["month"])
    if "row" in kinds:
        for m in months:
            eqs.append({("caseload_monthly", (m,), "statushouders_on_benefit"): 1,
                        ("caseload_monthly", (m,), "single_households"): -1,
                        ("caseload_monthly", (m,), "family_households"): -1})
        for name in ("initiative_flows", "initiative_outcomes"):
            for row in t[name].to_dict("records"):
                key = tuple(_k(row[k]) for k in KEYS[name])
                eqs.append({(name, key, "trajectories"): 1, (name, key, "clients"): -1})
    if "tables" in kinds:
        genders = defaultdict(list)
        for row in t["participation_by_gender"].to_dict("records"):
            genders[_k(row["month"])].append(row["gender"])
        for m in months:
            eqs.append({("caseload_monthly", (m,), "statushouders_on_benefit"): 1,
                        **{("participation_by_gender", (m, g), "statushouders_on_benefit"): -1 for g in genders[m]}})
        for row in t["outflow_monthly"].to_dict("records"):
            column = {"werk": "ended_work", "studie": "ended_study"}.get(row["reason_group"])
            if column:
                m = _k(row["month"])
                eqs.append({("outflow_monthly", (m, row["reason_group"]), "benefits_ended"): 1,
                            **{("participation_by_gender", (m, g), column): -1 for g in genders[m]}})
    if "months" in kinds:
        for prev, m in zip(months, months[1:]):
            eqs.append({("caseload_monthly", (m,), "statushouders_on_benefit"): 1,
                        ("caseload_monthly", (prev,), "statushouders_on_benefit"): -1,
                        ("caseload_monthly", (m,), "new_on_benefit"): -1,
                        ("caseload_monthly", (m,), "left_benefit"): 1})
    if "years" in kinds:  # year totals = sums of the monthly cells
        for total_table, parts_table, keys, column in (
                ("initiative_flows_yearly", "initiative_flows", ["initiative_code", "event"], "trajectories"),
                ("outflow_yearly", "outflow_monthly", ["reason_group"], "benefits_ended")):
            parts = defaultdict(list)
            for row in t[parts_table].to_dict("records"):
                parts[(pd.Timestamp(row["month"]).year, *[row[k] for k in keys])].append(
                    (parts_table, tuple(_k(row[k]) for k in KEYS[parts_table]), column))
            for row in t[total_table].to_dict("records"):
                key = (int(row["year"]), *[row[k] for k in keys])
                eqs.append({(total_table, tuple(_k(row[k]) for k in KEYS[total_table]), column): 1,
                            **{cell: -1 for cell in parts[key]}})
    if "periods" in kinds:  # every quarter and year total = the sum of its published months
        for total_table, monthly, keys, columns, where in PERIOD_TOTALS:
            if total_table not in t:
                continue
            for column in columns:
                parts = defaultdict(list)
                for row in t[monthly].to_dict("records"):
                    if where and row[where[0]] != where[1]:
                        continue
                    cell = (monthly, tuple(_k(row[k]) for k in KEYS[monthly]), column)
                    if pub.cells.get(cell) is None:  # a NULL month is not in the SQL sum
                        continue
                    parts[(_period_of(row["month"], total_table), *[row[k] for k in keys])].append(cell)
                for row in t[total_table].to_dict("records"):
                    period = row["year"] if total_table.endswith("_yearly") else _k(row["quarter"])
                    key = (int(period) if total_table.endswith("_yearly") else period, *[row[k] for k in keys])
                    eqs.append({(total_table, tuple(_k(row[k]) for k in KEYS[total_table]), column): 1,
                                **{cell: -1 for cell in parts[key]}})
    if "cohort" in kinds:
        for name in ("cohort_progress", "cohort_progress_settlement"):
            for _, g in t[name].groupby("cohort_year"):
                ns = sorted(g["months_since_permit"])
                c = int(g["cohort_year"].iloc[0])
                for a, b in zip(ns, ns[1:]):
                    eqs.append({(name, (c, a), "persons"): 1, (name, (c, b), "persons"): -1})
    if "effect" in kinds and "initiative_effect" in t:
        eqs += _effect_identities(pub)
    return [e for e in eqs if all(pub.cells.get(c) is not None for c in e)]


def _effect_identities(pub: Published) -> list[dict]:
    """What a reader of the rendement tables knows: participants are counted once per initiative
    (werk and studie rows share their counts), the unmatched are participants minus matched, the
    curve at k = h is the effect table at h, and a count falls from one horizon (or published k)
    to the next by the persons who started in between (unknown, but a count of persons)."""
    eqs = []
    effect, curve = pub.tables["initiative_effect"], pub.tables["initiative_effect_curve"]
    for table, df, k in (("initiative_effect", effect, "horizon_months"),
                         ("initiative_effect_curve", curve, "months_since_start")):
        columns = ["participants", "matched_participants", "controls"] if table == "initiative_effect" \
            else ["matched_participants"]
        rows = {tuple(_k(r[c]) for c in KEYS[table]): r for r in df.to_dict("records")}
        by_outcome = defaultdict(list)
        for key in rows:
            by_outcome[(key[0], key[1], key[3])].append(key)
        for keys in by_outcome.values():  # werk = studie
            for a, b in zip(keys, keys[1:]):
                for column in columns:
                    eqs.append({(table, a, column): 1, (table, b, column): -1})
        by_series = defaultdict(list)
        for key in rows:
            by_series[(key[0], key[1], key[2])].append(key)
        for keys in by_series.values():  # steps between consecutive published horizons
            keys = sorted(keys, key=lambda x: x[3])
            for upper, lower in zip(keys, keys[1:]):
                for column in columns:
                    eqs.append({(table, upper, column): 1, (table, lower, column): -1,
                                pub.part(table, upper, f"{column} step"): -1})
        if table == "initiative_effect":
            for key in rows:
                eqs.append({(table, key, "participants"): 1, (table, key, "matched_participants"): -1,
                            pub.part(table, key, "unmatched"): -1})
    curve_keys = {tuple(_k(r[c]) for c in KEYS["initiative_effect_curve"]) for r in curve.to_dict("records")}
    for r in effect.to_dict("records"):
        key = tuple(_k(r[c]) for c in KEYS["initiative_effect"])
        if key in curve_keys:  # the same matched participants
            eqs.append({("initiative_effect", key, "matched_participants"): 1,
                        ("initiative_effect_curve", key, "matched_participants"): -1})
    return eqs


def denominators(pub: Published, low: int = 20, high: int = 100_000) -> dict[tuple, float]:
    """Hidden matched_participants given back by the shares computed over them: an exact share
    a/n reduces to a fraction whose denominator divides n; with werk and studie (the same n) and
    the visible bounds (participants above, the next horizon below) one n is often left."""
    out = {}
    for table, k in (("initiative_effect", "horizon_months"), ("initiative_effect_curve", "months_since_start")):
        df = pub.tables[table]
        rows = {tuple(_k(r[c]) for c in KEYS[table]): r for r in df.to_dict("records")}
        for key, r in rows.items():
            cell = (table, key, "matched_participants")
            if pub.cells.get(cell) != "hidden":
                continue
            step = 1
            for other in rows.values():  # werk and studie of the same initiative and horizon
                if other["initiative_code"] == r["initiative_code"] and other[k] == r[k] \
                        and not bool(other.get("participant_share_suppressed")) and pd.notna(other["participant_share"]):
                    share = Fraction(float(other["participant_share"])).limit_denominator(10_000)
                    if abs(float(share) - float(other["participant_share"])) < 1e-12:
                        step = math.lcm(step, share.denominator)
            if step == 1:
                continue
            upper = min([v for c, v in pub.cells.items() if c[0] == table and c[1][:3] == key[:3]
                         and c[2] == "matched_participants" and isinstance(v, float) and c[1][3] < key[3]]
                        + ([pub.cells[(table, key, "participants")]] if isinstance(
                            pub.cells.get((table, key, "participants")), float) else []) + [high])
            lower = max([v for c, v in pub.cells.items() if c[0] == table and c[1][:3] == key[:3]
                         and c[2] == "matched_participants" and isinstance(v, float) and c[1][3] > key[3]] + [low])
            candidates = [n for n in range(step, int(upper) + 1, step) if n >= lower]
            if len(candidates) == 1:
                out[cell] = float(candidates[0])
    return out


def disclosed(pub: Published, found: dict[tuple, float]) -> dict[tuple, float]:
    """What must not be recovered: any hidden figure; an unpublished part only when it is 1..4."""
    return {c: v for c, v in found.items() if pub.cells.get(c) == "hidden" or 1 <= v <= 4}


def recoverable(pub: Published, eqs: list[dict]) -> dict[tuple, float]:
    """Unknown cells (hidden figures, unpublished parts) whose value the identities fix, with
    that value (rank test per cell)."""
    hidden = [c for c in pub.unknown()]
    index = {c: i for i, c in enumerate(hidden)}
    # connected groups of hidden cells
    parent = list(range(len(hidden)))

    def find(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for e in eqs:
        ids = [index[c] for c in e if c in index]
        for j in ids[1:]:
            parent[find(j)] = find(ids[0])
    groups = defaultdict(list)
    for c in hidden:
        groups[find(index[c])].append(c)
    eqs_of = defaultdict(list)
    for n, e in enumerate(eqs):
        for c in e:
            if c in index:
                eqs_of[c].append(n)
    out = {}
    for cells in groups.values():
        col = {c: j for j, c in enumerate(cells)}
        rows = [eqs[n] for n in sorted({n for c in cells for n in eqs_of[c]})]
        if not rows:
            continue
        a = np.zeros((len(rows), len(cells)))
        b = np.zeros(len(rows))
        for r, e in enumerate(rows):
            for c, coef in e.items():
                if c in col:
                    a[r, col[c]] += coef
                else:
                    b[r] -= coef * pub.cells[c]
        rank = np.linalg.matrix_rank(a)
        x = np.linalg.lstsq(a, b, rcond=None)[0]
        for c, j in col.items():
            unit = np.zeros(len(cells))
            unit[j] = 1
            if np.linalg.matrix_rank(np.vstack([a, unit])) == rank:
                out[c] = round(float(x[j]), 6)
    return out


def sandwiched(pub: Published) -> dict[tuple, float]:
    """Hidden cumulative cohort figures between two equal visible neighbours."""
    out = {}
    for name in ("cohort_progress", "cohort_progress_settlement"):
        for column in ("outflow_work", "outflow_study"):
            for c, g in pub.tables[name].groupby("cohort_year"):
                cells = [(name, (int(c), int(n)), column) for n in sorted(g["months_since_permit"])]
                for k, cell in enumerate(cells):
                    if pub.cells[cell] != "hidden":
                        continue
                    low = next((pub.cells[x] for x in reversed(cells[:k]) if pub.cells[x] != "hidden"), 0.0)
                    up = next((pub.cells[x] for x in cells[k + 1:] if pub.cells[x] != "hidden"), None)
                    if up is not None and low == up:
                        out[cell] = up
    return out
