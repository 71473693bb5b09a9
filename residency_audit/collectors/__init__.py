"""Collectors read real accounts and write observed deployments (see `aws.py`, `observed.py`)."""
