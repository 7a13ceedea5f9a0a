"""Prefect tasks: one call into the congress core each."""
