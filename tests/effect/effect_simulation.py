"""A simulated monthly panel with known effects, for the rendement's simulation test and for
measuring the effect models at scale (python tests/effect/effect_simulation.py --help).

Persons enter the bijstand over the months; each month on benefit they may start AGROS or
PASMATCH and may leave: for work (werk), study (studie) or otherwise (overig). All hazards depend
only on the person's cell in that month (gender, household, age band, duration band), and so does
who starts: partners pick young men with short durations (selection on observables, the case the
matched estimate is built for, and the case where the naive comparison is biased).

Planted effects: AGROS halves the hazard of leaving for work in the start month and the two months
after it (lock-in) and doubles it from the third month after the start on; PASMATCH has no effect.

Potential outcomes: every person has their own uniform draws per month (start AGROS, start
PASMATCH, leave). The counterfactual of an AGROS participant who starts in month s replays the
same draws without that start (the Sianesi estimand: "does not start now", so they may start
AGROS later, from the same draws), so the true effect on the participants is known exactly."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np

FIRST_MONTH = dt.date(2014, 1, 1)
INITIATIVES = ("AGROS", "PASMATCH")
REASON_CODES = {"werk": "11", "studie": "01", "overig": "98"}


def add_months(month: dt.date, n: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + n
    return dt.date(index // 12, index % 12 + 1, 1)


def age_band(birth: dt.date, month: dt.date) -> int:
    """0: 18-26 (and under 18), 1: 27-39, 2: 40-54, 3: 55+ (whole years at the first day)."""
    age = month.year - birth.year - ((birth.month, birth.day) > (month.month, 1))
    return 0 if age <= 26 else 1 if age <= 39 else 2 if age <= 54 else 3


def duration_band(months: int) -> int:
    return 0 if months <= 5 else 1 if months <= 11 else 2 if months <= 23 else 3


# hazards per month, by cell: man / vrouw, alleenstaand / gezin, age band, duration band
WORK_BASE = 0.02
WORK_BY = {"man": 1.6, "age": (1.8, 1.0, 0.55, 0.3), "duration": (1.6, 1.25, 1.0, 0.6), "gezin": 0.8}
STUDY_BY_AGE = (0.012, 0.004, 0.001, 0.0)
OTHER = 0.012
START = {  # base hazard and selection: young men with short durations are picked
    "AGROS": (0.006, {"man": 3.0, "age": (3.0, 1.2, 0.5, 0.2), "duration": (3.0, 1.6, 1.0, 0.5)}),
    "PASMATCH": (0.005, {"man": 2.0, "age": (2.5, 1.2, 0.6, 0.2), "duration": (2.5, 1.5, 1.0, 0.6)}),
}
AGROS_LOCK_IN_MONTHS = 3
AGROS_LOCK_IN, AGROS_EFFECT = 0.5, 2.0


@dataclass
class Person:
    person_id: str
    man: bool
    gezin: bool
    birth: dt.date
    entry: int                 # month index (0 = FIRST_MONTH) of aanvangsdatum_uitkering, may be < 0
    draws: np.ndarray          # (months, 3): start AGROS, start PASMATCH, leave
    exit_month: int | None = None
    exit_reason: str | None = None
    starts: dict[str, int] = field(default_factory=dict)


def cell_factor(by: dict, man: bool, gezin: bool, age: int, duration: int) -> float:
    return ((by["man"] if man else 1.0) * by["age"][age] * by["duration"][duration]
            * (by.get("gezin", 1.0) if gezin else 1.0))


def replay(person: Person, months: int, skip_agros_start_at: int | None = None):
    """Run the person's months from max(entry, 0) with their draws: (exit month, reason, starts).
    skip_agros_start_at: the counterfactual without the AGROS start in that month."""
    starts: dict[str, int] = {}
    for m in range(max(person.entry, 0), months):
        month = add_months(FIRST_MONTH, m)
        age, duration = age_band(person.birth, month), duration_band(m - person.entry)
        for i, code in enumerate(INITIATIVES):
            base, by = START[code]
            if code not in starts and not (code == "AGROS" and m == skip_agros_start_at):
                if person.draws[m, i] < base * cell_factor(by, person.man, person.gezin, age, duration):
                    starts[code] = m
        work = WORK_BASE * cell_factor(WORK_BY, person.man, person.gezin, age, duration)
        if "AGROS" in starts:
            work *= AGROS_LOCK_IN if m - starts["AGROS"] < AGROS_LOCK_IN_MONTHS else AGROS_EFFECT
        study = STUDY_BY_AGE[age]
        u = person.draws[m, 2]
        if u < work + study + OTHER:
            return m, ("werk" if u < work else "studie" if u < work + study else "overig"), starts
    return None, None, starts


@dataclass
class Simulation:
    months: int
    persons: list[Person]

    @property
    def last_month(self) -> dt.date:
        return add_months(FIRST_MONTH, self.months - 1)


def simulate(n_persons: int = 4000, months: int = 48, seed: int = 2024) -> Simulation:
    rng = np.random.default_rng(seed)
    persons = []
    for i in range(n_persons):
        age_at_start = int(rng.choice([19, 22, 25, 29, 33, 38, 44, 50], p=[.16, .16, .14, .14, .12, .1, .1, .08]))
        birth = dt.date(2014 - age_at_start, int(rng.integers(1, 13)), int(rng.integers(1, 29)))
        person = Person(f"s{i:06d}", bool(rng.random() < 0.55), bool(rng.random() < 0.4), birth,
                        int(rng.integers(-30, months - 6)), rng.random((months, 3)))
        person.exit_month, person.exit_reason, person.starts = replay(person, months)
        persons.append(person)
    return Simulation(months, persons)


def outcome_within(exit_month, exit_reason, start: int, horizon: int, outcome: str) -> bool:
    return exit_reason == outcome and exit_month is not None and start <= exit_month <= start + horizon


def true_effect(sim: Simulation, code: str, participants: list[tuple[str, dt.date]], horizon: int, outcome: str) -> float:
    """The average effect on these participants (person, start month): factual minus
    counterfactual outcome, the counterfactual replaying the same draws without the start.
    PASMATCH has no effect: its counterfactual is the factual history."""
    by_id = {p.person_id: p for p in sim.persons}
    total = 0
    for person_id, start_month in participants:
        person = by_id[person_id]
        s = (start_month.year - FIRST_MONTH.year) * 12 + start_month.month - FIRST_MONTH.month
        assert person.starts[code] == s
        factual = outcome_within(person.exit_month, person.exit_reason, s, horizon, outcome)
        if code == "AGROS":
            exit_month, reason, _ = replay(person, sim.months, skip_agros_start_at=s)
            counterfactual = outcome_within(exit_month, reason, s, horizon, outcome)
        else:
            counterfactual = factual
        total += int(factual) - int(counterfactual)
    return total / len(participants)


def landing_rows(sim: Simulation) -> tuple[dict[str, list], dict[str, list]]:
    """Columns of landing.uitkeringen and landing.trajecten: one bijstand benefit per person,
    delivered every month it runs (ending in its exit month), each start in its month's snapshot."""
    u = {k: [] for k in ("delivery_month", "statistiekjaar", "statistiekmaand", "registratienummer_uitkering",
                         "statistiekcode", "person_id", "geboortedatum", "geslacht", "leefvorm",
                         "aanvangsdatum_uitkering", "einddatum_uitkering", "reden_beeindiging",
                         "kenmerk_statushouder", "klantmanager_id", "source", "source_file", "file_hash", "row_number")}
    t = {k: [] for k in ("delivery_month", "partner", "person_id", "initiatief", "aanmelddatum", "startdatum",
                         "einddatum", "uitkomst", "uitkomstdatum", "uren_per_week", "source", "source_file",
                         "file_hash", "row_number")}
    row_numbers: dict[tuple, int] = {}
    for p in sim.persons:
        aanvang = add_months(FIRST_MONTH, p.entry)
        last = p.exit_month if p.exit_month is not None else sim.months - 1
        for m in range(max(p.entry, 0), last + 1):
            month = add_months(FIRST_MONTH, m)
            ym = month.strftime("%Y-%m")
            row_numbers[("u", m)] = row_numbers.get(("u", m), 0) + 1
            ending = m == p.exit_month
            for key, value in zip(u, (
                    month, month.year, month.month, f"U{p.person_id}", "01", p.person_id, p.birth,
                    "1" if p.man else "2", "3" if p.gezin else "1", aanvang,
                    dt.date(month.year, month.month, 20) if ending else None,
                    REASON_CODES[p.exit_reason] if ending else None, "J", "KM1",
                    "uitkeringen", f"{ym}/uitkeringen.csv", f"u-{ym}", row_numbers[("u", m)])):
                u[key].append(value)
        for code, m in p.starts.items():
            month = add_months(FIRST_MONTH, m)
            ym, partner = month.strftime("%Y-%m"), code.lower()
            row_numbers[(code, m)] = row_numbers.get((code, m), 0) + 1
            for key, value in zip(t, (
                    month, partner, p.person_id, code, month, dt.date(month.year, month.month, 10), None, None,
                    None, None, f"trajecten_{partner}", f"{ym}/trajecten_{partner}.csv", f"{partner}-{ym}",
                    row_numbers[(code, m)])):
                t[key].append(value)
    return u, t


def load(con, sim: Simulation) -> None:
    import pyarrow as pa

    benefits, trajectories = landing_rows(sim)
    for table, columns in (("uitkeringen", benefits), ("trajecten", trajectories)):
        frame = pa.table(columns)  # noqa: F841  (read by name in the SQL below)
        con.execute(f"insert into landing.{table} by name select * from frame")
