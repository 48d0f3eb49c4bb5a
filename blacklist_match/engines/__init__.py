"""Engines beyond the embedded DuckDB: the same matching plan on a distributed engine."""
