"""The section "Rendement van de initiatieven": built from the published rendement only, with the
effect at 12 and 24 months and its interval, the naive share beside it, "te weinig deelnemers"
and "nog niet te meten" where the contract gives no estimate, a chart of participants against
their comparison group with its data table, and an empty publication handled in words."""
from __future__ import annotations

import html as html_lib
import re
import sys
from datetime import date
from pathlib import Path

import duckdb
import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "publish"))

from marts_fixture import build_effect_marts, build_marts, simulate, write_warehouse  # noqa: E402

from orchestration.publish import publish  # noqa: E402
from orchestration.report import build_report  # noqa: E402
from orchestration.report.format import percent, signed  # noqa: E402
from test_report import outline  # noqa: E402

AS_OF = date(2018, 5, 1)  # the report fixture's month (conftest.py): the rendement is as of it


def _section(html: str) -> str:
    start = html.index('<section aria-labelledby="rendement">')
    return html[start:html.index("</section>", start)]


def _text(fragment: str) -> str:
    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def _row(section: str, header: str) -> list[str]:
    """The cells (as text) of the table row whose row header is ``header``."""
    match = re.search(rf'<tr><th scope="row">{re.escape(html_lib.escape(header))}</th>(.*?)</tr>', section)
    assert match, header
    return [_text(cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", match.group(1))]


def _table(section: str, caption_start: str) -> str:
    start = section.index(f"<caption>{html_lib.escape(caption_start)}")
    return section[start:section.index("</table>", start)]


def test_headings(report):
    o = outline(_section(report.read_text(encoding="utf-8")))
    assert o.headings[:5] == [(2, "Rendement van de initiatieven"), (3, "Hoe lees je deze cijfers?"),
                              (3, "Effect op uitstroom naar werk"),
                              (3, "Effect op uitstroom naar studie (onderwijsroutes)"),
                              (3, "Deelnemers en vergelijkingsgroep na de start")]
    # a chart per initiative with at least three published points, under its own heading
    assert (4, "Re-integratie Agros") in o.headings and (4, "Aanmelding UAF (Stichting voor Vluchteling-Studenten)") \
        in o.headings
    text = _text(_section(report.read_text(encoding="utf-8")))
    for words in ("lock-in", "95%-interval", "alleen op wat geregistreerd is", "te weinig deelnemers",
                  "nog niet te meten", "naïef", "Berekend met de gegevens tot en met mei 2018."):
        assert words in text, words


def test_a_known_figure_with_its_interval_and_the_naive_share_beside_it(report, published_file):
    """Agros, work, 12 months: the fixture's figures, unsuppressed in the publication, printed in
    Dutch: matched participants, p, c, the naive share, the effect with its interval, the reading."""
    fixture = build_effect_marts(AS_OF)["initiative_effect"]
    row = fixture[(fixture.initiative_code == "AGROS") & (fixture.outcome == "werk")
                  & (fixture.horizon_months == 12)].iloc[0]
    con = duckdb.connect(str(published_file), read_only=True)
    try:
        published = con.execute("""SELECT matched_participants, effect_pp, effect_pp_suppressed FROM initiative_effect
                                   WHERE initiative_code = 'AGROS' AND outcome = 'werk' AND horizon_months = 12""").fetchone()
    finally:
        con.close()
    assert published == (row.matched_participants, row.effect_pp, False)
    section = _section(report.read_text(encoding="utf-8"))
    cells = _row(_table(section, "Uitstroom naar werk"), "Re-integratie Agros, na 12\u00a0mnd")
    effect = f"{signed(row.effect_pp)} ({signed(row.effect_ci_low_pp)} tot {signed(row.effect_ci_high_pp)})"
    reading = ("aantoonbaar meer uitstroom" if row.effect_ci_low_pp > 0 else "aantoonbaar minder uitstroom"
               if row.effect_ci_high_pp < 0 else "geen aantoonbaar verschil")
    assert cells == [str(row.matched_participants), percent(row.participant_share), percent(row.comparison_share),
                     percent(row.naive_share), effect, reading]
    assert row.effect_pp > 10 and row.effect_ci_low_pp > 0 and reading == "aantoonbaar meer uitstroom"  # planted


def test_too_few_and_horizons_not_reached(report):
    section = _section(report.read_text(encoding="utf-8"))
    work = _table(section, "Uitstroom naar werk")
    # VIP: 14 participants, fewer than 20 matched at every horizon
    for h in (12, 24):
        cells = _row(work, f"VIP-traject Vluchtelingenwerk, na {h}\u00a0mnd")
        assert cells[1:4] == ["–", "–", "–"] and cells[4] == "te weinig deelnemers" and cells[5] == ""
    # Adviesgesprek: nobody started 24 months ago; Voorschakel: nobody 12 months ago (one row for both)
    assert _row(work, "Adviesgesprek Adviesteam Onderwijs, na 24\u00a0mnd")[4] == "nog niet te meten"
    assert _row(work, "Voorschakeltraject Nova college, na 12 en 24\u00a0mnd")[4] == "nog niet te meten"
    # study only for the education routes (domein onderwijs in the initiative list)
    study = _table(section, "Uitstroom naar een studie")
    assert "Adviesgesprek Adviesteam Onderwijs" in study and "Aanmelding UAF" in study
    assert "Re-integratie Agros" not in study and "VIP-traject" not in study
    # initiatives without any participant are named, not shown as empty rows
    named = re.search(r"Geen deelnemers die bij hun start in de bijstand zaten en te vergelijken waren: ([^<]*)\.",
                      section)
    assert named and "Timnit empowermenttraining" in named.group(1) and "Re-integratie Agros" not in named.group(1)
    assert "Timnit" not in work


def test_chart_of_participants_against_comparison(report, published_file):
    section = _section(report.read_text(encoding="utf-8"))
    svg = re.search(r'<svg [^>]*id="grafiek-rendement-agros".*?</svg>', section, re.S).group(0)
    o = outline(svg)
    (chart,) = o.svgs
    assert chart["role"] == "img" and "Re-integratie Agros" in chart["title"] and "vergelijkingsgroep" in chart["desc"]
    assert svg.count("<polyline") >= 2 and "Deelnemers" in svg and "Vergelijkingsgroep" in svg
    con = duckdb.connect(str(published_file), read_only=True)
    try:
        curve = con.execute("""SELECT months_since_start, participant_share, participant_share_suppressed
                               FROM initiative_effect_curve WHERE initiative_code = 'AGROS' AND outcome = 'werk'
                               ORDER BY 1""").fetchall()
    finally:
        con.close()
    table = _table(section, "Re-integratie Agros: deel dat de bijstand verliet")
    assert [k for k, *_ in curve] == list(range(0, 25, 3))
    for k, share, hidden in curve:
        cells = _row(table, f"{k} mnd")
        assert cells[1] == ("×" if hidden else "–" if share is None else percent(share)), k
    # the education routes draw work and study
    uaf = re.search(r'<svg [^>]*id="grafiek-rendement-uaf".*?</svg>', section, re.S).group(0)
    assert "Deelnemers studie" in uaf and "Vergelijking werk" in uaf


def test_an_earlier_month_says_the_figures_are_of_the_last(published_file, tmp_path):
    section = _section(build_report(published_file, "2017-12", tmp_path).read_text(encoding="utf-8"))
    assert "Berekend met de gegevens tot en met mei 2018; deze rapportage gaat over december 2017" in _text(section)


@pytest.fixture(scope="module")
def without_rendement(tmp_path_factory):
    """Published through April 2018 while the rendement is as of May (May had an error)."""
    root = tmp_path_factory.mktemp("no_rendement")
    warehouse = write_warehouse(root / "monitor.duckdb",
                                build_marts(simulate(seed=3, n_persons=300, n_months=24), effect_as_of=AS_OF))
    result = publish(warehouse, root / "out", "2018-04", parquet=False)
    return build_report(result.published_file, None, root / "reports")


def test_a_publication_without_the_rendement(without_rendement):
    section = _section(without_rendement.read_text(encoding="utf-8"))
    assert "Deze publicatie bevat geen rendementscijfers" in _text(section)
    assert "<table" not in section and "<svg" not in section
