"""Mapping files: how an agency's own columns and codes map onto the canonical records.

```yaml
columns:            # agency column -> canonical column
  申请人证件号码: subject_id
  业务发生日期: event_date
values:             # canonical column -> {agency code: canonical value}
  record_type: {"01": procurement, "02": subsidy}
  sub_type: {ZFCG: government_procurement_bid}
date_format: "%Y/%m/%d"   # strptime format of event_date, when not a standard form
defaults:           # constant values for columns the agency does not send
  agency: 某市财政局
```
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from blacklist_match import schema as S
from blacklist_match.errors import InputError

MAPPABLE: Final = frozenset(S.RECORD_COLUMNS)


class RecordMapping(BaseModel):
    """A validated mapping file."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    columns: dict[str, str] = Field(default_factory=dict)
    values: dict[str, dict[str, str]] = Field(default_factory=dict)
    date_format: str | None = None
    defaults: dict[str, str] = Field(default_factory=dict)

    @field_validator("columns")
    @classmethod
    def _targets_are_canonical(cls, value: dict[str, str]) -> dict[str, str]:
        for source, target in value.items():
            if target not in MAPPABLE:
                raise ValueError(
                    f"column {source!r} maps to unknown column {target!r}; "
                    f"expected one of {sorted(MAPPABLE)}"
                )
        return value

    @field_validator("values", "defaults")
    @classmethod
    def _keys_are_canonical(cls, value: dict[str, object]) -> dict[str, object]:
        for column in value:
            if column not in MAPPABLE:
                raise ValueError(f"unknown column {column!r}; expected one of {sorted(MAPPABLE)}")
        return value

    @field_validator("date_format")
    @classmethod
    def _has_directives(cls, value: str | None) -> str | None:
        if value is not None and not any(d in value for d in ("%Y", "%y", "%d", "%m")):
            raise ValueError(f"date_format {value!r} has no %Y/%m/%d directives")
        return value

    @classmethod
    def load(cls, path: str | Path) -> RecordMapping:
        """Read and validate a mapping file; errors name the file and the key."""
        file = str(path)
        try:
            document = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        except OSError as error:
            raise InputError(f"cannot read mapping: {error.strerror}", file=file) from None
        except yaml.YAMLError as error:
            raise InputError(f"not a plain YAML mapping file: {error}", file=file) from None
        if not isinstance(document, dict):
            raise InputError("a mapping file must be a YAML mapping", file=file)
        try:
            return cls.model_validate(document)
        except ValidationError as error:
            first = error.errors()[0]
            key = ".".join(str(p) for p in first["loc"])
            message = first["msg"].removeprefix("Value error, ")
            if first["type"] == "extra_forbidden":
                message = f"unknown key (allowed: {sorted(cls.model_fields)})"
            raise InputError(f"key {key}: {message}", file=file) from None
