"""Runs over time and variants: the monthly runner, its ledger and logging, sweeps on Dask and their report."""
