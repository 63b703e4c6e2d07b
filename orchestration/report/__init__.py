"""The council report (raadsrapportage): Dutch, self-contained HTML, built from the published
file only. See ``builder.build_report``."""
from .builder import build_report, default_month

__all__ = ["build_report", "default_month"]
