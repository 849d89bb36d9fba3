"""`python -m tsattn` is the `tsattn` command."""

from tsattn.cli import main

main()
