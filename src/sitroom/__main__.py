"""``python -m sitroom``."""

from sitroom.cli import main

main()
