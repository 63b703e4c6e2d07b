"""The council report: content from the published file, Dutch formats, suppression shown,
self-contained and accessible markup."""
from __future__ import annotations

import re
from html.parser import HTMLParser

import duckdb
import pytest

from orchestration.report import build_report
from orchestration.report import charts
from orchestration.report.format import (Figure, SUPPRESSED_MARK, figure_text, month_name, number, percent, ratio,
                                         signed)

EXPECTED_SECTIONS = ["Kerncijfers", "Wat is er veranderd sinds de vorige rapportage", "Initiatieven en resultaten",
                     "Rendement van de initiatieven", "Uitstroom naar werk en studie", "Cohort 2014/2015 en latere cohorten", "Participatie van vrouwen",
                     "Resultaten Timnit", "Caseload per klantmanager en benodigde formatie", "Datakwaliteit",
                     "Werkwijze", "Bijlage: maandcijfers"]


class Outline(HTMLParser):
    """Headings, tables (caption, header scopes) and SVGs of a page."""

    def __init__(self):
        super().__init__()
        self.headings, self.tables, self.svgs, self.ids = [], [], [], set()
        self._in, self._text, self._svg = None, [], None
        self.html_lang = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids.add(a["id"])
        if tag == "html":
            self.html_lang = a.get("lang")
        if tag in ("h1", "h2", "h3", "h4", "caption", "title", "desc"):
            self._in, self._text = tag, []
        if tag == "table":
            self.tables.append({"caption": None, "th_scopes": [], "rows": 0})
        if tag == "th" and self.tables:
            self.tables[-1]["th_scopes"].append(a.get("scope"))
        if tag == "tr" and self.tables:
            self.tables[-1]["rows"] += 1
        if tag == "svg":
            self._svg = {"role": a.get("role"), "labelledby": a.get("aria-labelledby", ""), "title": None,
                         "desc": None, "marks": 0}
            self.svgs.append(self._svg)
        if self._svg is not None and tag in ("rect", "circle", "path", "polyline"):
            self._svg["marks"] += 1

    def handle_endtag(self, tag):
        if tag == self._in:
            text = " ".join("".join(self._text).split())
            if tag == "caption":
                self.tables[-1]["caption"] = text
            elif tag in ("title", "desc") and self._svg is not None:
                self._svg[tag] = text
            elif tag.startswith("h"):
                self.headings.append((int(tag[1]), text))
            self._in = None
        if tag == "svg":
            self._svg = None

    def handle_data(self, data):
        if self._in:
            self._text.append(data)


def outline(html: str) -> Outline:
    o = Outline()
    o.feed(html)
    return o


def check_page(o: Outline) -> None:
    """What every rendering of the report must have (used on the file and on Chromium's DOM)."""
    assert o.html_lang == "nl"
    levels = [level for level, _ in o.headings]
    assert levels[0] == 1 and levels.count(1) == 1
    assert all(b - a <= 1 for a, b in zip(levels, levels[1:])), "heading levels skip"
    h2 = [text for level, text in o.headings if level == 2]
    assert h2 == ["Inhoud"] + EXPECTED_SECTIONS
    assert len(o.tables) >= 15
    for t in o.tables:
        assert t["caption"], "table without caption"
        assert t["th_scopes"] and all(s in ("col", "row") for s in t["th_scopes"])
    assert len(o.svgs) >= 6
    for svg in o.svgs:
        assert svg["role"] == "img" and svg["title"] and svg["desc"] and svg["marks"] > 0
        assert all(i in o.ids for i in svg["labelledby"].split()) and svg["labelledby"]


def test_report_file(report, published_file):
    assert report.name == "raadsrapportage_2018-05.html"
    html = report.read_text(encoding="utf-8")
    check_page(outline(html))
    # self-contained: no scripts, no external resources
    assert not re.search(r"<script|<link|<img|src=|url\(|@import", html)
    assert not re.search(r'href="(?!#)', html)
    assert "Raadsrapportage statushouders mei 2018" in html


def test_figures_come_from_the_published_file(report, published_file):
    html = report.read_text(encoding="utf-8")
    con = duckdb.connect(str(published_file), read_only=True)
    try:
        total, suppressed = con.execute("SELECT statushouders_on_benefit, statushouders_on_benefit_suppressed "
                                        "FROM caseload_monthly WHERE month = DATE '2018-05-01'").fetchone()
        timnit = con.execute("SELECT outcome_code, trajectories, trajectories_suppressed FROM initiative_outcomes "
                             "WHERE initiative_code = 'TIMNIT' AND as_of_month = DATE '2018-05-01'").fetchall()
    finally:
        con.close()
    assert not suppressed
    assert re.search(rf"Statushouders met een bijstandsuitkering</th><td class=\"num\">{number(total)}</td>", html)
    timnit_html = html[html.index('id="timnit"'):html.index('id="caseload"')]
    assert any(hidden for _, _, hidden in timnit) and any(not hidden for _, _, hidden in timnit)
    for code, value, hidden in timnit:
        from orchestration.report.builder import OUTCOME_SHORT
        cell = re.search(rf"<th scope=\"row\">{re.escape(OUTCOME_SHORT[code])}: [^<]*</th><td class=\"num\">(.*?)</td>",
                         timnit_html).group(1)
        if hidden:
            assert SUPPRESSED_MARK in cell and "abbr" in cell
        else:
            assert cell == number(value)


def test_month_choice(published_file, tmp_path):
    earlier = build_report(published_file, "2017-12", tmp_path)
    assert earlier.name == "raadsrapportage_2017-12.html"
    assert "Raadsrapportage statushouders december 2017" in earlier.read_text(encoding="utf-8")
    with pytest.raises(ValueError, match="not published"):
        build_report(published_file, "2018-06", tmp_path)


def test_dutch_formats_and_suppressed_figures():
    assert number(1234) == "1.234" and number(1234567.25, 1) == "1.234.567,2"
    assert percent(0.125) == "12,5%" and month_name(__import__("datetime").date(2018, 5, 1)) == "mei 2018"
    assert (signed(3.24), signed(-8.1), signed(0.01), signed(-0.04)) == ("+3,2", "\u22128,1", "0,0", "0,0")
    assert figure_text(Figure.of(3, suppressed=True)) == SUPPRESSED_MARK
    assert figure_text(Figure.of(30) + Figure.of(None, suppressed=True)) == "≥ 30"
    assert ratio(Figure.of(None, True), Figure.of(100)).hidden  # a ratio over a hidden count stays hidden
    assert ratio(Figure.of(30), Figure.of(None, True)).hidden


def _contrast(hex_colour: str) -> float:
    def channel(c):
        c = c / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
    lum = 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)
    return 1.05 / (lum + 0.05)


def test_colours_have_enough_contrast(report):
    html = report.read_text(encoding="utf-8")
    css = html[html.index("<style>"):html.index("</style>")]
    text_colours = re.findall(r"--(?:text|muted|accent): (#[0-9a-f]{6})", css)
    assert len(text_colours) == 3 and all(_contrast(c) >= 4.5 for c in text_colours)  # WCAG 1.4.3 text
    assert all(_contrast(c) >= 3 for c in charts.COLOURS + [charts.GRID])  # WCAG 1.4.11 graphics


def test_period_figures_use_the_year_totals(report, published_file):
    """The memo's period figures come from the published year totals (one cell per year), so they
    are exact where those cells are; a hidden year makes the figure a lower bound."""
    html = report.read_text(encoding="utf-8")
    con = duckdb.connect(str(published_file), read_only=True)
    try:
        rows = con.execute("SELECT year, benefits_ended, benefits_ended_suppressed FROM outflow_yearly "
                           "WHERE reason_group = 'werk' AND year IN (2017, 2018)").fetchall()
    finally:
        con.close()
    assert len(rows) == 2
    visible = sum(v for _, v, hidden in rows if not hidden)
    expected = (SUPPRESSED_MARK if not visible else f"≥ {number(visible)}") if any(h for *_, h in rows) \
        else number(visible)
    cell = re.search(r"Uitkering beëindigd i\.v\.m\. werk</th><td class=\"num\">(.*?)</td>", html).group(1)
    assert re.sub(r"<[^>]+>", "", cell) == expected
