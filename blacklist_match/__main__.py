"""``python -m blacklist_match`` runs the command line."""

from blacklist_match.entry import main

main()
