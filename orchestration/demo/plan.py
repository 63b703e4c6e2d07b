"""Who is in which initiative, with which outcome, and who is not in view: the memo's trajectory
figures placed on statushouders so that the mart contract's definitions count exactly them.

Rules that keep the figures exact (besides the counts themselves):
- every trajectory a figure counts belongs to a statushouder with an asylum title (a statushouder
  by definition in every month), registered while on bijstand;
- persons who ever reach STAGE, BBL or OPLEIDING_HBO_WO are 'special': each is picked once, so the
  "distinct persons who ever reached X" figures count exactly the planned ones;
- Agros, Pasmatch and Aan de slag never give a statushouder STAGE or BBL;
- the clients not in view and the onoverbrugbaar clients are 'reserved': no trajectory, ever;
- a person is registered at most once per initiative (two registrations on one day would be one
  trajectory to the contract);
- every day a person must be on bijstand for the plan is kept in `needed_until`: the memo's work
  and study endings, placed after the trajectories (outflow.py), never come before it.
Partners pick with the selection weights of constants.SELECTING (selection on observables).
"""
from __future__ import annotations

from bisect import bisect_right

import numpy as np

from . import constants as C
from .bsn import mistype
from .dates import NONE, day_of, to_date, month_first_day, month_last_day, month_no, month_of_day, months_of_days
from .outflow import Slot, place_memo_outflow
from .population import (KIND_SH_TITLE, KIND_OTHER, I, O, P,
                         NAT, PARTNER_FIRST_MONTH, Builder, _rng, n_scaled)

WORK, EDUCATION = 1, 2  # klantbeeld advies_route index: werk, onderwijs


class Planner:
    def __init__(self, b: Builder, memo_slots: list[Slot]):
        self.b = b
        self.s = b.scale
        self.rng = _rng(b.seed, "trajectories")
        self.per = b.persons.freeze()
        n = len(self.per["bsn"])
        self.sh = (self.per["kind"] == KIND_SH_TITLE) & ~self.per["deleted"]
        self.first_traj = np.full(n, NONE, dtype=np.int64)
        self.first_route = np.zeros(n, dtype=np.int8)
        # the last day the plan needs each person on bijstand (a registration, a start, a pick's
        # `until`): no work or study ending is placed before it (outflow.py)
        self.needed_until = np.full(n, -1, dtype=np.int64)
        self.in_initiative = np.zeros((len(I), n), dtype=bool)  # one registration per person and initiative
        self.memo_slots = memo_slots
        self.memo_outflow: dict = {}
        self.built: dict[str, int] = {}
        self._month_of: dict[int, int] = {}
        self.sh_idx = np.flatnonzero(self.sh)
        self._index_benefits()

    def _index_benefits(self) -> None:
        """person -> their 01 benefit spells, for the scalar benefit_on (again after the memo's
        endings are placed)."""
        self.sp = self.b.spells.freeze()
        self.mem = m = self.b.members.freeze()
        self._benefit_cache: dict[int, np.ndarray] = {}
        keep = (self.sp["code"][m["spell"]] == 0) & ~self.sp["deleted"][m["spell"]]
        order = np.argsort(m["person"][keep], kind="stable")
        self._p_spells = m["spell"][keep][order]
        self._p_ptr = np.searchsorted(m["person"][keep][order], np.arange(len(self.per["bsn"]) + 1))

    # ------------------------------------------------------------------ helpers
    def n(self, key_or_value) -> int:
        value = C.MEMO[key_or_value] if isinstance(key_or_value, str) else key_or_value
        return n_scaled(value, self.s)

    def on_benefit(self, day: int) -> np.ndarray:
        """Persons with a running 01 benefit on this day (as the deliveries will show it)."""
        if day not in self._benefit_cache:
            if len(self._benefit_cache) > 64:
                self._benefit_cache.clear()
            sp = self.sp
            month = month_of_day(day)
            live = (~sp["deleted"] & (sp["code"] == 0) & (sp["start"] <= day)
                    & ((sp["end"] == NONE) | (sp["end"] >= day)) & ((sp["vanish"] == NONE) | (sp["vanish"] >= month)))
            mask = np.zeros(len(self.per["bsn"]), dtype=bool)
            mask[self.mem["person"][live[self.mem["spell"]]]] = True
            self._benefit_cache[day] = mask
        return self._benefit_cache[day]

    def benefit_on(self, p: int, day: int) -> bool:
        """Scalar version of on_benefit for one person (fast for picking)."""
        month = self._month_of.get(day)
        if month is None:
            month = self._month_of[day] = month_of_day(day)
        sp = self.sp
        for k in self._p_spells[self._p_ptr[p]:self._p_ptr[p + 1]]:
            end, vanish = sp["end"][k], sp["vanish"][k]
            if sp["start"][k] <= day and (end == NONE or end >= day) and (vanish == NONE or vanish >= month):
                return True
        return False

    def in_month(self, m: int) -> np.ndarray:
        """Persons with a 01 row in month m's delivery."""
        sp = self.sp
        d0, d1 = month_first_day(m), month_last_day(m)
        live = (~sp["deleted"] & (sp["code"] == 0) & (sp["start"] <= d1)
                & ((sp["end"] == NONE) | (sp["end"] >= d0)) & ((sp["vanish"] == NONE) | (sp["vanish"] >= m)))
        mask = np.zeros(len(self.per["bsn"]), dtype=bool)
        mask[self.mem["person"][live[self.mem["spell"]]]] = True
        return mask

    def age_of(self, p: int, day: int) -> float:
        return (day - int(self.per["birth"][p])) / 365.25

    def months_on_benefit(self, p: int, day: int) -> int:
        """Whole months from the start of the person's latest 01 benefit running on `day`."""
        sp = self.sp
        starts = [int(sp["start"][k]) for k in self._p_spells[self._p_ptr[p]:self._p_ptr[p + 1]]
                  if sp["start"][k] <= day and (sp["end"][k] == NONE or sp["end"][k] >= day)]
        if not starts:
            return 0
        return month_of_day(day) - month_of_day(max(starts))

    def selection_weight(self, p: int, day: int, select: dict) -> float:
        """How likely a partner takes this person, relative to its most wanted cell (constants:
        SELECTION_*): the effect contract's cell dimensions, so the selection is on observables."""
        age = bisect_right(C.AGE_BANDS, self.age_of(p, day))
        duration = bisect_right(C.DURATION_BANDS, self.months_on_benefit(p, day))
        w = select["gender"].get(int(self.per["gender"][p]), 1.0) * select["age"][age] * select["duration"][duration]
        top = max(select["gender"].values()) * max(select["age"]) * max(select["duration"])
        return w / top

    def day_between(self, first: str, last: str) -> int:
        a, z = day_of(first), day_of(last)
        return a + int(self.rng.integers(0, z - a + 1))

    def pick(self, day: int, init: str, *, extra=None, allow_special=False, prefer=None, until: int | None = None,
             optional: bool = False) -> int:
        """One statushouder for initiative `init`: on bijstand on `day` (and on `until`, if given),
        not yet in `init`, not reserved, not yet special, meeting `extra` (a mask or a function of
        the person), taken with the partner's selection weight (constants.SELECTING). Rejection
        sampling keeps this fast at scale 100; an exhaustive pass decides when candidates are rare."""
        p = self._pick(day, extra=extra, allow_special=allow_special, prefer=prefer, until=until,
                       optional=optional, select=C.SELECTING.get(init), new_to=I[init])
        if p >= 0:
            self.needed_until[p] = max(self.needed_until[p], day, until or day)
        return p

    def _pick(self, day: int, *, extra, allow_special, prefer, until, optional, select, new_to) -> int:
        per = self.per
        already = self.in_initiative[new_to]

        def ok(p: int) -> bool:
            if per["reserved"][p] or (not allow_special and per["special"][p]) or already[p]:
                return False
            if extra is not None and not (extra(p) if callable(extra) else extra[p]):
                return False
            if not self.benefit_on(p, day):
                return False
            return until is None or self.benefit_on(p, until)

        n = len(self.sh_idx)
        for attempt in range(3000):
            p = int(self.sh_idx[self.rng.integers(n)])
            if prefer is not None and attempt < 1000 and not prefer[p]:
                continue
            if ok(p) and (select is None or self.rng.random() < self.selection_weight(p, day, select)):
                return p
        cand = [int(p) for p in self.sh_idx if ok(int(p))]
        if not cand:
            if optional:
                return -1
            raise ValueError(f"scale {self.s} is too small to place the memo's trajectories "
                             f"(no statushouder left on {to_date(day)}); use a scale of 0.1 or more")
        if select is None:
            return int(self.rng.choice(cand))
        w = np.array([self.selection_weight(p, day, select) for p in cand])
        return int(cand[self.rng.choice(len(cand), p=w / w.sum())])

    def add(self, partner: str, init: str, person: int, aanmeld: int, start=NONE, end=NONE,
            outcomes=(), lag: int = 0, empty_lopend=None, route=WORK, needed: bool = True) -> int:
        """A trajectory; outcomes are (day, code, hours) in time order. Delivered from the month
        of registration (plus lag), never before the partner's first delivery."""
        outcomes = list(outcomes) + [(NONE, "", 0)] * (3 - len(outcomes))
        visible = max(month_of_day(aanmeld) + lag, month_no(PARTNER_FIRST_MONTH[partner]))
        if empty_lopend is None:
            empty_lopend = self.rng.random() < C.FAULTS["uitkomst_empty_while_running"]
        bsn = int(self.per["bsn"][person]) if person >= 0 else int(self.b.bsns.take(1)[0])
        idx = self.b.traj.add(partner=P[partner], init=I[init], person=person, bsn=bsn, bsn_written=bsn,
                              aanmeld=aanmeld, start=start, end=end, visible=visible,
                              o1d=outcomes[0][0], o1=O[outcomes[0][1]], o2d=outcomes[1][0], o2=O[outcomes[1][1]],
                              o3d=outcomes[2][0], o3=O[outcomes[2][1]],
                              uren=max(o[2] for o in outcomes), empty_lopend=empty_lopend, dates_fault=False)
        if person >= 0 and aanmeld < self.first_traj[person]:
            self.first_traj[person] = aanmeld
            self.first_route[person] = route
        if person >= 0:
            self.in_initiative[I[init], person] = True
        if person >= 0 and needed:
            self.needed_until[person] = max(self.needed_until[person], aanmeld, start if start != NONE else aanmeld)
        return idx

    def special(self, person: int) -> None:
        self.per["special"][person] = True

    # ------------------------------------------------------------------ the plan
    def run(self) -> None:
        self.not_in_view()
        self.onoverbrugbaar()
        self.vip()
        uaf_persons = self.uaf_before_advies()
        advies = self.advies_onderwijs(exclude=uaf_persons)
        self.uaf_after_advies(advies)
        timnit = self.timnit()
        self.nova(advies, timnit)
        self.leerwerkstage()
        self.assessment()
        self.agros_pasmatch_statushouders()
        # the memo's work and study endings, now that everyone but Aan de slag has their
        # trajectories; Aan de slag is then chosen among those on bijstand in 2018-05 (the 200)
        self.memo_outflow = place_memo_outflow(self, self.memo_slots)
        self._index_benefits()
        self.aan_de_slag()
        self.sur_atelier()
        self.other_clients_at_partners()
        self.klantbeeld()

    def not_in_view(self) -> None:
        """The memo's ~100 'onvoldoende in beeld': on bijstand since 2016 or earlier and still in
        2018-05, never assessed, no plan, no trajectory, no contact since early 2017."""
        sp, mem, per = self.sp, self.mem, self.per
        long_running = (~sp["deleted"] & (sp["code"] == 0) & (sp["start"] <= day_of("2016-12-01"))
                        & ((sp["end"] == NONE) | (sp["end"] > day_of("2018-06-30"))) & (sp["vanish"] == NONE))
        cand = np.zeros(len(per["bsn"]), dtype=bool)
        cand[mem["person"][long_running[mem["spell"]]]] = True
        cand &= self.sh
        chosen = self.rng.choice(np.flatnonzero(cand), self.n("onvoldoende_in_beeld"), replace=False)
        per["reserved"][chosen] = True
        self.needed_until[chosen] = day_of("2018-06-30")
        last = day_of("2017-03-31")
        for p in chosen:
            start = int(per["contact_start"][p])
            per["contact_stop"][p] = start + int(self.rng.integers(0, max(1, last - start)))
            per["afstand"][p] = 1 if self.rng.random() < 0.6 else 0
        self.not_in_view_persons = chosen
        self.built["onvoldoende_in_beeld"] = len(chosen)

    def onoverbrugbaar(self) -> None:
        per = self.per
        cand = np.flatnonzero((per["kind"] > 0) & ~per["deleted"] & ~per["reserved"])
        chosen = self.rng.choice(cand, int(round(len(cand) * C.SH_ONOVERBRUGBAAR)), replace=False)
        per["reserved"][chosen] = True
        per["afstand"][chosen] = 2
        per["route"][chosen] = 4
        per["contact_interval"][chosen] = self.rng.integers(200, 500, len(chosen))
        rest = np.flatnonzero((per["kind"] > 0) & ~per["deleted"] & ~per["reserved"])
        per["afstand"][rest] = np.where(self.rng.random(len(rest)) < 0.7, 1, 0)

    def vip(self) -> None:
        """VIP (Vluchtelingenwerk): 15 started in 2017-09, 7 of them on to Startbaan in 2018-01; as
        of 2018-05 one works 24 hours a week, four have a stage, two a BBL course."""
        n_vip, n_sb = self.n("vip"), self.n("vip_startbaan")
        n_werk, n_stage, n_bbl = self.n("vip_werk"), self.n("vip_stage"), self.n("vip_bbl")
        people = []
        for i in range(n_vip):
            aanmeld = self.day_between("2017-08-01", "2017-08-25")
            p = self.pick(aanmeld, "VIP", until=day_of("2017-09-30"))
            self.special(p)
            people.append((p, aanmeld))
        for i, (p, aanmeld) in enumerate(people):
            start = self.day_between("2017-09-11", "2017-09-15")
            if i < n_werk:
                special = ("WERK", self.day_between("2018-03-01", "2018-04-30"), 24)
            elif i < n_werk + n_stage:
                special = ("STAGE", self.day_between("2018-02-01", "2018-05-15"), 0)
            elif i < n_werk + n_stage + n_bbl:
                special = ("BBL", self.day_between("2018-02-01", "2018-02-28"), 0)
            else:
                special = None
            to_startbaan = i < n_sb
            if to_startbaan:
                vip_end = day_of("2017-12-22")
                self.add("vluchtelingenwerk", "VIP", p, aanmeld, start, vip_end, [(vip_end, "AFGEROND", 0)])
                sb_aanmeld = self.day_between("2017-12-04", "2017-12-15")
                sb_start = self.day_between("2018-01-08", "2018-01-19")
                outcomes = [] if special is None else [(special[1], special[0], special[2])]
                sb_end = special[1] if special and special[0] == "WERK" else NONE
                self.add("vluchtelingenwerk", "STARTBAAN", p, sb_aanmeld, sb_start, sb_end, outcomes)
            elif special is not None:
                end = special[1] if special[0] == "WERK" else NONE
                self.add("vluchtelingenwerk", "VIP", p, aanmeld, start, end, [(special[1], special[0], special[2])])
            else:
                u = self.rng.random()
                if u < 0.4:
                    d = day_of("2017-12-22")
                    self.add("vluchtelingenwerk", "VIP", p, aanmeld, start, d, [(d, "AFGEROND", 0)])
                elif u < 0.6:
                    d = self.day_between("2017-10-15", "2017-11-30")
                    self.add("vluchtelingenwerk", "VIP", p, aanmeld, start, d, [(d, "UITGEVALLEN", 0)])
                else:
                    self.add("vluchtelingenwerk", "VIP", p, aanmeld, start)
        # a second VIP group from 2018-04: not the memo's September 2017 group
        for _ in range(self.n(6)):
            aanmeld = self.day_between("2018-03-01", "2018-03-28")
            p = self.pick(aanmeld, "VIP")
            self.add("vluchtelingenwerk", "VIP", p, aanmeld, self.day_between("2018-04-09", "2018-04-13"))

    def uaf_before_advies(self) -> set[int]:
        """UAF since the 2015 covenant: 2016 registrations (before the advisory team) and a few
        early in 2017; HBO/WO starts in 2016 and 2017, stages, two who left study for work."""
        hbo16 = self.n("start_hbo_wo_2016")
        hbo17_after_advies = self.n(4)
        hbo17_here = max(self.n("start_hbo_wo_2017") - hbo17_after_advies, self.n("uaf_werk"))
        self.hbo17_after_advies = self.n("start_hbo_wo_2017") - hbo17_here
        n_stage, n_werk = self.n("uaf_stage"), self.n("uaf_werk")
        plan = (["hbo16"] * hbo16 + ["hbo17werk"] * n_werk + ["hbo17"] * (hbo17_here - n_werk)
                + ["stage"] * n_stage + ["lopend"] * self.n(4))
        persons = set()
        for what in plan:
            aanmeld = self.day_between("2016-01-11", "2016-06-30")
            p = self.pick(aanmeld, "UAF", extra=lambda q: self.age_of(q, aanmeld) < 40)
            self.special(p)
            persons.add(p)
            start = aanmeld + int(self.rng.integers(14, 40))
            if what == "hbo16":
                outcomes, end = [(self.day_between("2016-09-01", "2016-09-15"), "OPLEIDING_HBO_WO", 0)], NONE
            elif what in ("hbo17", "hbo17werk"):
                outcomes, end = [(self.day_between("2017-09-01", "2017-09-15"), "OPLEIDING_HBO_WO", 0)], NONE
                if what == "hbo17werk":  # "twee cliënten hebben werk gevonden en zijn gestopt met hun studie"
                    d = self.day_between("2018-03-01", "2018-04-30")
                    outcomes.append((d, "WERK", 32))
                    end = d
            elif what == "stage":
                outcomes, end = [(self.day_between("2017-03-01", "2018-04-30"), "STAGE", 0)], NONE
            else:
                outcomes, end = [], NONE
            self.add("uaf", "UAF", p, aanmeld, start, end, outcomes, route=EDUCATION)
        for _ in range(self.n(4)):  # early 2017, before the advisory team existed
            aanmeld = self.day_between("2017-01-05", "2017-02-24")
            p = self.pick(aanmeld, "UAF", extra=lambda q: self.age_of(q, aanmeld) < 40)
            persons.add(p)
            self.add("uaf", "UAF", p, aanmeld, aanmeld + int(self.rng.integers(14, 40)), route=EDUCATION)
        return persons

    def advies_onderwijs(self, exclude: set[int]) -> list[tuple[int, int, int]]:
        """Advisory team: a few talks in 2017-03/04 (outside the memo's May-to-May count), then 192
        from 2017-05-01 to 2018-05-31. Returns (person, aanmelddatum, outcome day)."""
        taken = np.zeros(len(self.per["bsn"]), dtype=bool)
        taken[list(exclude)] = True
        out = []
        plan = [("2017-03-01", "2017-04-28")] * self.n(12) + [("2017-05-01", "2018-05-31")] * self.n("advies_onderwijs")
        for first, last in plan:
            aanmeld = self.day_between(first, last)
            p = self.pick(aanmeld, "ADVIES_ONDERWIJS", extra=lambda q: not taken[q] and self.age_of(q, aanmeld) < 45)
            taken[p] = True
            start = aanmeld + int(self.rng.integers(7, 28))
            out.append((p, aanmeld, start))
        self.advies_outcome = {}
        self._advies_rows = {}
        for p, aanmeld, start in out:
            self._advies_rows[p] = (aanmeld, start)
        return out

    def _write_advies(self, referred: set[int]) -> None:
        for p, (aanmeld, start) in self._advies_rows.items():
            code = "DOORVERWEZEN" if (p in referred or self.rng.random() < 0.3) else "AFGEROND"
            self.add("adviesteam", "ADVIES_ONDERWIJS", p, aanmeld, start, start, [(start, code, 0)],
                     route=EDUCATION)

    def uaf_after_advies(self, advies) -> None:
        """57 UAF registrations after an advisory talk; 4 start HBO/WO in 2017-09, 13 in 2018."""
        n_total, n17, n18 = self.n("aanmelding_uaf"), self.hbo17_after_advies, self.n("start_hbo_wo_2018")
        by_date = sorted(advies, key=lambda r: r[1])
        early = [r for r in by_date if r[1] <= day_of("2017-07-20")]
        mid = [r for r in by_date if r[1] <= day_of("2017-12-01")]
        late = [r for r in by_date if r[1] <= day_of("2018-04-20")]
        chosen: list[tuple[tuple, str]] = []
        used = set()

        def take(pool, k, what):
            pool = [r for r in pool if r[0] not in used]
            idx = self.rng.choice(len(pool), k, replace=False)
            for i in sorted(idx):
                used.add(pool[i][0])
                chosen.append((pool[i], what))

        take(early, n17, "hbo17")
        take(mid, n18, "hbo18")
        take(late, n_total - n17 - n18, "lopend")
        self.uaf_referred = used
        for (p, adv_aanmeld, _), what in chosen:
            aanmeld = adv_aanmeld + int(self.rng.integers(21, 35))
            start = aanmeld + int(self.rng.integers(14, 40))
            if what == "hbo17":
                outcomes = [(self.day_between("2017-09-01", "2017-09-15"), "OPLEIDING_HBO_WO", 0)]
                self.special(p)
            elif what == "hbo18":
                outcomes = [(max(start, self.day_between("2018-01-15", "2018-05-20")), "OPLEIDING_HBO_WO", 0)]
                self.special(p)
            else:
                outcomes = []
            self.add("uaf", "UAF", p, aanmeld, start, NONE, outcomes, route=EDUCATION)

    def timnit(self) -> dict[int, int]:
        """Timnit (Eritreans only), registered in 2017: as of 2018-05 12 in a Nova voorschakel,
        one works, one proposed to an employer, one on hold, 27 still running.
        Returns person -> the Nova start day for the 12."""
        eri = self.per["nat"] == NAT["ERI"]
        n_vs = self.n("timnit_voorschakel")
        n_vs_sept = min(self.n(5), n_vs)
        plan = (["vs_sept"] * n_vs_sept + ["vs_feb"] * (n_vs - n_vs_sept) + ["werk"] * self.n("timnit_werk")
                + ["voorgesteld"] * self.n("timnit_voorgesteld") + ["on_hold"] * self.n("timnit_on_hold")
                + ["lopend"] * self.n("timnit_lopend"))
        nova_start = {}
        self.redelivery_row = -1
        for what in plan:
            last = "2017-07-31" if what == "vs_sept" else "2017-10-31"
            aanmeld = self.day_between("2017-03-01", last)
            p = self.pick(aanmeld, "TIMNIT", extra=eri)
            start = aanmeld + int(self.rng.integers(7, 30))
            end = NONE
            if what == "vs_sept":
                d = day_of("2017-09-04")
                outcomes, nova_start[p] = [(d, "VOORSCHAKEL", 0)], d
            elif what == "vs_feb":
                d = day_of("2018-02-05")
                outcomes, nova_start[p] = [(d, "VOORSCHAKEL", 0)], d
            elif what == "werk":
                d = self.day_between("2018-03-01", "2018-03-31")
                outcomes, end = [(d, "WERK", 20)], d
            elif what == "voorgesteld":
                outcomes = [(self.day_between("2018-04-01", "2018-04-30"), "VOORGESTELD", 0)]
            elif what == "on_hold":
                outcomes = [(self.day_between("2018-02-01", "2018-02-28"), "ON_HOLD", 0)]
            else:
                outcomes = []
            idx = self.add("timnit", "TIMNIT", p, aanmeld, start, end, outcomes)
            if what == "lopend" and self.redelivery_row < 0 and aanmeld < day_of("2017-10-01"):
                # the superseded first version of the re-delivered month shows this one as STAGE
                self.redelivery_row = idx
                self.special(p)
        self.b.redelivery_row = self.redelivery_row
        return nova_start

    def nova(self, advies, timnit_start: dict[int, int]) -> None:
        """Nova college voorschakel: intakes in September 2017 and February 2018; 53 started (12 of
        them from Timnit) and 9 in the care variant; a few registered for September 2018."""
        sept, feb = day_of("2017-09-04"), day_of("2018-02-05")
        n_vs, n_zorg = self.n("voorschakel_nova"), self.n("voorschakel_zorg")
        others = n_vs - len(timnit_start)
        o_sept = int(round(others * 0.55))
        z_sept = min(self.n(4), n_zorg)
        plan = ([("VOORSCHAKEL", sept)] * o_sept + [("VOORSCHAKEL", feb)] * (others - o_sept)
                + [("VOORSCHAKEL_ZORG", sept)] * z_sept + [("VOORSCHAKEL_ZORG", feb)] * (n_zorg - z_sept)
                + [("VOORSCHAKEL", NONE)] * self.n(8) + [("VOORSCHAKEL_ZORG", NONE)] * self.n(2))
        referred = set(self.uaf_referred)
        pool = [r for r in advies if r[0] not in referred]
        order = self.rng.permutation(len(pool))
        pool = [pool[i] for i in order]
        pool_person = np.array([p for p, a, o in pool], dtype=np.int64)
        pool_talk = np.array([o for p, a, o in pool], dtype=np.int64)
        free = np.ones(len(pool), dtype=bool)
        for p, start in timnit_start.items():
            aanmeld = start - int(self.rng.integers(30, 80))
            self.add("nova", "VOORSCHAKEL", p, aanmeld, start, NONE, self._nova_outcomes(start), route=EDUCATION)
        for init, start in plan:
            if start == NONE:
                aanmeld = self.day_between("2018-04-02", "2018-05-18")
                intake = day_of("2018-09-03")
            else:
                aanmeld = start - int(self.rng.integers(30, 80))
                intake = start
            # the first advised person in pool order not used yet (nor in this initiative), advised
            # before this registration and on benefit then (numpy for the masks: a Python scan was
            # quadratic at scale 100)
            fresh = free & (pool_talk < aanmeld) & ~self.in_initiative[I[init]][pool_person]
            p = next((int(q) for q in pool_person[fresh] if self.benefit_on(int(q), aanmeld)), None)
            if p is not None:
                referred.add(p)
            else:
                p = self.pick(aanmeld, init, extra=lambda q: self.age_of(q, aanmeld) < 45)
            free[pool_person == p] = False
            outcomes = self._nova_outcomes(intake) if start != NONE else []
            self.add("nova", init, p, aanmeld, intake, NONE, outcomes, route=EDUCATION)
        # the advisory talks, now that we know who was referred on (UAF, Nova)
        self._write_advies(referred)

    def _nova_outcomes(self, start: int):
        if self.rng.random() < 0.1:
            return [(start + int(self.rng.integers(30, 120)), "UITGEVALLEN", 0)]
        return []

    def leerwerkstage(self) -> None:
        """Werkgeversservicepunt pilot from 2017-07: 71 trajectories, 6 placed (work), 27 stages."""
        n_total, n_werk, n_stage = self.n("leerwerkstage"), self.n("leerwerkstage_werk"), self.n("leerwerkstage_stage")
        plan = ["werk"] * n_werk + ["stage"] * n_stage + ["rest"] * (n_total - n_werk - n_stage)
        for what in plan:
            last = "2017-12-15" if what == "werk" else ("2018-03-31" if what == "stage" else "2018-05-20")
            aanmeld = self.day_between("2017-07-03", last)
            p = self.pick(aanmeld, "LEERWERKSTAGE")
            start = aanmeld + int(self.rng.integers(7, 30))
            end = NONE
            if what == "werk":
                d = max(start + 14, self.day_between("2017-10-01", "2018-01-31"))
                outcomes, end = [(d, "WERK", int(self.rng.integers(16, 36)))], d
            elif what == "stage":
                self.special(p)
                # reached by 2018-05 (a late registration's stage would otherwise fall after the memo)
                outcomes = [(min(start + int(self.rng.integers(20, 60)), day_of("2018-05-31")), "STAGE", 0)]
            else:
                u = self.rng.random()
                d = start + int(self.rng.integers(30, 120))
                if u < 0.15 and d <= day_of("2018-05-31"):
                    outcomes, end = [(d, "UITGEVALLEN", 0)], d
                else:
                    outcomes = []
            self.add("wsp", "LEERWERKSTAGE", p, aanmeld, start, end, outcomes)

    def assessment(self) -> None:
        """The assessment of new statushouders from 2018 on (the sluitende aanpak): 31 held in
        2018-01..05, first for those settled in 2018 (within weeks of settling), then for late-2017
        settlers; a few registered in May and not yet held. The case system shows the date."""
        per = self.per
        n_total = self.n("assessment")
        done = 0
        for first, last in (("2018-01-01", "2018-05-31"), ("2017-10-01", "2017-12-31")):
            settled = self.sh & (per["settle"] >= day_of(first)) & (per["settle"] <= day_of(last)) & ~per["reserved"]
            order = np.flatnonzero(settled)
            order = order[np.argsort(per["settle"][order], kind="stable")]
            for p in order:
                if done >= n_total:
                    break
                start = max(int(per["settle"][p]) + int(self.rng.integers(14, 45)),
                            self.day_between("2018-01-08", "2018-02-28"))
                if start > day_of("2018-05-31") or not self.benefit_on(int(p), start):
                    continue
                self._assess(int(p), start)
                done += 1
        while done < n_total:  # the catch-up: older statushouders
            start = self.day_between("2018-01-08", "2018-05-31")
            p = self.pick(start, "ASSESSMENT", extra=(per["assessment"] == NONE))
            self._assess(p, start)
            done += 1
        for _ in range(self.n(3)):
            aanmeld = self.day_between("2018-05-14", "2018-05-31")
            p = self.pick(aanmeld, "ASSESSMENT", extra=(per["assessment"] == NONE))
            self.add("gemeente", "ASSESSMENT", p, aanmeld, day_of("2018-06-11"))
        self.built["assessment"] = n_total

    def _assess(self, p: int, start: int) -> None:
        aanmeld = start - int(self.rng.integers(7, 21))
        self.add("gemeente", "ASSESSMENT", p, aanmeld, start, start, [(start, "AFGEROND", 0)], empty_lopend=False)
        self.per["assessment"][p] = start
        self.per["pva"][p] = start + int(self.rng.integers(7, 30))

    def _legacy_outcomes(self, aanmeld: int, start: int, allow_stage: bool):
        u = self.rng.random()
        if u < 0.15:
            d = start + int(self.rng.integers(60, 300))
            return [(d, "WERK", int(self.rng.integers(12, 38)))], d
        if allow_stage and u < 0.25:
            return [(start + int(self.rng.integers(30, 200)), "STAGE", 0)], NONE
        if u < 0.45:
            d = start + int(self.rng.integers(30, 200))
            return [(d, "UITGEVALLEN", 0)], d
        if u < 0.65:
            d = start + int(self.rng.integers(180, 365))
            return [(d, "AFGEROND", 0)], d
        return [], NONE

    def agros_pasmatch_statushouders(self) -> None:
        """Regular contracts: statushouders registered at Agros and Pasmatch before 2017, in 2017
        (the memo's 86 and 47) and a few in 2018; never a STAGE for them."""
        plan = []
        for partner, init, before, in2017, in2018 in (
                ("agros", "AGROS", C.SH_AGROS_BEFORE_2017, C.MEMO["aanmelding_agros"], C.SH_AGROS_2018),
                ("pasmatch", "PASMATCH", C.SH_PASMATCH_BEFORE_2017, C.MEMO["aanmelding_pasmatch"], C.SH_PASMATCH_2018)):
            plan += [(partner, init, "2014-06-02", "2016-12-30")] * self.n(before)
            plan += [(partner, init, "2017-01-02", "2017-12-29")] * self.n(in2017)
            plan += [(partner, init, "2018-01-08", "2018-04-30")] * self.n(in2018)
        for partner, init, first, last in plan:
            aanmeld = self.day_between(first, last)
            p = self.pick(aanmeld, init, optional=first < "2017")
            if p < 0:
                continue
            start = aanmeld + int(self.rng.integers(7, 40))
            outcomes, end = self._legacy_outcomes(aanmeld, start, allow_stage=False)
            lag = int(self.rng.random() < 0.3)  # reported the month after registration
            self.add(partner, init, p, aanmeld, start, end, outcomes, lag=lag)

    def aan_de_slag(self) -> None:
        """Aan de slag (2018): 102 delivered by 2018-05, chosen so that exactly 200 statushouders on
        bijstand in 2018-05 have an Agros, Pasmatch or Aan de slag trajectory."""
        tr = self.b.traj.freeze()
        may = month_no(C.CALIBRATION_MONTH)
        in_may = self.in_month(may)
        ap = np.isin(tr["init"], [I["AGROS"], I["PASMATCH"]]) & (tr["visible"] <= may) & (tr["person"] >= 0)
        base = np.zeros(len(self.per["bsn"]), dtype=bool)
        base[tr["person"][ap]] = True
        base &= in_may & self.sh
        n_ads = self.n("aanmelding_aan_de_slag")
        new_needed = self.n("aangemeld_reintegratiepartners") - int(base.sum())
        new_needed = min(max(new_needed, 0), n_ads)
        from_base = n_ads - new_needed
        taken = np.zeros(len(self.per["bsn"]), dtype=bool)
        may_day = month_first_day(may)
        for i in range(n_ads):
            aanmeld = self.day_between("2018-01-08", "2018-05-25")
            group = base if i < from_base else (~base)
            p = self.pick(aanmeld, "AAN_DE_SLAG", extra=group & ~taken & in_may, until=max(aanmeld, may_day))
            taken[p] = True
            self._ads(p, aanmeld)
        union = base | (taken & in_may)
        for _ in range(self.n(4)):  # registered at the end of May, first delivered in June
            aanmeld = self.day_between("2018-05-28", "2018-05-31")
            p = self.pick(aanmeld, "AAN_DE_SLAG", extra=~taken)
            taken[p] = True
            self._ads(p, aanmeld, lag=1)
        self.built["aangemeld_reintegratiepartners"] = int((union & self.sh).sum())

    def _ads(self, p: int, aanmeld: int, lag: int = 0) -> None:
        start = aanmeld + int(self.rng.integers(7, 25))
        u = self.rng.random()
        if u < 0.1:
            outcomes, end = [(start + int(self.rng.integers(20, 60)), "VOORGESTELD", 0)], NONE
        elif u < 0.13:
            d = start + int(self.rng.integers(30, 90))
            outcomes, end = [(d, "WERK", int(self.rng.integers(16, 32)))], d
        elif u < 0.18:
            d = start + int(self.rng.integers(20, 60))
            outcomes, end = [(d, "UITGEVALLEN", 0)], d
        else:
            outcomes, end = [], NONE
        self.add("aandeslag", "AAN_DE_SLAG", p, aanmeld, start, end, outcomes, lag=lag)

    def sur_atelier(self) -> None:
        """Sur Atelier beside another trajectory (the memo's dual trajectories): seven registered in
        2017-Q3, a few later."""
        tr = self.b.traj.freeze()
        has_other = np.zeros(len(self.per["bsn"]), dtype=bool)
        has_other[tr["person"][tr["person"] >= 0]] = True
        women = self.per["gender"] == 2
        for first, last, k in (("2017-07-03", "2017-09-29", self.n("sur_atelier")), ("2017-10-02", "2018-03-30", self.n(3))):
            for _ in range(k):
                aanmeld = self.day_between(first, last)
                p = self.pick(aanmeld, "SUR_ATELIER", extra=has_other, prefer=women, allow_special=True)
                self.add("sur_atelier", "SUR_ATELIER", p, aanmeld, aanmeld + int(self.rng.integers(7, 21)))

    def other_clients_at_partners(self) -> None:
        """Agros and Pasmatch serve every client: a monthly flow of other clients (and a few never on
        bijstand here), in whose rows the partner faults sit."""
        per, sp, mem = self.per, self.sp, self.mem
        other = (per["kind"] == KIND_OTHER) & ~per["deleted"]
        rng = self.rng
        for partner, init, rate in (("agros", "AGROS", C.AGROS_OTHER_REGISTRATIONS_PER_MONTH),
                                    ("pasmatch", "PASMATCH", C.PASMATCH_OTHER_REGISTRATIONS_PER_MONTH)):
            for m in range(self.b.world_start, self.b.horizon + 1):
                d0, d1 = month_first_day(m), month_last_day(m)
                pool = np.flatnonzero(other & self.on_benefit(d0))
                k = rng.poisson(rate * self.s)
                for _ in range(k):
                    aanmeld = d0 + int(rng.integers(0, d1 - d0 + 1))
                    p = int(rng.choice(pool)) if rng.random() > C.PARTNER_UNKNOWN_CLIENT else -1
                    start = aanmeld + int(rng.integers(7, 40))
                    outcomes, end = self._legacy_outcomes(aanmeld, start, allow_stage=True)
                    if rng.random() < C.FAULTS["unknown_code_partner_row"] and outcomes:
                        outcomes = [(outcomes[0][0], "GESTOPT", 0)]
                    idx = self.add(partner, init, p, aanmeld, start, end, outcomes, lag=int(rng.random() < 0.3),
                                   empty_lopend=False)
                    cols = self.b.traj._rows
                    j = idx - (len(self.b.traj) - len(cols["bsn"]))
                    if rng.random() < C.FAULTS["trajectory_dates_inconsistent"]:
                        cols["dates_fault"][j] = True
                        if end != NONE and rng.random() < 0.5:
                            cols["end"][j] = start - int(rng.integers(1, 30))
                            cols["o1d"][j] = cols["end"][j]
                        else:
                            cols["start"][j] = aanmeld - int(rng.integers(1, 30))
                    if rng.random() < C.FAULTS["bsn_invalid_partner_row"]:
                        cols["bsn_written"][j] = int(mistype(np.array([cols["bsn"][j]]), rng)[0])

    def add_continuing(self, partner: str, init: str, p: int, aanmeld: int) -> int:
        """A registration after the memo (outflow.after_memo); returns the start day. The plan
        van aanpak comes with the trajectory when the person has none yet."""
        if init == "ADVIES_ONDERWIJS":
            start = aanmeld + int(self.rng.integers(7, 28))
            code = "DOORVERWEZEN" if self.rng.random() < 0.3 else "AFGEROND"
            outcomes, end = [(start, code, 0)], start
        elif init == "UAF":
            start, outcomes, end = aanmeld + int(self.rng.integers(14, 40)), [], NONE
        elif init == "AAN_DE_SLAG":
            start = aanmeld + int(self.rng.integers(7, 25))
            outcomes, end = self._legacy_outcomes(aanmeld, start, allow_stage=False)
        else:
            start = aanmeld + int(self.rng.integers(7, 40))
            outcomes, end = self._legacy_outcomes(aanmeld, start, allow_stage=init == "LEERWERKSTAGE")
        route = WORK if init in ("AGROS", "PASMATCH", "AAN_DE_SLAG", "LEERWERKSTAGE") else EDUCATION
        # without `needed_until`: endings of the months before are drawn already, the month-by-month
        # order keeps this one on bijstand at its registration
        self.add(partner, init, p, aanmeld, start, end, outcomes, route=route, needed=False)
        if self.per["pva"][p] == NONE:
            self.per["pva"][p] = aanmeld - int(self.rng.integers(7, 30))
            self.per["route"][p] = route
        return start

    # ------------------------------------------------------------------ the case system
    def klantbeeld(self) -> None:
        """Plans (plan van aanpak) and routes: the inhaalslag from mid-2017 gives most statushouders
        a plan; trajectories come with one; the clients not in view have none."""
        per = self.per
        has_traj = self.first_traj != NONE
        sh_any = (per["kind"] > 0) & ~per["deleted"]
        free = sh_any & ~per["reserved"] & (per["pva"] == NONE)
        t = free & has_traj
        per["pva"][t] = np.maximum(self.first_traj[t] - self.rng.integers(7, 30, int(t.sum())), per["contact_start"][t])
        per["route"][t] = self.first_route[t]
        rest = np.flatnonzero(free & ~has_traj & (self.rng.random(len(free)) < 0.6))
        lo = np.maximum(per["contact_start"][rest] + 30, day_of("2017-06-01"))
        per["pva"][rest] = lo + (self.rng.random(len(rest)) * np.maximum(day_of("2018-05-31") - lo, 1)).astype(np.int64)
        per["route"][rest] = self.rng.choice([1, 2, 3], len(rest), p=(0.5, 0.2, 0.3))
        oo = np.flatnonzero(sh_any & (per["afstand"] == 2) & (self.rng.random(len(free)) < 0.5))
        per["pva"][oo] = per["contact_start"][oo] + self.rng.integers(30, 300, len(oo))
