"""What is published: the aggregate marts of the mart contract, column by column.

Only the columns listed here leave the warehouse (an allow-list: a column the dbt models add
later is not published until it is declared here, with its kind). Kinds:

- ``key``: identifies the row (month, initiative, gender, ...); never suppressed.
- ``count``: a number of persons, benefits or trajectories; suppressed when 1..4 and where
  secondary suppression needs it (see ``suppression.py``). Gets a ``<col>_suppressed`` flag.
- ``ratio``: derived from a count (clients_per_caseworker; the shares and effects of the
  rendement); suppressed with that count. Gets a flag too.
- ``measure``: not a count of persons (caseworker FTE, a status); published as is.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PublishedColumn:
    name: str
    sql_type: str  # the mart contract's type
    kind: str  # key | count | ratio | measure


@dataclass(frozen=True)
class PublishedTable:
    name: str
    columns: tuple[PublishedColumn, ...]
    # SQL expression (over the table's columns) giving the month a row belongs to: publication
    # covers rows with period <= through_month, and revisions are compared within the months
    # both publications cover.
    period_sql: str
    # Derived tables are not marts: the publisher aggregates them from the (exact) marts it read,
    # before suppression, with this SQL over the mart frames (see core._derive).
    derived_sql: str | None = None
    # Where a table that is not derived is read from in the warehouse (default: marts.<name>).
    source: str | None = None
    # What the derived table holds, for its table comment (the marts' comments come from dbt).
    description: str | None = None
    # Columns read from the warehouse through an expression (over the source's columns) instead
    # of as they are: a rule the publication applies that the mart leaves to its readers.
    read_as: tuple[tuple[str, str], ...] = ()
    # Rows published (SQL over the source's columns), beside the period rule; None: all.
    read_where: str | None = None

    def read_sql(self, column: str) -> str:
        return dict(self.read_as).get(column, f'"{column}"')

    @property
    def source_relation(self) -> str:
        return self.source or f"marts.{self.name}"

    @property
    def keys(self) -> list[str]:
        return [c.name for c in self.columns if c.kind == "key"]

    @property
    def counts(self) -> list[str]:
        return [c.name for c in self.columns if c.kind == "count"]

    @property
    def ratios(self) -> list[str]:
        return [c.name for c in self.columns if c.kind == "ratio"]

    @property
    def flagged(self) -> list[str]:
        return [c.name for c in self.columns if c.kind in ("count", "ratio")]

    @property
    def values(self) -> list[str]:
        return [c.name for c in self.columns if c.kind != "key"]

    def published_columns(self) -> list[tuple[str, str]]:
        """(name, type) in published order: every flagged column is followed by its flag."""
        out: list[tuple[str, str]] = []
        for c in self.columns:
            out.append((c.name, c.sql_type))
            if c.kind in ("count", "ratio"):
                out.append((f"{c.name}_suppressed", "BOOLEAN"))
        return out


def _cols(*spec: tuple[str, str, str]) -> tuple[PublishedColumn, ...]:
    return tuple(PublishedColumn(*s) for s in spec)


# The estimate of initiative_effect: NULL unless estimate_status = 'estimated' (the mart's rule).
EFFECT_ESTIMATE = ("participant_share", "comparison_share", "naive_share", "effect_pp", "effect_ci_low_pp",
                   "effect_ci_high_pp")

CURVE_STEP_MONTHS = 3  # the published curve: k = 0, 3, ..., 24

# Cohort rows belong to the month cohort date + N at the latest member: December of the
# cohort year plus N months (the mart contract's rule for when a row exists).
_COHORT_PERIOD = "(make_date(cohort_year, 12, 1) + to_months(months_since_permit))::DATE"

_COHORT_COLUMNS = _cols(
    ("cohort_year", "INTEGER", "key"),
    ("months_since_permit", "INTEGER", "key"),
    ("persons", "INTEGER", "count"),
    ("on_benefit", "INTEGER", "count"),
    ("outflow_work", "INTEGER", "count"),
    ("outflow_study", "INTEGER", "count"),
)

PUBLISHED_TABLES: tuple[PublishedTable, ...] = (
    PublishedTable(
        "caseload_monthly",
        _cols(
            ("month", "DATE", "key"),
            ("statushouders_on_benefit", "INTEGER", "count"),
            ("single_households", "INTEGER", "count"),
            ("family_households", "INTEGER", "count"),
            ("registration_missing", "INTEGER", "count"),
            ("new_on_benefit", "INTEGER", "count"),
            ("left_benefit", "INTEGER", "count"),
            ("caseworker_fte", "DOUBLE", "measure"),
            ("clients_per_caseworker", "DOUBLE", "ratio"),
        ),
        "month",
    ),
    PublishedTable(
        "outflow_monthly",
        _cols(
            ("month", "DATE", "key"),
            ("reason_group", "VARCHAR", "key"),
            ("benefits_ended", "INTEGER", "count"),
            ("returned_within_6_months", "INTEGER", "count"),
        ),
        "month",
    ),
    PublishedTable(
        "initiative_outcomes",
        _cols(
            ("as_of_month", "DATE", "key"),
            ("initiative_code", "VARCHAR", "key"),
            ("outcome_code", "VARCHAR", "key"),
            ("trajectories", "INTEGER", "count"),
            ("clients", "INTEGER", "count"),
        ),
        "as_of_month",
    ),
    PublishedTable(
        "initiative_flows",
        _cols(
            ("month", "DATE", "key"),
            ("initiative_code", "VARCHAR", "key"),
            ("gender", "VARCHAR", "key"),
            ("event", "VARCHAR", "key"),
            ("trajectories", "INTEGER", "count"),
            ("clients", "INTEGER", "count"),
        ),
        "month",
    ),
    PublishedTable("cohort_progress", _COHORT_COLUMNS, _COHORT_PERIOD),
    PublishedTable("cohort_progress_settlement", _COHORT_COLUMNS, _COHORT_PERIOD),
    # The rendement (effect contract; docs/rendement.md). Estimated as of the last benefits month:
    # published only when that month is. Shares and effects are ratios over matched_participants:
    # hidden with it (a share's exact value would give a hidden count back as its denominator).
    PublishedTable(
        "initiative_effect",
        _cols(
            ("as_of_month", "DATE", "key"),
            ("initiative_code", "VARCHAR", "key"),
            ("outcome", "VARCHAR", "key"),
            ("horizon_months", "INTEGER", "key"),
            ("participants", "INTEGER", "count"),
            ("matched_participants", "INTEGER", "count"),
            ("controls", "INTEGER", "count"),
            *((c, "DOUBLE", "ratio") for c in EFFECT_ESTIMATE),
            ("interval_method", "VARCHAR", "measure"),
            ("estimate_status", "VARCHAR", "measure"),
        ),
        "as_of_month",
    ),
    PublishedTable(
        "initiative_effect_curve",
        _cols(
            ("as_of_month", "DATE", "key"),
            ("initiative_code", "VARCHAR", "key"),
            ("outcome", "VARCHAR", "key"),
            ("months_since_start", "INTEGER", "key"),
            ("matched_participants", "INTEGER", "count"),
            ("participant_share", "DOUBLE", "ratio"),
            ("comparison_share", "DOUBLE", "ratio"),
            ("estimate_status", "VARCHAR", "measure"),
        ),
        "as_of_month",
        # the mart gives the shares below 20 matched participants too; published only from 20 on
        read_as=tuple((c, f"CASE WHEN estimate_status = 'estimated' THEN {c} END")
                      for c in ("participant_share", "comparison_share")),
        # every third month since start: from one month to the next the matched participants fall
        # by those who started in one calendar month, mostly 1 to 4 in a municipality, and hiding
        # them (with their shares) would break every other point of the chart; over a quarter the
        # step is rarely that small (docs/publication.md)
        read_where=f"months_since_start % {CURVE_STEP_MONTHS} = 0",
    ),
    PublishedTable(
        "participation_by_gender",
        _cols(
            ("month", "DATE", "key"),
            ("gender", "VARCHAR", "key"),
            ("statushouders_on_benefit", "INTEGER", "count"),
            ("in_trajectory", "INTEGER", "count"),
            ("assessed", "INTEGER", "count"),
            ("ended_work", "INTEGER", "count"),
            ("ended_study", "INTEGER", "count"),
        ),
        "month",
    ),
)

# National reference figures (CBS cohort study, a dbt seed): published as they are, beside the
# municipal cohorts, so the report draws them from the published file too. Not suppressed: they
# are national percentages, not counts of the municipality's persons.
REFERENCE_TABLES: tuple[PublishedTable, ...] = (
    PublishedTable(
        "national_cohort_reference",
        _cols(
            ("cohort_year", "INTEGER", "key"),
            ("months_since_permit", "INTEGER", "key"),
            ("measure", "VARCHAR", "key"),
            ("percentage", "DOUBLE", "measure"),
            ("population", "VARCHAR", "measure"),
            ("definition", "VARCHAR", "measure"),
            ("edition", "VARCHAR", "measure"),
            ("publication", "VARCHAR", "measure"),
            ("source_url", "VARCHAR", "measure"),
        ),
        "DATE '1900-01-01'",
        source="reference.cbs_cohort_reference",
    ),
)


def _period_table(name: str, grain: str, monthly: str, keys: tuple[tuple[str, str, str], ...],
                  counts: tuple[str, ...], where: str = "", about: str = "") -> PublishedTable:
    """A flow summed over the quarters or years of a monthly table (grain 'quarter' | 'year').

    The current quarter or year runs up to the last published month. Tied to the monthly cells
    by suppression relations (suppression.py), so no monthly cell can be recovered from them."""
    if grain == "quarter":
        period_col = ("quarter", "DATE", "key")
        period_expr = "date_trunc('quarter', month)::DATE AS quarter"
        period_sql = "(quarter + INTERVAL 2 MONTH)::DATE"
        label = "quarter (the date of its first month)"
    else:
        period_col = ("year", "INTEGER", "key")
        period_expr = "year(month)::INTEGER AS year"
        period_sql = "make_date(year, 12, 1)"
        label = "calendar year"
    select_keys = "".join(f", {k}" for k, _, _ in keys)
    sums = ", ".join(f"sum({c})::INTEGER AS {c}" for c in counts)
    return PublishedTable(
        name,
        _cols(period_col, *keys, *((c, "INTEGER", "count") for c in counts)),
        period_sql,
        derived_sql=f"SELECT {period_expr}{select_keys}, {sums} FROM {monthly} {where} GROUP BY ALL",
        description=f"{about} per {label}, summed from {monthly}; the current {grain} runs up to the last "
                    "published month. Suppressed like the monthly figures, and so that no monthly figure "
                    "can be computed back from it.",
    )


_INITIATIVE_KEYS = (("initiative_code", "VARCHAR", "key"), ("event", "VARCHAR", "key"))
_GENDER_INITIATIVE_KEYS = (("initiative_code", "VARCHAR", "key"), ("gender", "VARCHAR", "key"))

# Quarter and year totals of every flow, so that period figures (the memo's "aangemeld in 2017",
# outflow per quarter or year) are published as one cell each instead of as a sum of many small,
# mostly suppressed monthly cells. Stocks (caseload) stay monthly.
DERIVED_TABLES: tuple[PublishedTable, ...] = tuple(
    _period_table(f"{base}_{'quarterly' if grain == 'quarter' else 'yearly'}", grain, monthly, keys, counts, where,
                  about)
    for base, monthly, keys, counts, where, about in (
        ("initiative_flows", "initiative_flows", _INITIATIVE_KEYS, ("trajectories",), "",
         "Statushouder trajectories per initiative and event (all genders)"),
        ("outflow", "outflow_monthly", (("reason_group", "VARCHAR", "key"),), ("benefits_ended",), "",
         "Statushouder bijstand benefits ended per reason group"),
        ("caseload_flows", "caseload_monthly", (), ("new_on_benefit", "left_benefit"), "",
         "Statushouders new on bijstand and leaving it"),
        ("participation_flows", "participation_by_gender", (("gender", "VARCHAR", "key"),),
         ("ended_work", "ended_study"), "", "Statushouder bijstand benefits ended for work or study per gender"),
        ("initiative_registrations_by_gender", "initiative_flows", _GENDER_INITIATIVE_KEYS, ("trajectories",),
         "WHERE event = 'registered'", "Statushouder trajectories registered per initiative and gender"),
    )
    for grain in ("quarter", "year")
)

PUBLISHED_TABLES = PUBLISHED_TABLES + REFERENCE_TABLES + DERIVED_TABLES
MART_TABLES = tuple(t for t in PUBLISHED_TABLES if t.derived_sql is None)  # read from the warehouse

TABLES_BY_NAME = {t.name: t for t in PUBLISHED_TABLES}

# What the stewards' file holds (not suppressed: stewards work on single records; pseudonyms
# and source record ids only, never a BSN).
STEWARD_TABLES = ("dq_issues", "quarantine")
