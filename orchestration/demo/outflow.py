"""Statushouders' benefits ending for work or study from 2017-01 on, with the effects planted in
the initiatives (constants: the hazards, SELECTION_*, PLANTED_EFFECTS; README: "Planted effects").

A benefit ends for work or study with a monthly hazard: a level times a factor per dimension of the
effect contract's cell (gender, household, age band, months on the benefit), times the hazard ratio
of every initiative the person has started (0.5 in the first months: the lock-in; then the effect).
A couple's benefit ends when either partner finds work.

- 2017-01..2018-05: the memo fixes how many benefits end for work and study each year. The slots
  (month, day, reason, household class, return to bijstand) are drawn before the caseload is
  calibrated, so the calibration knows what they will take out of 2018-05; once the trajectories
  are placed, each slot goes to a benefit chosen with probability proportional to its hazard
  (`place_memo_outflow`). The memo's totals hold; who leaves carries the effects.
- From 2018-06 on, month by month (`after_memo`): the hazards themselves, at the levels of
  constants.py; then the initiatives that go on register new statushouders among those still on
  bijstand (CONTINUING_REGISTRATIONS), with the partners' selection.

A person must be on bijstand on every day the plan placed them for (a registration, a start: the
Planner's `needed_until`), so no ending comes before that day.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import constants as C
from .dates import NONE, month_first_day, month_last_day, month_no, month_of_day, months_of_days
from .population import I, R, Builder, _rng, n_scaled

CLS_SINGLE, CLS_SINGLE_PARENT, CLS_COUPLE = 0, 1, 2   # leefvorm 1, 2, 3 (couple: two persons)
MEMO_FIRST, MEMO_LAST = month_no("2017-01"), month_no(C.CALIBRATION_MONTH)


@dataclass
class Slot:
    """One of the memo's endings before it is placed on a benefit."""
    month: int
    day: int
    reason: str          # '11' or '13' (werk), '01' (studie)
    cls: int             # household class of the benefit it will end
    back: int            # day the household is back on bijstand (a new benefit), or NONE


def band(values: np.ndarray, lower_bounds) -> np.ndarray:
    return np.searchsorted(np.asarray(lower_bounds), values, side="right")


def work_factor(gender, leefvorm, age, duration) -> np.ndarray:
    g = np.where(gender == 1, C.WORK_HAZARD_GENDER[1], C.WORK_HAZARD_GENDER[2])
    h = np.where(leefvorm == 1, C.WORK_HAZARD_HOUSEHOLD[1], C.WORK_HAZARD_HOUSEHOLD[3])
    a = np.asarray(C.WORK_HAZARD_AGE)[band(age, C.AGE_BANDS)]
    d = np.asarray(C.WORK_HAZARD_DURATION)[band(duration, C.DURATION_BANDS)]
    return g * h * a * d


def study_factor(leefvorm, age) -> np.ndarray:
    return np.where(leefvorm == 1, np.asarray(C.STUDY_HAZARD_AGE)[band(age, C.AGE_BANDS)], 0.0)


def initiative_starts(traj: dict, n_persons: int) -> dict[str, np.ndarray]:
    """Per initiative: the month of each person's first start (NONE if none), as the contract
    defines the start."""
    out = {}
    started = (traj["person"] >= 0) & (traj["start"] != NONE)
    for code in I:
        rows = started & (traj["init"] == I[code])
        first = np.full(n_persons, np.int64(NONE))
        np.minimum.at(first, traj["person"][rows], months_of_days(traj["start"][rows]))
        out[code] = first
    return out


def multiplier(starts: dict, outcome: str, month, persons: np.ndarray) -> np.ndarray:
    """The product of the planted hazard ratios for `outcome` of the initiatives each person has
    started by `month` (a scalar or one month per person)."""
    out = np.ones(len(persons))
    for code, (what, _, _) in C.PLANTED_EFFECTS.items():
        if what == outcome:
            out *= own_ratio(starts, code, month, persons)
    return out


def own_ratio(starts: dict, code: str, month, persons: np.ndarray) -> np.ndarray:
    """The hazard ratio of one initiative for each person in `month`: 1 before the start, where
    none is planted, and before 2017 (the effects apply from 2017-01 on)."""
    if code not in C.PLANTED_EFFECTS or np.all(np.asarray(month) < MEMO_FIRST):
        return np.ones(len(persons))
    _, lock_in, after = C.PLANTED_EFFECTS[code]
    since = month - starts[code][persons]  # hugely negative when never started
    return np.where(since < 0, 1.0, np.where(since < C.LOCK_IN_MONTHS, lock_in, after))


class Hazards:
    """Relative work and study hazards of benefits (units) in a month, from their members' cells
    and initiatives."""

    def __init__(self, b: Builder, starts: dict):
        self.b, self.starts = b, starts
        self.refresh()

    def refresh(self) -> None:
        """Spells and members as they are now (after benefits were added). Persons are read, never
        frozen again here: a freeze copies the columns, and the Planner writes into its copy."""
        self.sp, self.mem, self.per = self.b.spells.freeze(), self.b.members.freeze(), self.b.persons.cols
        self.size = np.bincount(self.mem["spell"], minlength=len(self.sp["reg"]))

    def units(self, spells: np.ndarray, m: int):
        """(work, study) relative hazard per spell in `spells` for month m."""
        sp, mem, per = self.sp, self.mem, self.per
        chosen = np.zeros(len(sp["reg"]), dtype=bool)
        chosen[spells] = True
        rows = chosen[mem["spell"]]
        spell, person = mem["spell"][rows], mem["person"][rows]
        d0 = month_first_day(m)
        age = (d0 - per["birth"][person]) / 365.25
        duration = m - months_of_days(sp["start"][spell])
        leefvorm = sp["leefvorm"][spell]
        w = work_factor(per["gender"][person], leefvorm, age, duration) * multiplier(self.starts, "werk", m, person)
        st = study_factor(leefvorm, age) * (self.size[spell] == 1) * multiplier(self.starts, "studie", m, person)
        n = len(sp["reg"])
        work = np.bincount(spell, weights=w, minlength=n)[spells]
        study = np.bincount(spell, weights=st, minlength=n)[spells]
        return work, study


def household_class(sp: dict, size: np.ndarray) -> np.ndarray:
    lf = sp["leefvorm"]
    return np.select([(lf == 1) & (size == 1), (lf == 2) & (size == 1), (lf == 3) & (size == 2)],
                     [CLS_SINGLE, CLS_SINGLE_PARENT, CLS_COUPLE], -1)


def memo_pool(sp: dict, m: int) -> np.ndarray:
    """Statushouders' benefits that may carry one of month m's memo endings: running since four
    months before m and through 2018-05 (so each ending takes its household out of 2018-05, as the
    calibration counted), not a benefit that itself came from the plan."""
    may_end = month_last_day(MEMO_LAST)
    return (sp["sh"] & (sp["code"] == 0) & ~sp["deleted"] & sp["last"] & ~sp["chosen"]
            & (sp["start"] <= month_first_day(m) - 120) & ((sp["end"] == NONE) | (sp["end"] > may_end)))


def plan_memo_slots(b: Builder) -> list[Slot]:
    """The memo's endings for work and study in 2017 and 2018-01..05, spread over the months; the
    household class of each drawn in proportion to the classes' summed hazards in that month."""
    rng = _rng(b.seed, "outflow")
    s = b.scale
    b.persons.freeze()
    plan = {("11", 2017): n_scaled(C.MEMO["uitstroom_werk_2017"], s),
            ("01", 2017): n_scaled(C.MEMO["uitstroom_studie_2017"], s),
            ("11", 2018): n_scaled(C.MEMO["uitstroom_werk_2018"], s),
            ("01", 2018): n_scaled(C.MEMO["uitstroom_studie_2018"], s)}
    months_of = {2017: list(range(month_no("2017-01"), month_no("2017-12") + 1)),
                 2018: list(range(month_no("2018-01"), MEMO_LAST + 1))}
    hz = Hazards(b, {code: np.full(len(b.persons), np.int64(NONE)) for code in I})
    cls = household_class(hz.sp, hz.size)
    class_weight = {}
    slots = []
    for (reason, year), count in plan.items():
        for m in sorted(rng.choice(months_of[year], count)):
            m = int(m)
            d0, d1 = month_first_day(m), month_last_day(m)
            day = d0 + int(rng.integers(0, d1 - d0 + 1))
            back = NONE
            if reason == "01":
                code, klass = "01", CLS_SINGLE
            else:
                code = "13" if rng.random() < 0.1 else "11"
                if m not in class_weight:
                    pool = np.flatnonzero(memo_pool(hz.sp, m) & (cls >= 0))
                    work, _ = hz.units(pool, m)
                    class_weight[m] = np.bincount(cls[pool], weights=work, minlength=3)
                w = class_weight[m]
                klass = int(rng.choice(3, p=w / w.sum()))
                if code == "11" and rng.random() < C.SH_RETURN_AFTER_WORK:
                    back = d1 + int(rng.integers(40, 150))  # from the month's end: known before the day is
            slots.append(Slot(m, day, code, klass, back))
    return slots


def memo_slots_leaving_may(slots: list[Slot]) -> tuple[int, int]:
    """Persons the slots take out of 2018-05's delivery: (alleenstaand, gezin)."""
    may_end = month_last_day(MEMO_LAST)
    single = family = 0
    for slot in slots:
        if slot.month == MEMO_LAST or (slot.back != NONE and slot.back <= may_end):
            continue  # ended in May: still a May row; or back on bijstand by May, in the same household
        if slot.cls == CLS_SINGLE:
            single += 1
        else:
            family += 2 if slot.cls == CLS_COUPLE else 1
    return single, family


def place_memo_outflow(planner, slots: list[Slot]) -> dict:
    """Put each memo slot on a statushouder benefit, chosen with probability proportional to its
    hazard (with the initiatives started by then). Returns, per month and outcome, the number of
    slots and the summed hazard of the pool (for the expected effects)."""
    b = planner.b
    rng = _rng(b.seed, "outflow-who")
    starts = initiative_starts(b.traj.freeze(), len(b.persons))
    hz = Hazards(b, starts)
    sp, mem = hz.sp, hz.mem
    b.before_outflow = {c: sp[c].copy() for c in ("end", "reden", "last", "chosen")}
    cls = household_class(sp, hz.size)
    unit_needed = np.full(len(sp["reg"]), -1, dtype=np.int64)
    np.maximum.at(unit_needed, mem["spell"], planner.needed_until[mem["person"]])
    not_in_view = np.zeros(len(sp["reg"]), dtype=bool)  # the clients not in view: kept on bijstand
    np.logical_or.at(not_in_view, mem["spell"], np.isin(mem["person"], planner.not_in_view_persons))
    taken = np.zeros(len(sp["reg"]), dtype=bool)
    record = {}
    returns = []
    for m in sorted({s.month for s in slots}):
        pool = np.flatnonzero(memo_pool(sp, m) & (cls >= 0))
        work, study = hz.units(pool, m)
        month_slots = sorted((s for s in slots if s.month == m), key=lambda s: (s.day, s.reason))
        for outcome, weight in (("werk", work), ("studie", study)):
            k = sum(1 for s in month_slots if (s.reason == "01") == (outcome == "studie"))
            record[(m, outcome)] = (k, float(weight.sum()))
        for slot in month_slots:
            weight = study if slot.reason == "01" else work
            fits = ~taken[pool] & (cls[pool] == slot.cls) & (weight > 0)
            ok = fits & (unit_needed[pool] < slot.day)
            if not ok.any():
                # only at very small scales: every such household is needed later by the plan; a
                # registration after the benefit ended counts the same in every memo figure (the
                # clients not in view, who must stay on bijstand, are never taken)
                ok = fits & ~not_in_view[pool]
            if not ok.any():
                raise RuntimeError(f"scale {b.scale} is too small to place the memo's endings of "
                                   f"{slot.month}: no benefit of household class {slot.cls} left")
            w = weight[ok]
            k = int(pool[ok][rng.choice(len(w), p=w / w.sum())])
            taken[k] = True
            sp["end"][k] = slot.day
            sp["reden"][k] = R[slot.reason]
            sp["chosen"][k] = True
            if slot.back != NONE:
                returns.append((k, slot.back))
    for k, back in returns:
        _back_on_bijstand(b, rng, k, back)
    b.spells.freeze()
    b.members.freeze()
    return record


def _back_on_bijstand(b: Builder, rng, k: int, back: int) -> None:
    """The household that ended spell k for work is back on bijstand on day `back` (a new benefit);
    a return before June 2018 stays through 2018-05 (the calibration counted it back)."""
    if back > b.last_day:
        return
    sp, mem = b.spells.cols, b.members.cols
    exit_day, reason = b._generic_exit(rng, back, False)
    if back <= month_last_day(MEMO_LAST):
        exit_day = max(exit_day, month_last_day(MEMO_LAST) + 1)
    end, reden = (exit_day, R[reason]) if exit_day <= b.last_day else (NONE, R[""])
    sp["last"][k] = False
    new = b.spells.add(reg=int(b.reg()[0]), code=0, start=back, end=end, reden=reden, vanish=NONE,
                       leefvorm=int(sp["leefvorm"][k]), unit=int(sp["unit"][k]), last=True, chosen=True,
                       deleted=False, sh=True)
    for p in mem["person"][mem["spell"] == k]:
        b.members.add(spell=new, person=int(p))


def after_memo(planner) -> None:
    """From 2018-06 to the horizon, month by month: every running statushouder benefit ends for
    work or study with its hazard at the levels of constants.py (before an ending it already has
    for another reason); then the initiatives that go on register new statushouders among those
    still on bijstand (CONTINUING_REGISTRATIONS, with the partners' selection), whose hazard
    ratios apply from their start month. In this order no one is kept on bijstand for a
    registration still to come."""
    b = planner.b
    rng = _rng(b.seed, "outflow-after-memo")
    starts = initiative_starts(b.traj.freeze(), len(b.persons))
    hz = Hazards(b, starts)
    needed_until = planner.needed_until
    for m in range(MEMO_LAST + 1, b.horizon + 1):
        sp, mem = hz.sp, hz.mem
        d0, d1 = month_first_day(m), month_last_day(m)
        live = np.flatnonzero(sp["sh"] & (sp["code"] == 0) & ~sp["deleted"] & sp["last"] & (sp["start"] <= d1)
                              & ((sp["end"] == NONE) | (sp["end"] >= d0)))
        unit_needed = np.full(len(sp["reg"]), -1, dtype=np.int64)
        np.maximum.at(unit_needed, mem["spell"], needed_until[mem["person"]])
        work, study = hz.units(live, m)
        work, study = work * C.WORK_HAZARD_AFTER_MEMO, study * C.STUDY_HAZARD_AFTER_MEMO
        total = work + study
        u, pick_work, when = rng.random(len(live)), rng.random(len(live)), rng.random(len(live))
        first = np.maximum(np.maximum(d0, sp["start"][live]), unit_needed[live] + 1)
        day = first + (when * np.maximum(d1 - first + 1, 0)).astype(np.int64)
        ends = (u < 1 - np.exp(-total)) & (first <= d1)
        ends &= (sp["end"][live] == NONE) | (day < sp["end"][live])
        is_work = pick_work * total < work
        code = np.where(is_work, np.where(rng.random(len(live)) < 0.1, R["13"], R["11"]), R["01"])
        back_gap = rng.integers(40, 150, len(live))
        returns = rng.random(len(live)) < C.SH_RETURN_AFTER_WORK
        k = live[ends]
        sp["end"][k] = day[ends]
        sp["reden"][k] = code[ends]
        added = False
        for j in np.flatnonzero(ends & (code == R["11"]) & returns):
            _back_on_bijstand(b, rng, int(live[j]), int(day[j] + back_gap[j]))
            added = True
        if added:
            hz.refresh()
        _register(planner, rng, m, starts)


def _register(planner, rng, m: int, starts: dict) -> None:
    """Month m's registrations of statushouders at the initiatives that go on after the memo:
    among those on bijstand through the month (statushouders with an asylum title, not reserved),
    not yet started in that initiative, taken in proportion to the partner's selection weight."""
    b, per = planner.b, planner.per
    sp, mem = b.spells.cols, b.members.cols
    d0, d1 = month_first_day(m), month_last_day(m)
    live = (sp["code"] == 0) & ~sp["deleted"] & (sp["start"] <= d0) & ((sp["end"] == NONE) | (sp["end"] > d1))
    rows = live[mem["spell"]]
    on = np.zeros(len(per["bsn"]), dtype=bool)
    on[mem["person"][rows]] = True
    # months on the benefit: from the latest start among the running ones
    latest = np.full(len(per["bsn"]), -1, dtype=np.int64)
    np.maximum.at(latest, mem["person"][rows], sp["start"][mem["spell"][rows]])
    base = on & planner.sh & ~per["reserved"]
    for code, (partner, rate) in C.CONTINUING_REGISTRATIONS.items():
        select = C.SELECTING[code]
        cand = np.flatnonzero(base & ~planner.in_initiative[I[code]])
        age = (d0 - per["birth"][cand]) / 365.25
        if select is C.SELECTION_EDUCATION:  # as in the memo's years: the advisory team sees those under 45
            cand, age = cand[age < 45], age[age < 45]
        k = min(int(rng.poisson(rate * b.scale)), len(cand))
        if k == 0:
            continue
        duration = m - months_of_days(latest[cand])
        w = (np.where(per["gender"][cand] == 1, select["gender"][1], select["gender"][2])
             * np.asarray(select["age"])[band(age, C.AGE_BANDS)]
             * np.asarray(select["duration"])[band(duration, C.DURATION_BANDS)])
        for p in rng.choice(cand, k, replace=False, p=w / w.sum()):
            p = int(p)
            aanmeld = d0 + int(rng.integers(0, d1 - d0 + 1))
            start = planner.add_continuing(partner, code, p, aanmeld)
            starts[code][p] = min(starts[code][p], month_of_day(start))


# ---------------------------------------------------------------------------------------------
# What was planted, in the effect contract's terms: the expected effect on the participants.

def expected_effects(world, last_month: int) -> dict:
    """Per initiative, for its planted outcome (werk where none is planted) and h = 6, 12, 24: the
    participants counting at h (statushouders on bijstand in their start month s, s + h <= the
    last month written) and the expected effect on them, in percentage points: the mean over them
    of P(outcome in s..s+h) with every hazard ratio minus the same without this initiative's. The
    probabilities follow the model that drew the endings: before 2017 the endings drawn at
    arrival, in 2017-01..2018-05 each memo ending's chance to fall on the household (its hazard
    over the pool's), from 2018-06 the hazards; a benefit that ends for another reason ends the
    risk, the plan's `needed_until` keeps it on bijstand (no ending) until that day."""
    sp, mem, per = world.spells.cols, world.members.cols, world.persons.cols
    before, needed_until, memo_record = (world.outflow[k] for k in ("before", "needed_until", "memo"))
    n0 = len(before["end"])
    starts = initiative_starts(world.trajectories.cols, len(per["bsn"]))
    # each person's pre-outflow statushouder 01 benefits, latest start first
    keep = (mem["spell"] < n0)
    keep &= sp["sh"][mem["spell"]] & (sp["code"][mem["spell"]] == 0) & ~sp["deleted"][mem["spell"]]
    pairs = np.stack([mem["person"][keep], mem["spell"][keep]])
    pairs = pairs[:, np.lexsort((-sp["start"][pairs[1]], pairs[0]))]
    ptr = np.searchsorted(pairs[0], np.arange(len(per["bsn"]) + 1))
    depth = int(np.diff(ptr).max()) if len(pairs[0]) else 0
    size = np.bincount(mem["spell"], minlength=len(sp["reg"]))
    member = np.full((2, len(sp["reg"])), -1, dtype=np.int64)
    order = np.argsort(mem["spell"], kind="stable")
    ms, mp = mem["spell"][order], mem["person"][order]
    firsts = np.r_[True, ms[1:] != ms[:-1]]
    member[0, ms[firsts]] = mp[firsts]
    member[1, ms[~firsts]] = mp[~firsts]
    unit_needed = np.full(len(sp["reg"]), -1, dtype=np.int64)
    np.maximum.at(unit_needed, mem["spell"], needed_until[mem["person"]])
    werk0 = np.isin(before["reden"], [R["11"], R["13"]])
    studie0 = before["reden"] == R["01"]
    may_end = month_last_day(MEMO_LAST)
    out = {}
    for code in I:
        outcome = C.PLANTED_EFFECTS.get(code, ("werk",))[0]
        persons = np.flatnonzero((starts[code] != NONE) & world.sh_def)
        s = starts[code][persons]
        on = _running_in(sp, mem, persons, s)
        persons, s = persons[on], s[on]
        p1 = np.zeros((len(persons), 25))
        p0 = np.zeros((len(persons), 25))
        surv1, surv0 = np.ones(len(persons)), np.ones(len(persons))
        for k in range(25):
            m = s + k
            d0 = _first_days(m)
            d1 = _first_days(m + 1) - 1
            spell = np.full(len(persons), -1, dtype=np.int64)
            for j in range(depth - 1, -1, -1):  # the latest-starting running benefit wins
                idx = ptr[persons] + j
                has = idx < ptr[persons + 1]
                k_sp = np.where(has, pairs[1][np.minimum(idx, len(pairs[1]) - 1)], 0)
                live = has & (sp["start"][k_sp] <= d1) & (before["end"][np.minimum(k_sp, n0 - 1)] >= d0)
                spell = np.where(live, k_sp, spell)
            alive = spell >= 0
            k_sp = np.maximum(spell, 0)
            lf, dur = sp["leefvorm"][k_sp], m - months_of_days(sp["start"][k_sp])
            # the household's hazards with every hazard ratio (1) and without this initiative's for
            # the participant (0): the partner's own part stays
            lw1, ls1, lw0, ls0 = (np.zeros(len(persons)) for _ in range(4))
            for slot in (0, 1):
                x = member[slot, k_sp]
                there = alive & (x >= 0)
                xx = np.maximum(x, 0)
                age = (d0 - per["birth"][xx]) / 365.25
                w = np.where(there, work_factor(per["gender"][xx], lf, age, dur)
                             * multiplier(starts, "werk", m, xx), 0.0)
                st = np.where(there & (size[k_sp] == 1),
                              study_factor(lf, age) * multiplier(starts, "studie", m, xx), 0.0)
                own = np.where(xx == persons, own_ratio(starts, code, m, xx), 1.0)
                lw1, ls1 = lw1 + w, ls1 + st
                lw0 += w / own if outcome == "werk" else w
                ls0 += st / own if outcome == "studie" else st
            pre = m < MEMO_FIRST
            in_memo = (m >= MEMO_FIRST) & (m <= MEMO_LAST)
            ends_now = alive & (months_of_days(before["end"][k_sp]) == m)
            pool = (before["last"][k_sp] & ~before["chosen"][k_sp] & (sp["start"][k_sp] <= d0 - 120)
                    & ((before["end"][k_sp] == NONE) | (before["end"][k_sp] > may_end)) & (unit_needed[k_sp] < d0))
            free = unit_needed[k_sp] < d1
            kw, ww = _memo_share(memo_record, m, "werk")
            ks, ws = _memo_share(memo_record, m, "studie")
            for lw, ls, surv, prob in ((lw1, ls1, surv1, p1), (lw0, ls0, surv0, p0)):
                lam_w, lam_s = lw * C.WORK_HAZARD_AFTER_MEMO, ls * C.STUDY_HAZARD_AFTER_MEMO
                total = lam_w + lam_s
                q_any = np.where(free, 1 - np.exp(-total), 0.0)
                share_w = np.divide(lam_w, total, out=np.zeros_like(total), where=total > 0)
                memo_w = np.where(pool, np.minimum(1.0, kw * lw / ww), 0.0)
                memo_s = np.where(pool, np.minimum(1.0, ks * ls / ws), 0.0)
                qw = np.where(pre, ends_now & werk0[k_sp], np.where(in_memo, memo_w, q_any * share_w))
                qs = np.where(pre, ends_now & studie0[k_sp], np.where(in_memo, memo_s, q_any * (1 - share_w)))
                qw, qs = np.where(alive, qw, 0.0), np.where(alive, qs, 0.0)
                prob[:, k] = (prob[:, k - 1] if k else 0.0) + surv * (qw if outcome == "werk" else qs)
                surv *= np.clip(1 - qw - qs, 0.0, 1.0)
        entry = {"outcome": outcome, "hazard_ratios": list(C.PLANTED_EFFECTS.get(code, (outcome, 1.0, 1.0))[1:]),
                 "participants": {}, "expected_effect_pp": {}}
        for h in (6, 12, 24):
            counting = s + h <= last_month
            entry["participants"][str(h)] = int(counting.sum())
            entry["expected_effect_pp"][str(h)] = (round(float(100 * (p1[counting, h] - p0[counting, h]).mean()), 1)
                                                   if counting.any() else None)
        out[code] = entry
    return out


def _first_days(months: np.ndarray) -> np.ndarray:
    return (np.datetime64("1970-01", "M") + np.asarray(months, dtype=np.int64)).astype("datetime64[D]").astype(np.int64)


def _memo_share(record: dict, m: np.ndarray, outcome: str):
    """Per element: the memo endings of month m for this outcome and the pool's summed hazard."""
    months = np.arange(MEMO_FIRST, MEMO_LAST + 1)
    k = np.array([record.get((int(x), outcome), (0, 1.0))[0] for x in months], dtype=float)
    w = np.array([record.get((int(x), outcome), (0, 1.0))[1] or 1.0 for x in months], dtype=float)
    i = np.clip(m - MEMO_FIRST, 0, len(months) - 1)
    return k[i], w[i]


def _running_in(sp: dict, mem: dict, persons: np.ndarray, months: np.ndarray) -> np.ndarray:
    """Whether each person (sorted ascending) has a 01 benefit running in their month."""
    d0, d1 = _first_days(months), _first_days(months + 1) - 1
    rows = np.isin(mem["person"], persons)
    spell, pos = mem["spell"][rows], np.searchsorted(persons, mem["person"][rows])
    live = ((sp["code"][spell] == 0) & ~sp["deleted"][spell] & (sp["start"][spell] <= d1[pos])
            & ((sp["end"][spell] == NONE) | (sp["end"][spell] >= d0[pos])))
    out = np.zeros(len(persons), dtype=bool)
    out[pos[live]] = True
    return out
