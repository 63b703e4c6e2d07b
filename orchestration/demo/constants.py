"""Every number the demo data is built from, in one place: the memo's figures it is calibrated to,
the population's shape, and the rate of every data-quality fault put in on purpose.

The README's demo-data section lists the same faults and rates; change them here, not in the
code that uses them.
"""
from __future__ import annotations

GENERATOR_VERSION = "1.1.0"  # 1.1: planted effects, the period to 2020-06
MARKER_FILE = ".statmon-demo"

# The world the generator simulates always starts here; `--from` only chooses what is written.
WORLD_START = "2014-01"
# Calibration month: the memo's "medio mei 2018".
CALIBRATION_MONTH = "2018-05"
# Last month written by default: 24 months after the last starts of the memo's initiatives
# (2018-06), so the rendement's 24-month outcomes exist for all of them (README: "Period").
DEFAULT_TO = "2020-06"

# --- The memo's figures (../shared/specs/memo_figures.csv) at scale 1. At another scale every
# count is round(value * scale) and aggregates are the sums of their parts.
MEMO = {
    "statushouders_in_bijstand": 778,
    "statushouders_alleenstaand": 389,
    "uitstroom_werk_2017": 13,
    "uitstroom_studie_2017": 8,
    "uitstroom_werk_2018": 24,
    "uitstroom_studie_2018": 4,
    "aangemeld_reintegratiepartners": 200,
    "onvoldoende_in_beeld": 100,
    "advies_onderwijs": 192,
    "aanmelding_uaf": 57,
    "aanmelding_agros": 86,
    "aanmelding_pasmatch": 47,
    "aanmelding_aan_de_slag": 102,
    "timnit_voorschakel": 12,
    "timnit_werk": 1,
    "timnit_voorgesteld": 1,
    "timnit_on_hold": 1,
    "timnit_lopend": 27,
    "vip": 15,
    "vip_startbaan": 7,
    "vip_werk": 1,
    "vip_stage": 4,
    "vip_bbl": 2,
    "leerwerkstage": 71,
    "leerwerkstage_werk": 6,     # "zes statushouders geplaatst"
    "leerwerkstage_stage": 27,   # "27 stageplekken"
    "assessment": 31,
    "sur_atelier": 7,
    "voorschakel_nova": 53,
    "voorschakel_zorg": 9,
    "start_hbo_wo_2016": 2,
    "start_hbo_wo_2017": 14,
    "start_hbo_wo_2018": 13,
    "uaf_stage": 5,              # "zeven cliënten bemiddeld naar stage en/of werk" (5 stage, 2 werk)
    "uaf_werk": 2,
    "caseload_per_klantmanager": 80,
}

# --- Population shape at scale 1 (Haarlem).
# CBS: asylum permits granted nationally per year; arrivals per cohort follow this shape.
NATIONAL_ASYLUM_PERMITS = {2014: 20_000, 2015: 33_000, 2016: 37_000, 2017: 29_000, 2018: 16_000}
NATIONAL_ASYLUM_PERMITS_LATER = 16_000  # years after 2018, if a later --to asks for them
# Adult statushouders settling here and claiming bijstand per 1,000 national permits (before the
# 2018-05 calibration tops up or trims the last arrivals to hit the memo's 778 exactly).
SH_ADULTS_PER_1000_PERMITS = 6.6
# Household type of an arriving statushouder unit: alleenstaand, alleenstaande ouder, couple.
SH_HOUSEHOLD_P = (0.64, 0.10, 0.26)
# Share of men among single arrivals per cohort (the 2014-2016 cohorts were mostly men).
SH_SHARE_MEN = {2014: 0.75, 2015: 0.75, 2016: 0.70, 2017: 0.55, 2018: 0.50}
SH_NATIONALITIES = (("SYR", 0.44), ("ERI", 0.26), ("AFG", 0.07), ("IRQ", 0.06), ("IRN", 0.05),
                    ("SOM", 0.03), ("ETH", 0.02), ("YEM", 0.02), ("SDN", 0.02), ("", 0.03))
# Share of statushouders registered (J) without an asylum title in the BRP extract.
SH_REGISTERED_ONLY = 0.03
# 2014/2015 cohort: share whose kenmerk_statushouder is filled (J) at some point in 2017-2018.
SH_2014_2015_REGISTERED_LATER = 0.18
# Monthly hazard of leaving bijstand for another reason (moving away, relation, no information...).
SH_EXIT_OTHER_MEAN_MONTHS = 170
# Before 2017 (outside the memo's counting window): mean months to work / study.
SH_EXIT_WORK_MEAN_MONTHS_PRE2017 = 200
SH_EXIT_STUDY_MEAN_MONTHS_PRE2017 = 400
SH_RETURN_AFTER_WORK = 0.15        # ended for work, back on bijstand within months (not for the
                                   # 13 'eigen bedrijf' code: 10% of the endings for work)
SH_HOUSEHOLD_CHANGE = 0.03         # single unit whose partner arrives (nareiziger): new benefit
SH_ONOVERBRUGBAAR = 0.15           # afstand_arbeidsmarkt onoverbrugbaar

# --- Work and study endings from 2017-01 on, and the effects planted in the initiatives (README:
# "Planted effects"; outflow.py). A statushouder's bijstand ends for work or study with a monthly
# hazard: a level times a factor per dimension of the effect contract's cell in that month (so
# that matching on the cell removes the selection the partners make), times the planted hazard
# ratio of every initiative the person has started. In 2017-01..2018-05 the memo fixes how many
# benefits end for work and study per year: there the hazards only choose WHO leaves in each of
# those endings (probability proportional to the hazard); from 2018-06 on the levels below apply.
# Contract bands: age 18-26, 27-39, 40-54, 55+ (first day of the month); months on the benefit
# 0-5, 6-11, 12-23, 24+; household alleenstaand (leefvorm 1) or gezin (2, 3).
AGE_BANDS = (27, 40, 55)               # lower bounds of the 2nd..4th band, in years
DURATION_BANDS = (6, 12, 24)           # lower bounds of the 2nd..4th band, in months
WORK_HAZARD_GENDER = {1: 1.6, 2: 0.5}  # geslacht 1 man, 2 vrouw
WORK_HAZARD_HOUSEHOLD = {1: 1.2, 2: 0.8, 3: 0.8}
WORK_HAZARD_AGE = (1.4, 1.1, 0.6, 0.15)
WORK_HAZARD_DURATION = (1.5, 1.3, 1.0, 0.7)
# Study (bijstand ends because education with student finance starts): one-person benefits
# (alleenstaand) only, by age band (a cut inside a band, say at 35, would be selection that
# matching on the band cannot see: the education routes take the youngest).
STUDY_HAZARD_AGE = (1.0, 0.3, 0.0, 0.0)
# Levels from 2018-06 on (per month, times the factors): about 1% a month for work over the
# caseload of mid-2018, and 0.5% for study over the young singles.
WORK_HAZARD_AFTER_MEMO = 0.009
STUDY_HAZARD_AFTER_MEMO = 0.005
# Who the partners take (selection on observables, by the same cell dimensions): relative chance
# of being picked. Work-oriented partners pick men, the young and short benefit durations, who
# are also those most likely to find work anyway; the naive comparison credits them for it.
SELECTION_WORK = {"gender": {1: 2.0, 2: 0.5}, "age": (1.5, 1.2, 0.6, 0.2), "duration": (2.5, 1.6, 1.0, 0.5)}
SELECTION_EDUCATION = {"gender": {1: 1.0, 2: 1.0}, "age": (2.0, 1.0, 0.4, 0.1), "duration": (1.5, 1.2, 1.0, 0.8)}
SELECTING = {code: SELECTION_WORK for code in ("AGROS", "PASMATCH", "AAN_DE_SLAG", "LEERWERKSTAGE", "VIP", "TIMNIT")}
SELECTING.update({code: SELECTION_EDUCATION for code in ("UAF", "ADVIES_ONDERWIJS", "VOORSCHAKEL", "VOORSCHAKEL_ZORG")})
# The planted effect of each initiative: (outcome, hazard ratio in the first LOCK_IN_MONTHS months
# from the start month on (the lock-in: busy with the initiative, not looking for work), hazard
# ratio after). Initiatives not listed (ASSESSMENT, SUR_ATELIER) have none; PASMATCH is listed with
# none on purpose: its partner selects like the others, so its naive figure shows the selection
# alone. A person in several initiatives gets the product. Applied from 2017-01 on (before, work
# and study endings are drawn at arrival, before anyone is placed in an initiative).
LOCK_IN_MONTHS = 3
PLANTED_EFFECTS = {
    "AGROS": ("werk", 0.5, 2.0),
    "PASMATCH": ("werk", 1.0, 1.0),
    "AAN_DE_SLAG": ("werk", 0.5, 2.0),
    "LEERWERKSTAGE": ("werk", 0.5, 2.5),
    "VIP": ("werk", 0.5, 2.0),
    "STARTBAAN": ("werk", 0.5, 2.0),
    "TIMNIT": ("werk", 0.5, 1.5),
    "UAF": ("studie", 0.5, 4.0),
    "VOORSCHAKEL": ("studie", 0.5, 3.0),
    "VOORSCHAKEL_ZORG": ("studie", 0.5, 3.0),
    "ADVIES_ONDERWIJS": ("studie", 1.0, 1.5),   # a talk: no lock-in
}
# The initiatives go on after the memo: statushouders registered per month from 2018-06 on, at
# scale 1 (partner file, registrations a month). Their participants' windows fall in the years the
# outflow is no longer fixed by the memo: the rendement estimates rest mostly on them.
CONTINUING_REGISTRATIONS = {"AGROS": ("agros", 6), "PASMATCH": ("pasmatch", 4), "AAN_DE_SLAG": ("aandeslag", 8),
                            "LEERWERKSTAGE": ("wsp", 5), "ADVIES_ONDERWIJS": ("adviesteam", 10), "UAF": ("uaf", 3)}

# Other clients (not statushouders): the rest of Haarlem's caseload.
OTHER_INITIAL_UNITS = 3_300
OTHER_INFLOW_UNITS_PER_MONTH = 62
OTHER_REMAINING_MEAN_MONTHS = 60   # initial stock: remaining duration
OTHER_SHORT_SHARE, OTHER_SHORT_MEAN, OTHER_LONG_MEAN = 0.45, 8, 110
OTHER_HOUSEHOLD_P = (0.58, 0.20, 0.16, 0.06)   # leefvorm 1, 2, 3 (couple: 2 persons), 4
OTHER_STATISTIEKCODE_P = (("01", 0.90), ("02", 0.06), ("03", 0.01), ("14", 0.03))
OTHER_BIJZONDERE_BIJSTAND = 0.05   # periodic bijzondere bijstand (11) beside a 01 benefit
EENMALIG_PER_MONTH = 0.003         # one-off bijzondere bijstand (12) rows per client per month
OTHER_NATIONALITIES = (("NLD", 0.72), ("MAR", 0.06), ("TUR", 0.05), ("SUR", 0.04), ("POL", 0.03),
                       ("ANT", 0.02), ("SYR", 0.01), ("IRQ", 0.01), ("GHA", 0.02), ("", 0.04))
OTHER_NON_ASYLUM_TITLES = (("21", 0.5), ("22", 0.2), ("29", 0.15), ("37", 0.1), ("46", 0.03), ("98", 0.02))

# Re-integration partners' other clients (partners serve everyone; the marts count statushouders).
AGROS_OTHER_REGISTRATIONS_PER_MONTH = 10
PASMATCH_OTHER_REGISTRATIONS_PER_MONTH = 7
PARTNER_UNKNOWN_CLIENT = 0.03      # client never seen in a benefits delivery
# Older statushouder trajectories at Agros/Pasmatch (before 2017) and regular ones in 2018.
SH_AGROS_BEFORE_2017, SH_PASMATCH_BEFORE_2017 = 34, 18
SH_AGROS_2018, SH_PASMATCH_2018 = 4, 3
# Partner snapshots keep an ended trajectory this many months, then drop it (it keeps its state).
SNAPSHOT_KEEP_ENDED_MONTHS = 6

# Team statushouders (formatie.csv): started in 2016-04; clients per caseworker FTE over time.
TEAM_STATUSHOUDERS_START = "2016-04"
TEAM_CLIENTS_PER_FTE = {"2016-04": 190, "2016-10": 140, "2017-01": 115, "2017-07": 80, "2018-05": 76}
OTHER_TEAMS = (("werk", 14), ("inkomen", 22), ("participatie", 7))  # caseworkers at scale 1

# --- Data-quality faults put in on purpose (rates per row, spell or trajectory as named).
# None of them touches a row a memo figure counts (they sit on other clients' rows, on
# 'overig' endings, on trajectories no figure reads) unless said so.
FAULTS = {
    # uitkeringen.csv row of another client (not a statushouder) whose BSN fails the 11-check
    # (one digit mistyped): quarantined.
    "bsn_invalid_uitkeringen_row": 0.0008,
    # partner row of another client with a mistyped BSN: quarantined.
    "bsn_invalid_partner_row": 0.006,
    # 8-digit BSNs (leading zero) written without it: klantbeeld.csv always does; Agros' legacy
    # xlsx stores the BSN as a number.
    "bsn_leading_zero_dropped_klantbeeld": 1.0,
    # an ended 'overig' benefit without reden_beeindiging (counts as overig).
    "benefit_end_reason_missing": 0.06,
    # an ended 'overig' benefit with a reason outside the list ('99').
    "benefit_end_reason_unknown": 0.015,
    # another client's benefit that stops being delivered without an end date.
    "benefit_vanished": 0.012,
    # other clients' rows with a code outside its list (leefvorm '5', geslacht '3').
    "unknown_code_uitkeringen_row": 0.0005,
    # other clients' Agros/Pasmatch trajectory with einddatum before startdatum, or a
    # startdatum before aanmelddatum.
    "trajectory_dates_inconsistent": 0.02,
    # partner outcome outside the list, on other clients' trajectories ('GESTOPT').
    "unknown_code_partner_row": 0.003,
    # 2014/2015 cohort statushouders (asylum title) registered with kenmerk_statushouder = N.
    "kenmerk_n_with_asylum_title": 0.02,
    # values padded with spaces / a non-breaking space (the pipeline trims).
    "padded_value": 0.002,
    # running statushouder trajectories delivered with an empty uitkomst (reads as LOPEND).
    "uitkomst_empty_while_running": 0.25,
}
# One partner month re-delivered: trajecten_timnit.csv (wrong: one trajectory shows STAGE) and
# the corrected trajecten_timnit_v2.csv, written later (mtime) in the same month folder.
REDELIVERY = {"partner": "timnit", "month": "2017-11"}
# A partner that delivered nothing one month: its previous snapshot stays in force.
MISSING_PARTNER_DELIVERY = {"partner": "pasmatch", "month": "2016-08"}
