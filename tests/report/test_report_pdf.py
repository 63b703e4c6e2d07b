"""The council report as PDF (headless Chromium), the reports folder that follows the warehouse,
and the message when Chromium is missing. Skipped only outside CI when Chromium is missing."""
from __future__ import annotations

import os
import re
import shutil

import duckdb
import pytest

from orchestration import cli
from orchestration.report.format import number, signed

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(CHROMIUM is None and not os.environ.get("CI"),
                                    reason="chromium not installed (apt-get install chromium) and not in CI")


@pytest.fixture(scope="module")
def pdf(published_file, tmp_path_factory):
    from orchestration.report import build_report
    from orchestration.report.pdf import write_pdf

    html = build_report(published_file, None, tmp_path_factory.mktemp("pdf"))
    return write_pdf(html)


@needs_chromium
def test_pdf_is_a4_with_page_numbers_contents_headings_and_figures(pdf, published_file):
    from pypdf import PdfReader

    assert pdf.path.name == "raadsrapportage_2018-05.pdf" and pdf.path.with_suffix(".html").exists()
    reader = PdfReader(str(pdf.path))
    pages = len(reader.pages)
    assert 8 <= pages <= 60, pages
    for page in reader.pages:  # A4 portrait: 595 x 842 pt
        assert round(float(page.mediabox.width)) == 596 and round(float(page.mediabox.height)) == 842
    text = [page.extract_text() for page in reader.pages]
    assert f"pagina 1 van {pages}" in text[0] and f"pagina {pages} van {pages}" in text[-1]
    whole = "\n".join(text)
    for heading in ("Inhoud", "Kerncijfers", "Wat is er veranderd sinds de vorige rapportage",
                    "Rendement van de initiatieven", "Deelnemers en vergelijkingsgroep na de start",
                    "Cohort 2014/2015 en latere cohorten", "Werkwijze", "Bijlage: maandcijfers"):
        assert heading in whole, heading
    con = duckdb.connect(str(published_file), read_only=True)
    caseload = con.execute("SELECT statushouders_on_benefit FROM caseload_monthly "
                           "WHERE month = DATE '2018-05-01'").fetchone()[0]
    con.close()
    assert re.search(rf"Statushouders met een bijstandsuitkering\s*{re.escape(number(caseload))}", whole)
    # the rendement's widest table fits the page: its last column and a known effect are in the text
    con = duckdb.connect(str(published_file), read_only=True)
    low, high = con.execute("""SELECT effect_ci_low_pp, effect_ci_high_pp FROM initiative_effect
                               WHERE initiative_code = 'AGROS' AND outcome = 'werk' AND horizon_months = 12""").fetchone()
    con.close()
    page = next(t for t in text if "Uitstroom naar werk binnen 12 en 24 maanden" in t).replace("\n", " ")
    assert "Conclusie" in page and "aantoonbaar meer" in page
    assert f"{signed(low)} tot {signed(high)}" in page
    # the outline (bookmarks) follows the headings; the charts are vectors, not pictures
    def titles(items):
        for item in items:
            yield from (titles(item) if isinstance(item, list) else [item["/Title"]])

    outline = list(titles(reader.outline))
    assert "Kerncijfers" in outline and "Werkwijze" in outline and "Rendement van de initiatieven" in outline
    images = sum(len([x for x in (page.get("/Resources", {}).get("/XObject") or {}).values()
                      if x.get_object().get("/Subtype") == "/Image"]) for page in reader.pages)
    assert images == 0


def _report(argv, capsys):
    status = cli.main(["report", *argv])
    out = capsys.readouterr()
    return status, out.out, out.err


@needs_chromium
def test_statmon_report_pdf_writes_both_beside_the_warehouse(published_file, capsys, monkeypatch):
    monkeypatch.delenv("STATMON_REPORTS_DIR", raising=False)
    warehouse = published_file.parent / "monitor.duckdb"  # the published file lives beside it
    status, out, err = _report(["--warehouse", str(warehouse), "--format", "pdf"], capsys)
    assert status == 0, err
    reports = published_file.parent / "reports"
    assert out.split() == [str(reports / "raadsrapportage_2018-05.html"), str(reports / "raadsrapportage_2018-05.pdf")]
    assert (reports / "raadsrapportage_2018-05.pdf").read_bytes()[:5] == b"%PDF-"


def test_reports_follow_the_warehouse_unless_told_otherwise(published_file, tmp_path, capsys, monkeypatch):
    warehouse = published_file.parent / "monitor.duckdb"
    monkeypatch.delenv("STATMON_REPORTS_DIR", raising=False)
    status, out, _ = _report(["--warehouse", str(warehouse), "--month", "2018-04"], capsys)
    assert status == 0 and out.strip() == str(published_file.parent / "reports" / "raadsrapportage_2018-04.html")
    monkeypatch.setenv("STATMON_REPORTS_DIR", str(tmp_path / "env"))
    status, out, _ = _report(["--warehouse", str(warehouse), "--month", "2018-04"], capsys)
    assert out.strip() == str(tmp_path / "env" / "raadsrapportage_2018-04.html")
    status, out, _ = _report(["--warehouse", str(warehouse), "--month", "2018-04", "--out", str(tmp_path / "cli")],
                             capsys)
    assert out.strip() == str(tmp_path / "cli" / "raadsrapportage_2018-04.html")
    from orchestration import config
    assert config.reports_dir(tmp_path / "other" / "monitor.duckdb") == tmp_path / "env"
    monkeypatch.delenv("STATMON_REPORTS_DIR")
    assert config.reports_dir(tmp_path / "other" / "monitor.duckdb") == tmp_path / "other" / "reports"


def test_without_chromium_the_command_says_what_to_install(published_file, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("STATMON_CHROMIUM", str(tmp_path / "no-such-chromium"))
    status, out, err = _report(["--warehouse", str(published_file.parent / "monitor.duckdb"), "--format", "pdf",
                                "--out", str(tmp_path)], capsys)
    assert status == 2 and out == ""
    assert "Chromium" in err and "apt-get install --no-install-recommends chromium fonts-dejavu-core" in err
    assert not list(tmp_path.glob("*.pdf"))
