"""`python -m residency_audit` runs the command-line interface."""

from residency_audit.cli import main

main()
