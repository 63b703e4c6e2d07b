"""Dagster assets of the monitor: landing (per source kind, monthly), the dbt models, and
publication with the council report."""
