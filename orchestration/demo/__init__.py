"""Synthetic deliveries for `statmon demo-data`, calibrated to the memo's figures.

Shares nothing with the ingestion code (orchestration/sources): the formats are written from the
landing contract itself, so a mistake cannot hide in both."""
from __future__ import annotations


def generate(out, scale: float = 1.0, seed: int = 42, start: str = "2014-01", end: str = "2020-06") -> dict:
    """Write out/<YYYY-MM>/ deliveries and the demo marker; see generator.generate."""
    from .generator import generate as _generate

    return _generate(out, scale=scale, seed=seed, start=start, end=end)


__all__ = ["generate"]
