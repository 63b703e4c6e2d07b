"""Fixtures of the quality tests. The helpers live in quality_helpers.py: a test module imports
them from there, never `from conftest import` (every test folder has a conftest, and which one a
bare `conftest` name finds depends on the order pytest loads them)."""
from quality_helpers import *  # noqa: F401,F403  (fixtures are found in this module's namespace)
