"""Prefect flows: put tasks in order, decide nothing."""
