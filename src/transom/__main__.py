"""`python -m transom` runs the command line."""

from transom.cli.main import main

main()
