"""statushouders-monitor: the Dagster code location and the `statmon` command."""
