"""The generator as a tool: deterministic, marked as demo, summarised truthfully, strict on its
arguments."""
from __future__ import annotations

import json

import pytest

from orchestration.demo import generate


def _snapshot(root):
    return {p.relative_to(root).as_posix(): (p.read_bytes(), p.stat().st_mtime)
            for p in sorted(root.rglob("*")) if p.is_file()}


def test_same_seed_gives_byte_identical_files_and_mtimes(workdir, small_demo):
    again = workdir / "again"
    generate(again, scale=0.1, seed=42)
    first, second = _snapshot(small_demo[0]), _snapshot(again)
    assert first.keys() == second.keys()
    differing = [name for name in first if first[name] != second[name]]
    assert differing == []


def test_another_seed_gives_other_data(workdir, small_demo):
    other = workdir / "other"
    generate(other, scale=0.1, seed=43, start="2018-05", end="2018-05")
    assert (other / "2018-05" / "uitkeringen.csv").read_bytes() != (small_demo[0] / "2018-05" / "uitkeringen.csv").read_bytes()


def test_a_shorter_range_writes_the_same_months(workdir, small_demo):
    """The world does not depend on the range written: --from/--to cut the same data (the memo's
    period alone, --to 2018-05, is the default run's first 53 months)."""
    part = workdir / "part"
    generate(part, scale=0.1, seed=42, start="2017-11", end="2018-01")
    assert sorted(p.name for p in part.iterdir() if p.is_dir()) == ["2017-11", "2017-12", "2018-01"]
    for month in ("2017-11", "2017-12", "2018-01"):
        for f in (part / month).iterdir():
            assert f.read_bytes() == (small_demo[0] / month / f.name).read_bytes(), f"{month}/{f.name}"


def test_marker_and_summary(small_demo):
    out, summary = small_demo
    marker = json.loads((out / ".statmon-demo").read_text(encoding="utf-8"))
    assert (marker["seed"], marker["scale"], marker["from"], marker["to"]) == (42, 0.1, "2014-01", "2020-06")
    assert marker["calibrated"] is True
    assert marker["figures"]["statushouders_in_bijstand"] == 78
    months = sorted(p.name for p in out.iterdir() if p.is_dir())
    assert months[0] == "2014-01" and months[-1] == "2020-06" and len(months) == 78
    files = [p for p in out.rglob("*") if p.is_file()]
    assert summary["files"] == len(files)
    assert summary["bytes"] == sum(p.stat().st_size for p in files if p.name != ".statmon-demo")
    assert 0 < summary["statushouders"] < summary["persons"]
    assert summary["seconds"] > 0


@pytest.mark.parametrize("kwargs", [dict(start="2013-12"), dict(start="2018-05", end="2018-04"), dict(scale=0)])
def test_rejects_impossible_arguments(workdir, kwargs):
    with pytest.raises(ValueError):
        generate(workdir / "x", **kwargs)


def test_beyond_the_memo_the_world_goes_on(workdir):
    """--to after 2018-05: later months exist, and 2018-05 still holds the calibrated caseload."""
    out = workdir / "later"
    generate(out, scale=0.1, seed=42, start="2018-05", end="2018-08")
    assert (out / "2018-08" / "uitkeringen.csv").exists()
    marker = json.loads((out / ".statmon-demo").read_text(encoding="utf-8"))
    assert marker["calibrated"] is False  # not from 2014-01: the history behind the figures is missing
