"""`statmon demo-data`: write the synthetic world month by month as the landing contract's
deliveries. The world (persons' state, benefit spells, trajectories) is held as numpy columns;
rows exist only for the month being written, so memory is linear in one month's output."""
from __future__ import annotations

import datetime as dt
import json
import time
import zlib
from pathlib import Path

import numpy as np

from . import constants as C
from .bsn import mistype, text9
from .dates import NONE, dmy, iso, month_first_day, month_last_day, month_no, month_text, months_of_days, ymd_compact
from .population import (AFSTANDEN, INITIATIVES, KIND_OTHER, NATIONALITIES, OUTCOMES,
                         P, PARTNER_FIRST_MONTH, PARTNERS, REDENEN, ROUTES, STATISTIEKCODES, TITLES, World)
from .outflow import expected_effects
from .world import build_world
from .writers import PARTNER_DIALECTS, PASMATCH_REMARKS, set_mtime, write_csv, write_partner

UITKERINGEN_HEADER = ["statistiekjaar", "statistiekmaand", "registratienummer_uitkering", "statistiekcode", "bsn",
                      "geboortedatum", "geslacht", "leefvorm", "aanvangsdatum_uitkering", "einddatum_uitkering",
                      "reden_beeindiging", "kenmerk_statushouder", "klantmanager_id"]
BRP_HEADER = ["bsn", "geboortedatum", "geslacht", "nationaliteit", "verblijfstitel", "datum_ingang_verblijfstitel",
              "datum_vestiging_gemeente"]
KLANTBEELD_HEADER = ["bsn", "klantmanager_id", "assessment_datum", "plan_van_aanpak_datum", "advies_route",
                     "afstand_arbeidsmarkt", "laatste_contact_datum"]
FORMATIE_HEADER = ["maand", "team", "klantmanager_id", "fte"]
# Months whose benefits export carries a UTF-8 BOM (a new export tool in 2016, again from 2018-03).
UITKERINGEN_BOM = lambda month: "2016-03" <= month <= "2016-12" or month >= "2018-03"  # noqa: E731


def generate(out: Path, scale: float = 1.0, seed: int = 42, start: str = "2014-01", end: str = C.DEFAULT_TO) -> dict:
    """Write demo deliveries for months start..end into out/<YYYY-MM>/ and the demo marker.
    Returns a summary: persons, statushouders, files, bytes, seconds."""
    t0 = time.perf_counter()
    out = Path(out)
    first, last = month_no(start), month_no(end)
    if first < month_no(C.WORLD_START):
        raise ValueError(f"demo data starts at {C.WORLD_START} at the earliest, not {start}")
    if last < first:
        raise ValueError(f"--to {end} is before --from {start}")
    if scale <= 0:
        raise ValueError("scale must be positive")
    # the world is always simulated to at least the default last month: any --from/--to window of
    # it writes exactly the months of the default run
    horizon = max(last, month_no(C.DEFAULT_TO))
    world = build_world(seed, scale, horizon)
    out.mkdir(parents=True, exist_ok=True)
    written = np.zeros(len(world.persons.cols["bsn"]), dtype=bool)
    files = size = 0
    for m in range(first, last + 1):
        f, b = write_month(world, m, out, written)
        files += f
        size += b
    marker = {
        "generator": "statmon demo-data", "version": C.GENERATOR_VERSION, "seed": seed, "scale": float(scale),
        "from": start, "to": end,
        "calibrated": first <= month_no("2014-01") and last >= month_no(C.CALIBRATION_MONTH),
        "figures": world.figures,
        "planted_effects": expected_effects(world, last),
        "faults": {**C.FAULTS, "redelivery": C.REDELIVERY, "missing_partner_delivery": C.MISSING_PARTNER_DELIVERY},
    }
    marker_path = out / C.MARKER_FILE
    marker_path.write_text(json.dumps(marker, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    set_mtime(marker_path, _arrival(last) + dt.timedelta(days=7))
    return {"persons": int(written.sum()), "statushouders": int((written & world.sh_def).sum()),
            "files": files + 1, "bytes": size, "seconds": round(time.perf_counter() - t0, 2)}


def _arrival(m: int) -> dt.datetime:
    """When month m's deliveries 'arrive': the 5th of the next month (their mtime)."""
    return dt.datetime(1970 + (m + 1) // 12, (m + 1) % 12 + 1, 5, 9, 0, 0)


def _rng(world: World, name: str, m: int) -> np.random.Generator:
    return np.random.default_rng([world.seed, zlib.crc32(name.encode()), m])


def write_month(world: World, m: int, out: Path, written: np.ndarray) -> tuple[int, int]:
    month = month_text(m)
    folder = out / month
    folder.mkdir(parents=True, exist_ok=True)
    d0, d1 = month_first_day(m), month_last_day(m)
    arrival = _arrival(m)
    files = size = 0
    persons, km = _uitkeringen(world, m, folder, d0, d1)
    written[persons] = True
    size += (folder / "uitkeringen.csv").stat().st_size
    size += _brp(world, persons, folder)
    size += _klantbeeld(world, persons, km, folder, d1)
    size += _formatie(world, m, folder)
    files += 4
    for partner in PARTNERS:
        f, b = _partner(world, partner, m, folder, d1)
        files += f
        size += b
    for path in sorted(folder.iterdir()):
        set_mtime(path, arrival + (dt.timedelta(days=3) if path.stem.endswith("_v2") else dt.timedelta(0)))
    return files, size


def _klantmanagers(world: World, persons: np.ndarray, m: int) -> np.ndarray:
    per = world.persons.cols
    team = world.team_by_month.get(m, [])
    other = world.other_caseworkers
    key = per["km_general"][persons]
    km = np.array(other, dtype=object)[key % len(other)]
    if team:
        sh = per["kind"][persons] != KIND_OTHER
        km = np.where(sh, np.array(team, dtype=object)[key % len(team)], km)
    return km


def _uitkeringen(world: World, m: int, folder: Path, d0: int, d1: int):
    sp, mem, per = world.spells.cols, world.members.cols, world.persons.cols
    rng = _rng(world, "uitkeringen", m)
    live = (~sp["deleted"] & (sp["start"] <= d1) & ((sp["end"] == NONE) | (sp["end"] >= d0))
            & ((sp["vanish"] == NONE) | (sp["vanish"] >= m)))
    rows = np.flatnonzero(live[mem["spell"]])
    spell, person = mem["spell"][rows], mem["person"][rows]
    n = len(rows)
    other = per["kind"][person] == KIND_OTHER
    bsn = per["bsn"][person]
    bad = other & (rng.random(n) < C.FAULTS["bsn_invalid_uitkeringen_row"])
    bsn = np.where(bad, mistype(bsn, rng), bsn)
    bsn_text = text9(bsn)
    pad = other & (rng.random(n) < C.FAULTS["padded_value"])
    bsn_text = np.where(pad, " " + bsn_text + "\u00a0", bsn_text)
    birth = per["birth"][person]
    mask = per["birth_mask"][person]
    # the benefits system has a full date where the BRP has 00 parts (1 January / the 1st)
    birth_text = np.array([t[:4] + "-01-01" if k == 2 else (t[:8] + "01" if k == 1 else ("" if k == 3 else t))
                           for t, k in zip(iso(birth), mask)], dtype=object)
    gender = np.where(per["bus_gender_empty"][person], "", per["gender"][person].astype(str)).astype(object)
    unknown = other & (rng.random(n) < C.FAULTS["unknown_code_uitkeringen_row"])
    gender = np.where(unknown & (rng.random(n) < 0.5), "3", gender)
    leefvorm = sp["leefvorm"][spell].astype(str).astype(object)
    leefvorm = np.where(unknown & (gender != "3"), "5", leefvorm)
    ended = (sp["end"][spell] != NONE) & (sp["end"][spell] <= d1)
    end_text = np.where(ended, iso(sp["end"][spell]), "")
    reden = np.where(ended, np.array(REDENEN, dtype=object)[sp["reden"][spell]], "")
    kenmerk = np.where(m >= per["kenmerk_from"][person],
                       np.array(["", "J", "N"], dtype=object)[per["kenmerk"][person]], "")
    km = _klantmanagers(world, person, m)
    pad_km = rng.random(n) < C.FAULTS["padded_value"]
    km_text = np.where(pad_km, km + "  ", km)
    year, mon = str(1970 + m // 12), str(m % 12 + 1)
    columns = [np.full(n, year, dtype=object), np.full(n, mon, dtype=object),
               np.char.add("B", np.char.zfill(sp["reg"][spell].astype(str), 8)).astype(object),
               np.array(STATISTIEKCODES, dtype=object)[sp["code"][spell]], bsn_text, birth_text, gender, leefvorm,
               iso(sp["start"][spell]), end_text.astype(object), reden, kenmerk, km_text]
    write_csv(folder / "uitkeringen.csv", UITKERINGEN_HEADER, columns, bom=UITKERINGEN_BOM(month_text(m)))
    persons, first = np.unique(person, return_index=True)
    return persons, km[first]


def _brp_date(days: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """BRP dates: YYYYMMDD with 00 for an unknown day (mask 1), month and day (2), all (3)."""
    text = ymd_compact(days)
    out = []
    for t, k in zip(text, mask):
        if not t:
            out.append("")
        elif k == 1:
            out.append(t[:6] + "00")
        elif k == 2:
            out.append(t[:4] + "0000")
        elif k == 3:
            out.append("00000000")
        else:
            out.append(t)
    return np.array(out, dtype=object)


def _brp(world: World, persons: np.ndarray, folder: Path) -> int:
    per = world.persons.cols
    columns = [
        text9(per["bsn"][persons]),
        _brp_date(per["birth"][persons], per["birth_mask"][persons]),
        np.where(per["brp_o"][persons], "O", np.where(per["gender"][persons] == 1, "M", "V")).astype(object),
        np.array(NATIONALITIES, dtype=object)[per["nat"][persons]],
        np.array(TITLES, dtype=object)[per["title"][persons]],
        _brp_date(per["title_date"][persons], per["title_mask"][persons]),
        _brp_date(per["settle"][persons], per["settle_mask"][persons]),
    ]
    return write_csv(folder / "brp.csv", BRP_HEADER, columns)


def _klantbeeld(world: World, persons: np.ndarray, km: np.ndarray, folder: Path, d1: int) -> int:
    per = world.persons.cols
    bsn = per["bsn"][persons]
    # the case system drops the leading zero of an 8-digit BSN
    bsn_text = bsn.astype(str).astype(object)
    assessment = np.where(per["assessment"][persons] <= d1, per["assessment"][persons], NONE)
    pva = np.where(per["pva"][persons] <= d1, per["pva"][persons], NONE)
    route = np.where(pva != NONE, np.array(ROUTES, dtype=object)[per["route"][persons]], "")
    start = per["contact_start"][persons].astype(np.int64)
    until = np.minimum(d1, per["contact_stop"][persons].astype(np.int64))
    interval = per["contact_interval"][persons].astype(np.int64)
    last = start + np.maximum(until - start, 0) // interval * interval
    last = np.where(start > d1, NONE, last)
    columns = [bsn_text, km, dmy(assessment), dmy(pva), route.astype(object),
               np.array(AFSTANDEN, dtype=object)[per["afstand"][persons]], dmy(last)]
    return write_csv(folder / "klantbeeld.csv", KLANTBEELD_HEADER, columns)


def _formatie(world: World, m: int, folder: Path) -> int:
    rows = world.caseworkers[m]
    month = month_text(m)
    columns = [np.array([month] * len(rows), dtype=object), np.array([r[0] for r in rows], dtype=object),
               np.array([r[1] for r in rows], dtype=object),
               np.array([f"{r[2] // 100},{r[2] % 100:02d}" for r in rows], dtype=object)]
    return write_csv(folder / "formatie.csv", FORMATIE_HEADER, columns)


def _partner(world: World, partner: str, m: int, folder: Path, d1: int) -> tuple[int, int]:
    month = month_text(m)
    if month < PARTNER_FIRST_MONTH[partner]:
        return 0, 0
    if C.MISSING_PARTNER_DELIVERY == {"partner": partner, "month": month}:
        return 0, 0
    tr = world.trajectories.cols
    end_month = np.where(tr["end"] == NONE, np.int64(NONE), months_of_days(tr["end"]))
    keep = ((tr["partner"] == P[partner]) & (tr["visible"] <= m)
            & ((tr["end"] == NONE) | (end_month >= m - C.SNAPSHOT_KEEP_ENDED_MONTHS)))
    idx = np.flatnonzero(keep)
    rows = _trajectory_state(world, idx, d1)
    if partner == "pasmatch":  # a remark per trajectory, fixed by the trajectory itself
        rows["opmerking"] = np.array(PASMATCH_REMARKS, dtype=object)[
            (tr["aanmeld"][idx] + tr["bsn"][idx]) % len(PASMATCH_REMARKS)]
    dialect = PARTNER_DIALECTS[partner]
    path = folder / dialect.file
    if C.REDELIVERY == {"partner": partner, "month": month} and world.redelivery_row >= 0:
        # first version: one trajectory wrongly shown as STAGE; then the corrected _v2
        wrong = {k: v.copy() for k, v in rows.items()}
        hit = np.flatnonzero(idx == world.redelivery_row)
        if len(hit):
            wrong["uitkomst"][hit] = "STAGE"
            wrong["uitkomstdatum"][hit] = month_first_day(m) + 14
        b1 = write_partner(path, dialect, month, wrong)
        v2 = path.with_name(path.stem + "_v2" + path.suffix)
        return 2, b1 + write_partner(v2, dialect, month, rows)
    return 1, write_partner(path, dialect, month, rows)


def _trajectory_state(world: World, idx: np.ndarray, d1: int) -> dict[str, np.ndarray]:
    """Each trajectory as the partner knows it at the end of the month."""
    tr = world.trajectories.cols
    code = np.zeros(len(idx), dtype=np.int64)
    day = np.full(len(idx), NONE, dtype=np.int64)
    for k in ("1", "2", "3"):
        d = tr["o" + k + "d"][idx]
        reached = (d != NONE) & (d <= d1) & (tr["o" + k][idx] > 0)
        code = np.where(reached, tr["o" + k][idx], code)
        day = np.where(reached, d, day)
    end = np.where(tr["end"][idx] <= d1, tr["end"][idx], NONE)
    running_default = np.where(tr["empty_lopend"][idx], 0, 1)  # '' or LOPEND
    code = np.where((code == 0) & (end == NONE), running_default, code)
    uitkomst = np.array(OUTCOMES, dtype=object)[code]
    uren = np.where(uitkomst == "WERK", tr["uren"][idx], 0)
    return {
        "bsn": tr["bsn_written"][idx].astype(np.int64),
        "initiatief": np.array(INITIATIVES, dtype=object)[tr["init"][idx]],
        "aanmelddatum": tr["aanmeld"][idx].astype(np.int64),
        "startdatum": np.where(tr["start"][idx] <= d1, tr["start"][idx], NONE).astype(np.int64),
        "einddatum": end.astype(np.int64),
        "uitkomst": uitkomst,
        "uitkomstdatum": day,
        "uren": uren.astype(np.int64),
    }
