"""The console script: ``blacklist-match``.

``check`` goes straight to :mod:`blacklist_match.spot_check` (a clerk's cold check must not
pay for loading every command); everything else, and ``check --help``, goes through the
full typer application in :mod:`blacklist_match.cli`.
"""

from __future__ import annotations

import sys


def main() -> None:
    """Dispatch the command line."""
    argv = sys.argv[1:]
    if argv[:1] == ["check"] and not {"--help", "-h"} & set(argv):
        from blacklist_match.spot_check import main_fast

        try:
            sys.exit(main_fast(argv[1:]))
        except Exception as error:  # never a traceback to the user
            from blacklist_match.privacy import mask_text

            print(
                f"error: unexpected {type(error).__name__}: {mask_text(str(error))}",
                file=sys.stderr,
            )
            sys.exit(1)
    from blacklist_match.cli import main as full

    full()
