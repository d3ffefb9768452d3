"""`python -m gateway` is the `hotline` command."""

from gateway.cli import main

main()
