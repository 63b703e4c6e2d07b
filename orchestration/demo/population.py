"""The synthetic world behind the demo deliveries: persons, benefit spells, caseworkers and partner
trajectories, held as numpy columns (see tables.Table) and built once per (seed, scale, horizon).

The memo's figures hold by construction: the planned parts (outflow for work and study in
2017-2018, every partner initiative the memo counts, the clients not in view, the 2018-05
caseload and its household split) are placed on persons chosen so that the mart contract's
definitions count exactly them; everything random around them (other clients, other years, other
endings, faults) is kept out of what those definitions count. `truth` holds what was built.
"""
from __future__ import annotations

import zlib
from dataclasses import dataclass, field

import numpy as np

from . import constants as C
from .bsn import BsnPool
from .dates import (NONE, day_no, day_of, month_first_day, month_last_day, month_no, month_of_day,
                    months_of_days)
from .tables import Table

# Code lists the generator writes (the landing contract's codes/ plus the faults' extra values).
STATISTIEKCODES = ["01", "02", "03", "11", "12", "14"]
REDENEN = ["", "01", "02", "03", "04", "11", "13", "14", "19", "31", "32", "33", "34", "35", "98", "99"]
R = {code: i for i, code in enumerate(REDENEN)}
WORK_REASONS = ("11", "13")
OTHER_REASONS = (("32", 0.30), ("02", 0.15), ("34", 0.10), ("31", 0.08), ("19", 0.10), ("14", 0.07),
                 ("98", 0.10), ("33", 0.05), ("35", 0.05))
NATIONALITIES = sorted({n for n, _ in C.SH_NATIONALITIES} | {n for n, _ in C.OTHER_NATIONALITIES})
NAT = {n: i for i, n in enumerate(NATIONALITIES)}
TITLES = ["", "26", "27", "21", "22", "29", "37", "46", "98", "00"]
T = {t: i for i, t in enumerate(TITLES)}
ROUTES = ["", "werk", "onderwijs", "participatie", "zorg"]
AFSTANDEN = ["", "overbrugbaar", "onoverbrugbaar"]
OUTCOMES = ["", "LOPEND", "WERK", "STAGE", "BBL", "OPLEIDING_MBO", "OPLEIDING_HBO_WO", "VOORSCHAKEL",
            "VOORGESTELD", "DOORVERWEZEN", "ON_HOLD", "UITGEVALLEN", "AFGEROND", "GESTOPT"]
O = {o: i for i, o in enumerate(OUTCOMES)}
PARTNERS = ["adviesteam", "uaf", "agros", "pasmatch", "aandeslag", "timnit", "vluchtelingenwerk", "wsp",
            "sur_atelier", "nova", "gemeente"]
P = {p: i for i, p in enumerate(PARTNERS)}
INITIATIVES = ["ADVIES_ONDERWIJS", "UAF", "AGROS", "PASMATCH", "AAN_DE_SLAG", "TIMNIT", "VIP", "STARTBAAN",
               "LEERWERKSTAGE", "ASSESSMENT", "SUR_ATELIER", "VOORSCHAKEL", "VOORSCHAKEL_ZORG"]
I = {c: i for i, c in enumerate(INITIATIVES)}
# First month each partner delivers (the memo: when each initiative started).
PARTNER_FIRST_MONTH = {"agros": "2014-01", "pasmatch": "2014-01", "uaf": "2016-01", "adviesteam": "2017-03",
                       "timnit": "2017-03", "wsp": "2017-07", "sur_atelier": "2017-07",
                       "vluchtelingenwerk": "2017-08", "nova": "2017-06", "aandeslag": "2018-01",
                       "gemeente": "2017-12"}

KIND_OTHER, KIND_SH_TITLE, KIND_SH_REGISTERED = 0, 1, 2
KENMERK_NONE, KENMERK_J, KENMERK_N = 0, 1, 2


def _rng(seed: int, name: str) -> np.random.Generator:
    """An independent stream per part of the world: changing one part never shifts another."""
    return np.random.default_rng([seed, zlib.crc32(name.encode())])


@dataclass
class World:
    seed: int
    scale: float
    horizon: int                      # last simulated month (month number)
    persons: Table = field(default=None)
    spells: Table = field(default=None)
    members: Table = field(default=None)
    trajectories: Table = field(default=None)
    caseworkers: dict = field(default_factory=dict)   # month -> list of (team, km_id, fte_hundredths)
    truth: dict = field(default_factory=dict)
    redelivery_row: int = -1          # trajectory shown as STAGE in the superseded file version
    outflow: dict = field(default_factory=dict)   # how the work and study endings were drawn (outflow.py)


def n_scaled(value: float, scale: float) -> int:
    return int(round(value * scale))


class Builder:
    def __init__(self, seed: int, scale: float, horizon: int):
        self.seed, self.scale, self.horizon = seed, scale, horizon
        self.world_start = month_no(C.WORLD_START)
        self.last_day = month_last_day(horizon)
        self.bsns = BsnPool(_rng(seed, "bsn"))
        self.persons = Table(bsn="i8", birth="i4", birth_mask="i1", gender="i1", brp_o="?", bus_gender_empty="?",
                             nat="i2", title="i1", title_date="i4", title_mask="i1", settle="i4",
                             settle_mask="i1", kind="i1", kenmerk_from="i4", kenmerk="i1", cohort="i2",
                             contact_start="i4", contact_interval="i4", contact_stop="i4", pva="i4",
                             assessment="i4", route="i1", afstand="i1", km_general="i4", deleted="?",
                             reserved="?", special="?")
        self.spells = Table(reg="i8", code="i1", start="i4", end="i4", reden="i1", vanish="i4", leefvorm="i1",
                            unit="i4", last="?", chosen="?", deleted="?", sh="?")
        self.members = Table(spell="i4", person="i4")
        self.traj = Table(partner="i1", init="i1", person="i4", bsn="i8", bsn_written="i8", aanmeld="i4",
                          start="i4", end="i4", visible="i4", o1d="i4", o1="i1", o2d="i4", o2="i1", o3d="i4",
                          o3="i1", uren="i2", empty_lopend="?", dates_fault="?")
        self.next_reg = 100_000
        self.next_unit = 0
        self.before_outflow: dict = {}   # spell columns before the work and study endings (outflow.py)

    # ------------------------------------------------------------------ helpers
    def reg(self, n: int = 1) -> np.ndarray:
        out = np.arange(self.next_reg, self.next_reg + n, dtype=np.int64)
        self.next_reg += n
        return out

    def unit(self) -> int:
        self.next_unit += 1
        return self.next_unit - 1

    # ------------------------------------------------------------------ other clients
    def build_other_clients(self) -> None:
        """The rest of the caseload: an initial stock and a monthly inflow, vectorised."""
        rng = _rng(self.seed, "other")
        s = self.scale
        start0 = month_first_day(self.world_start)
        n0 = n_scaled(C.OTHER_INITIAL_UNITS, s)
        months = np.arange(self.world_start, self.horizon + 1)
        inflow = rng.poisson(C.OTHER_INFLOW_UNITS_PER_MONTH * s, len(months))
        n_in = int(inflow.sum())
        n = n0 + n_in
        first_days = np.array([month_first_day(m) for m in months])
        month_len = np.array([month_last_day(m) - month_first_day(m) + 1 for m in months])
        in_month = np.repeat(np.arange(len(months)), inflow)
        start = np.empty(n, dtype=np.int64)
        start[:n0] = start0 - rng.integers(30, 3650, n0)
        start[n0:] = first_days[in_month] + (rng.random(n_in) * month_len[in_month]).astype(np.int64)
        dur = np.empty(n)
        dur[:n0] = rng.exponential(C.OTHER_REMAINING_MEAN_MONTHS, n0) * 30.44 + (start0 - start[:n0])
        short = rng.random(n_in) < C.OTHER_SHORT_SHARE
        dur[n0:] = np.where(short, rng.exponential(C.OTHER_SHORT_MEAN, n_in),
                            rng.exponential(C.OTHER_LONG_MEAN, n_in)) * 30.44 + 20
        end = start + dur.astype(np.int64)
        running = end > self.last_day
        end = np.where(running, NONE, end)
        codes, p = zip(*C.OTHER_STATISTIEKCODE_P)
        code = np.array([STATISTIEKCODES.index(c) for c in codes])[rng.choice(len(codes), n, p=p)]
        leefvorm = rng.choice([1, 2, 3, 4], n, p=C.OTHER_HOUSEHOLD_P)
        # endings: work, study or another reason; faults on the 'overig' ones
        u = rng.random(n)
        work = u < 0.35
        study = (u >= 0.35) & (u < 0.38)
        other_codes, other_p = zip(*OTHER_REASONS)
        reden = np.array([R[c] for c in other_codes])[rng.choice(len(other_codes), n, p=other_p)]
        reden = np.where(work, np.where(rng.random(n) < 0.9, R["11"], R["13"]), reden)
        reden = np.where(study, R["01"], reden)
        overig = ~work & ~study
        f = rng.random(n)
        reden = np.where(overig & (f < C.FAULTS["benefit_end_reason_missing"]), R[""], reden)
        reden = np.where(overig & (f >= C.FAULTS["benefit_end_reason_missing"])
                         & (f < C.FAULTS["benefit_end_reason_missing"] + C.FAULTS["benefit_end_reason_unknown"]),
                         R["99"], reden)
        reden = np.where(running, R[""], reden)
        # a benefit that stops being delivered without an end date: last listed the month before
        vanished = ~running & (rng.random(n) < C.FAULTS["benefit_vanished"])
        end_month = months_of_days(np.where(running, NONE, end))
        start_month = months_of_days(start)
        vanish = np.where(vanished, np.maximum(end_month - 1, start_month), NONE)
        end = np.where(vanished, NONE, end)
        reden = np.where(vanished, R[""], reden)
        units = np.arange(self.next_unit, self.next_unit + n)
        self.next_unit += n
        spell_idx = self.spells.extend(n, reg=self.reg(n), code=code, start=start, end=end, reden=reden,
                                       vanish=vanish, leefvorm=leefvorm, unit=units, last=True)
        # persons: couples (leefvorm 3) are two persons on one benefit
        n_persons = np.where(leefvorm == 3, 2, 1)
        owner = np.repeat(np.arange(n), n_persons)
        second = np.zeros(len(owner), dtype=bool)
        second[1:] = owner[1:] == owner[:-1]
        m = len(owner)
        age_years = rng.integers(18, 66, m)
        birth = start[owner] - (age_years * 365.25).astype(np.int64) - rng.integers(0, 365, m)
        gender = np.where(second, 2, np.where(rng.random(m) < 0.5, 1, 2))
        nats, nat_p = zip(*C.OTHER_NATIONALITIES)
        nat = np.array([NAT[x] for x in nats])[rng.choice(len(nats), m, p=nat_p)]
        titles, title_p = zip(*C.OTHER_NON_ASYLUM_TITLES)
        foreign = (nat != NAT["NLD"]) & (nat != NAT[""])
        title = np.where(foreign, np.array([T[x] for x in titles])[rng.choice(len(titles), m, p=title_p)], T[""])
        title_date = np.where(foreign, birth + (rng.integers(18, 40, m) * 365.25).astype(np.int64), NONE)
        title_date = np.where(title_date != NONE, np.minimum(title_date, start[owner]), NONE)
        settle = np.where(rng.random(m) < 0.3, start[owner] - rng.integers(0, 200, m),
                          birth + (rng.integers(0, 30, m) * 365.25).astype(np.int64))
        settle = np.minimum(settle, start[owner])
        kenmerk_from = np.where(start[owner] >= month_first_day(month_no("2017-01")),
                                months_of_days(start[owner]),
                                np.where(rng.random(m) < 0.3, month_no("2017-01") + rng.integers(0, 12, m), NONE))
        contact_interval = rng.integers(45, 240, m)
        pva = np.where(rng.random(m) < 0.5, start[owner] + rng.integers(20, 120, m), NONE)
        route = np.where(pva != NONE, rng.integers(1, 5, m), 0)
        afstand = rng.choice([0, 1, 2], m, p=(0.3, 0.5, 0.2))
        person_idx = self.persons.extend(
            m, bsn=self.bsns.take(m), birth=birth, birth_mask=0, gender=gender,
            brp_o=rng.random(m) < 0.002, bus_gender_empty=rng.random(m) < 0.03, nat=nat, title=title,
            title_date=title_date, settle=settle, kind=KIND_OTHER, kenmerk_from=kenmerk_from,
            kenmerk=KENMERK_N, contact_start=start[owner], contact_interval=contact_interval, contact_stop=NONE,
            pva=pva, assessment=NONE, route=route, afstand=afstand,
            km_general=rng.integers(0, 1_000_000, m), cohort=0)
        self.members.extend(m, spell=spell_idx[owner], person=person_idx)
        # periodic bijzondere bijstand (11) beside a 01 benefit, for the first person of the unit
        extra = (code == 0) & (rng.random(n) < C.OTHER_BIJZONDERE_BIJSTAND)
        k = int(extra.sum())
        e_start = start[extra] + rng.integers(0, 120, k)
        e_end = e_start + rng.integers(90, 720, k)
        e_end = np.where(end[extra] != NONE, np.minimum(e_end, end[extra]), e_end)
        e_end = np.where(e_end > self.last_day, NONE, e_end)
        e_spells = self.spells.extend(k, reg=self.reg(k), code=STATISTIEKCODES.index("11"), start=e_start,
                                      end=e_end, reden=np.where(e_end == NONE, R[""], R["98"]), vanish=NONE,
                                      leefvorm=leefvorm[extra], unit=units[extra], last=False)
        first_person = person_idx[np.r_[0, np.flatnonzero(~second[1:]) + 1]]  # first person of each unit
        self.members.extend(k, spell=e_spells, person=first_person[extra])
        self._other_units = (spell_idx, first_person, start, end)

    def add_eenmalig(self) -> None:
        """One-off bijzondere bijstand (12): a one-day spell for a few clients a month."""
        rng = _rng(self.seed, "eenmalig")
        spell_idx, first_person, start, end = self._other_units
        for m in range(self.world_start, self.horizon + 1):
            d0, d1 = month_first_day(m), month_last_day(m)
            active = np.flatnonzero((start <= d1) & ((end == NONE) | (end >= d0)))
            k = rng.poisson(C.EENMALIG_PER_MONTH * len(active))
            if k == 0:
                continue
            chosen = rng.choice(active, min(k, len(active)), replace=False)
            day = d0 + rng.integers(0, d1 - d0 + 1, len(chosen))
            s = self.spells.extend(len(chosen), reg=self.reg(len(chosen)), code=STATISTIEKCODES.index("12"),
                                   start=day, end=day, reden=R["98"], vanish=NONE, leefvorm=1, unit=-1,
                                   last=False)
            self.members.extend(len(chosen), spell=s, person=first_person[chosen])

    # ------------------------------------------------------------------ statushouders
    def _sh_person(self, rng, *, gender, nat, cohort, permit, settle, registered_only, kenmerk_plan,
                   benefit_start) -> int:
        age = int(rng.integers(18, 56)) if rng.random() < 0.9 else int(rng.integers(56, 66))
        birth = benefit_start - int(age * 365.25) - int(rng.integers(0, 365))
        mask = 2 if rng.random() < 0.12 else (1 if rng.random() < 0.08 else 0)  # BRP '00' parts
        if registered_only:
            title, title_date = (T["00"] if rng.random() < 0.5 else T[""]), NONE
        else:
            title, title_date = (T["26"] if rng.random() < 0.9 else T["27"]), permit
        return self.persons.add(
            bsn=int(self.bsns.take(1)[0]), birth=birth, birth_mask=mask, gender=gender, brp_o=False,
            bus_gender_empty=rng.random() < 0.03, nat=nat, title=title, title_date=title_date,
            title_mask=1 if rng.random() < 0.03 else 0, settle=settle,
            settle_mask=1 if rng.random() < 0.02 else 0,
            kind=KIND_SH_REGISTERED if registered_only else KIND_SH_TITLE,
            kenmerk_from=kenmerk_plan[0], kenmerk=kenmerk_plan[1], cohort=cohort,
            contact_start=benefit_start, contact_interval=int(rng.integers(45, 150)), contact_stop=NONE,
            pva=NONE, assessment=NONE, route=0, afstand=0, km_general=int(rng.integers(0, 1_000_000)),
            deleted=False, reserved=False, special=False)

    def _kenmerk_plan(self, rng, cohort: int, benefit_start: int, registered_only: bool):
        jan2017 = month_no("2017-01")
        from_month = max(jan2017, month_of_day(benefit_start))
        if cohort in (2014, 2015) and not registered_only:
            u = rng.random()
            if u < C.FAULTS["kenmerk_n_with_asylum_title"]:
                return from_month, KENMERK_N
            if u < C.FAULTS["kenmerk_n_with_asylum_title"] + C.SH_2014_2015_REGISTERED_LATER:
                return from_month + int(rng.integers(0, 17)), KENMERK_J  # repaired during 2017-2018
            return NONE, KENMERK_NONE
        return from_month, KENMERK_J

    def _sh_unit(self, rng, cohort: int, permit: int, settle: int, benefit_start: int, kind: int,
                 exit_day: int | None = None, exit_reason: str = "",
                 unchanged_until: int = -1) -> tuple[int, list[int]]:
        """One arriving statushouder household on one benefit. kind 0 single, 1 single parent, 2 couple.
        A single may be joined by a partner (nareiziger): see _household_change; not on or before
        day `unchanged_until` (the calibration's top-up must stay in its class through 2018-05)."""
        nat = NAT[_pick(rng, C.SH_NATIONALITIES)]
        registered_only = rng.random() < C.SH_REGISTERED_ONLY and benefit_start >= day_of("2016-07-01")
        share_men = C.SH_SHARE_MEN.get(cohort, 0.5)
        if kind == 0:
            genders = [1 if rng.random() < share_men else 2]
        elif kind == 1:
            genders = [2 if rng.random() < 0.75 else 1]
        else:
            genders = [1, 2]
        plan = self._kenmerk_plan(rng, cohort, benefit_start, registered_only)
        people = [self._sh_person(rng, gender=g, nat=nat, cohort=cohort, permit=permit, settle=settle,
                                  registered_only=registered_only, kenmerk_plan=plan,
                                  benefit_start=benefit_start) for g in genders]
        unit = self.unit()
        end, reden = NONE, R[""]
        if exit_day is not None and exit_day <= self.last_day:
            end, reden = exit_day, R[exit_reason]
        change = None
        if kind == 0 and rng.random() < C.SH_HOUSEHOLD_CHANGE:
            x = benefit_start + int(rng.integers(180, 900))
            if unchanged_until < x < min(end, self.last_day - 1):
                change = x
                end, reden = x, R["02"]
        spell = self.spells.add(reg=int(self.reg()[0]), code=0, start=benefit_start, end=end, reden=reden,
                                vanish=NONE, leefvorm=(1, 2, 3)[kind], unit=unit, last=change is None,
                                chosen=False, deleted=False, sh=True)
        for p in people:
            self.members.add(spell=spell, person=p)
        if change is not None:
            self._household_change(rng, change, people[0], genders[0], nat, registered_only, plan)
        return spell, people

    def _household_change(self, rng, x: int, me: int, gender: int, nat: int, registered_only: bool,
                          plan) -> None:
        """The single's benefit ended on day x (reden 02) and a couple's benefit starts the next
        day, so in that month the person has two 01 rows: the household comes from the newer."""
        permit = x - int(rng.integers(30, 120))
        cohort = 1970 + month_of_day(permit) // 12
        partner = self._sh_person(rng, gender=3 - gender, nat=nat, cohort=cohort, permit=permit, settle=x,
                                  registered_only=registered_only, kenmerk_plan=plan, benefit_start=x + 1)
        exit_day, reason = self._generic_exit(rng, x + 1, False)
        end2, reden2 = (exit_day, R[reason]) if exit_day <= self.last_day else (NONE, R[""])
        new = self.spells.add(reg=int(self.reg()[0]), code=0, start=x + 1, end=end2, reden=reden2, vanish=NONE,
                              leefvorm=3, unit=self.unit(), last=True, chosen=True, deleted=False, sh=True)
        self.members.add(spell=new, person=me)
        self.members.add(spell=new, person=partner)

    def _generic_exit(self, rng, start: int, single: bool) -> tuple[int, str]:
        """When and why a statushouder leaves bijstand, apart from the memo's planned 2017-2018
        work/study endings: another reason any time; work or study only before 2017."""
        other = start + int(rng.exponential(C.SH_EXIT_OTHER_MEAN_MONTHS) * 30.44) + 30
        work = start + int(rng.exponential(C.SH_EXIT_WORK_MEAN_MONTHS_PRE2017) * 30.44) + 60
        study = start + int(rng.exponential(C.SH_EXIT_STUDY_MEAN_MONTHS_PRE2017) * 30.44) + 60 if single else NONE
        jan2017 = day_of("2017-01-01")
        options = [(other, _pick(rng, OTHER_REASONS))]
        if work < jan2017:
            options.append((work, "11"))
        if study < jan2017:
            options.append((study, "01"))
        day, reason = min(options)
        if reason not in ("11", "13", "01"):
            u = rng.random()
            if u < C.FAULTS["benefit_end_reason_missing"]:
                reason = ""
            elif u < C.FAULTS["benefit_end_reason_missing"] + C.FAULTS["benefit_end_reason_unknown"]:
                reason = "99"
        return day, reason

    def build_statushouders(self) -> None:
        """Arrivals per permit cohort; each year draws from its own stream."""
        last_year = 1970 + self.horizon // 12
        for year in range(2014, last_year + 1):
            yr = _rng(self.seed, f"cohort{year}")
            permits = C.NATIONAL_ASYLUM_PERMITS.get(year, C.NATIONAL_ASYLUM_PERMITS_LATER)
            target = permits / 1000 * C.SH_ADULTS_PER_1000_PERMITS * self.scale
            if year == 2018:
                target *= 0.6  # the 2018 arrivals settle from spring on; the calibration tops up
            persons = 0
            while persons < target:
                kind = int(yr.choice(3, p=C.SH_HOUSEHOLD_P))
                permit = day_no(year, 1, 1) + int(yr.integers(0, 365))
                wait = int(yr.integers(45, 300)) if year in (2015, 2016) else int(yr.integers(30, 240))
                settle = permit + wait
                start = settle + int(yr.integers(0, 21))
                persons += 2 if kind == 2 else 1
                if start > self.last_day:
                    continue
                exit_day, reason = self._generic_exit(yr, start, kind == 0)
                self._sh_unit(yr, year, permit, settle, start, kind, exit_day, reason)

    # ------------------------------------------------------------------ bijzondere bijstand
    # (The memo's work and study endings and those after 2018-05: outflow.py.)
    def add_bijzondere_bijstand(self) -> None:
        """Periodic bijzondere bijstand (11) beside the 01 benefit for a few statushouders, some
        ending for work in 2017-2018: not a 01 benefit, so never in the memo's outflow. Added once
        every 01 benefit has its end."""
        rng = _rng(self.seed, "bijzondere-bijstand")
        s = self.scale
        sp = self.spells.freeze()
        mem = self.members.freeze()
        cand = np.flatnonzero(sp["sh"] & (sp["code"] == 0) & ~sp["deleted"] & (size_of(mem, sp) == 1))
        pick = rng.choice(cand, max(1, n_scaled(25, s)), replace=False) if len(cand) else []
        for k in pick:
            st = int(sp["start"][k]) + int(rng.integers(30, 400))
            en = st + int(rng.integers(90, 360))
            if sp["end"][k] != NONE:
                en = min(en, int(sp["end"][k]))
            if st > self.last_day or en < st:
                continue
            e = self.spells.add(reg=int(self.reg()[0]), code=STATISTIEKCODES.index("11"), start=st,
                                end=en if en <= self.last_day else NONE,
                                reden=R["11"] if en <= self.last_day else R[""], vanish=NONE,
                                leefvorm=int(sp["leefvorm"][k]), unit=int(sp["unit"][k]), last=False, chosen=False,
                                deleted=False, sh=True)
            self.members.add(spell=e, person=int(first_of(mem, k)))

    # ------------------------------------------------------------------ 2018-05 calibration
    def calibrate_caseload(self, leaving: tuple[int, int] = (0, 0)) -> None:
        """Trim or top up the last arrivals so that 2018-05 holds exactly the memo's statushouders
        on benefit, half alleenstaand and half gezin, once the memo's endings (placed later, on
        benefits running through 2018-05) have taken out `leaving` (alleenstaand, gezin) persons."""
        rng = _rng(self.seed, "calibration")
        may = month_no(C.CALIBRATION_MONTH)
        target_total = n_scaled(C.MEMO["statushouders_in_bijstand"], self.scale)
        target_single = n_scaled(C.MEMO["statushouders_alleenstaand"], self.scale) + leaving[0]
        target_family = target_total - n_scaled(C.MEMO["statushouders_alleenstaand"], self.scale) + leaving[1]
        single, family, droppable = self._may_households(may)
        excess = {1: single - target_single, 2: family - target_family}
        # too many in a class: drop the latest arrivals of that class that nothing planned rests on
        drop = []
        for unit, (cls, persons) in reversed(droppable):
            if excess[cls] > 0:
                drop.append(unit)
                excess[cls] -= persons
        self._drop_units(drop)
        single, family, _ = self._may_households(may)
        ds, df = target_single - single, target_family - family
        if ds < 0 or df < 0:
            raise RuntimeError(f"calibration: cannot trim to {target_single}/{target_family}")
        d1 = month_last_day(may)
        kinds = [0] * ds + [2] * (df // 2) + [1] * (df % 2)
        for kind in kinds:
            # the top-up settles from mid-2017 on (not all in 2018: the sluitende aanpak of 2018
            # assesses every new settler, and only 31 assessments were held by mid-May)
            start = day_of("2017-07-01") + int(rng.integers(0, d1 - 10 - day_of("2017-07-01")))
            settle = start - int(rng.integers(0, 15))
            permit = settle - int(rng.integers(40, 240))
            cohort = 1970 + month_of_day(permit) // 12
            exit_day = max(d1 + 1, start + int(rng.exponential(C.SH_EXIT_OTHER_MEAN_MONTHS) * 30.44))
            # a top-up single joined by a partner before June would leave the single class and add
            # two to gezin: it stays single through the calibration month (a later nareiziger is fine)
            self._sh_unit(rng, cohort, permit, settle, start, kind, exit_day, _pick(rng, OTHER_REASONS),
                          unchanged_until=d1)
        single, family, _ = self._may_households(may)
        assert (single, family) == (target_single, target_family), (single, family)

    def _may_households(self, may: int):
        sp = self.spells.freeze()
        mem = self.members.freeze()
        d0, d1 = month_first_day(may), month_last_day(may)
        live = (sp["sh"] & ~sp["deleted"] & (sp["code"] == 0) & (sp["start"] <= d1)
                & ((sp["end"] == NONE) | (sp["end"] >= d0)))
        rows = live[mem["spell"]]
        spell, person = mem["spell"][rows], mem["person"][rows]
        # household from the row with the latest aanvangsdatum
        order = np.lexsort((sp["start"][spell], person))
        spell, person = spell[order], person[order]
        last = np.r_[person[1:] != person[:-1], True]
        lf = sp["leefvorm"][spell[last]]
        single, family = int((lf == 1).sum()), int(((lf == 2) | (lf == 3)).sum())
        # droppable: units with one spell, running in the month, not chosen for the planned
        # outflow; with their class and persons, oldest benefit start first
        spells_per_unit = np.bincount(sp["unit"][sp["unit"] >= 0], minlength=self.next_unit)
        cand = np.flatnonzero(live & sp["last"] & ~sp["chosen"])
        cand = cand[spells_per_unit[sp["unit"][cand]] == 1]
        cand = cand[np.argsort(sp["start"][cand], kind="stable")]
        size = np.bincount(mem["spell"], minlength=len(sp["reg"]))
        droppable = [(int(sp["unit"][k]), (1 if sp["leefvorm"][k] == 1 else 2, int(size[k]))) for k in cand]
        return single, family, droppable

    def _drop_units(self, units: list[int]) -> None:
        sp, mem, per = self.spells.cols, self.members.cols, self.persons.cols
        ks = np.flatnonzero(np.isin(sp["unit"], units))
        sp["deleted"][ks] = True
        sp["unit"][ks] = -2
        per["deleted"][mem["person"][np.isin(mem["spell"], ks)]] = True

    def finish_benefits(self) -> None:
        self.spells.freeze()
        self.members.freeze()
        self.persons.freeze()


def size_of(mem, sp) -> np.ndarray:
    return np.bincount(mem["spell"], minlength=len(sp["reg"]))


def first_of(mem, spell: int) -> int:
    return int(mem["person"][np.flatnonzero(mem["spell"] == spell)[0]])


def _pick(rng, pairs) -> str:
    values, p = zip(*pairs)
    p = np.asarray(p, dtype=float)
    return values[int(rng.choice(len(values), p=p / p.sum()))]
