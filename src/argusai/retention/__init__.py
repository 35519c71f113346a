"""Retention: how long each kind of data is kept, the hourly cleanup and ``argus db prune``."""
