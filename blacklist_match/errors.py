"""The one exception hierarchy of blacklist-match.

Every error a user can meet is a :class:`BlacklistMatchError`; the CLI prints its message
(never a traceback) and exits 1. Errors about input carry the file, row and column.
"""

from __future__ import annotations


class BlacklistMatchError(Exception):
    """Root of every error the engine raises on purpose."""


class InputError(BlacklistMatchError):
    """Bad input: names the file, and where known the row (1-based data row) and column."""

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        row: int | None = None,
        column: str | None = None,
    ) -> None:
        self.reason = message
        self.file = file
        self.row = row
        self.column = column
        where = ", ".join(
            part
            for part in (
                f"file {file}" if file else "",
                f"row {row}" if row is not None else "",
                f"column {column}" if column else "",
            )
            if part
        )
        super().__init__(f"{where}: {message}" if where else message)


class RuleError(BlacklistMatchError):
    """A rule file is bad: names the file, the rule id and the field."""

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        rule_id: str | None = None,
        field: str | None = None,
    ) -> None:
        self.reason = message
        self.file = file
        self.rule_id = rule_id
        self.field = field
        where = ", ".join(
            part
            for part in (
                f"file {file}" if file else "",
                f"rule {rule_id}" if rule_id else "",
                f"field {field}" if field else "",
            )
            if part
        )
        super().__init__(f"{where}: {message}" if where else message)


class StoreError(BlacklistMatchError):
    """The DuckDB store cannot be opened, is locked by another writer, or is inconsistent."""


class InvalidIdentifier(BlacklistMatchError, ValueError):
    """An identifier failed validation; subclasses say whether length, format, checksum or date."""


class InvalidLength(InvalidIdentifier):
    """The identifier has the wrong number of characters."""


class InvalidFormat(InvalidIdentifier):
    """The identifier has characters that its kind does not allow, or the wrong shape."""


class InvalidChecksum(InvalidIdentifier):
    """The check character does not match the rest of the identifier."""


class InvalidDate(InvalidIdentifier):
    """The embedded birth date is not a real date, or lies in the future."""


class InvalidComponent(InvalidIdentifier):
    """A component other than the date is impossible (e.g. a first digit outside 1-8)."""
