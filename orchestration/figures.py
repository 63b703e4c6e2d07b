"""The memo's figures (../shared/specs/memo_figures.csv) computed from the warehouse, each by the
definition in that file: a query on the marts, or on an intermediate model where no mart holds
the figure (trajectory-level counts). `statmon figures` prints them beside the memo's values.

Trajectory figures count statushouders' trajectories only, as the mart contract says of the
trajectory marts; "existing as of 2018-05" is the state as of that month (latest delivery of the
partner up to then that contains the trajectory)."""
from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from pathlib import Path

from orchestration import config

MEMO_FIGURES_FILE = config.PROJECT_DIR.parent / "shared" / "specs" / "memo_figures.csv"

# Statushouders' trajectories as of the end of May 2018 (the memo's "medio mei 2018").
_AS_OF_MAY_2018 = """
    (select t.* from intermediate.int_trajectories_as_of_month t
     join intermediate.int_statushouder_status s on s.person_id = t.person_id and s.is_statushouder
     where t.as_of_month = date '2018-05-01')
"""
# Every snapshot of statushouders' trajectories up to May 2018 ("ever reached outcome X").
_SNAPSHOTS_UP_TO_MAY_2018 = """
    (select t.* from staging.stg_trajecten__trajectories t
     join intermediate.int_statushouder_status s on s.person_id = t.person_id and s.is_statushouder
     where t.snapshot_month <= date '2018-05-01')
"""


def _outflow(groups: str, first: str, last: str) -> str:
    return f"""select coalesce(sum(benefits_ended), 0) from marts.outflow_monthly
               where reason_group in ({groups}) and month between date '{first}' and date '{last}'"""


def _timnit(outcome: str) -> str:
    return f"""select coalesce(sum(trajectories), 0) from marts.initiative_outcomes
               where as_of_month = date '2018-05-01' and initiative_code = 'TIMNIT' and outcome_code = '{outcome}'"""


def _vip_outcome(outcome: str) -> str:
    return f"""select count(distinct person_id) from {_AS_OF_MAY_2018} t
               where initiative_code in ('VIP', 'STARTBAAN') and outcome_code = '{outcome}'"""


def _ever_reached(outcome: str) -> str:
    return f"select count(distinct person_id) from {_SNAPSHOTS_UP_TO_MAY_2018} t where outcome_code = '{outcome}'"


QUERIES: dict[str, str] = {
    "statushouders_in_bijstand": "select statushouders_on_benefit from marts.caseload_monthly where month = date '2018-05-01'",
    "statushouders_alleenstaand": "select single_households from marts.caseload_monthly where month = date '2018-05-01'",
    "statushouders_gezin": "select family_households from marts.caseload_monthly where month = date '2018-05-01'",
    "uitkering_beeindigd_werk_studie": _outflow("'werk', 'studie'", "2017-01-01", "2018-05-01"),
    "uitkering_beeindigd_werk": _outflow("'werk'", "2017-01-01", "2018-05-01"),
    "uitkering_beeindigd_studie": _outflow("'studie'", "2017-01-01", "2018-05-01"),
    "uitstroom_werk_2017": _outflow("'werk'", "2017-01-01", "2017-12-01"),
    "uitstroom_studie_2017": _outflow("'studie'", "2017-01-01", "2017-12-01"),
    "uitstroom_werk_2018": _outflow("'werk'", "2018-01-01", "2018-05-01"),
    "uitstroom_studie_2018": _outflow("'studie'", "2018-01-01", "2018-05-01"),
    "aangemeld_reintegratiepartners": f"""
        select count(distinct t.person_id) from {_AS_OF_MAY_2018} t
        join intermediate.int_person_months p on p.person_id = t.person_id and p.month = date '2018-05-01'
        where t.initiative_code in ('AGROS', 'PASMATCH', 'AAN_DE_SLAG')""",
    # open as of 2018-05: found in that month's deliveries (dq_issues' status and last_seen_month
    # are as of the last month loaded, which may be later)
    "onvoldoende_in_beeld": """
        select count(distinct person_id) from intermediate.int_dq_findings
        where rule_id = 'client_not_in_view' and seen_month = date '2018-05-01'""",
    "advies_onderwijs": f"""select count(*) from {_AS_OF_MAY_2018} t where initiative_code = 'ADVIES_ONDERWIJS'
                            and registration_date between date '2017-05-01' and date '2018-05-31'""",
    "aanmelding_uaf": f"""
        select count(*) from {_AS_OF_MAY_2018} u where u.initiative_code = 'UAF' and exists (
            select 1 from {_AS_OF_MAY_2018} a where a.person_id = u.person_id
            and a.initiative_code = 'ADVIES_ONDERWIJS' and a.registration_date < u.registration_date)""",
    "toeleiden_werk": f"""
        select count(*) from {_AS_OF_MAY_2018} t
        where (initiative_code in ('AGROS', 'PASMATCH') and extract(year from registration_date) = 2017)
           or initiative_code = 'AAN_DE_SLAG'""",
    "aanmelding_agros": f"""select count(*) from {_AS_OF_MAY_2018} t
                            where initiative_code = 'AGROS' and extract(year from registration_date) = 2017""",
    "aanmelding_pasmatch": f"""select count(*) from {_AS_OF_MAY_2018} t
                               where initiative_code = 'PASMATCH' and extract(year from registration_date) = 2017""",
    "aanmelding_aan_de_slag": f"select count(*) from {_AS_OF_MAY_2018} t where initiative_code = 'AAN_DE_SLAG'",
    "timnit": f"select count(*) from {_AS_OF_MAY_2018} t where initiative_code = 'TIMNIT'",
    "timnit_voorschakel": _timnit("VOORSCHAKEL"),
    "timnit_werk": _timnit("WERK"),
    "timnit_voorgesteld": _timnit("VOORGESTELD"),
    "timnit_on_hold": _timnit("ON_HOLD"),
    "timnit_lopend": _timnit("LOPEND"),
    "vip": f"""select count(*) from {_AS_OF_MAY_2018} t where initiative_code = 'VIP'
               and start_date between date '2017-09-01' and date '2017-09-30'""",
    "vip_startbaan": f"""
        select count(*) from {_AS_OF_MAY_2018} s where s.initiative_code = 'STARTBAAN'
        and s.start_date between date '2018-01-01' and date '2018-01-31'
        and exists (select 1 from {_AS_OF_MAY_2018} v where v.person_id = s.person_id and v.initiative_code = 'VIP')""",
    "vip_werk": _vip_outcome("WERK"),
    "vip_stage": _vip_outcome("STAGE"),
    "vip_bbl": _vip_outcome("BBL"),
    "leerwerkstage": f"select count(*) from {_AS_OF_MAY_2018} t where initiative_code = 'LEERWERKSTAGE'",
    "assessment": f"""select count(*) from {_AS_OF_MAY_2018} t where initiative_code = 'ASSESSMENT'
                      and start_date between date '2018-01-01' and date '2018-05-31'""",
    "sur_atelier": f"""select count(*) from {_AS_OF_MAY_2018} t where initiative_code = 'SUR_ATELIER'
                       and registration_date between date '2017-07-01' and date '2017-09-30'""",
    "voorschakel_nova": f"""select count(*) from {_AS_OF_MAY_2018} t where initiative_code = 'VOORSCHAKEL'
                            and start_date <= date '2018-05-31'""",
    "voorschakel_zorg": f"""select count(*) from {_AS_OF_MAY_2018} t where initiative_code = 'VOORSCHAKEL_ZORG'
                            and start_date <= date '2018-05-31'""",
    "start_hbo_wo": f"""select count(distinct trajectory_key) from {_SNAPSHOTS_UP_TO_MAY_2018} t
                        where initiative_code = 'UAF' and outcome_code = 'OPLEIDING_HBO_WO'""",
    "werk_stageplaatsen": _ever_reached("STAGE"),
    "start_bbl": _ever_reached("BBL"),
    "caseload_per_klantmanager": "select clients_per_caseworker from marts.caseload_monthly where month = date '2017-07-01'",
}

# The memo's split of start_hbo_wo by year of the outcome (2016: 2, 2017: 14, 2018: 13).
START_HBO_WO_BY_YEAR = f"""
    select extract(year from first_reached) as year, count(*) from (
        select trajectory_key, min(outcome_date) as first_reached from {_SNAPSHOTS_UP_TO_MAY_2018} t
        where initiative_code = 'UAF' and outcome_code = 'OPLEIDING_HBO_WO' group by trajectory_key)
    group by 1 order by 1"""


@dataclass(frozen=True)
class Figure:
    figure_id: str
    memo_value: float
    accuracy: str  # 'exact' or '10%'
    memo_text: str
    definition: str
    pipeline_value: float | None = None

    @property
    def holds(self) -> bool:
        if self.pipeline_value is None:
            return False
        if self.accuracy == "exact":
            return self.pipeline_value == self.memo_value
        tolerance = float(self.accuracy.rstrip("%")) / 100
        return abs(self.pipeline_value - self.memo_value) <= tolerance * self.memo_value


def memo_figures(path: Path | None = None) -> list[Figure]:
    path = path or Path(os.environ.get("STATMON_MEMO_FIGURES", MEMO_FIGURES_FILE))
    with open(path, newline="", encoding="utf-8") as handle:
        return [
            Figure(row["id"], float(row["waarde"]), row["nauwkeurigheid"], row["omschrijving_memo"], row["definitie"])
            for row in csv.DictReader(handle)
        ]


def compute_figures(con, figures: list[Figure] | None = None) -> list[Figure]:
    """Every memo figure with the pipeline's value beside it (KeyError for a figure without a query)."""
    out = []
    for figure in figures or memo_figures():
        row = con.execute(QUERIES[figure.figure_id]).fetchone()
        value = row[0] if row else None  # no row: the month the figure needs is not loaded
        value = None if value is None else (round(float(value), 1) if figure.figure_id == "caseload_per_klantmanager" else float(value))
        out.append(Figure(**{**figure.__dict__, "pipeline_value": value}))
    return out


def format_table(figures: list[Figure], markdown: bool = False) -> str:
    def num(value: float | None) -> str:
        if value is None:
            return "-"
        return f"{value:g}"

    rows = [(f.figure_id, num(f.memo_value), num(f.pipeline_value), f.accuracy, "yes" if f.holds else "NO") for f in figures]
    header = ("figure", "memo", "pipeline", "accuracy", "holds")
    if markdown:
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(r) + " |" for r in rows]
        return "\n".join(lines)
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows)]
    return "\n".join("  ".join(str(v).ljust(w) for v, w in zip(r, widths)) for r in [header, *rows])
