"""`python -m gemgate`: the same command line as the `gemgate` script."""

from .cli import main

main()
