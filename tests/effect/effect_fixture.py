"""Hand-written landing rows for the rendement tests (test_effect_marts.py computes every mart
value from this description by hand). Benefits deliveries 2016-01 .. 2018-02, every month, so the
last loaded month L = 2018-02: a start month s counts at h = 6 up to 2017-08, at h = 12 up to
2017-02, at h = 24 up to 2016-02. All persons are registered statushouders (kenmerk J) on one
bijstand benefit (statistiekcode 01), except z1 (kenmerk N, no BRP: not a statushouder).

Cells that matter (gender, household, age band, duration band):
  alpha = man, alleenstaand, 18-26, 0-5     (2016-01: benefit since 2016-01; 2016-06: also since 2016-03)
  beta  = vrouw, gezin, 27-39, 12-23        (2017-01 and 2017-02: benefit since 2016-01)
  delta = man, alleenstaand, 18-26, 12-23   (2017-12)
  gamma = man, anders, 55+, 24+             (2016-01: u1 alone)

Who is who (exit = the month a benefit ended with that reason; the benefit is delivered up to
and including that month):
  a01-a12  AGROS start 2016-01 in alpha. Exits: a01-a03 werk 2016-03, a04-a06 werk 2016-09,
           a07 studie 2016-05, a08 studie 2017-09, a09-a12 none. a01's trajectory was first
           delivered with startdatum 2015-12-20, corrected to 2016-01-10 in the next snapshot
           (the latest delivery decides).
  u1       AGROS start 2016-01, alone in gamma: the unmatched participant. Exit werk 2016-02.
  c01-c04  AGROS controls in alpha 2016-01. c01 werk 2016-06, c02 werk 2017-03, c03 studie 2016-02,
           c04 none (also a control in delta 2017-12).
  x1       alpha in 2016-01, AGROS start 2017-12 (two AGROS trajectories: starts 2017-12-10 and
           2018-01-20; the first counts): a later starter, control in 2016-01, participant in
           2017-12 (delta) whose horizons are not reached (2017-12 + 6 > L). No exit.
  b01-b07  AGROS start 2017-01 in beta. b01, b02 werk 2017-04; b03 werk 2017-11; b04 studie 2017-07;
           b05-b07 none.
  b08      AGROS start 2017-02 in beta: a later starter, control of b01-b07 in 2017-01. Exit werk 2017-05.
  d01-d04  beta controls. d01 werk 2017-01, d02 studie 2018-01, d03 overig (reden 98) 2017-03, d04 none.
  y1-y3    PASMATCH start 2016-06 in alpha (benefit since 2016-03). y1 werk 2016-08; y2, y3 none.
           y3 has no geboortedatum: age band onbekend, a cell without controls (unmatched).
  z1       not a statushouder (kenmerk N), in alpha: never a control; PASMATCH and TIMNIT starts.
  z2       PASMATCH start 2018-04-15 (delivered in the 2018-02 snapshot): after the last month.
  z3       PASMATCH start 2016-04, benefit only from 2016-08 (start before the benefit): not on
           benefit in s. Exit werk 2017-05.
  z4       PASMATCH start 2015-06, before the first benefits delivery; benefit 2016-03 .. 2016-12
           (ended overig), in alpha in 2016-06: an earlier starter, so no PASMATCH control.
"""
from __future__ import annotations

import datetime as dt

FIRST_MONTH = (2016, 1)
LAST_MONTH = (2018, 2)


def month_list() -> list[dt.date]:
    year, month = FIRST_MONTH
    months = []
    while (year, month) <= LAST_MONTH:
        months.append(dt.date(year, month, 1))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


MONTHS = month_list()

# person: (geslacht, leefvorm, geboortedatum, aanvangsdatum, einddatum, reden, kenmerk)
PERSONS: dict[str, tuple] = {}


def _add(names, sex, household, born, start, end=None, reason=None, flag="J"):
    for name in names:
        PERSONS[name] = (sex, household, born, start, end, reason, flag)


MAN, WOMAN = "1", "2"
YOUNG_MAN = (MAN, "1", "1995-06-15")
_add(["a01", "a02", "a03"], *YOUNG_MAN, "2016-01-04", "2016-03-20", "11")
_add(["a04", "a05", "a06"], *YOUNG_MAN, "2016-01-04", "2016-09-20", "11")
_add(["a07"], *YOUNG_MAN, "2016-01-04", "2016-05-20", "01")
_add(["a08"], *YOUNG_MAN, "2016-01-04", "2017-09-20", "01")
_add(["a09", "a10", "a11", "a12"], *YOUNG_MAN, "2016-01-04")
_add(["u1"], MAN, "4", "1955-03-01", "2013-01-01", "2016-02-10", "11")
_add(["c01"], *YOUNG_MAN, "2016-01-04", "2016-06-20", "11")
_add(["c02"], *YOUNG_MAN, "2016-01-04", "2017-03-20", "11")
_add(["c03"], *YOUNG_MAN, "2016-01-04", "2016-02-20", "01")
_add(["c04", "x1"], *YOUNG_MAN, "2016-01-04")
MOTHER = (WOMAN, "3", "1985-03-01")
_add(["b01", "b02"], *MOTHER, "2016-01-04", "2017-04-20", "11")
_add(["b03"], *MOTHER, "2016-01-04", "2017-11-20", "11")
_add(["b04"], *MOTHER, "2016-01-04", "2017-07-20", "01")
_add(["b05", "b06", "b07"], *MOTHER, "2016-01-04")
_add(["b08"], *MOTHER, "2016-01-04", "2017-05-20", "11")
_add(["d01"], WOMAN, "3", "1988-05-01", "2016-01-04", "2017-01-20", "11")
_add(["d02"], WOMAN, "3", "1988-05-01", "2016-01-04", "2018-01-20", "01")
_add(["d03"], WOMAN, "3", "1988-05-01", "2016-01-04", "2017-03-20", "98")
_add(["d04"], WOMAN, "3", "1988-05-01", "2016-01-04")
_add(["y1"], MAN, "1", "1996-02-01", "2016-03-01", "2016-08-20", "11")
_add(["y2"], MAN, "1", "1996-02-01", "2016-03-01")
_add(["y3"], MAN, "1", None, "2016-03-01")
_add(["z1"], *YOUNG_MAN, "2016-01-04", flag="N")
_add(["z2"], WOMAN, "1", "1975-01-01", "2017-06-01")
_add(["z3"], WOMAN, "1", "1975-01-01", "2016-08-01", "2017-05-20", "11")
_add(["z4"], *YOUNG_MAN, "2016-03-01", "2016-12-20", "98")

# (partner, initiatief, person, aanmelddatum, startdatum, snapshot months 'YYYY-MM')
TRAJECTORIES = [
    ("agros", "AGROS", "a01", "2015-12-01", "2015-12-20", ["2016-01"]),
    ("agros", "AGROS", "a01", "2015-12-01", "2016-01-10", ["2016-02", "2016-03"]),
    *[("agros", "AGROS", f"a{i:02d}", "2015-12-01", "2016-01-10", ["2016-01"]) for i in range(2, 13)],
    ("agros", "AGROS", "u1", "2015-12-15", "2016-01-15", ["2016-01"]),
    ("agros", "AGROS", "x1", "2017-11-01", "2017-12-10", ["2017-12", "2018-01"]),
    ("agros", "AGROS", "x1", "2018-01-05", "2018-01-20", ["2018-01", "2018-02"]),
    *[("agros", "AGROS", f"b{i:02d}", "2016-12-01", "2017-01-10", ["2017-01"]) for i in range(1, 8)],
    ("agros", "AGROS", "b08", "2016-12-01", "2017-02-10", ["2017-02"]),
    ("pasmatch", "PASMATCH", "y1", "2016-05-01", "2016-06-10", ["2016-06"]),
    ("pasmatch", "PASMATCH", "y2", "2016-05-01", "2016-06-10", ["2016-06"]),
    ("pasmatch", "PASMATCH", "y3", "2016-05-01", "2016-06-10", ["2016-06"]),
    ("pasmatch", "PASMATCH", "z1", "2016-05-01", "2016-06-10", ["2016-06"]),
    ("pasmatch", "PASMATCH", "z2", "2018-02-01", "2018-04-15", ["2018-02"]),
    ("pasmatch", "PASMATCH", "z3", "2016-03-01", "2016-04-10", ["2016-04"]),
    ("pasmatch", "PASMATCH", "z4", "2015-05-01", "2015-06-01", ["2016-01"]),
    ("timnit", "TIMNIT", "z1", "2016-05-01", "2016-05-10", ["2016-05"]),
]


def d(iso: str | None) -> dt.date | None:
    return dt.date.fromisoformat(iso) if iso else None


def _on_benefit(start: str, end: str | None, month: dt.date) -> bool:
    """BUS: the delivery of a month lists every benefit running on at least one day of it."""
    next_month = dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return d(start) < next_month and (end is None or d(end) >= month)


def benefit_rows(months: set[str] | None = None) -> list[tuple]:
    rows = []
    for month in MONTHS:
        ym = month.strftime("%Y-%m")
        if months is not None and ym not in months:
            continue
        row_no = 0
        for person, (sex, household, born, start, end, reason, flag) in PERSONS.items():
            if not _on_benefit(start, end, month):
                continue
            row_no += 1
            ends_now = end is not None and d(end) < dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)
            rows.append((
                month, month.year, month.month, f"U-{person}", "01", person, d(born), sex, household, d(start),
                d(end) if ends_now else None, reason if ends_now else None, flag, "KM1",
                "uitkeringen", f"{ym}/uitkeringen.csv", f"u-{ym}", row_no,
            ))
    return rows


def trajectory_rows(months: set[str] | None = None) -> list[tuple]:
    rows = []
    counters: dict[tuple[str, str], int] = {}
    for partner, initiative, person, registered, start, snapshots in TRAJECTORIES:
        for ym in snapshots:
            if months is not None and ym not in months:
                continue
            counters[(partner, ym)] = counters.get((partner, ym), 0) + 1
            rows.append((
                d(ym + "-01"), partner, person, initiative, d(registered), d(start), None, None, None, None,
                f"trajecten_{partner}", f"{ym}/trajecten_{partner}.csv", f"{partner}-{ym}", counters[(partner, ym)],
            ))
    return rows


def load(con, months: set[str] | None = None) -> None:
    """Insert the rows (of the given delivery months 'YYYY-MM' only, or all) into the landing
    schema of an open DuckDB connection."""
    for table, rows in (("landing.uitkeringen", benefit_rows(months)), ("landing.trajecten", trajectory_rows(months))):
        if rows:
            con.executemany(f"insert into {table} values ({','.join('?' * len(rows[0]))})", rows)
