"""Suppression of small numbers in what is published.

Rules
=====

Primary suppression
    Every count (persons, benefits, trajectories) from 1 to 4 is published as NULL with its
    flag column ``<col>_suppressed`` = TRUE. Zero is published: an empty cell reveals nobody.

Secondary suppression
    Published figures are tied together by known identities (``RELATIONS`` below). From an
    identity in which exactly one figure is hidden, that figure can be computed back by
    differencing. So, until nothing changes:

    1. for every identity with exactly one hidden member, hide one more member: the smallest
       non-zero one (a zero member only when all others are zero), passing over the headline
       figures (``HEADLINE_COLUMNS``: the caseload, outflow and cohort sizes) while another
       member will do; a figure that is public already (see below) never counts as hidden and
       is never chosen;
    2. check the whole system exactly: per connected group of hidden figures, a hidden figure
       is computable when it is fixed in every solution of the identities (its row of the null
       space of the identities restricted to hidden figures is zero). For such a figure hide the
       smallest visible member of one of its identities and go back to 1;
    3. cumulative cohort figures never decrease with N: a hidden figure whose nearest visible
       neighbours (0 before the first N) are equal is known, so its upper neighbour is hidden.

    Ratios are hidden with their count (clients_per_caseworker with statushouders_on_benefit:
    the FTE is published, so ratio x FTE gives the count back; the shares and effects of the
    rendement with matched_participants: an exact share a/n gives its denominator n back).

Unpublished parts
    Some counts of persons are not published but would follow by subtraction: participants
    minus matched participants (the unmatched), or the matched participants at k months since
    start minus those at the next published k (those who started in between). ``Difference``
    and ``Steps`` name them as parts of their identities. A part is always unknown to a reader; a part of 1..4
    must not be computable, exactly like a hidden figure, and protecting it hides a published
    member of its identities (a part is never "hidden" itself: it is not published).

Attacker model and its limits
    Identities with a part that is not published (households ``anders``, benefits of
    ``onbekend`` households) are treated as if that part were a known zero: stricter than
    needed; the parts named by ``Difference`` and ``Steps`` are unknowns instead (their value
    is what must be protected). Figures published by the previous publication with the same
    value are treated as known ("public") and give no protection. What is guaranteed: no hidden figure can be
    computed exactly from the published tables (this and the previous publication) through
    these identities. Bounds remain derivable (a hidden figure lies between 0 and its total);
    that is accepted, as in the usual cell-suppression practice.

The internal warehouse keeps the exact counts; only the published copy is suppressed.
"""
from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Iterable

import numpy as np
import pandas as pd

from .tables import DERIVED_TABLES, EFFECT_ESTIMATE, TABLES_BY_NAME

log = logging.getLogger(__name__)

SMALLEST_PUBLISHED = 5  # counts 1..SMALLEST_PUBLISHED-1 are suppressed

Cell = tuple[str, int, str]  # (table, row position, column)

# Figures readers look up first: chosen for secondary suppression only when nothing else can.
HEADLINE_COLUMNS = {
    "caseload_monthly": ("statushouders_on_benefit",),
    "outflow_monthly": ("benefits_ended",),
    "cohort_progress": ("persons",),
    "cohort_progress_settlement": ("persons",),
    # the denominator of the rendement's estimate: hidden with it (Ratio), so chosen last
    "initiative_effect": ("matched_participants",),
    # the quarter and year totals of every flow: the report shows flows at these grains, so the
    # monthly cells are hidden in their place wherever a choice exists
    **{t.name: tuple(t.counts) for t in DERIVED_TABLES},
}


# Headline figures by row: the curve's matched participants at 6, 12 and 24 months equal those of
# initiative_effect (an estimate hides with them), so the curve's other months are hidden first.
HEADLINE_ROWS = {
    ("initiative_effect_curve", "matched_participants"): lambda df: df["months_since_start"].isin([6, 12, 24]),
}


# --- The identities, as data ----------------------------------------------------------------

@dataclass(frozen=True)
class WithinRow:
    """``total`` = sum of ``parts`` in the same row."""
    table: str
    total: str
    parts: tuple[str, ...]
    why: str


@dataclass(frozen=True)
class SumOverRows:
    """A total cell = the sum of a column over the rows of another table that share its keys."""
    total_table: str
    total_column: str
    total_filter: tuple[tuple[str, str], ...]  # (key, value) the total row must have
    parts_table: str
    parts_column: str
    join: tuple[tuple[str, str], ...]  # (total key, parts key); "year(month)" / "quarter(month)" of a date key
    why: str
    parts_filter: tuple[tuple[str, str], ...] = ()  # (key, value) the part rows must have


@dataclass(frozen=True)
class MonthlyBalance:
    """stock(M) = stock(M-1) + inflow(M) - outflow(M), for consecutive months present."""
    table: str
    month: str
    stock: str
    inflow: str
    outflow: str
    why: str


@dataclass(frozen=True)
class EqualAcrossRows:
    """``column`` is the same in every row of a group (a cohort's size at every N)."""
    table: str
    column: str
    group: tuple[str, ...]
    why: str


@dataclass(frozen=True)
class Cumulative:
    """``column`` never decreases along ``order`` within ``group`` (cumulative figures)."""
    table: str
    column: str
    group: tuple[str, ...]
    order: str
    why: str


@dataclass(frozen=True)
class Ratio:
    """``ratio`` is derived from ``count``: hidden whenever the count is."""
    table: str
    ratio: str
    count: str
    why: str


@dataclass(frozen=True)
class Difference:
    """``total`` - ``subtracted`` (same row) is a count of persons that is not published: the
    unpublished part ``part`` of the identity total = subtracted + part."""
    table: str
    total: str
    subtracted: str
    part: str
    why: str


@dataclass(frozen=True)
class Steps:
    """``column`` never increases along ``order`` within ``group``; each step down to the next row
    is a count of persons that is not published (the part ``part`` of the upper row)."""
    table: str
    column: str
    group: tuple[str, ...]
    order: str
    part: str
    why: str


def _period_relations() -> tuple:
    """Every quarter or year total = the sum of its months (over every key it does not keep)."""
    out = []
    for table in DERIVED_TABLES:
        period = table.keys[0]  # quarter | year
        monthly = table.derived_sql.split(" FROM ")[1].split()[0]
        join = ((period, f"{period}(month)"),) + tuple((k, k) for k in table.keys[1:])
        where = tuple((k, v) for k, v in (("event", "registered"),) if "WHERE event" in table.derived_sql)
        for column in table.counts:
            out.append(SumOverRows(table.name, column, (), monthly, column, join,
                                   f"{table.name}.{column} = sum of {monthly}.{column} over the months of the "
                                   f"{period}" + (" (registrations)" if where else ""), where))
    return tuple(out)


PERIOD_RELATIONS = _period_relations()

# The rendement (initiative_effect, initiative_effect_curve): participants are counted once per
# initiative, so werk and studie rows share their counts; the curve's k = h is initiative_effect's
# h; the counts fall with the horizon by the persons who started in between.
EFFECT_RELATIONS: tuple = (
    Difference("initiative_effect", "participants", "matched_participants", "unmatched_participants",
               "participants = matched_participants + the unmatched (not published)"),
    *(EqualAcrossRows("initiative_effect", column, ("initiative_code", "horizon_months"),
                      f"initiative_effect.{column} is the same for werk and studie")
      for column in ("participants", "matched_participants", "controls")),
    EqualAcrossRows("initiative_effect_curve", "matched_participants", ("initiative_code", "months_since_start"),
                    "initiative_effect_curve.matched_participants is the same for werk and studie"),
    SumOverRows("initiative_effect", "matched_participants", (), "initiative_effect_curve", "matched_participants",
                (("initiative_code", "initiative_code"), ("outcome", "outcome"),
                 ("horizon_months", "months_since_start")),
                "initiative_effect.matched_participants at h = initiative_effect_curve.matched_participants at k = h"),
    *(Steps("initiative_effect", column, ("initiative_code", "outcome"), "horizon_months", f"{column}_step",
            f"initiative_effect.{column} at h = at the next horizon + {what} (not published)")
      for column, what in (("participants", "the participants who started in between"),
                           ("matched_participants", "the matched participants who started in between"),
                           ("controls", "the persons who were controls only of those"))),
    Steps("initiative_effect_curve", "matched_participants", ("initiative_code", "outcome"), "months_since_start",
          "matched_participants_step", "initiative_effect_curve.matched_participants at k = at the next published "
          "k + the matched participants who started in between (not published)"),
    *(Ratio("initiative_effect", column, "matched_participants",
            f"initiative_effect.{column} is computed over matched_participants")
      for column in EFFECT_ESTIMATE),
    *(Ratio("initiative_effect_curve", column, "matched_participants",
            f"initiative_effect_curve.{column} is computed over matched_participants")
      for column in ("participant_share", "comparison_share")),
)

RELATIONS: tuple = (
    WithinRow("caseload_monthly", "statushouders_on_benefit", ("single_households", "family_households"),
              "households: total = alleenstaand + gezin (+ anders/onbekend, not published)"),
    MonthlyBalance("caseload_monthly", "month", "statushouders_on_benefit", "new_on_benefit", "left_benefit",
                   "caseload(M) = caseload(M-1) + new_on_benefit(M) - left_benefit(M)"),
    SumOverRows("caseload_monthly", "statushouders_on_benefit", (), "participation_by_gender",
                "statushouders_on_benefit", (("month", "month"),),
                "caseload(M) = sum over gender of participation_by_gender(M)"),
    SumOverRows("outflow_monthly", "benefits_ended", (("reason_group", "werk"),), "participation_by_gender",
                "ended_work", (("month", "month"),),
                "outflow werk(M) = sum over gender of ended_work(M)"),
    SumOverRows("outflow_monthly", "benefits_ended", (("reason_group", "studie"),), "participation_by_gender",
                "ended_study", (("month", "month"),),
                "outflow studie(M) = sum over gender of ended_study(M)"),
    *PERIOD_RELATIONS,
    WithinRow("outflow_monthly", "benefits_ended", ("returned_within_6_months",),
              "returned <= ended, treated as equal"),
    WithinRow("initiative_outcomes", "trajectories", ("clients",),
              "clients <= trajectories, and mostly equal (one trajectory per client)"),
    WithinRow("initiative_flows", "trajectories", ("clients",),
              "clients <= trajectories, and mostly equal (one trajectory per client)"),
    *(rel for table in ("cohort_progress", "cohort_progress_settlement") for rel in (
        EqualAcrossRows(table, "persons", ("cohort_year",), "a cohort has the same size at every N"),
        Cumulative(table, "outflow_work", ("cohort_year",), "months_since_permit",
                   "outflow to work up to N is cumulative in N"),
        Cumulative(table, "outflow_study", ("cohort_year",), "months_since_permit",
                   "outflow to study up to N is cumulative in N"),
    )),
    Ratio("caseload_monthly", "clients_per_caseworker", "statushouders_on_benefit",
          "clients_per_caseworker x caseworker_fte = statushouders_on_benefit"),
    *EFFECT_RELATIONS,
)


def describe_relations(relations: Iterable = RELATIONS) -> list[str]:
    """One line per identity, for the documentation and the publication's metadata."""
    return [f"{type(r).__name__}: {r.why}" for r in relations]


# --- Equations from the identities ----------------------------------------------------------

Equation = list[tuple[Cell, float]]  # sum of coef * cell = 0


def _join_keys(df: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """The frame with columns _key0.. holding the join keys (``year(col)``: the year of a date)."""
    out = pd.DataFrame(index=df.index)
    for i, key in enumerate(keys):
        if key.startswith("year(") and key.endswith(")"):
            out[f"_key{i}"] = pd.to_datetime(df[key[5:-1]]).dt.year.astype(int).map(_key_text)
        elif key.startswith("quarter(") and key.endswith(")"):
            out[f"_key{i}"] = pd.to_datetime(df[key[8:-1]]).dt.to_period("Q").dt.start_time.map(_key_text)
        else:
            out[f"_key{i}"] = df[key].map(_key_text)
    return out


def _groups(df: pd.DataFrame, keys) -> dict[tuple, list[int]]:
    """Row labels by key tuple, in the frame's order."""
    out: dict[tuple, list[int]] = defaultdict(list)
    for row, key in zip(df.index, df[list(keys)].itertuples(index=False, name=None)):
        out[key].append(row)
    return out


def _value(frames: dict[str, pd.DataFrame], cell: Cell):
    table, row, column = cell
    v = frames[table].at[row, column]
    return None if pd.isna(v) else float(v)


def _add_parts(frames: dict[str, pd.DataFrame], relations: Iterable) -> set[Cell]:
    """Add the unpublished parts of ``Difference`` and ``Steps`` to the frames as columns (NULL
    where undefined, and on the last row of a ``Steps`` group: that step is the figure itself);
    return their cells."""
    parts: set[Cell] = set()
    for rel in relations:
        if isinstance(rel, Difference) and rel.table in frames:
            df = frames[rel.table]
            df[rel.part] = df[rel.total].astype("Float64") - df[rel.subtracted].astype("Float64")
        elif isinstance(rel, Steps) and rel.table in frames:
            df = frames[rel.table]
            df[rel.part] = pd.Series(pd.NA, index=df.index, dtype="Float64")
            for rows in _groups(df.sort_values(rel.order), rel.group).values():
                for upper, lower in zip(rows, rows[1:]):
                    a, b = df.at[upper, rel.column], df.at[lower, rel.column]
                    if not (pd.isna(a) or pd.isna(b)):
                        df.at[upper, rel.part] = float(a) - float(b)
        else:
            continue
        df = frames[rel.table]
        parts.update((rel.table, int(r), rel.part) for r in df.index[df[rel.part].notna().to_numpy()])
    return parts


def _equations(frames: dict[str, pd.DataFrame], relations: Iterable) -> list[Equation]:
    eqs: list[Equation] = []
    for rel in relations:
        if isinstance(rel, Difference) and rel.table in frames:
            for row in frames[rel.table].index:
                eqs.append([((rel.table, row, rel.total), 1.0), ((rel.table, row, rel.subtracted), -1.0),
                            ((rel.table, row, rel.part), -1.0)])
        elif isinstance(rel, Steps) and rel.table in frames:
            df = frames[rel.table]
            for rows in _groups(df.sort_values(rel.order), rel.group).values():
                for upper, lower in zip(rows, rows[1:]):
                    eqs.append([((rel.table, upper, rel.column), 1.0), ((rel.table, lower, rel.column), -1.0),
                                ((rel.table, upper, rel.part), -1.0)])
        elif isinstance(rel, WithinRow) and rel.table in frames:
            for row in frames[rel.table].index:
                eqs.append([((rel.table, row, rel.total), 1.0)]
                           + [((rel.table, row, p), -1.0) for p in rel.parts])
        elif isinstance(rel, SumOverRows) and rel.total_table in frames and rel.parts_table in frames:
            totals, parts = frames[rel.total_table], frames[rel.parts_table]
            for k, v in rel.parts_filter:
                parts = parts[parts[k] == v]
            total_keys = [t for t, _ in rel.join]
            groups = _groups(_join_keys(parts, [p for _, p in rel.join]), [f"_key{i}" for i in range(len(rel.join))])
            for row in totals.index:
                if any(totals.at[row, k] != v for k, v in rel.total_filter):
                    continue
                key = tuple(_key_text(totals.at[row, k]) for k in total_keys)
                # a NULL part is left out of a SQL sum: the identity holds over the other parts
                members = [r for r in groups.get(key, [])
                           if _value(frames, (rel.parts_table, r, rel.parts_column)) is not None]
                eqs.append([((rel.total_table, row, rel.total_column), 1.0)]
                           + [((rel.parts_table, r, rel.parts_column), -1.0) for r in members])
        elif isinstance(rel, MonthlyBalance) and rel.table in frames:
            df = frames[rel.table]
            by_month = {pd.Timestamp(m): r for r, m in zip(df.index, df[rel.month])}
            for month, row in by_month.items():
                prev = by_month.get(month - pd.DateOffset(months=1))
                if prev is None:
                    continue
                eqs.append([((rel.table, row, rel.stock), 1.0), ((rel.table, prev, rel.stock), -1.0),
                            ((rel.table, row, rel.inflow), -1.0), ((rel.table, row, rel.outflow), 1.0)])
        elif isinstance(rel, EqualAcrossRows) and rel.table in frames:
            for rows in _groups(frames[rel.table], rel.group).values():
                for a, b in zip(rows, rows[1:]):
                    eqs.append([((rel.table, a, rel.column), 1.0), ((rel.table, b, rel.column), -1.0)])
    # An identity with an undefined (NULL) member says nothing.
    return [eq for eq in eqs if all(_value(frames, c) is not None for c, _ in eq)]


# --- The algorithm --------------------------------------------------------------------------

@dataclass
class SuppressionOutcome:
    frames: dict[str, pd.DataFrame]  # published frames: values NULL where suppressed, flags added
    suppressed: set[Cell] = field(default_factory=set)
    primary: set[Cell] = field(default_factory=set)
    unprotectable: set[Cell] = field(default_factory=set)  # recoverable from earlier publications
    protected_parts: set[Cell] = field(default_factory=set)  # unpublished parts of 1..4 (Difference, Steps)

    def suppressed_cells(self, table: str) -> int:
        return sum(1 for c in self.suppressed if c[0] == table)


def _null_space_fixed(matrix: np.ndarray) -> np.ndarray:
    """Boolean per column: is that unknown the same in every solution of matrix @ x = b?"""
    n = matrix.shape[1]
    if matrix.shape[0] == 0:
        return np.zeros(n, dtype=bool)
    _, s, vt = np.linalg.svd(matrix)
    rank = int((s > 1e-9 * max(1.0, s.max(initial=0.0))).sum())
    null_basis = vt[rank:]  # rows span the null space
    if null_basis.shape[0] == 0:
        return np.ones(n, dtype=bool)
    return np.linalg.norm(null_basis, axis=0) < 1e-9


def apply_suppression(frames: dict[str, pd.DataFrame], relations: Iterable = RELATIONS,
                      already_public: set[tuple[str, tuple, str]] | None = None) -> SuppressionOutcome:
    """Suppress the published frames (one DataFrame per published table, contract columns).

    ``already_public``: (table, key values, column) of figures the previous publication showed
    with the same value; they are known to any reader and protect nothing.
    """
    relations = tuple(relations)
    frames = {name: df.reset_index(drop=True).copy() for name, df in frames.items()}
    parts = _add_parts(frames, relations)  # unknown to readers; those of 1..4 are protected
    public: set[Cell] = set()
    if already_public:
        for name, df in frames.items():
            keys = TABLES_BY_NAME[name].keys
            for row, key in zip(df.index, df[keys].itertuples(index=False, name=None)):
                key = tuple(_key_text(v) for v in key)
                for column in TABLES_BY_NAME[name].counts:
                    if (name, key, column) in already_public:
                        public.add((name, row, column))

    suppressed: set[Cell] = set()
    for name, df in frames.items():
        for column in TABLES_BY_NAME[name].counts:
            is_small = ((df[column] >= 1) & (df[column] < SMALLEST_PUBLISHED)).fillna(False).astype(bool)
            small = df.index[is_small.to_numpy()]
            suppressed.update((name, int(r), column) for r in small)
    primary = set(suppressed)
    sensitive_parts = {c for c in parts if 1 <= _value(frames, c) < SMALLEST_PUBLISHED}
    headline = _headline_cells(frames)

    equations = _equations(frames, relations)
    by_cell: dict[Cell, list[int]] = defaultdict(list)
    for i, eq in enumerate(equations):
        for cell, _ in eq:
            by_cell[cell].append(i)
    unprotectable: set[Cell] = set()

    def hidden(cell: Cell) -> bool:
        """Unknown to a reader: a suppressed figure (not published before) or an unpublished part."""
        return (cell in suppressed or cell in parts) and cell not in public

    def guarded(cell: Cell) -> bool:
        """Must not be computable: a hidden figure, or an unpublished part of 1..4."""
        return hidden(cell) and (cell not in parts or cell in sensitive_parts)

    def preference(c: Cell):
        return c in headline, _value(frames, c) == 0, _value(frames, c), c

    def visible(c: Cell) -> bool:
        """A published figure that may still be hidden."""
        return c not in suppressed and c not in public and c not in parts

    def candidate(cells: Iterable[Cell]) -> Cell | None:
        """The smallest non-zero visible figure (a zero one if that is all there is)."""
        options = [c for c in cells if visible(c)]
        if not options:
            return None
        return min(options, key=preference)

    def hide_one_more(cell: Cell, eq_ids: Iterable[int]) -> bool:
        best = candidate(c for i in eq_ids for c, _ in equations[i] if c != cell)
        if best is None:
            # Every other member of the cell's own identities is hidden, yet the system fixes it
            # (through other hidden figures: e.g. a quarter's outflow from the caseload balance
            # and the quarter's inflow). Hide a visible figure of the identities that reach it.
            best = _unfixing_candidate(cell)
        if best is None:
            unprotectable.add(cell)
            return False
        suppressed.add(best)
        return True

    def _reach(cell: Cell) -> tuple[set[Cell], set[int]]:
        """Hidden figures connected to ``cell`` through identities, and those identities."""
        cells, eq_ids, todo = {cell}, set(), [cell]
        while todo:
            for i in by_cell[todo.pop()]:
                if i in eq_ids:
                    continue
                eq_ids.add(i)
                for member, _ in equations[i]:
                    if member not in cells and hidden(member):
                        cells.add(member)
                        todo.append(member)
        return cells, eq_ids

    def _fixed_with(cell: Cell, unknowns: set[Cell], eq_ids: set[int]) -> bool:
        column = {c: j for j, c in enumerate(sorted(unknowns))}
        rows = sorted(i for i in eq_ids if any(m in column for m, _ in equations[i]))
        matrix = np.zeros((len(rows), len(column)))
        for r, i in enumerate(rows):
            for member, coef in equations[i]:
                if member in column:
                    matrix[r, column[member]] += coef
        return bool(_null_space_fixed(matrix)[column[cell]])

    def _unfixing_candidate(cell: Cell, tries: int = 25) -> Cell | None:
        """The preferred visible figure whose hiding leaves ``cell`` undetermined (or, when none
        of the first ``tries`` does, the preferred one: the next round looks again)."""
        cells, eq_ids = _reach(cell)
        options = sorted({m for i in eq_ids for m, _ in equations[i] if visible(m)}, key=preference)
        for option in options[:tries]:
            if not _fixed_with(cell, cells | {option}, eq_ids | set(by_cell[option])):
                return option
        return options[0] if options else None

    for _round in range(10_000):
        # 1. identities with exactly one hidden member
        changed = True
        while changed:
            changed = False
            for i, eq in enumerate(equations):
                hidden_members = [c for c, _ in eq if hidden(c)]
                if len(hidden_members) == 1 and guarded(hidden_members[0]) \
                        and hidden_members[0] not in unprotectable:
                    changed |= hide_one_more(hidden_members[0], [i])
        # 2. exact check of the whole system; 3. cumulative sandwiches
        fixed = _computable_cells(equations, by_cell, {c for c in suppressed | parts if hidden(c)})
        progress = False
        for cell in sorted(fixed - unprotectable):
            if guarded(cell):
                progress |= hide_one_more(cell, by_cell[cell])
        for cell, upper, lower in _sandwiched_cells(frames, relations, hidden):
            options = [c for c in (upper, lower) if c is not None and c not in public]
            if options:
                suppressed.add(options[0])
                progress = True
            else:
                unprotectable.add(cell)
        if not progress:
            break
    else:  # pragma: no cover - the loop adds a cell per round and cells are finite
        raise RuntimeError("secondary suppression did not reach a fixed point")

    if unprotectable:
        log.warning("%d suppressed figures are computable from figures published before: %s",
                    len(unprotectable), sorted(unprotectable)[:10])

    for rel in relations:
        if isinstance(rel, Ratio) and rel.table in frames:
            for (table, row, column) in list(suppressed):
                # a ratio that is NULL anyway (no FTE; an estimate too_few) is not suppressed
                if table == rel.table and column == rel.count and _value(frames, (table, row, rel.ratio)) is not None:
                    suppressed.add((table, row, rel.ratio))
        if isinstance(rel, (Difference, Steps)) and rel.part in frames.get(rel.table, {}):
            frames[rel.table] = frames[rel.table].drop(columns=rel.part)  # never published

    for name, df in frames.items():
        spec = TABLES_BY_NAME[name]
        for column in spec.flagged:
            rows = [row for (t, row, c) in suppressed if t == name and c == column]
            flag = pd.Series(False, index=df.index, dtype="boolean")
            flag.loc[rows] = True
            df[f"{column}_suppressed"] = flag
            df[column] = df[column].astype("Float64" if spec_type(name, column) == "DOUBLE" else "Int64")
            if rows:
                df.loc[rows, column] = pd.NA
    return SuppressionOutcome(frames, suppressed, primary, unprotectable, sensitive_parts)


def _headline_cells(frames: dict[str, pd.DataFrame]) -> set[Cell]:
    """The figures chosen last for secondary suppression (HEADLINE_COLUMNS, HEADLINE_ROWS)."""
    cells: set[Cell] = set()
    for name, columns in HEADLINE_COLUMNS.items():
        if name in frames:
            cells.update((name, int(r), c) for c in columns for r in frames[name].index)
    for (name, column), rows_of in HEADLINE_ROWS.items():
        if name in frames:
            df = frames[name]
            cells.update((name, int(r), column) for r in df.index[rows_of(df).to_numpy()])
    return cells


def spec_type(table: str, column: str) -> str:
    return next(c.sql_type for c in TABLES_BY_NAME[table].columns if c.name == column)


def _key_text(value) -> str:
    """A key value as text, the same for a date read from DuckDB or from pandas."""
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    if hasattr(value, "isoformat"):
        return value.isoformat()[:10]
    return str(value)


def _computable_cells(equations: list[Equation], by_cell: dict[Cell, list[int]], unknown: set[Cell]) -> set[Cell]:
    """Unknown figures (and parts) fixed by the identities: per connected group, the null-space test."""
    unknowns = sorted(c for c in unknown if c in by_cell)
    parent = {c: c for c in unknowns}

    def find(c):
        while parent[c] != c:
            parent[c] = parent[parent[c]]
            c = parent[c]
        return c

    touching: set[int] = set()
    for c in unknowns:
        for i in by_cell[c]:
            touching.add(i)
            members = [m for m, _ in equations[i] if m in parent]
            for m in members[1:]:
                parent[find(m)] = find(members[0])
    components: dict[Cell, list[Cell]] = defaultdict(list)
    for c in unknowns:
        components[find(c)].append(c)

    fixed: set[Cell] = set()
    for cells in components.values():
        column = {c: j for j, c in enumerate(cells)}
        rows = sorted({i for c in cells for i in by_cell[c]})
        matrix = np.zeros((len(rows), len(cells)))
        for r, i in enumerate(rows):
            for c, coef in equations[i]:
                if c in column:
                    matrix[r, column[c]] += coef
        for c, is_fixed in zip(cells, _null_space_fixed(matrix)):
            if is_fixed:
                fixed.add(c)
    return fixed


def _sandwiched_cells(frames, relations, hidden):
    """(hidden cell, visible upper neighbour, visible lower neighbour) where the visible
    neighbours of a cumulative figure are equal, so the hidden one equals them too."""
    out = []
    for rel in relations:
        if not isinstance(rel, Cumulative) or rel.table not in frames:
            continue
        df = frames[rel.table]
        for rows in _groups(df.sort_values(rel.order), rel.group).values():
            cells = [(rel.table, int(r), rel.column) for r in rows]
            for k, cell in enumerate(cells):
                if not hidden(cell):
                    continue
                lower = next((c for c in reversed(cells[:k]) if not hidden(c)), None)
                upper = next((c for c in cells[k + 1:] if not hidden(c)), None)
                if upper is None:
                    continue
                low_value = _value(frames, lower) if lower is not None else 0.0
                if low_value == _value(frames, upper):
                    out.append((cell, upper, lower))
    return out
