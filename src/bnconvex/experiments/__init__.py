"""Experiments of the paper: each a function from prepared arrays and config values to result tables."""
