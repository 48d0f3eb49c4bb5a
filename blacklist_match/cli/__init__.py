"""The ``blacklist-match`` command line: parse options, call the library, print.

Errors a user can meet are printed as one message naming the file, row and field, never
a traceback, and exit 1; usage errors exit 2 (click's convention). Each module of this
package registers one group of commands on :data:`app`.
"""

from __future__ import annotations

import logging
import os
import sys

import typer

from blacklist_match.cli.common import app
from blacklist_match.errors import BlacklistMatchError
from blacklist_match.privacy import mask_text

# Importing the command modules registers their commands on ``app``.
from blacklist_match.cli import (  # noqa: F401  isort: skip
    check_command,
    review_commands,
    rules_commands,
    run_command,
    screening,
    store_commands,
)

__all__ = ["app", "main"]


def main() -> None:
    """Console entry point."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        app()
    except BlacklistMatchError as error:  # raised outside a command's own handling
        typer.echo(f"error: {mask_text(str(error))}", err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        sys.exit(130)
    except Exception as error:  # never a traceback to the user: one line, exit 1
        logging.getLogger("blacklist_match").debug("unexpected error", exc_info=True)
        detail = mask_text(str(error).strip().splitlines()[0] if str(error).strip() else "")
        typer.echo(f"error: unexpected {type(error).__name__}: {detail}", err=True)
        typer.echo("       (set BLACKLIST_DEBUG=1 to see the traceback)", err=True)
        if os.environ.get("BLACKLIST_DEBUG"):
            raise
        sys.exit(1)
