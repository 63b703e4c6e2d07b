"""The one loader of the expectation suites in expectations/: every module that reads a suite
(the row-rule compiler, the file rules, Data Docs, the waivers' rule list, the tests) reads it here.

A suite file is plain GX Core 1.x suite JSON, `{"name", "meta", "expectations": [{"type",
"kwargs", "meta"}]}`, which GX itself loads with `gx.ExpectationSuite(**suite)`:
- expectations/<kind>.json             row rules, compiled to SQL by orchestration/sources/rules.py
- expectations/file_rules/<kind>.json  file-level rules, run by GX on the landed rows

Each expectation's `meta`: `rule` (stable rule id, required), `severity` (error | warn, default
warn), `description` (plain words, optional); row rules also `on_fail`, `message`,
`value_messages`, `report_column` (see orchestration/sources/rules.py) and `code_list`.

Parameters: a kwarg may be `{"$PARAMETER": name}`. `resolve` fills them in: `codes_<seed>` from the
dbt seed `dbt_project/seeds/<seed>.csv` (column `code`) for every `meta.code_list` (code lists are
never copied into the JSON), `delivery_year` / `delivery_month_number` from the delivery month, and
whatever the caller adds (the file rules' row count bounds). What is validated or compiled is
always the resolved suite, and it is what landing.expectation_results records."""
from __future__ import annotations

import csv
import hashlib
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from orchestration.config import EXPECTATIONS_DIR, SEEDS_DIR

FILE_RULES_DIR = EXPECTATIONS_DIR / "file_rules"
SEVERITIES = ("error", "warn")


def row_rules_path(kind: str) -> Path:
    return EXPECTATIONS_DIR / f"{kind}.json"


def file_rules_path(kind: str) -> Path:
    return FILE_RULES_DIR / f"{kind}.json"


def load_suite(path: Path) -> dict[str, Any]:
    """A suite file as a dict (a fresh copy each call: callers may change it), checked: every
    expectation has a type, kwargs and a meta.rule, and a known severity."""
    path = Path(path)
    return json.loads(_load_checked(str(path.resolve()), path.stat().st_mtime_ns))


@lru_cache(maxsize=64)
def _load_checked(path: str, _mtime_ns: int) -> str:
    raw = json.loads(Path(path).read_text(encoding="utf-8"))
    suite = {"name": raw.get("name") or Path(path).stem, "meta": raw.get("meta") or {}, "expectations": []}
    for index, expectation in enumerate(raw.get("expectations") or []):
        exp_type, meta = expectation.get("type"), dict(expectation.get("meta") or {})
        if not exp_type or "kwargs" not in expectation:
            raise ValueError(f"{path}: expectation {index} needs `type` and `kwargs`")
        if not meta.get("rule"):
            raise ValueError(f"{path}: expectation {index} ({exp_type}) has no meta.rule")
        if meta.setdefault("severity", "warn") not in SEVERITIES:
            raise ValueError(f"{path}: expectation {index} ({exp_type}) has severity {meta['severity']!r}; "
                             f"expected one of {SEVERITIES}")
        suite["expectations"].append({"type": exp_type, "kwargs": dict(expectation["kwargs"]), "meta": meta})
    return json.dumps(suite)


def code_list(name: str, seeds_dir: Path | None = None) -> list[str]:
    """The `code` column of a dbt seed, as text ('01' stays '01')."""
    path = Path(seeds_dir or SEEDS_DIR) / f"{name}.csv"
    if not path.exists():
        raise FileNotFoundError(f"meta.code_list {name!r}: no seed {path}")
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return [row["code"].strip() for row in csv.DictReader(handle) if (row.get("code") or "").strip()]


def suite_parameters(suite: dict[str, Any], month: str | None = None, seeds_dir: Path | None = None,
                     **extra: Any) -> dict[str, Any]:
    """The values of the suite's parameters: its code lists, the delivery month's year and month
    number (month = YYYY-MM) and `extra`."""
    params: dict[str, Any] = {}
    if month:
        year, month_number = month.split("-")
        params.update(delivery_year=[str(int(year))], delivery_month_number=[str(int(month_number))])
    for expectation in suite["expectations"]:
        name = expectation["meta"].get("code_list")
        if name:
            params[f"codes_{name}"] = code_list(name, seeds_dir)
    params.update(extra)
    return params


def resolve(suite: dict[str, Any], parameters: dict[str, Any]) -> dict[str, Any]:
    """A copy of `suite` with every {"$PARAMETER": name} in its kwargs replaced by its value."""
    def fill(value: Any, where: str) -> Any:
        if isinstance(value, dict) and set(value) == {"$PARAMETER"}:
            name = value["$PARAMETER"]
            if name not in parameters:
                raise KeyError(f"{suite['name']}: {where} needs the parameter {name!r}, which nothing provides")
            return parameters[name]
        if isinstance(value, dict):
            return {k: fill(v, where) for k, v in value.items()}
        if isinstance(value, list):
            return [fill(v, where) for v in value]
        return value

    resolved = json.loads(json.dumps(suite))
    for index, expectation in enumerate(resolved["expectations"]):
        expectation["kwargs"] = fill(expectation["kwargs"], f"expectation {index} ({expectation['type']})")
    return resolved


def resolved_row_rules(kind: str, month: str, seeds_dir: Path | None = None, path: Path | None = None) -> dict[str, Any]:
    """The row-rule suite of `kind` for a delivery month, parameters filled in."""
    suite = load_suite(path or row_rules_path(kind))
    return resolve(suite, suite_parameters(suite, month, seeds_dir))


def inputs_hash(resolved_suite: dict[str, Any], file_hash: str | None, *more: Any) -> str:
    """sha256 of what a validation reads besides the rows: the suite as resolved, the delivery's
    file version and anything else given. Equal hashes: the recorded results still hold."""
    text = json.dumps([resolved_suite, file_hash, *more], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def gx_suite(resolved_suite: dict[str, Any]):
    """The resolved suite as a GX ExpectationSuite (imports GX: ~5 s the first time)."""
    import great_expectations as gx

    return gx.ExpectationSuite(name=resolved_suite["name"], meta=resolved_suite.get("meta") or {},
                               expectations=resolved_suite["expectations"])


def all_suite_paths() -> list[Path]:
    return [*sorted(EXPECTATIONS_DIR.glob("*.json")), *sorted(FILE_RULES_DIR.glob("*.json"))]


def suite_rule_ids() -> set[str]:
    """Every meta.rule of every suite (row and file rules)."""
    return {e["meta"]["rule"] for path in all_suite_paths() for e in load_suite(path)["expectations"]}
