"""The source registry: every source of the landing contract is in it, it is validated when
loaded, and adding a partner is adding an entry (no code)."""
from __future__ import annotations

import datetime as dt

import pytest
import yaml

from ingestion_helpers import KEY, by_result
from orchestration.config import REGISTRY_FILE
from orchestration.sources.ingest import ingest_month
from orchestration.pseudonym import pseudonymise
from orchestration.sources.registry import RegistryError, load_registry, parse_registry

CONTRACT_SOURCES = {
    "uitkeringen", "brp", "klantbeeld", "formatie",
    *(f"trajecten_{p}" for p in ("adviesteam", "uaf", "agros", "pasmatch", "aandeslag", "timnit",
                                 "vluchtelingenwerk", "wsp", "sur_atelier", "nova", "gemeente")),
}


def test_registry_describes_every_contract_source():
    registry = load_registry()
    assert {s.source for s in registry.sources} == CONTRACT_SOURCES
    agros = registry.source("trajecten_agros")
    assert (agros.format, agros.sheet, agros.date_format) == ("xlsx", "trajecten", "excel")
    assert [layout.name for layout in agros.layouts] == ["canonical", "legacy"]
    pasmatch = registry.source("trajecten_pasmatch")
    assert (pasmatch.delimiter, pasmatch.encoding, pasmatch.date_format) == (";", "windows-1252", "DD-MM-YYYY")
    assert pasmatch.layouts[1].value_maps["uitkomst"]["gestopt"] == "UITGEVALLEN"
    assert pasmatch.layouts[1].constants == {"initiatief": "PASMATCH"}
    assert registry.source("trajecten_uaf").delimiter == ","
    assert registry.source("brp").date_format == "YYYYMMDD"
    assert registry.source("formatie").decimal_comma


@pytest.mark.parametrize("mutate, message", [
    (lambda d: d["sources"][0].update(format="json"), "format must be csv or xlsx"),
    (lambda d: d["sources"][0].update(date_format="MM/DD/YYYY"), "date_format must be one of"),
    (lambda d: d["sources"][0].update(encoding="latin-2"), "encoding must be one of"),
    (lambda d: d["sources"][4].pop("partner"), "a trajecten source needs a partner code"),
    (lambda d: d["sources"].append(dict(d["sources"][5])), "duplicate sources"),
    (lambda d: d["sources"][6]["layouts"][1]["headers"].update(Extra="kolom_x"), "names column 'kolom_x'"),
])
def test_registry_errors_name_the_entry(mutate, message):
    data = yaml.safe_load(REGISTRY_FILE.read_text(encoding="utf-8"))
    mutate(data)
    with pytest.raises(RegistryError, match=message):
        parse_registry(data)


def test_adding_a_partner_is_one_registry_entry(con, tmp_path):
    data = yaml.safe_load(REGISTRY_FILE.read_text(encoding="utf-8"))
    data["sources"].append({
        "kind": "trajecten", "partner": "taalhuis", "pattern": "trajecten_taalhuis*.csv", "format": "csv",
        "delimiter": "|", "encoding": "utf-8", "date_format": "DD-MM-YYYY",
        "layouts": [{"name": "taalhuis", "headers": {
            "Klant BSN": "bsn", "Cursus": "initiatief", "Ingeschreven": "aanmelddatum", "Begin": "startdatum",
            "Eind": "einddatum", "Resultaat": "uitkomst", "Resultaatdatum": "uitkomstdatum", "Uren": "uren_per_week"},
            "value_maps": {"uitkomst": {"bezig": "LOPEND"}}}],
    })
    registry_path = tmp_path / "registry.yaml"
    registry_path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    raw = tmp_path / "raw"
    (raw / "2019-04").mkdir(parents=True)
    (raw / "2019-04" / "trajecten_taalhuis.csv").write_text(
        "Klant BSN|Cursus|Ingeschreven|Begin|Eind|Resultaat|Resultaatdatum|Uren\n"
        "799642630|TIMNIT|02-04-2019|08-04-2019||bezig|08-04-2019|\n", encoding="utf-8")
    results = ingest_month(con, raw, "2019-04", "trajecten", KEY, registry_path=registry_path)
    (result,) = by_result(results, "trajecten_taalhuis")
    assert (result.status, result.rows_loaded) == ("loaded", 1), result.message
    assert con.execute(
        "SELECT partner, person_id, initiatief, aanmelddatum, startdatum, uitkomst FROM landing.trajecten"
    ).fetchall() == [("taalhuis", pseudonymise("799642630", KEY), "TIMNIT", dt.date(2019, 4, 2), dt.date(2019, 4, 8), "LOPEND")]
    # the shipped registry does not know the partner: its file is simply not picked up
    assert not by_result(ingest_month(con, raw, "2019-04", "trajecten", KEY), "trajecten_taalhuis")


def test_a_file_matching_two_patterns_belongs_to_the_most_specific(con, tmp_path):
    data = yaml.safe_load(REGISTRY_FILE.read_text(encoding="utf-8"))
    aandeslag = next(s for s in data["sources"] if s.get("partner") == "aandeslag")
    data["sources"].append({**aandeslag, "partner": "aandeslag_zuid", "pattern": "trajecten_aandeslag_zuid*.csv"})
    registry_path = tmp_path / "registry.yaml"
    registry_path.write_text(yaml.safe_dump(data), encoding="utf-8")
    month = tmp_path / "raw" / "2019-04"
    month.mkdir(parents=True)
    header = "bsn,initiatief,aanmelddatum,startdatum,einddatum,uitkomst,uitkomstdatum,uren_per_week\n"
    (month / "trajecten_aandeslag.csv").write_text(header + "799642630,AAN_DE_SLAG,2019-04-01,,,,,\n")
    (month / "trajecten_aandeslag_zuid.csv").write_text(header + "578230859,AAN_DE_SLAG,2019-04-02,,,,,\n")
    results = ingest_month(con, tmp_path / "raw", "2019-04", "trajecten", KEY, registry_path=registry_path)
    assert sorted((r.source, r.source_file, r.status) for r in results if r.status != "missing") == [
        ("trajecten_aandeslag", "2019-04/trajecten_aandeslag.csv", "loaded"),
        ("trajecten_aandeslag_zuid", "2019-04/trajecten_aandeslag_zuid.csv", "loaded"),
    ]
