"""``python -m sitroom``."""

from sitroom.cli.main import main

main()
