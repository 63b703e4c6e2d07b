"""A simulated monthly panel with known effects, for the rendement's simulation test and for
measuring the effect models at scale (effect_measure.py).

Persons enter the bijstand over the months; each month on benefit they may start AGROS or
PASMATCH and may leave: for work (werk), study (studie) or otherwise (overig). All hazards depend
only on the person's cell in that month (gender, household, age band, duration band), and so does
who starts: partners pick young men with short durations (selection on observables: the case the
matched estimate is built for, and the case where the naive comparison is biased).

Planted effects: AGROS halves the hazard of leaving for work in the start month and the two months
after it (lock-in) and doubles it from the third month after the start on; PASMATCH has no effect.

Potential outcomes: every person has their own uniform draws per month (start AGROS, start
PASMATCH, leave), from a generator per month. The counterfactual of an AGROS participant who
starts in month s replays the same draws without that start (the Sianesi estimand, "does not start
now": they may still start AGROS later, from the same draws), so the true effect on the
participants is known exactly. Vectorised over persons: 400,000 persons take seconds."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

FIRST_MONTH = dt.date(2014, 1, 1)
INITIATIVES = ("AGROS", "PASMATCH")
REASONS = ("werk", "studie", "overig")          # exit_reason codes 0, 1, 2; -1 = still on benefit
REASON_CODES = ("11", "01", "98")               # reden_beeindiging of each

# hazards per month by cell: man, age band (18-26, 27-39, 40-54, 55+), duration band (0-5, 6-11,
# 12-23, 24+), gezin
WORK_BASE, WORK_MAN, WORK_GEZIN = 0.02, 1.6, 0.8
WORK_AGE, WORK_DURATION = np.array([1.8, 1.0, 0.55, 0.3]), np.array([1.6, 1.25, 1.0, 0.6])
STUDY_AGE = np.array([0.012, 0.004, 0.001, 0.0])
OTHER = 0.012
START = {  # base, man, by age band, by duration band: partners pick young men with short durations
    "AGROS": (0.006, 3.0, np.array([3.0, 1.2, 0.5, 0.2]), np.array([3.0, 1.6, 1.0, 0.5])),
    "PASMATCH": (0.005, 2.0, np.array([2.5, 1.2, 0.6, 0.2]), np.array([2.5, 1.5, 1.0, 0.6])),
}
LOCK_IN_MONTHS, LOCK_IN, EFFECT = 3, 0.5, 2.0


@dataclass
class Simulation:
    seed: int
    months: int
    man: np.ndarray
    gezin: np.ndarray
    birth: np.ndarray          # datetime64[D]
    entry: np.ndarray          # month index (0 = FIRST_MONTH) of aanvangsdatum_uitkering, may be < 0
    exit_month: np.ndarray     # month index of the exit, -1 = none within the months
    exit_reason: np.ndarray    # 0 werk, 1 studie, 2 overig, -1 none
    starts: dict[str, np.ndarray]  # per initiative: month index of the start, -1 = none

    @property
    def persons(self) -> int:
        return self.man.size


def month_draws(seed: int, month: int, persons: int) -> np.ndarray:
    """The uniforms of every person in one month: (persons, 3) = start AGROS, start PASMATCH, leave."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, month]))).random((persons, 3))


def bands(birth: np.ndarray, entry: np.ndarray, m: int) -> tuple[np.ndarray, np.ndarray]:
    """Age band at the first day of month m, and duration band (months since the entry month)."""
    month = np.datetime64(FIRST_MONTH, "M") + m
    years = birth.astype("datetime64[Y]").astype(int) + 1970
    birth_month = birth.astype("datetime64[M]").astype(int) % 12 + 1
    birth_day = (birth - birth.astype("datetime64[M]")).astype(int) + 1
    this_month = int(month.astype(int) % 12 + 1)
    age = int(month.astype("datetime64[Y]").astype(int) + 1970) - years \
        - ((birth_month > this_month) | ((birth_month == this_month) & (birth_day > 1)))
    age_band = np.digitize(age, [27, 40, 55])
    duration_band = np.digitize(m - entry, [6, 12, 24])
    return age_band, duration_band


def run(sim: Simulation, persons: np.ndarray, skip_agros_at: np.ndarray | None = None):
    """Replay the months of these persons with their draws: (exit month, exit reason, starts).
    skip_agros_at: per person the month whose AGROS start is left out (the counterfactual)."""
    n = persons.size
    exit_month, exit_reason = np.full(n, -1), np.full(n, -1)
    starts = {code: np.full(n, -1) for code in INITIATIVES}
    man, gezin, birth, entry = sim.man[persons], sim.gezin[persons], sim.birth[persons], sim.entry[persons]
    for m in range(sim.months):
        draws = month_draws(sim.seed, m, sim.persons)[persons]
        active = (entry <= m) & (exit_month < 0)
        age, duration = bands(birth, entry, m)
        for i, code in enumerate(INITIATIVES):
            base, by_man, by_age, by_duration = START[code]
            hazard = base * np.where(man, by_man, 1.0) * by_age[age] * by_duration[duration]
            starting = active & (starts[code] < 0) & (draws[:, i] < hazard)
            if code == "AGROS" and skip_agros_at is not None:
                starting &= skip_agros_at != m
            starts[code][starting] = m
        work = (WORK_BASE * np.where(man, WORK_MAN, 1.0) * np.where(gezin, WORK_GEZIN, 1.0)
                * WORK_AGE[age] * WORK_DURATION[duration])
        in_agros = starts["AGROS"] >= 0
        work = np.where(in_agros, work * np.where(m - starts["AGROS"] < LOCK_IN_MONTHS, LOCK_IN, EFFECT), work)
        study = STUDY_AGE[age]
        u = draws[:, 2]
        leaving = active & (u < work + study + OTHER)
        exit_month[leaving] = m
        exit_reason[leaving] = np.where(u < work, 0, np.where(u < work + study, 1, 2))[leaving]
    return exit_month, exit_reason, starts


def simulate(n_persons: int = 4000, months: int = 48, seed: int = 2024) -> Simulation:
    rng = np.random.default_rng([seed, 0])
    age_at_start = rng.choice([19, 22, 25, 29, 33, 38, 44, 50], size=n_persons, p=[.16, .16, .14, .14, .12, .1, .1, .08])
    birth = (np.datetime64("2014-01-01") - (age_at_start * 365.25).astype(int).astype("timedelta64[D]")
             + rng.integers(0, 365, n_persons).astype("timedelta64[D]"))
    sim = Simulation(seed, months, rng.random(n_persons) < 0.55, rng.random(n_persons) < 0.4, birth,
                     rng.integers(-30, months - 6, n_persons), np.empty(0), np.empty(0), {})
    sim.exit_month, sim.exit_reason, sim.starts = run(sim, np.arange(n_persons))
    return sim


def person_index(person_id: str) -> int:
    return int(person_id[1:])


def true_effect(sim: Simulation, code: str, participants: list[tuple[str, dt.date]], horizon: int, outcome: str) -> float:
    """The average effect on these participants (person id, start month) of starting `code` in their
    month s on leaving for `outcome` within s..s+h: factual minus counterfactual outcome, the
    counterfactual replaying the same draws without the start. PASMATCH has no effect: the
    counterfactual is the factual history."""
    persons = np.array([person_index(p) for p, _ in participants])
    s = np.array([(m.year - FIRST_MONTH.year) * 12 + m.month - FIRST_MONTH.month for _, m in participants])
    assert (sim.starts[code][persons] == s).all()
    reason = REASONS.index(outcome)

    def within(exit_month, exit_reason):
        return (exit_reason == reason) & (exit_month >= s) & (exit_month <= s + horizon)

    factual = within(sim.exit_month[persons], sim.exit_reason[persons])
    if code != "AGROS":
        return 0.0
    exit_month, exit_reason, _ = run(sim, persons, skip_agros_at=s)
    return float(np.mean(factual.astype(int) - within(exit_month, exit_reason).astype(int)))


def matched_participants(con, code: str, h: int) -> list[tuple[str, dt.date]]:
    """The participants an estimate is over, from a built warehouse: (person id, start month) of
    the matched participants of `code` that count at horizon h."""
    return con.execute("""
        select r.person_id, r.month
        from intermediate.int_effect_records as r
        inner join intermediate.int_effect_groups as g on g.group_id = r.group_id
        where r.initiative_code = ? and r.is_participant and g.is_matched and g.months_observed >= ?
        order by 1""", [code, h]).fetchall()


def load(con, sim: Simulation) -> None:
    """Landing rows: one bijstand benefit per person, delivered every month it runs (ending in its
    exit month with the reason), and each start in its partner's snapshot of that month. Built as
    numbers in numpy, turned into landing rows by DuckDB."""
    import pyarrow as pa

    first = np.maximum(sim.entry, 0)
    last = np.where(sim.exit_month >= 0, sim.exit_month, sim.months - 1)
    counts = np.maximum(last - first + 1, 0)
    person = np.repeat(np.arange(sim.persons), counts)
    month = np.repeat(first, counts) + np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    ending = month == sim.exit_month[person]
    benefits = pa.table({  # noqa: F841  (read by name in the SQL below)
        "person": person, "m": month, "entry": sim.entry[person], "man": sim.man[person], "gezin": sim.gezin[person],
        "birth": sim.birth[person], "reason": np.where(ending, sim.exit_reason[person], -1),
    })
    month_of = f"cast(date '{FIRST_MONTH}' + to_months(cast({{}} as integer)) as date)"
    con.execute(f"""
        insert into landing.uitkeringen
        select {month_of.format('m')}, year({month_of.format('m')}), month({month_of.format('m')}),
            'U' || person, '01', 's' || lpad(cast(person as varchar), 7, '0'), birth,
            case when man then '1' else '2' end, case when gezin then '3' else '1' end, {month_of.format('entry')},
            case when reason >= 0 then {month_of.format('m')} + 19 end,
            case reason {' '.join(f"when {i} then '{c}'" for i, c in enumerate(REASON_CODES))} end,
            'J', 'KM1', 'uitkeringen', strftime({month_of.format('m')}, '%Y-%m') || '/uitkeringen.csv',
            'u-' || strftime({month_of.format('m')}, '%Y-%m'),
            cast(row_number() over (partition by m order by person) as integer)
        from benefits
    """)
    for code, start in sim.starts.items():
        started = np.flatnonzero(start >= 0)
        trajectories = pa.table({"person": started, "m": start[started]})  # noqa: F841
        partner = code.lower()
        con.execute(f"""
            insert into landing.trajecten
            select {month_of.format('m')}, '{partner}', 's' || lpad(cast(person as varchar), 7, '0'), '{code}',
                {month_of.format('m')}, {month_of.format('m')} + 9, null, null, null, null, 'trajecten_{partner}',
                strftime({month_of.format('m')}, '%Y-%m') || '/trajecten_{partner}.csv',
                '{partner}-' || strftime({month_of.format('m')}, '%Y-%m'),
                cast(row_number() over (partition by m order by person) as integer)
            from trajectories
        """)
