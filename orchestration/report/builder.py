"""The council report (raadsrapportage), built from the published file only.

``build_report(published_duckdb, month, out_dir)`` writes ``raadsrapportage_<YYYY-MM>.html``: one
self-contained Dutch HTML file (inline CSS, charts as inline SVG, every chart with a data table
beside it). Because it reads only ``published.duckdb``, it shows exactly what BI users see:
suppressed figures appear as the suppression mark, sums with hidden parts as "≥ n".

The memo's figures are recomputed from the published marts; where a memo definition needs
person-level data the marts do not publish (e.g. "UAF registrations of persons who had an
ADVIES_ONDERWIJS talk first"), the report uses the nearest published figure and says so in
the table's "Bron" column.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd

from ..config import SEEDS_DIR
from . import charts, grain
from .grain import Flow
from .format import (SUPPRESSED_MARK, SUPPRESSED_TITLE, ZERO, Figure, figure_text, long_date, month_name, number,
                     percent_text, ratio, signed, total)

TEMPLATE = Path(__file__).with_name("template.html.j2")
CASELOAD_NORM = 80  # clients per caseworker the municipality aims for (memo: "teruggebracht naar 80")
GENDERS = [("vrouw", "Vrouwen"), ("man", "Mannen"), ("onbekend", "Onbekend")]


# --- what the template renders ---------------------------------------------------------------

@dataclass
class Table:
    caption: str
    columns: list[str]
    rows: list[list]  # first cell is the row header; Figures or text
    numeric_from: int = 1  # columns from here are right-aligned numbers
    compact: bool = False  # many columns: printed smaller, so that the table fits the width of A4


@dataclass
class Chart:
    svg: str
    table: Table


@dataclass
class Section:
    id: str
    heading: str
    intro: list[str] = field(default_factory=list)
    blocks: list = field(default_factory=list)  # Table, Chart or Subsection


@dataclass
class Subsection:
    heading: str
    intro: list[str] = field(default_factory=list)
    blocks: list = field(default_factory=list)


def cell_html(value) -> str:
    """One table cell's content, escaped; a hidden figure gets its explanation as abbr title."""
    from markupsafe import Markup, escape

    if isinstance(value, Figure):
        text = figure_text(value)
    elif isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], Figure):  # (Figure, "percent")
        text = percent_text(value[0])
        value = value[0]
    else:
        return escape("" if value is None else str(value))
    if isinstance(value, Figure) and value.hidden:
        marked = escape(text).replace(SUPPRESSED_MARK, Markup(
            f'<abbr title="{escape(SUPPRESSED_TITLE)}">{SUPPRESSED_MARK}</abbr>'))
        return Markup(marked)
    return escape(text)


# --- reading the published file ---------------------------------------------------------------

class Published:
    """The published tables, with helpers that return Figures (value + hidden)."""

    def __init__(self, path: Path):
        con = duckdb.connect(str(path), read_only=True)
        try:
            names = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
            self.t = {n: con.execute(f'SELECT * FROM "{n}"').df() for n in names}
        finally:
            con.close()
        for df in self.t.values():
            for col in ("month", "as_of_month", "quarter"):
                if col in df.columns:
                    df[col] = pd.to_datetime(df[col]).dt.date
        self.log = self.t["publication_log"].sort_values("published_at")
        self.choices: list[grain.GrainChoice] = []  # the grain chosen per flow figure (method section)
        self.appendix: list[Table] = []  # the monthly tables of the flows

    def choose(self, figure: str, flows: list[Flow], first: date, last: date) -> grain.GrainChoice:
        choice = grain.choose(self, figure, flows, first, last)
        self.choices.append(choice)
        return choice

    @staticmethod
    def fig(row, column: str) -> Figure:
        flag = f"{column}_suppressed"
        hidden = bool(row[flag]) if flag in row and not pd.isna(row[flag]) else False
        value = row[column]
        return Figure.of(None if pd.isna(value) else value, hidden)

    def sum(self, table: str, column: str, mask) -> Figure:
        df = self.t[table][mask(self.t[table])] if mask is not None else self.t[table]
        return total(self.fig(r, column) for _, r in df.iterrows())

    def flows(self, initiatives, event: str, start: date | None, end: date, column: str = "trajectories") -> Figure:
        initiatives = [initiatives] if isinstance(initiatives, str) else list(initiatives)
        return self.sum("initiative_flows", column, lambda d: d.initiative_code.isin(initiatives)
                        & (d.event == event) & (d.month <= end) & ((d.month >= start) if start else True))

    def stock(self, initiatives, as_of: date, outcomes=None, column: str = "trajectories") -> Figure:
        initiatives = [initiatives] if isinstance(initiatives, str) else list(initiatives)
        return self.sum("initiative_outcomes", column, lambda d: d.initiative_code.isin(initiatives)
                        & (d.as_of_month == as_of) & (d.outcome_code.isin(outcomes) if outcomes else True))

    @property
    def last_month(self) -> date:
        return pd.Timestamp(self.log.iloc[-1].months_to).date()

    def _by_year(self, yearly: str, monthly, mask_yearly, first_year: int, month: date) -> Figure:
        """A figure over January of ``first_year`` up to ``month`` from the published year totals
        (one cell per year, so far less is hidden than in a sum of monthly cells). The total of
        ``month``'s own year covers it only when ``month`` is December or the last published month;
        otherwise that year is summed from its months."""
        out = ZERO
        for year in range(first_year, month.year + 1):
            if year < month.year or month.month == 12 or month == self.last_month:
                out = out + self.sum(yearly, _count_column(yearly), lambda d, y=year: (d.year == y) & mask_yearly(d))
            else:
                out = out + monthly(date(year, 1, 1), month)
        return out

    def period_flows(self, initiatives, event: str, first_year: int, month: date) -> Figure:
        """Trajectories of the initiatives with this event from January of first_year up to month."""
        initiatives = [initiatives] if isinstance(initiatives, str) else list(initiatives)
        return self._by_year("initiative_flows_yearly", lambda a, b: self.flows(initiatives, event, a, b),
                             lambda d: d.initiative_code.isin(initiatives) & (d.event == event), first_year, month)

    def period_outflow(self, group: str, first_year: int, month: date) -> Figure:
        return self._by_year("outflow_yearly", lambda a, b: self.outflow(group, a, b),
                             lambda d: d.reason_group == group, first_year, month)

    def first_year(self) -> int:
        return min(m.year for m in self.t["caseload_monthly"].month)

    def outflow(self, group: str, start: date, end: date) -> Figure:
        return self.sum("outflow_monthly", "benefits_ended",
                        lambda d: (d.reason_group == group) & (d.month >= start) & (d.month <= end))


def _count_column(table: str) -> str:
    return {"initiative_flows_yearly": "trajectories", "outflow_yearly": "benefits_ended"}[table]


def _codes(name: str, key: str = "code") -> dict[str, dict]:
    with open(SEEDS_DIR / f"{name}.csv", newline="", encoding="utf-8") as handle:
        return {row[key]: row for row in csv.DictReader(handle)}


def _add_months(d: date, n: int) -> date:
    y, m = divmod(d.month - 1 + n, 12)
    return date(d.year + y, m + 1, 1)


# --- the sections -----------------------------------------------------------------------------

def _summary(p: Published, month: date, period_start: date) -> Section:
    c = p.t["caseload_monthly"]
    row = c[c.month == month]
    s = Section("kerncijfers", "Kerncijfers")
    if row.empty:
        s.intro.append(f"Voor {month_name(month)} is geen uitkeringsbestand gepubliceerd.")
        return s
    r = row.iloc[0]
    werk = p.period_outflow("werk", period_start.year, month)
    studie = p.period_outflow("studie", period_start.year, month)
    s.blocks.append(Table(
        f"Kerncijfers statushouders in de bijstand, {month_name(month)}",
        ["Kerncijfer", "Aantal"],
        [["Statushouders met een bijstandsuitkering", p.fig(r, "statushouders_on_benefit")],
         ["waarvan alleenstaand", p.fig(r, "single_households")],
         ["waarvan in gezinsverband", p.fig(r, "family_households")],
         [f"Uitkeringen beëindigd wegens werk of studie ({month_name(period_start)} t/m {month_name(month)})",
          werk + studie],
         ["Klanten per klantmanager", Figure.of(None if pd.isna(r.clients_per_caseworker)
                                                  else round(r.clients_per_caseworker),
                                                  bool(r.clients_per_caseworker_suppressed))]]))
    trend = c[(c.month >= period_start) & (c.month <= month)].sort_values("month")
    labels = [month_name(m) for m in trend.month]
    columns = ["statushouders_on_benefit", "single_households", "family_households"]
    figs = {col: [p.fig(r, col) for _, r in trend.iterrows()] for col in columns}
    s.blocks.append(Chart(charts.line_chart(
        "grafiek-bijstand", f"Statushouders in de bijstand per maand, {month_name(period_start)} t/m {month_name(month)}",
        "Lijndiagram van het aantal statushouders met een bijstandsuitkering per maand, in totaal, alleenstaand en "
        "in gezinsverband. De cijfers staan in de tabel hiernaast.", labels,
        [("Totaal", figs["statushouders_on_benefit"]), ("Alleenstaand", figs["single_households"]),
         ("Gezin", figs["family_households"])], "Statushouders in de bijstand"),
        Table("Statushouders in de bijstand per maand (stand)", ["Maand", "Totaal", "Alleenstaand", "Gezin"],
              [[label] + [figs[col][i] for col in columns] for i, label in enumerate(labels)])))
    choice = p.choose("Nieuw in de bijstand en uitgestroomd", [
        Flow("Nieuw in de bijstand", "caseload_monthly", "caseload_flows", "new_on_benefit"),
        Flow("Uit de bijstand", "caseload_monthly", "caseload_flows", "left_benefit")], period_start, month)
    s.blocks.append(_flow_chart("grafiek-instroom", choice, "Statushouders"))
    p.appendix.append(Table("Nieuw in de bijstand en uitgestroomd per maand",
                            ["Maand", "Nieuw in de bijstand", "Uit de bijstand"],
                            _monthly_rows(p, [("caseload_monthly", "new_on_benefit", None),
                                              ("caseload_monthly", "left_benefit", None)], period_start, month)))
    return s


def _flow_chart(chart_id: str, choice: grain.GrainChoice, y_label: str) -> Chart:
    """Bars of a flow figure at its chosen grain, with its table."""
    per = {"maand": "per maand", "kwartaal": "per kwartaal", "jaar": "per jaar"}[choice.grain]
    names = list(choice.values)
    labels = [period.label for period in choice.periods]
    return Chart(charts.bar_chart(
        chart_id, f"{choice.figure} {per}",
        f"Staafdiagram met {per} {', '.join(n.lower() for n in names)}. De cijfers staan in de tabel hiernaast.",
        labels, [(n, choice.values[n]) for n in names], y_label),
        Table(f"{choice.figure} {per}", [choice.grain.capitalize()] + names,
              [[label] + [choice.values[n][i] for n in names] for i, label in enumerate(labels)]))


def _monthly_rows(p: "Published", columns, period_start: date, month: date) -> list[list]:
    """Appendix rows: one per published month, a Figure per (table, column, mask)."""
    months = [m for m in sorted(p.t["caseload_monthly"].month) if period_start <= m <= month]
    rows = []
    for m in months:
        row = [month_name(m)]
        for table, column, mask in columns:
            row.append(p.sum(table, column, lambda d, m=m, mask=mask: (d.month == m) & (mask(d) if mask else True)))
        rows.append(row)
    return rows


def _initiatives(p: Published, month: date, period_start: date) -> Section:
    year_start = date(month.year, 1, 1)
    per = f"{month_name(period_start)} t/m {month_name(month)}"
    s = Section("initiatieven", "Initiatieven en resultaten",
                [f"De drie tabellen van de informatienota, berekend uit de gepubliceerde cijfers. "
                 f"Periode: {per}; 'stand' is de stand eind {month_name(month)}. Een traject telt mee "
                 "als de klant statushouder is. Iemand kan meer dan één traject volgen (duale trajecten)."])
    y0 = period_start.year
    agros = p.period_flows("AGROS", "registered", y0, month)
    pasmatch = p.period_flows("PASMATCH", "registered", y0, month)
    aandeslag = p.stock("AAN_DE_SLAG", month)
    basis = [
        ["Adviesgesprekken Adviesteam Onderwijs", p.period_flows("ADVIES_ONDERWIJS", "registered", y0, month),
         f"aangemeld {per}"],
        ["waarvan aanmeldingen UAF", p.stock("UAF", month), "UAF-trajecten, stand"],
        ["Toeleiden naar werk", agros + pasmatch + aandeslag, "Agros + Pasmatch + Aan de slag"],
        ["waarvan aanmeldingen Agros", agros, f"aangemeld {per}"],
        ["waarvan aanmeldingen Pasmatch", pasmatch, f"aangemeld {per}"],
        ["waarvan aanmeldingen Aan de slag", aandeslag, "stand"],
    ]
    aanvullend = [
        ["Timnit programma", p.stock("TIMNIT", month), "stand"],
        ["Aanmeldingen VIP-traject", p.period_flows("VIP", "started", y0, month), f"gestart {per}"],
        ["Pilot leer/werkstage", p.stock("LEERWERKSTAGE", month), "stand"],
        ["Deelnemers assessment", p.period_flows("ASSESSMENT", "started", month.year, month),
         f"gestart {month_name(year_start)} t/m {month_name(month)}"],
        ["Deelnemers project Sür Atelier", p.period_flows("SUR_ATELIER", "registered", y0, month),
         f"aangemeld {per}"],
    ]
    first = p.first_year()
    hbo_by_year = [(y, p.period_flows("UAF", "outcome:OPLEIDING_HBO_WO", y, date(y, 12, 1) if y < month.year
                                      else month)) for y in range(first, month.year + 1)]
    hbo_years = ", ".join(f"{y}: {figure_text(f)}" for y, f in hbo_by_year if not (f.exact and f.value == 0))
    all_codes = list(_codes("initiatieven"))
    resultaten = [
        ["Deelnemers voorschakeltraject Nova", p.period_flows("VOORSCHAKEL", "started", first, month),
         f"gestart t/m {month_name(month)}"],
        ["Deelnemers voorschakeltraject Zorg", p.period_flows("VOORSCHAKEL_ZORG", "started", first, month),
         f"gestart t/m {month_name(month)}"],
        ["Start opleiding hbo/universiteit", p.period_flows("UAF", "outcome:OPLEIDING_HBO_WO", first, month),
         "UAF-trajecten met die uitkomst" + (f" ({hbo_years})" if hbo_years else "")],
        ["Werk- en stageplaatsen", p.period_flows(all_codes, "outcome:STAGE", first, month),
         "trajecten met uitkomst stage, alle initiatieven"],
        ["Start bbl-opleiding", p.period_flows(all_codes, "outcome:BBL", first, month),
         "trajecten met uitkomst bbl, alle initiatieven"],
        ["Uitkering beëindigd i.v.m. werk", p.period_outflow("werk", y0, month), f"beëindigd {per}"],
        ["Uitkering beëindigd i.v.m. studie", p.period_outflow("studie", y0, month), f"beëindigd {per}"],
    ]
    for caption, rows in ((f"Initiatieven {period_start.year} en/of {month.year} (basis)", basis),
                          (f"Initiatieven {period_start.year} en/of {month.year} (aanvullend)", aanvullend),
                          (f"Resultaten {period_start.year} en/of {month.year}", resultaten)):
        s.blocks.append(Table(caption, ["Initiatief", "Aantal", "Bron"], rows))
    names = {k: v["naam"] for k, v in _codes("initiatieven").items()}
    fl = p.t["initiative_flows"]
    in_period = fl[(fl.month >= period_start) & (fl.month <= month)]
    registered = [c for c in names if ((in_period.initiative_code == c) & (in_period.event == "registered")).any()]
    outcomes = [c for c in _codes("uitkomst") if (in_period.event == f"outcome:{c}").any() and c != "LOPEND"]
    for figure, rows_of, label in (
            ("Aanmeldingen per initiatief", [(names[c], lambda d, c=c: (d.initiative_code == c)
                                              & (d.event == "registered")) for c in registered], "Initiatief"),
            ("Bereikte uitkomsten (alle initiatieven)", [(OUTCOME_SHORT.get(o, o), lambda d, o=o: d.event == f"outcome:{o}")
                                                         for o in outcomes], "Uitkomst")):
        if not rows_of:
            continue
        choice = p.choose(figure, [Flow(n, "initiative_flows", "initiative_flows", "trajectories", m)
                                   for n, m in rows_of], period_start, month)
        s.blocks.append(_transposed(choice, label))
    return s


def _transposed(choice: grain.GrainChoice, label: str) -> Table:
    """A flow figure with many series as a table: a row per series, a column per period."""
    per = {"maand": "per maand", "kwartaal": "per kwartaal", "jaar": "per jaar"}[choice.grain]
    return Table(f"{choice.figure} {per} (trajecten)", [label] + [period.label for period in choice.periods],
                 [[name] + values for name, values in choice.values.items()])


def _outcome_matrix(p: Published, month: date) -> Table:
    """Every initiative's trajectories by outcome, as of the month: the results of each initiative."""
    names = {k: v["naam"] for k, v in _codes("initiatieven").items()}
    io = p.t["initiative_outcomes"]
    now = io[io.as_of_month == month]
    outcomes = [code for code in _codes("uitkomst") if (now.outcome_code == code).any()]
    rows = []
    for code, name in names.items():
        mine = now[now.initiative_code == code]
        if mine.empty:
            continue
        cells = [total(p.fig(r, "trajectories") for _, r in mine[mine.outcome_code == o].iterrows()) for o in outcomes]
        rows.append([name, total(p.fig(r, "trajectories") for _, r in mine.iterrows())] + cells)
    return Table(f"Trajecten per initiatief naar uitkomst, stand {month_name(month)}",
                 ["Initiatief", "Totaal"] + [OUTCOME_SHORT.get(o, o) for o in outcomes], rows)


# --- the rendement: effect of each initiative against a matched comparison group -----------------

EFFECT_HORIZONS = (12, 24)  # reported; 6 months is published, but mostly the lock-in (see the text)
EFFECT_MIN_MATCHED = 20  # the effect contract's rule for an estimate (estimate_status in the published tables)
CURVE_MIN_POINTS = 3  # a chart needs this many published months since start (a line, not a dot or two)
OUTCOME_WORDS = {"werk": "werk", "studie": "een studie"}


def _effect_text(row) -> str | Figure:
    """'+3,2 (−8,1 tot +14,5)': the effect in percentage points with its 95% interval."""
    if bool(row.effect_pp_suppressed):
        return Figure(None, True)
    return f"{signed(row.effect_pp)} ({signed(row.effect_ci_low_pp)} tot {signed(row.effect_ci_high_pp)})"


def _effect_reading(row) -> str:
    """What the interval allows a reader to say."""
    if bool(row.effect_ci_low_pp_suppressed):
        return ""
    if row.effect_ci_low_pp > 0:
        return "aantoonbaar meer uitstroom"
    if row.effect_ci_high_pp < 0:
        return "aantoonbaar minder uitstroom"
    return "geen aantoonbaar verschil"


def _effect_table(p: Published, outcome: str, codes: list[str], names: dict[str, str]) -> Table:
    effect = p.t["initiative_effect"]
    none = (Figure(None), "%")
    rows = []
    for code in codes:
        mine = effect[(effect.initiative_code == code) & (effect.outcome == outcome)]
        reached = [h for h in EFFECT_HORIZONS if (mine.horizon_months == h).any()]
        if not reached:  # one row for both horizons
            rows.append([f"{names[code]}, na " + " en ".join(str(h) for h in EFFECT_HORIZONS) + "\u00a0mnd",
                         Figure(None), none, none, none, "nog niet te meten", ""])
            continue
        for h in EFFECT_HORIZONS:
            label = [f"{names[code]}, na {h}\u00a0mnd"]
            if h not in reached:
                rows.append(label + [Figure(None), none, none, none, "nog niet te meten", ""])
                continue
            r = mine[mine.horizon_months == h].iloc[0]
            matched = p.fig(r, "matched_participants")
            if r.estimate_status != "estimated":
                rows.append(label + [matched, none, none, none, "te weinig deelnemers", ""])
                continue
            rows.append(label + [matched, (p.fig(r, "participant_share"), "%"), (p.fig(r, "comparison_share"), "%"),
                                 (p.fig(r, "naive_share"), "%"), _effect_text(r), _effect_reading(r)])
    what = OUTCOME_WORDS[outcome]
    return Table(f"Uitstroom naar {what} binnen 12 en 24 maanden na de start: deelnemers, vergelijkingsgroep en "
                 "effect", ["Initiatief, termijn", "Deelnemers vergeleken", "Deelnemers uit de bijstand",
                            "Vergelijkbare statushouders", "Alle statushouders (naïef)",
                            "Effect in procentpunten (95%-interval)", "Conclusie"],
                 rows, compact=True)


def _effect_chart(p: Published, code: str, name: str, outcomes: list[str]) -> Chart | None:
    """Participants against comparison over the months since start (the published curve), or
    None when fewer than CURVE_MIN_POINTS of its months have a published participant share."""
    curve = p.t["initiative_effect_curve"]
    mine = curve[curve.initiative_code == code].sort_values("months_since_start")
    ks = sorted(mine.months_since_start.unique())
    shares = {(o, c): [] for o in outcomes for c in ("participant_share", "comparison_share")}
    matched = []
    for k in ks:
        at_k = mine[mine.months_since_start == k]
        for o in outcomes:
            row = at_k[at_k.outcome == o]
            for c in ("participant_share", "comparison_share"):
                shares[(o, c)].append(p.fig(row.iloc[0], c) if len(row) else Figure(None))
        matched.append(p.fig(at_k.iloc[0], "matched_participants"))
    if sum(f.exact for f in shares[(outcomes[0], "participant_share")]) < CURVE_MIN_POINTS:
        return None
    if len(outcomes) == 1:
        names = {"participant_share": "Deelnemers", "comparison_share": "Vergelijkingsgroep"}
        series = [(names[c], shares[(outcomes[0], c)]) for c in names]
    else:  # short names: four of them fit the legend
        series = [(f"{'Deelnemers' if c == 'participant_share' else 'Vergelijking'} {o}", shares[(o, c)])
                  for o in outcomes for c in ("participant_share", "comparison_share")]
    labels = [f"{k} mnd" for k in ks]
    what = " en ".join(f"voor {OUTCOME_WORDS[o]}" for o in outcomes)
    chart_id = f"grafiek-rendement-{code.lower().replace('_', '-')}"
    svg = charts.line_chart(
        chart_id, f"{name}: uit de bijstand {what}, deelnemers en vergelijkingsgroep",
        f"Lijndiagram met, per kwartaal na de start, het percentage van de deelnemers aan {name} dat de bijstand "
        f"heeft verlaten {what}, en hetzelfde voor hun vergelijkingsgroep. Waar minder dan {EFFECT_MIN_MATCHED} "
        "deelnemers te volgen zijn of een cijfer is afgeschermd, is de lijn onderbroken. De cijfers staan in de "
        "tabel hiernaast.", labels, series, "Uit de bijstand (cumulatief)", as_percent=True)
    columns = ["Na de start", "Vergeleken deelnemers"] + [f"{n}" for n, _ in series]
    return Chart(svg, Table(f"{name}: deel dat de bijstand verliet {what}, naar maanden na de start", columns,
                            [[label, matched[i]] + [(figs[i], "%") for _, figs in series]
                             for i, label in enumerate(labels)]))


def _rendement(p: Published, month: date, period_start: date) -> Section:
    s = Section("rendement", "Rendement van de initiatieven", [
        "Wat heeft een initiatief opgeleverd? Hoeveel deelnemers werk vonden, zegt dat niet: partners kiezen vaak "
        "de klanten met de beste kansen, en velen waren ook zonder het initiatief uit de bijstand gegaan. Daarom "
        "vergelijken we elke deelnemer met statushouders die in dezelfde maand in dezelfde situatie zaten "
        "(geslacht, huishouden, leeftijdsgroep en hoe lang zij al bijstand hadden) en toen niet aan het initiatief "
        "begonnen. Het effect is het verschil tussen het deel van de deelnemers en het deel van die "
        "vergelijkingsgroep dat binnen 12 of 24 maanden na de start de bijstand verliet voor werk (bij de "
        "onderwijsroutes ook: voor een studie), in procentpunten."])
    effect, curve = p.t.get("initiative_effect"), p.t.get("initiative_effect_curve")
    if effect is None or curve is None or (effect.empty and curve.empty):
        s.intro.append("Deze publicatie bevat geen rendementscijfers. Ze worden berekend met alle maanden tot en met "
                       "de laatste, en alleen gepubliceerd als die maand zonder blokkerende fout gepubliceerd kon "
                       "worden.")
        return s
    as_of = pd.Timestamp((effect if len(effect) else curve).as_of_month.iloc[0]).date()
    s.intro.append(f"Berekend met de gegevens tot en met {month_name(as_of)}"
                   + (f"; deze rapportage gaat over {month_name(month)}, maar de rendementscijfers van toen worden "
                      "niet bewaard." if as_of != month else "."))
    s.blocks.append(Subsection("Hoe lees je deze cijfers?", [
        "Het 95%-interval geeft de onzekerheid: het werkelijke effect ligt met grote waarschijnlijkheid tussen die "
        "twee getallen. Bij kleine groepen is het interval breed. Ligt nul erin, dan kunnen we niet zeggen of het "
        "initiatief meer of minder uitstroom geeft ('geen aantoonbaar verschil').",
        "Zolang mensen aan een initiatief deelnemen, zoeken zij minder naar werk (het lock-in-effect). In de eerste "
        "maanden kan het effect daardoor negatief zijn, ook als het later positief wordt. Kijk daarom naar 12 en 24 "
        "maanden en naar de grafieken.",
        "We vergelijken alleen op wat geregistreerd is: geslacht, huishouden, leeftijdsgroep en duur van de "
        "uitkering. Motivatie, taalniveau, gezondheid en het oordeel van de klantmanager staan niet in de gegevens; "
        "kiezen partners hun deelnemers daarop, dan zit dat verschil nog in het effect. Wie in de "
        "vergelijkingsgroep zit, kan later alsnog beginnen: het effect vergelijkt nu starten met (nog) niet starten.",
        f"'Te weinig deelnemers': met minder dan {EFFECT_MIN_MATCHED} vergeleken deelnemers berekenen we geen effect. "
        "'Nog niet te meten': nog geen deelnemer is lang genoeg geleden begonnen om 12 of 24 maanden te volgen. "
        "Deelnemers zonder een vergelijkbare statushouder in hun startmaand tellen niet mee.",
        "De kolom 'alle statushouders (naïef)' is het deel van alle statushouders in de bijstand in dezelfde maanden, "
        "zonder rekening te houden met hun situatie: het verschil met de vergelijkingsgroep laat zien hoe veel een "
        "gewone vergelijking zou vertekenen."]))
    codes = _codes("initiatieven")
    names = {code: row["naam"] for code, row in codes.items()}
    present = set(effect.initiative_code) | set(curve.initiative_code)
    measured = [code for code in codes if code in present]
    education = [code for code in measured if codes[code]["domein"] == "onderwijs"]
    work = Subsection("Effect op uitstroom naar werk", [], [_effect_table(p, "werk", measured, names)])
    absent = [names[code] for code in codes if code not in present]
    if absent:
        work.intro.append("Geen deelnemers die bij hun start in de bijstand zaten en te vergelijken waren: "
                          + ", ".join(absent) + ".")
    s.blocks.append(work)
    if education:
        s.blocks.append(Subsection("Effect op uitstroom naar studie (onderwijsroutes)",
                                   ["Voor de initiatieven die naar onderwijs leiden ook het effect op het verlaten van "
                                    "de bijstand voor een studie."], [_effect_table(p, "studie", education, names)]))
    over_time = Subsection("Deelnemers en vergelijkingsgroep na de start", [
        "Per initiatief het deel van de deelnemers en van hun vergelijkingsgroep dat de bijstand heeft verlaten, "
        "per kwartaal na de start. Waar de lijn van de deelnemers onder die van de vergelijkingsgroep ligt, gaan "
        "deelnemers (nog) minder vaak uit de bijstand; een lijn die eerst lager ligt en later hoger is het "
        "lock-in-effect."])
    no_chart = []
    for code in measured:
        chart = _effect_chart(p, code, names[code], ["werk", "studie"] if code in education else ["werk"])
        if chart is None:
            no_chart.append(names[code])
        else:
            over_time.blocks.append(Subsection(names[code], [], [chart]))
    if no_chart:
        over_time.intro.append(f"Geen grafiek (minder dan {CURVE_MIN_POINTS} momenten met {EFFECT_MIN_MATCHED} of meer "
                               "vergeleken deelnemers): " + ", ".join(no_chart) + ".")
    s.blocks.append(over_time)
    return s


REASONS = [("werk", "Werk"), ("studie", "Studie"), ("overig", "Overige redenen")]


def _outflow(p: Published, month: date, period_start: date) -> Section:
    s = Section("uitstroom", "Uitstroom naar werk en studie",
                ["Beëindigde bijstandsuitkeringen van statushouders naar reden: werk, het starten van een "
                 "opleiding of een andere reden."])
    choice = p.choose("Beëindigde uitkeringen naar reden", [
        Flow(label, "outflow_monthly", "outflow", "benefits_ended", lambda d, g=group: d.reason_group == g)
        for group, label in REASONS], period_start, month)
    s.blocks.append(_flow_chart("grafiek-uitstroom", choice, "Beëindigde uitkeringen"))
    if choice.grain != "jaar":
        o = p.t["outflow_monthly"]
        years = sorted({m.year for m in o.month if m <= month} | {month.year})
        year_rows = []
        for y in years:
            end = min(month, date(y, 12, 1))
            label = str(y) if end.month == 12 else f"{y} (t/m {month_name(end)})"
            year_rows.append([label, p.period_outflow("werk", y, end), p.period_outflow("studie", y, end)])
        s.blocks.append(Table("Uitstroom naar werk en studie per jaar", ["Jaar", "Werk", "Studie"], year_rows))
    p.appendix.append(Table("Beëindigde uitkeringen naar reden per maand", ["Maand"] + [label for _, label in REASONS],
                            _monthly_rows(p, [("outflow_monthly", "benefits_ended", lambda d, g=g: d.reason_group == g)
                                              for g, _ in REASONS], period_start, month)))
    return s


def _cohorts(p: Published) -> Section:
    s = Section("cohorten", "Cohort 2014/2015 en latere cohorten",
                ["Volgens de opzet van de CBS-cohortmonitor: per jaar van de verblijfsvergunning (of van vestiging "
                 "in de gemeente) het aandeel van de statushouders dat na 6, 12, 18, ... maanden bijstand "
                 "ontvangt, en het aandeel dat tot dan toe is uitgestroomd naar werk. Een cohort verschijnt pas "
                 "voor een duur als ieder lid die duur kan hebben bereikt."])
    for table, label, key in (("cohort_progress", "verblijfsvergunning", "vergunning"),
                              ("cohort_progress_settlement", "vestiging in de gemeente", "vestiging")):
        df = p.t[table]
        sub = Subsection(f"Cohorten naar jaar van {label}")
        if df.empty:
            sub.intro.append("Nog geen cohortcijfers gepubliceerd.")
            s.blocks.append(sub)
            continue
        ns = sorted(df.months_since_permit.unique())
        years = sorted(df.cohort_year.unique())
        bench, work = [], []
        for y in years:
            rows = {int(r.months_since_permit): r for _, r in df[df.cohort_year == y].iterrows()}
            size = p.fig(next(iter(rows.values())), "persons")
            label_y = f"{y}" + (" (groep 2014/2015)" if y in (2014, 2015) else "")
            bench.append([label_y, size] + [(ratio(p.fig(rows[n], "on_benefit"), p.fig(rows[n], "persons")), "%")
                                           if n in rows else "" for n in ns])
            work.append([label_y, size] + [(ratio(p.fig(rows[n], "outflow_work"), p.fig(rows[n], "persons")), "%")
                                          if n in rows else "" for n in ns])
        columns = ["Cohort", "Personen"] + [f"{n} mnd" for n in ns]
        sub.intro.append(_group_2014_2015(p, df))
        series = []
        for y in years[-4:]:
            rows = {int(r.months_since_permit): r for _, r in df[df.cohort_year == y].iterrows()}
            series.append((str(y), [ratio(p.fig(rows[n], "on_benefit"), p.fig(rows[n], "persons"))
                                    if n in rows else Figure(None) for n in ns]))
        national = _national(p, ns) if table == "cohort_progress" else {}
        bench_series = series if not national else _with_2014(series, p, df, ns, "on_benefit")
        sub.blocks.append(Chart(charts.line_chart(
            f"grafiek-cohort-{key}", f"Aandeel in de bijstand naar duur sinds {label}",
            f"Lijndiagram met per cohort (jaar van {label}, de laatste vier cohorten) het percentage dat na "
            "6, 12, 18 ... maanden bijstand ontvangt"
            + (", met het landelijke CBS-cijfer voor cohort 2014 als stippellijn" if national.get("uitkering") else "")
            + ". Alle cohorten staan in de tabel hiernaast.",
            [f"{n} mnd" for n in ns], bench_series, "In de bijstand", as_percent=True,
            dashed=[("CBS landelijk 2014: uitkering", national["uitkering"])] if national.get("uitkering") else []),
            Table(f"Aandeel in de bijstand, per cohort naar jaar van {label} en duur", columns, bench)))
        if national:
            sub.intro.append(_national_caption(p))
            work_series = _with_2014([], p, df, ns, "outflow_work")
            sub.blocks.append(Chart(charts.line_chart(
                "grafiek-cohort-werk", "Cohort 2014: uitgestroomd naar werk, met het landelijke CBS-cijfer",
                "Lijndiagram met het percentage van cohort 2014 (jaar van verblijfsvergunning) dat na 6, 12, 18 ... "
                "maanden uit de bijstand is uitgestroomd naar werk, en als stippellijn het landelijke CBS-aandeel "
                "statushouders (vergunning 2014) met werk na 18 en 30 maanden. De cijfers staan in de tabel hiernaast.",
                [f"{n} mnd" for n in ns], work_series, "Uitgestroomd naar werk / met werk", as_percent=True,
                dashed=[("CBS landelijk 2014: met werk", national["werk"])] if national.get("werk") else []),
                Table(f"Aandeel uitgestroomd naar werk (cumulatief), per cohort naar jaar van {label}", columns, work)))
        else:
            sub.blocks.append(Table(f"Aandeel uitgestroomd naar werk (cumulatief), per cohort naar jaar van {label}",
                                    columns, work))
        s.blocks.append(sub)
    ref = p.t.get("national_cohort_reference")
    if ref is not None and len(ref):
        s.blocks.append(Table("Landelijke cijfers CBS-cohortonderzoek (referentie)",
                              ["Cohort", "Duur", "Cijfer", "Percentage", "Definitie", "Bron"],
                              [[str(r.cohort_year), f"{r.months_since_permit} mnd", r.measure,
                                Figure(float(r.percentage) / 100), r.definition, f"{r.publication} ({r.edition})"]
                               for r in ref.sort_values(["measure", "months_since_permit"]).itertuples()],
                              numeric_from=3))
    return s


def _national(p: Published, ns: list[int]) -> dict[str, list[Figure]]:
    """The CBS reference figures of the 2014 permit cohort at the mart's durations (Figure(None) where
    the source has none), per measure ('uitkering', 'werk'); {} when none is published."""
    ref = p.t.get("national_cohort_reference")
    if ref is None or ref.empty:
        return {}
    ref = ref[ref.cohort_year == 2014]
    out = {}
    for measure in ("uitkering", "werk"):
        mine = {int(r.months_since_permit): float(r.percentage) / 100 for r in ref[ref.measure == measure].itertuples()}
        if any(n in mine for n in ns):
            out[measure] = [Figure(mine[n]) if n in mine else Figure(None) for n in ns]
    return out


def _with_2014(series, p: Published, df: pd.DataFrame, ns: list[int], column: str):
    """The chart's series with cohort 2014 among them (the national figures are of that cohort)."""
    if any(name == "2014" for name, _ in series):
        return series
    rows = {int(r.months_since_permit): r for _, r in df[df.cohort_year == 2014].iterrows()}
    if not rows:
        return series
    return [("2014", [ratio(p.fig(rows[n], column), p.fig(rows[n], "persons")) if n in rows else Figure(None)
                      for n in ns])] + list(series)[-3:]


def _national_caption(p: Published) -> str:
    ref = p.t["national_cohort_reference"]
    edition = "; ".join(sorted(set(ref.edition)))
    return ("Landelijke vergelijking (stippellijn): het CBS-cohortonderzoek asielmigranten (" + edition + ") volgt "
            "alle statushouders die in 2014 een verblijfsvergunning asiel kregen. De definities verschillen: het "
            "CBS telt alle statushouders van die groep in heel Nederland (voor werk: 18 tot 65 jaar), deze monitor "
            "alleen wie ooit bijstand van de gemeente kreeg; het CBS telt elke uitkering, deze monitor alleen "
            "bijstand; het CBS telt wie op dat moment werk heeft (ook naast een uitkering), deze monitor wie tot "
            "dan toe uit de bijstand is gegaan wegens werk; het CBS telt vanaf de datum van de vergunning, deze "
            "monitor in hele kalendermaanden vanaf de maand ervan. De cijfers geven dus een richting, geen "
            "gelijke maat. Bronnen staan in de tabel met landelijke cijfers.")


def _group_2014_2015(p: Published, df: pd.DataFrame) -> str:
    """One sentence on the 2014/2015 group (the memo could not report on it): both cohorts
    together, at the longest duration both have reached."""
    group = df[df.cohort_year.isin([2014, 2015])]
    shared = sorted(set(group[group.cohort_year == 2014].months_since_permit)
                    & set(group[group.cohort_year == 2015].months_since_permit))
    if not shared:
        return "Voor de groep 2014/2015 zijn nog geen cohortcijfers gepubliceerd."
    rows = group[group.months_since_permit == shared[-1]]
    persons = total(p.fig(r, "persons") for _, r in rows.iterrows())
    on_benefit = total(p.fig(r, "on_benefit") for _, r in rows.iterrows())
    work = total(p.fig(r, "outflow_work") for _, r in rows.iterrows())
    return (f"Groep 2014/2015 samen: {figure_text(persons)} statushouders; na {shared[-1]} maanden ontvangt "
            f"{percent_text(ratio(on_benefit, persons))} van hen bijstand en is {percent_text(ratio(work, persons))} "
            "uitgestroomd naar werk.")


def _women(p: Published, month: date, period_start: date) -> Section:
    s = Section("vrouwen", "Participatie van vrouwen",
                ["Het aanbod geldt voor mannen én vrouwen. Hieronder het bereik per geslacht: wie een traject "
                 "volgt, wie een assessment heeft gehad, en de uitstroom."])
    pg = p.t["participation_by_gender"]
    now = pg[pg.month == month]
    rows, share_traj, share_ass = [], [], []
    for code, label in GENDERS:
        r = now[now.gender == code]
        if r.empty:
            continue
        r = r.iloc[0]
        n = p.fig(r, "statushouders_on_benefit")
        in_traj, assessed = p.fig(r, "in_trajectory"), p.fig(r, "assessed")
        w, st = (total(grain.flow_value(p, Flow(label, "participation_by_gender", "participation_flows", column,
                                                 lambda d, g=code: d.gender == g), y)
                       for y in grain.periods("jaar", period_start, month))
                 for column in ("ended_work", "ended_study"))
        rows.append([label, n, in_traj, (ratio(in_traj, n), "%"), assessed, (ratio(assessed, n), "%"), w, st])
        share_traj.append((label, ratio(in_traj, n)))
        share_ass.append((label, ratio(assessed, n)))
    table = Table(f"Statushouders in de bijstand naar geslacht, {month_name(month)}; uitstroom "
                  f"{month_name(period_start)} t/m {month_name(month)}",
                  ["Geslacht", "In de bijstand", "In een traject", "% in traject", "Assessment gehad",
                   "% assessment", "Uitstroom werk", "Uitstroom studie"], rows)
    labels = [label for label, _ in share_traj]
    s.blocks.append(Chart(charts.bar_chart(
        "grafiek-vrouwen", f"Aandeel in een traject en met assessment naar geslacht, {month_name(month)}",
        "Staafdiagram met per geslacht het percentage statushouders in de bijstand dat een traject volgt en dat "
        "een assessment heeft gehad. De cijfers staan in de tabel hiernaast.", labels,
        [("In een traject", [f for _, f in share_traj]), ("Assessment gehad", [f for _, f in share_ass])],
        "Percentage", as_percent=True), table))
    choice = p.choose("Uitstroom naar werk en studie naar geslacht", [
        Flow(f"{label}: {what}", "participation_by_gender", "participation_flows", column,
             lambda d, g=code: d.gender == g)
        for code, label in GENDERS[:2] for column, what in (("ended_work", "werk"), ("ended_study", "studie"))],
        period_start, month)
    s.blocks.append(_flow_chart("grafiek-vrouwen-uitstroom", choice, "Beëindigde uitkeringen"))
    p.appendix.append(Table("Uitstroom naar werk en studie naar geslacht per maand",
                            ["Maand"] + [f"{label}: {what}" for _, label in GENDERS[:2] for what in ("werk", "studie")],
                            _monthly_rows(p, [("participation_by_gender", column, lambda d, g=code: d.gender == g)
                                              for code, _ in GENDERS[:2]
                                              for column in ("ended_work", "ended_study")], period_start, month)))
    names = {k: v["naam"] for k, v in _codes("initiatieven").items()}
    years = grain.periods("jaar", period_start, month)
    reg = p.t["initiative_registrations_by_gender_yearly"]
    flow_rows = []
    for code in names:
        if not ((reg.initiative_code == code) & reg.year.isin([y.start.year for y in years])).any():
            continue
        flow_rows.append([names[code]] + [
            total(grain.flow_value(p, Flow(label, "initiative_flows", "initiative_registrations_by_gender", "trajectories",
                                           lambda d, c=code, g=g: (d.initiative_code == c) & (d.gender == g)
                                           & ((d.event == "registered") if "event" in d.columns else True)), y)
                  for y in years) for g, label in GENDERS])
    s.blocks.append(Table(f"Aanmeldingen per initiatief naar geslacht (trajecten), {month_name(period_start)} "
                          f"t/m {month_name(month)}", ["Initiatief"] + [label for _, label in GENDERS], flow_rows))
    return s


OUTCOME_SHORT = {"LOPEND": "loopt nog", "WERK": "werk", "STAGE": "stage", "BBL": "bbl", "OPLEIDING_MBO": "mbo",
                 "OPLEIDING_HBO_WO": "hbo/wo", "VOORSCHAKEL": "voorschakel", "VOORGESTELD": "voorgesteld",
                 "DOORVERWEZEN": "doorverwezen", "ON_HOLD": "on hold", "UITGEVALLEN": "uitgevallen",
                 "AFGEROND": "afgerond"}


def _timnit(p: Published, month: date) -> Section:
    outcomes = {k: v["omschrijving"] for k, v in _codes("uitkomst").items()}
    order = {code: i for i, code in enumerate(outcomes)}
    io = p.t["initiative_outcomes"]
    now = io[(io.initiative_code == "TIMNIT") & (io.as_of_month == month)]
    now = now.assign(_order=now.outcome_code.map(lambda c: order.get(c, len(order)))).sort_values("_order")
    found = [(r.outcome_code, p.fig(r, "trajectories")) for _, r in now.iterrows()]
    rows = [[f"{OUTCOME_SHORT.get(code, code)}: {outcomes.get(code, code)}", f] for code, f in found]
    rows.append(["Totaal", total(f for _, f in found)])
    s = Section("timnit", "Resultaten Timnit",
                ["Het Timnit-programma (empowermenttraining) en de stand van de deelnemers, naar uitkomst."])
    s.blocks.append(Chart(charts.bar_chart(
        "grafiek-timnit", f"Timnit-deelnemers naar uitkomst, stand {month_name(month)}",
        "Staafdiagram met het aantal Timnit-trajecten per uitkomst. De cijfers staan in de tabel hiernaast.",
        [OUTCOME_SHORT.get(code, code) for code, _ in found], [("Trajecten", [f for _, f in found])], "Trajecten"),
        Table(f"Timnit-trajecten naar uitkomst, stand {month_name(month)}", ["Uitkomst", "Trajecten"], rows)))
    return s


def _staff(p: Published, month: date, period_start: date) -> Section:
    c = p.t["caseload_monthly"]
    rows_df = c[(c.month >= period_start) & (c.month <= month)].sort_values("month")
    rows, ratios = [], []
    for _, r in rows_df.iterrows():
        n = p.fig(r, "statushouders_on_benefit")
        fte = Figure.of(None if pd.isna(r.caseworker_fte) else r.caseworker_fte)
        per = Figure.of(None if pd.isna(r.clients_per_caseworker) else round(r.clients_per_caseworker, 1),
                        bool(r.clients_per_caseworker_suppressed))
        needed = Figure(round(n.value / CASELOAD_NORM, 1)) if n.exact else Figure(None, n.hidden)
        gap = Figure(round(needed.value - fte.value, 1)) if needed.exact and fte.exact else Figure(None, needed.hidden)
        rows.append([month_name(r.month), n, _one_decimal(fte), _one_decimal(per), _one_decimal(needed),
                     _one_decimal(gap)])
        ratios.append(per)
    s = Section("caseload", "Caseload per klantmanager en benodigde formatie",
                [f"Het team statushouders werkt met een norm van {CASELOAD_NORM} klanten per klantmanager. "
                 f"De benodigde formatie is het aantal statushouders in de bijstand gedeeld door {CASELOAD_NORM}."])
    s.blocks.append(Chart(charts.line_chart(
        "grafiek-caseload", "Klanten per klantmanager (fte) per maand",
        f"Lijndiagram van het aantal statushouders in de bijstand per fte klantmanager, met de norm van "
        f"{CASELOAD_NORM} als stippellijn. De cijfers staan in de tabel hiernaast.",
        [row[0] for row in rows], [("Klanten per fte", ratios)], "Klanten per fte",
        reference=(CASELOAD_NORM, f"norm {CASELOAD_NORM}")),
        Table("Caseload en formatie per maand", ["Maand", "Statushouders in de bijstand", "Formatie (fte)",
                                                 "Klanten per fte", f"Benodigd bij {CASELOAD_NORM} (fte)",
                                                 "Verschil (fte)"], rows)))
    return s


def _one_decimal(f: Figure) -> Figure:
    return f.printed_with(1)


def _quality(p: Published, month: date, period_start: date) -> Section:
    c = p.t["caseload_monthly"]
    rows_df = c[(c.month >= period_start) & (c.month <= month)].sort_values("month")
    rows = [[month_name(r.month), p.fig(r, "statushouders_on_benefit"), p.fig(r, "registration_missing"),
             (ratio(p.fig(r, "registration_missing"), p.fig(r, "statushouders_on_benefit")), "%")]
            for _, r in rows_df.iterrows() if not pd.isna(r.registration_missing) or r.registration_missing_suppressed]
    log = p.log.iloc[-1]
    s = Section("datakwaliteit", "Datakwaliteit",
                ["Sinds januari 2017 legt de gemeente de status statushouder apart vast. Statushouders zonder dat "
                 "kenmerk worden gevonden via hun verblijfstitel in de BRP; hieronder hoeveel statushouders in de "
                 "bijstand alleen zo zijn gevonden.",
                 f"Deze rapportage gebruikt de publicatie van {long_date(pd.Timestamp(log.published_at).date())} "
                 f"(maanden {month_name(pd.Timestamp(log.months_from).date())} t/m "
                 f"{month_name(pd.Timestamp(log.months_to).date())}). In die publicatie zijn "
                 f"{number(log.suppressed_cells)} cijfers afgeschermd en {number(log.revisions)} eerder "
                 "gepubliceerde cijfers herzien (door nieuwe of gecorrigeerde leveringen)."])
    s.blocks.append(Table("Statushouders in de bijstand die alleen via de BRP zijn gevonden",
                          ["Maand", "Statushouders in de bijstand", "Alleen via BRP gevonden", "Aandeel"], rows))
    return s


# --- what changed, how, and the monthly figures --------------------------------------------------

TABLE_NAMES = {
    "caseload_monthly": "statushouders in de bijstand per maand", "outflow_monthly": "uitstroom per maand",
    "initiative_outcomes": "trajecten per initiatief en uitkomst", "initiative_flows": "aanmeldingen en uitkomsten per maand",
    "cohort_progress": "cohorten naar jaar van vergunning", "cohort_progress_settlement": "cohorten naar jaar van vestiging",
    "participation_by_gender": "participatie naar geslacht",
    "initiative_effect": "rendement per initiatief", "initiative_effect_curve": "rendement na de start",
}
SOURCE_NAMES = {"uitkeringen": "uitkeringsbestand", "brp": "BRP", "klantbeeld": "klantbeeld", "formatie": "formatie"}


def _changes(p: Published) -> Section:
    """'Wat is er veranderd sinds de vorige rapportage': the revisions of the last publication,
    per published table, with the deliveries that explain them."""
    s = Section("wijzigingen", "Wat is er veranderd sinds de vorige rapportage")
    log = p.log
    if len(log) < 2:
        s.intro.append("Dit is de eerste publicatie: er is nog niets gewijzigd ten opzichte van een vorige.")
        return s
    now, before = log.iloc[-1], log.iloc[-2]
    rev = p.t["revisions"]
    rev = rev[(rev.publication_id == now.publication_id) & rev.table_name.isin(TABLE_NAMES)]
    when = long_date(pd.Timestamp(before.published_at).date())
    if rev.empty:
        s.intro.append(f"Geen enkel eerder gepubliceerd cijfer is gewijzigd sinds de vorige publicatie ({when}).")
        return s
    changed_value = rev[(rev.old_value != "suppressed") & (rev.new_value != "suppressed")
                        & rev.old_value.notna() & rev.new_value.notna()]
    masked = rev[(rev.old_value == "suppressed") | (rev.new_value == "suppressed")]
    s.intro.append(f"Sinds de vorige publicatie ({when}) zijn {number(len(rev))} eerder gepubliceerde cijfers "
                   f"gewijzigd: {number(len(changed_value))} kregen een andere waarde en {number(len(masked))} "
                   "werden afgeschermd of juist zichtbaar. Cijfers over eerdere maanden veranderen als leveringen "
                   "ze herstellen.")
    why = []
    deliveries = p.t.get("revision_deliveries")
    if deliveries is not None:
        mine = deliveries[deliveries.publication_id == now.publication_id]
        if len(mine):
            parts = sorted({f"{SOURCE_NAMES.get(r.source, r.source)} {month_name(pd.Timestamp(r.delivery_month).date())}"
                            for r in mine.itertuples()})
            why.append("Opnieuw of later geleverd voor al gepubliceerde maanden: " + ", ".join(parts[:12])
                       + (f" en {len(parts) - 12} meer" if len(parts) > 12 else "") + ".")
    why.append("Wie statushouder is, wordt over alle leveringen samen bepaald: een verblijfstitel die pas in een "
               "latere BRP-levering verschijnt, maakt iemand ook in eerdere maanden statushouder (zo wordt het "
               "ontbrekende kenmerk van de groep 2014/2015 hersteld). Dat verandert eerdere standen, instroom en "
               "cohortcijfers.")
    why.append("Een afgeschermd cijfer kan zichtbaar worden (of omgekeerd) als de cijfers eromheen veranderen: "
               "de afscherming voorkomt dat een klein aantal terug te rekenen is.")
    s.intro.extend(why)
    rows = []
    for table, group in rev.groupby("table_name", sort=False):
        values = group[(group.old_value != "suppressed") & (group.new_value != "suppressed")
                       & group.old_value.notna() & group.new_value.notna()]
        example = ""
        if len(values):
            r = values.iloc[0]
            example = f"{r.row_key}, {r.column_name}: {r.old_value} → {r.new_value}"
        rows.append([TABLE_NAMES[table], Figure(float(len(group))), Figure(float(len(values))), example])
    s.blocks.append(Table(f"Gewijzigde cijfers sinds de publicatie van {when}",
                          ["Tabel", "Gewijzigd", "waarvan andere waarde", "Voorbeeld"], rows))
    return s


def _method(p: Published) -> Section:
    s = Section("werkwijze", "Werkwijze", [grain.RULE_TEXT])
    rows = [[c.figure, {"maand": "per maand", "kwartaal": "per kwartaal", "jaar": "per jaar"}[c.grain]]
            + [(Figure(c.publishable[g]), "%") if g in c.publishable else "" for g in grain.GRAINS]
            for c in p.choices]
    s.blocks.append(Table("Gekozen indeling per figuur, met het deel van de cijfers dat gepubliceerd kan worden",
                          ["Figuur", "Getoond", "Per maand", "Per kwartaal", "Per jaar"], rows))
    return s


def _appendix(p: Published) -> Section:
    return Section("bijlage", "Bijlage: maandcijfers",
                   ["De stromen per maand. Kleine aantallen zijn afgeschermd; daarom staan ze in de hoofdtekst per "
                    "kwartaal of jaar (zie Werkwijze)."], list(p.appendix))


# Every section of the report, in order, as (published, report month, first month of the period)
# -> Section. A new section is one function added here ("Wat is er veranderd", the method and the
# appendix are placed by build_report).
SECTIONS = [
    _summary,
    _initiatives,
    _rendement,  # right after the initiatives: what they achieved beside what they counted
    _outflow,
    lambda p, month, period_start: _cohorts(p),
    _women,
    lambda p, month, period_start: _timnit(p, month),
    _staff,
    _quality,
]


# --- building ---------------------------------------------------------------------------------

def default_month(published_duckdb: Path) -> date:
    """The last published month."""
    from ..db import latest_publication

    latest = latest_publication(published_duckdb)
    if not latest or latest[2] is None:
        raise ValueError(f"{published_duckdb} covers no month")
    return latest[2]


def build_report(published_duckdb: Path, month: str | None, out_dir: Path) -> Path:
    """Write ``out_dir/raadsrapportage_<YYYY-MM>.html`` for ``month`` ('YYYY-MM'; default the last
    published month) from the published file, and return its path."""
    import jinja2

    from ..publish.core import parse_month

    published_duckdb = Path(published_duckdb)
    report_month = parse_month(month) if month else default_month(published_duckdb)
    p = Published(published_duckdb)
    covered_to = pd.Timestamp(p.log.iloc[-1].months_to).date()
    if report_month > covered_to:
        raise ValueError(f"{month_name(report_month)} is not published (published up to {month_name(covered_to)})")
    period_start = date(report_month.year - 1, 1, 1)
    sections = [build(p, report_month, period_start) for build in SECTIONS]
    sections.insert(1, _changes(p))  # after the key figures: what a reader comparing reports needs first
    sections += [_method(p), _appendix(p)]
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATE.parent), autoescape=True,
                             trim_blocks=True, lstrip_blocks=True)
    env.globals.update(cell=cell_html, Table=Table, Chart=Chart, Subsection=Subsection,
                       is_table=lambda b: isinstance(b, Table), is_chart=lambda b: isinstance(b, Chart),
                       is_sub=lambda b: isinstance(b, Subsection))
    html = env.get_template(TEMPLATE.name).render(
        title=f"Raadsrapportage statushouders {month_name(report_month)}",
        month=month_name(report_month), period=f"{month_name(period_start)} t/m {month_name(report_month)}",
        sections=sections, mark=SUPPRESSED_MARK, mark_title=SUPPRESSED_TITLE,
        published_at=long_date(pd.Timestamp(p.log.iloc[-1].published_at).date()))
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"raadsrapportage_{report_month:%Y-%m}.html"
    temp = target.with_name(f".{target.name}.tmp")
    temp.write_text(html, encoding="utf-8")
    temp.replace(target)
    return target
