"""Flows at the grain that survives suppression, and what changed since the last publication:
on a small municipality the body's flow tables show quarters or years where the months are
mostly hidden, the rule is applied from the data, and the monthly tables are in the appendix."""
from __future__ import annotations

import re
import sys
from pathlib import Path

import duckdb
import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "publish"))

from marts_fixture import build_marts, simulate, write_warehouse  # noqa: E402

from orchestration.publish import publish  # noqa: E402
from orchestration.report import build_report  # noqa: E402
from orchestration.report import grain  # noqa: E402
from orchestration.report.builder import Published  # noqa: E402


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """A municipality of ~150 statushouders: monthly flows are counts of 0 to 4."""
    root = tmp_path_factory.mktemp("small")
    warehouse = write_warehouse(root / "warehouse" / "monitor.duckdb",
                                build_marts(simulate(seed=11, n_persons=150, n_months=24)))
    result = publish(warehouse, root / "warehouse", "2018-05", parquet=False)
    return result.published_file, build_report(result.published_file, None, root / "reports")


def _body_and_appendix(html: str) -> tuple[str, str]:
    cut = html.index('id="bijlage"')
    return html[:cut], html[cut:]


def _cells(table_html: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", table_html, re.S)]


def test_the_grain_is_the_finest_where_most_cells_are_published(small):
    published, _ = small
    p = Published(published)
    flows = [grain.Flow("Nieuw", "caseload_monthly", "caseload_flows", "new_on_benefit"),
             grain.Flow("Uit", "caseload_monthly", "caseload_flows", "left_benefit")]
    first, last = grain.periods("jaar", p.last_month.replace(year=p.last_month.year - 1, month=1), p.last_month)[0].start, \
        p.last_month
    choice = grain.choose(p, "Nieuw en uit", flows, first, last)
    order = list(grain.GRAINS)
    # every finer grain tried had at most half of its non-zero cells published
    for finer in order[:order.index(choice.grain)]:
        assert choice.publishable[finer] <= grain.MOST
    assert choice.publishable[choice.grain] > grain.MOST or choice.grain == "jaar"
    # on this municipality the months do not survive and the chosen grain is coarser
    assert choice.grain != "maand" and choice.publishable["maand"] < choice.publishable[choice.grain]
    # the quarter and year figures are the published totals: exact where the months are hidden
    assert all(len(v) == len(choice.periods) for v in choice.values.values())


def test_body_flow_tables_are_mostly_numbers_and_months_are_in_the_appendix(small):
    _, report = small
    html = report.read_text(encoding="utf-8")
    body, appendix = _body_and_appendix(html)
    flows = re.findall(r"<table>\s*<caption>(Nieuw in de bijstand en uitgestroomd per (?:kwartaal|jaar))</caption>(.*?)</table>",
                       body, re.S)
    assert flows, "the caseload flows are not shown per quarter or year in the body"
    cells = [c for c in _cells(flows[0][1]) if c]
    assert sum(c == "×" for c in cells) / len(cells) < 0.5, cells
    # the same flows per month, in the appendix, are mostly hidden: that is why they moved there
    monthly = re.search(r"<caption>Nieuw in de bijstand en uitgestroomd per maand</caption>(.*?)</table>", appendix, re.S)
    month_cells = [c for c in _cells(monthly.group(1)) if c not in ("", "0")]
    assert sum(c == "×" for c in month_cells) / len(month_cells) > 0.5
    assert "Werkwijze" in body and grain.RULE_TEXT[:60] in body


def test_what_changed_lists_the_revisions_and_the_re_deliveries(tmp_path):
    warehouse = write_warehouse(tmp_path / "warehouse" / "monitor.duckdb",
                                build_marts(simulate(seed=3, n_persons=900, n_months=24)))
    publish(warehouse, tmp_path / "warehouse", "2018-05", parquet=False)
    con = duckdb.connect(str(warehouse))
    # a re-delivered benefits file for June 2017 repairs that month: ten more statushouders
    con.execute("""UPDATE marts.caseload_monthly SET statushouders_on_benefit = statushouders_on_benefit + 10,
                   single_households = single_households + 10 WHERE month = DATE '2017-06-01'""")
    con.execute("""INSERT INTO landing.deliveries (delivery_month, source, source_file, status, loaded_at)
                   VALUES (DATE '2017-06-01', 'uitkeringen', '2017-06/uitkeringen.csv', 'loaded', now()::TIMESTAMP)""")
    con.close()
    second = publish(warehouse, tmp_path / "warehouse", "2018-05", parquet=False)
    assert second.revisions > 0
    html = build_report(second.published_file, None, tmp_path / "reports").read_text(encoding="utf-8")
    section = html[html.index('id="wijzigingen"'):html.index('id="initiatieven"')]
    assert f"{second.revisions} eerder gepubliceerde cijfers" in section or "eerder gepubliceerde cijfers" in section
    assert "uitkeringsbestand juni 2017" in section
    assert "month=2017-06-01, statushouders_on_benefit" in section or "statushouders in de bijstand per maand" in section
