"""The report rendered by a real headless Chromium: headings, tables and charts in the DOM the
browser built, and a screenshot. Skipped only outside CI when Chromium is not installed."""
from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from test_report import check_page, outline

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
if CHROMIUM is None and not os.environ.get("CI"):
    pytest.skip("chromium not installed (apt-get install chromium) and not in CI", allow_module_level=True)

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-dev-shm-usage", "--hide-scrollbars"]


def _chromium(*args, home):
    assert CHROMIUM, "CI=true but chromium is not installed: .ci/run must install it"
    return subprocess.run([CHROMIUM, *FLAGS, *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "HOME": str(home)})


def test_rendered_dom_has_headings_tables_and_charts(report, tmp_path):
    done = _chromium("--dump-dom", report.as_uri(), home=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    dom = done.stdout
    assert "<svg" in dom and "</html>" in dom
    check_page(outline(dom))


def test_rendement_section_and_its_charts_render(report, tmp_path):
    """The rendement section as the browser built it: its headings, its tables and its charts
    (SVG with role img, title and description, lines drawn)."""
    done = _chromium("--dump-dom", report.as_uri(), home=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    dom = done.stdout
    start = dom.index('<section aria-labelledby="rendement">')
    section = outline(dom[start:dom.index("</section>", start)])
    assert section.headings[0] == (2, "Rendement van de initiatieven")
    assert (3, "Deelnemers en vergelijkingsgroep na de start") in section.headings
    assert len(section.tables) >= 3 and all(t["caption"] for t in section.tables)
    charts = {svg["title"]: svg for svg in section.svgs}
    agros = next(svg for title, svg in charts.items() if title.startswith("Re-integratie Agros"))
    assert agros["role"] == "img" and agros["desc"] and agros["marks"] > 10
    assert len(charts) >= 3


def test_screenshot(report, tmp_path):
    shot = tmp_path / "report.png"
    done = _chromium(f"--screenshot={shot}", "--window-size=1280,4000", report.as_uri(), home=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 50_000  # a page with content, not a blank one
