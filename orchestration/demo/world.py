"""Build the whole synthetic world for (seed, scale, horizon): population, benefits, the memo's
plan, caseworkers; plus `truth`, the figures it was built to give (written into the marker)."""
from __future__ import annotations

import math

import numpy as np

from . import constants as C
from .dates import NONE, month_first_day, month_last_day, month_no, months_of_days
from .outflow import after_memo, memo_slots_leaving_may, plan_memo_slots
from .plan import Planner
from .population import KENMERK_J, KIND_SH_REGISTERED, KIND_SH_TITLE, Builder, World, n_scaled


def build_world(seed: int, scale: float, horizon: int) -> World:
    b = Builder(seed, scale, horizon)
    b.build_other_clients()
    b.add_eenmalig()
    b.build_statushouders()
    memo_slots = plan_memo_slots(b)
    b.calibrate_caseload(leaving=memo_slots_leaving_may(memo_slots))
    b.finish_benefits()
    planner = Planner(b, memo_slots)
    planner.run()
    after_memo(planner)
    b.add_bijzondere_bijstand()
    b.finish_benefits()
    b.traj.freeze()
    b.persons.freeze()
    world = World(seed=seed, scale=scale, horizon=horizon, persons=b.persons, spells=b.spells,
                  members=b.members, trajectories=b.traj, redelivery_row=b.redelivery_row)
    world.truth = dict(planner.built)
    world.outflow = {"before": b.before_outflow, "needed_until": planner.needed_until, "memo": planner.memo_outflow}
    _statushouder_flags(world)
    _caseworkers(world)
    _planned_figures(world)
    return world


def _statushouder_flags(world: World) -> None:
    """Who the mart contract will call a statushouder: an asylum title in the BRP extract, or a
    `J` in some delivered row (registered-only persons whose benefits ended before their flag
    was set are not)."""
    per, sp, mem = world.persons.cols, world.spells.cols, world.members.cols
    last_month = np.minimum(np.where(sp["end"] == NONE, world.horizon, months_of_days(sp["end"])),
                            np.where(sp["vanish"] == NONE, world.horizon, sp["vanish"]))
    last_month = np.where(sp["deleted"], -1, last_month)
    person_last = np.full(len(per["bsn"]), -1, dtype=np.int64)
    np.maximum.at(person_last, mem["person"], last_month[mem["spell"]])
    registered = (per["kind"] == KIND_SH_REGISTERED) & (per["kenmerk"] == KENMERK_J) & (per["kenmerk_from"] <= person_last)
    title = per["kind"] == KIND_SH_TITLE
    per_sh = (title | registered) & ~per["deleted"]
    world.sh_def = per_sh


def caseload_by_month(world: World) -> dict[int, int]:
    """Statushouders with a 01 row per delivery month (what caseload_monthly will count)."""
    sp, mem = world.spells.cols, world.members.cols
    # only statushouders' memberships, and a mark per person instead of np.unique: at scale 100
    # the unique of every month's members cost 20 s
    sh_rows = world.sh_def[mem["person"]]
    spell, person = mem["spell"][sh_rows], mem["person"][sh_rows]
    mark = np.zeros(len(world.sh_def), dtype=bool)
    out = {}
    for m in range(month_no(C.WORLD_START), world.horizon + 1):
        d0, d1 = month_first_day(m), month_last_day(m)
        live = (~sp["deleted"] & (sp["code"] == 0) & (sp["start"] <= d1)
                & ((sp["end"] == NONE) | (sp["end"] >= d0)) & ((sp["vanish"] == NONE) | (sp["vanish"] >= m)))
        mark[:] = False
        mark[person[live[spell]]] = True
        out[m] = int(mark.sum())
    return out


def _ratio(m: int) -> float:
    points = sorted((month_no(k), v) for k, v in C.TEAM_CLIENTS_PER_FTE.items())
    if m <= points[0][0]:
        return points[0][1]
    for (m0, v0), (m1, v1) in zip(points, points[1:]):
        if m0 <= m <= m1:
            return v0 + (v1 - v0) * (m - m0) / (m1 - m0)
    return points[-1][1]


def _caseworkers(world: World) -> None:
    """formatie.csv per month: the other teams at a fixed strength, the team statushouders from
    2016-04 sized to the caseload per FTE the memo describes (80 by mid-2017)."""
    caseload = caseload_by_month(world)
    world.truth["caseload_by_month"] = caseload
    pattern = [100, 89, 78, 100, 67, 100, 89, 56, 100, 78]
    next_id = 1
    other = []
    for team, count in C.OTHER_TEAMS:
        for i in range(max(1, math.ceil(count * world.scale))):
            other.append((team, f"KM{next_id:05d}", pattern[i % len(pattern)]))
            next_id += 1
    team_ids = []
    team_start = month_no(C.TEAM_STATUSHOUDERS_START)
    world.other_caseworkers = [km for _, km, _ in other]
    world.team_by_month = {}
    for m in range(month_no(C.WORLD_START), world.horizon + 1):
        rows = list(other)
        members = []
        if m >= team_start:
            fte_hundredths = max(50, round(caseload[m] / _ratio(m) * 100))
            n = max(1, math.ceil(fte_hundredths / 89))
            while len(team_ids) < n:
                team_ids.append(f"KM{next_id:05d}")
                next_id += 1
            base, extra = divmod(fte_hundredths, n)
            for i in range(n):
                rows.append(("statushouders", team_ids[i], base + (1 if i < extra else 0)))
                members.append(team_ids[i])
        world.caseworkers[m] = rows
        world.team_by_month[m] = members
    july17 = month_no("2017-07")
    team_fte = sum(f for t, _, f in world.caseworkers[july17] if t == "statushouders") / 100
    world.truth["caseload_per_klantmanager"] = round(caseload[july17] / team_fte, 2)


def _planned_figures(world: World) -> None:
    """The memo figures the data was built to give (at scale 1: the memo's own numbers)."""
    s = world.scale
    n = {k: n_scaled(v, s) for k, v in C.MEMO.items() if k != "caseload_per_klantmanager"}
    t = world.truth
    figures = {
        "statushouders_in_bijstand": n["statushouders_in_bijstand"],
        "statushouders_alleenstaand": n["statushouders_alleenstaand"],
        "statushouders_gezin": n["statushouders_in_bijstand"] - n["statushouders_alleenstaand"],
        "uitkering_beeindigd_werk_studie": (n["uitstroom_werk_2017"] + n["uitstroom_werk_2018"]
                                            + n["uitstroom_studie_2017"] + n["uitstroom_studie_2018"]),
        "uitkering_beeindigd_werk": n["uitstroom_werk_2017"] + n["uitstroom_werk_2018"],
        "uitkering_beeindigd_studie": n["uitstroom_studie_2017"] + n["uitstroom_studie_2018"],
        "uitstroom_werk_2017": n["uitstroom_werk_2017"],
        "uitstroom_studie_2017": n["uitstroom_studie_2017"],
        "uitstroom_werk_2018": n["uitstroom_werk_2018"],
        "uitstroom_studie_2018": n["uitstroom_studie_2018"],
        "aangemeld_reintegratiepartners": t["aangemeld_reintegratiepartners"],
        "onvoldoende_in_beeld": t["onvoldoende_in_beeld"],
        "advies_onderwijs": n["advies_onderwijs"],
        "aanmelding_uaf": n["aanmelding_uaf"],
        "toeleiden_werk": n["aanmelding_agros"] + n["aanmelding_pasmatch"] + n["aanmelding_aan_de_slag"],
        "aanmelding_agros": n["aanmelding_agros"],
        "aanmelding_pasmatch": n["aanmelding_pasmatch"],
        "aanmelding_aan_de_slag": n["aanmelding_aan_de_slag"],
        "timnit": (n["timnit_voorschakel"] + n["timnit_werk"] + n["timnit_voorgesteld"] + n["timnit_on_hold"]
                   + n["timnit_lopend"]),
        "timnit_voorschakel": n["timnit_voorschakel"],
        "timnit_werk": n["timnit_werk"],
        "timnit_voorgesteld": n["timnit_voorgesteld"],
        "timnit_on_hold": n["timnit_on_hold"],
        "timnit_lopend": n["timnit_lopend"],
        "vip": n["vip"],
        "vip_startbaan": n["vip_startbaan"],
        "vip_werk": n["vip_werk"],
        "vip_stage": n["vip_stage"],
        "vip_bbl": n["vip_bbl"],
        "leerwerkstage": n["leerwerkstage"],
        "assessment": n["assessment"],
        "sur_atelier": n["sur_atelier"],
        "voorschakel_nova": n["voorschakel_nova"],
        "voorschakel_zorg": n["voorschakel_zorg"],
        "start_hbo_wo": n["start_hbo_wo_2016"] + n["start_hbo_wo_2017"] + n["start_hbo_wo_2018"],
        "start_hbo_wo_2016": n["start_hbo_wo_2016"],
        "start_hbo_wo_2017": n["start_hbo_wo_2017"],
        "start_hbo_wo_2018": n["start_hbo_wo_2018"],
        "werk_stageplaatsen": n["vip_stage"] + n["leerwerkstage_stage"] + n["uaf_stage"],
        "start_bbl": n["vip_bbl"],
        "caseload_per_klantmanager": t["caseload_per_klantmanager"],
    }
    world.figures = figures
