"""GX Data Docs for a month, built from the stored validation results."""
import re
from orchestration.quality.data_docs import build_data_docs
from orchestration.quality.file_rules import run_file_rules

from quality_helpers import add_benefits


def test_data_docs_name_the_suites_of_the_month(con, tmp_path):
    add_benefits(con, "2018-04", range(100))
    add_benefits(con, "2018-05", range(30), duplicate_ids=2)
    run_file_rules(con, "uitkeringen", ["2018-04", "2018-05"])
    index = build_data_docs(con, "2018-05", tmp_path / "docs")
    assert index.exists() and index.name == "index.html"
    html = index.read_text()
    assert "file_rules.uitkeringen" in html
    site = index.parent
    pages = list((site / "validations").rglob("*.html"))
    assert len(pages) == 1 and "uitkeringen-2018-05" in pages[0].name
    page = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", pages[0].read_text()))
    assert "Expectation Suite: file_rules.uitkeringen" in page and "Status: Failed" in page
    # the row count bounds from the previous month (100 rows) and the observed 30 rows
    assert "Must have greater than or equal to 50 and less than or equal to 200 rows. 30" in page
    assert "registratienummer_uitkering" in page and "Run Name uitkeringen-2018-05" in page
    assert (site / "expectations" / "file_rules" / "uitkeringen.html").exists()  # GX splits the name at dots
    # rebuilding for another month replaces the site
    index = build_data_docs(con, "2018-04", tmp_path / "docs")
    pages = list((index.parent / "validations").rglob("*.html"))
    assert [p.name for p in pages] == ["uitkeringen-2018-04.html"]


def test_offline_overview_links_to_the_gx_pages(con, tmp_path):
    add_benefits(con, "2018-04", range(100))
    add_benefits(con, "2018-05", range(30))
    run_file_rules(con, "uitkeringen", ["2018-04", "2018-05"])
    out = tmp_path / "docs"
    build_data_docs(con, "2018-05", out)
    overview = (out / "index.html").read_text()
    assert "<script" not in overview and "delivery month 2018-05" in overview
    targets = re.findall(r'href="([^"]+)"', overview)
    assert len(targets) == 2  # GX's index and the one validation page
    for target in targets:
        assert (out / target).exists(), target
    assert re.search(r"<td>uitkeringen</td><td><a [^>]+>file_rules.uitkeringen</a></td><td>failed</td><td>2</td><td>1</td>"
                     r"<td>row_count_vs_previous_month</td>", overview)


def test_the_site_is_rebuilt_only_when_the_month_s_results_changed(con, tmp_path):
    add_benefits(con, "2018-04", range(100))
    add_benefits(con, "2018-05", range(30))
    run_file_rules(con, "uitkeringen", ["2018-04", "2018-05"])
    out = tmp_path / "docs"
    index = build_data_docs(con, "2018-05", out)
    built = {p: p.stat().st_mtime_ns for p in (index, out / "index.html")}
    # the same results: nothing is written
    assert build_data_docs(con, "2018-05", out) == index
    assert {p: p.stat().st_mtime_ns for p in built} == built
    # another result of the month (a benefits file delivered again with more rows): rebuilt
    add_benefits(con, "2018-05", range(30, 60))
    con.execute("UPDATE landing.uitkeringen SET file_hash = 'hash-2' WHERE delivery_month = DATE '2018-05-01'")
    run_file_rules(con, "uitkeringen", ["2018-05"])
    build_data_docs(con, "2018-05", out)
    assert (out / "index.html").stat().st_mtime_ns > built[out / "index.html"]
    assert "<td>passed</td>" in (out / "index.html").read_text()  # 60 rows: within 50..200
