"""The ``blacklist-match`` command line: parse options, call the library, print.

Errors a user can meet are printed as one message naming the file, row and field, never
a traceback, and exit 1; usage errors exit 2 (click's convention). Each module of this
package registers one group of commands on :data:`app`.
"""

from __future__ import annotations

import logging
import sys

import typer

from blacklist_match.cli.common import app
from blacklist_match.errors import BlacklistMatchError

# Importing the command modules registers their commands on ``app``.
from blacklist_match.cli import (  # noqa: F401  isort: skip
    check_command,
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
        typer.echo(f"error: {error}", err=True)
        sys.exit(1)
