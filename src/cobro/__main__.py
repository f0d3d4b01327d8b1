"""`python -m cobro` runs the CLI."""

from cobro.entrypoints.cli import main

main()
