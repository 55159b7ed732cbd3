"""`python -m ceasefire` is the `ceasefire` command."""

from ceasefire.interfaces.cli.main import main

main()
