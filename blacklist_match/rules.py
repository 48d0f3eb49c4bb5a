"""Article 10 as data: rule models, loading, validation and compilation to Polars.

A rule pack is a folder of YAML files, one per Article 10 category. Files are read with
``yaml.safe_load`` (no tags that construct objects) and validated by pydantic models that
forbid unknown keys; every error in a pack is reported at once, naming the file, the rule
id and the field. Rules never carry code: conditions are a small whitelisted vocabulary
compiled to Polars expressions, so no rule text is ever evaluated or spliced into SQL.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Final

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from blacklist_match import schema as S
from blacklist_match.errors import RuleError
from blacklist_match.resources import shipped_dir
from blacklist_match.util import LazyModule

if TYPE_CHECKING:
    import polars as pl
else:
    pl = LazyModule("polars")

SAFE_LOADER: Final = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's safe loader when present (seven times faster than the pure-Python one): like
``yaml.safe_load``, it builds only plain data and refuses tags that construct objects."""
CODE_PATTERN: Final = r"^[a-z][a-z0-9_]{0,63}$"
RULE_ID_PATTERN: Final = r"^[A-Za-z][A-Za-z0-9_.-]{0,63}$"
TIER_RANK: Final = S.TIER_RANK

Code = Annotated[str, Field(pattern=CODE_PATTERN)]


class Basis(BaseModel):
    """The measure and its legal source, in Chinese and English."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    zh: str = Field(min_length=1, max_length=500)
    en: str = Field(min_length=1, max_length=500)
    source: str = Field(min_length=1, max_length=500)


class Conditions(BaseModel):
    """Whitelisted conditions: amount bounds, subject type, linking roles."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    amount_at_least: float | None = Field(default=None, ge=0)
    amount_below: float | None = Field(default=None, gt=0)
    subject_type: S.SubjectType | None = None
    roles: tuple[S.Role, ...] | None = None


class Rule(BaseModel):
    """One restriction measure applied to one record type."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str = Field(pattern=RULE_ID_PATTERN)
    category: S.Category
    record_type: str
    sub_types: tuple[Code, ...] | None = None
    subjects: S.Scope
    action: S.Action
    min_tier: S.Tier
    basis: Basis
    conditions: Conditions = Conditions()
    exempt: tuple[Code, ...] = ()
    natural_person_debtors_only: bool = False
    description: str | None = Field(default=None, max_length=1000)

    @field_validator("record_type")
    @classmethod
    def _known_record_type(cls, value: str) -> str:
        if value not in S.RECORD_TYPES:
            raise ValueError(f"unknown record type {value!r}; expected one of {S.RECORD_TYPES}")
        return value

    @field_validator("sub_types", mode="before")
    @classmethod
    def _all_means_none(cls, value: Any) -> Any:
        return None if value in ("all", "*") else value


class RuleFile(BaseModel):
    """A YAML file of the pack: its category and its rules."""

    model_config = ConfigDict(extra="forbid")
    category: S.Category
    rules: list[dict[str, Any]]


_FIELD_MESSAGES: Final = {
    "category": f"unknown category; expected one of {[c.value for c in S.Category]}",
    "action": f"unknown action; expected one of {[a.value for a in S.Action]}",
    "subjects": f"unknown subject scope; expected one of {[s.value for s in S.Scope]}",
    "min_tier": f"unknown tier; expected one of {[t.value for t in S.Tier]}",
}


def _rule_errors(error: ValidationError, file: str, rule_id: str | None) -> list[RuleError]:
    found = []
    for item in error.errors():
        location = [str(part) for part in item["loc"]]
        field = ".".join(location) or None
        message = item["msg"]
        if location and location[0] in _FIELD_MESSAGES and item["type"] == "enum":
            message = f"{_FIELD_MESSAGES[location[0]]}, got {item['input']!r}"
        elif location[:1] == ["conditions"] and item["type"] == "extra_forbidden":
            message = (
                f"unknown condition {location[-1]!r}; allowed: {sorted(Conditions.model_fields)}"
            )
        elif item["type"] == "extra_forbidden":
            message = f"unknown key {location[-1]!r}"
        elif item["type"] == "missing":
            message = "missing required field"
        elif item["type"] == "value_error":
            message = str(item["ctx"]["error"]) if "ctx" in item else message
        found.append(RuleError(message, file=file, rule_id=rule_id, field=field))
    return found


class RulePackError(RuleError):
    """Every error found in a rule pack, reported together."""

    def __init__(self, errors: list[RuleError]) -> None:
        self.errors = errors
        Exception.__init__(self, "\n".join(str(e) for e in errors))
        self.reason = str(self)
        self.file = errors[0].file if errors else None
        self.rule_id = errors[0].rule_id if errors else None
        self.field = errors[0].field if errors else None


def shipped_rules_dir() -> Path:
    """The rule pack that ships with the engine (inside the wheel, or the source tree)."""
    return shipped_dir("rules")


_ROLES_IN_SCOPE: Final = {
    S.Scope.DEBTOR_AND_FOUR: S.FOUR_ROLES,
    S.Scope.DEBTOR_AND_OFFICERS: S.OFFICER_ROLES,
}


def _consistency_errors(rule: Rule, file: str) -> list[RuleError]:
    """Fields that are each valid but contradict one another (the rule could never apply
    as written, or would apply more widely than it says)."""
    found: list[RuleError] = []

    def error(message: str, field: str) -> None:
        found.append(RuleError(message, file=file, rule_id=rule.id, field=field))

    both = sorted(set(rule.sub_types or ()) & set(rule.exempt))
    if both:
        error(f"sub_types {both} are both restricted and exempt", "exempt")
    bounds = rule.conditions
    if (
        bounds.amount_at_least is not None
        and bounds.amount_below is not None
        and bounds.amount_at_least >= bounds.amount_below
    ):
        error(
            "amount_at_least must be below amount_below: no amount could match",
            "conditions.amount_at_least",
        )
    if bounds.roles is not None:
        reachable = _ROLES_IN_SCOPE.get(rule.subjects, frozenset())
        outside = sorted(role.value for role in bounds.roles if role not in reachable)
        if outside:
            error(
                f"roles {outside} are not reached by subject scope {rule.subjects.value!r}"
                + (
                    f" (it reaches {sorted(r.value for r in reachable)})"
                    if reachable
                    else " (it links the debtor only)"
                ),
                "conditions.roles",
            )
    if (
        rule.subjects == S.Scope.DEBTOR_PERSON
        and "natural_person_debtors_only" in rule.model_fields_set
        and not rule.natural_person_debtors_only
    ):
        error(
            "subject scope 'debtor_person' binds natural-person debtors only; "
            "natural_person_debtors_only cannot be false",
            "natural_person_debtors_only",
        )
    return found


def _parse_file(path: Path) -> tuple[list[Rule], list[RuleError]]:
    file = str(path)
    try:
        document = yaml.load(path.read_text(encoding="utf-8"), Loader=SAFE_LOADER)  # noqa: S506
    except yaml.YAMLError as error:
        return [], [RuleError(f"not a plain YAML rule file: {error}", file=file)]
    except (OSError, UnicodeDecodeError) as error:
        return [], [RuleError(f"cannot read: {error}", file=file)]
    if not isinstance(document, dict):
        return [], [
            RuleError("a rule file is a mapping with the keys 'category' and 'rules'", file=file)
        ]
    try:
        rule_file = RuleFile.model_validate(document)
    except ValidationError as error:
        return [], _rule_errors(error, file, None)
    rules: list[Rule] = []
    errors: list[RuleError] = []
    for index, raw in enumerate(rule_file.rules):
        rule_id = str(raw.get("id", f"#{index + 1}"))
        try:
            rule = Rule.model_validate(raw)
        except ValidationError as error:
            errors.extend(_rule_errors(error, file, rule_id))
            continue
        consistency = _consistency_errors(rule, file)
        if consistency:
            errors.extend(consistency)
            continue
        if rule.category != rule_file.category:
            errors.append(
                RuleError(
                    f"category {rule.category.value!r} differs from the file's "
                    f"{rule_file.category.value!r}",
                    file=file,
                    rule_id=rule.id,
                    field="category",
                )
            )
            continue
        rules.append(rule)
    return rules, errors


class RulePack:
    """A validated set of rules, compiled once to a frame the batch joins against."""

    def __init__(self, rules: Iterable[Rule], sources: Iterable[Path] = ()) -> None:
        self.rules: tuple[Rule, ...] = tuple(rules)
        self.sources: tuple[Path, ...] = tuple(sources)

    @classmethod
    def load(cls, *directories: str | Path) -> RulePack:
        """Load the shipped pack, then each directory in order (same id: later wins).

        Raises :class:`RulePackError` listing every problem found.
        """
        by_id: dict[str, Rule] = {}
        errors: list[RuleError] = []
        sources: list[Path] = []
        for directory in (shipped_rules_dir(), *map(Path, directories)):
            if not directory.is_dir():
                errors.append(RuleError("not a rules folder", file=str(directory)))
                continue
            files = sorted([*directory.glob("*.yaml"), *directory.glob("*.yml")])
            seen_here: dict[str, Path] = {}
            for path in files:
                rules, found = _parse_file(path)
                errors.extend(found)
                sources.append(path)
                for rule in rules:
                    if rule.id in seen_here:
                        errors.append(
                            RuleError(
                                f"duplicate rule id (also in {seen_here[rule.id].name}); "
                                "ids are unique within a rules folder",
                                file=str(path),
                                rule_id=rule.id,
                                field="id",
                            )
                        )
                    seen_here.setdefault(rule.id, path)
                    by_id[rule.id] = rule
        if errors:
            raise RulePackError(errors)
        return cls(by_id.values(), sources)

    @cached_property
    def digest(self) -> str:
        """SHA-256 of the pack's content, recorded in every run manifest."""
        text = "\n".join(rule.model_dump_json() for rule in sorted(self.rules, key=lambda r: r.id))
        return hashlib.sha256(text.encode()).hexdigest()

    @cached_property
    def table(self) -> pl.DataFrame:
        """One row per rule, in the columns :func:`apply_rules` compiles against."""
        return pl.DataFrame(
            {
                S.RULE_ID: [r.id for r in self.rules],
                S.CATEGORY: [r.category.value for r in self.rules],
                S.RECORD_TYPE: [r.record_type for r in self.rules],
                "rule_sub_types": [list(r.sub_types) if r.sub_types else None for r in self.rules],
                "rule_exempt": [list(r.exempt) for r in self.rules],
                "rule_scope": [r.subjects.value for r in self.rules],
                "rule_action": [r.action.value for r in self.rules],
                "rule_min_tier_rank": [TIER_RANK[r.min_tier.value] for r in self.rules],
                "rule_amount_at_least": [r.conditions.amount_at_least for r in self.rules],
                "rule_amount_below": [r.conditions.amount_below for r in self.rules],
                "rule_subject_type": [
                    r.conditions.subject_type.value if r.conditions.subject_type else None
                    for r in self.rules
                ],
                "rule_roles": [
                    [role.value for role in r.conditions.roles] if r.conditions.roles else None
                    for r in self.rules
                ],
                "rule_person_debtors_only": [r.natural_person_debtors_only for r in self.rules],
                S.BASIS: [f"{r.basis.zh}（{r.basis.source}）" for r in self.rules],
                "basis_en": [r.basis.en for r in self.rules],
            },
            schema_overrides={
                "rule_sub_types": pl.List(pl.String),
                "rule_exempt": pl.List(pl.String),
                "rule_roles": pl.List(pl.String),
                "rule_amount_at_least": pl.Float64,
                "rule_amount_below": pl.Float64,
                "rule_subject_type": pl.String,
            },
        )


def _in_scope() -> pl.Expr:
    link = pl.col(S.LINK)
    debtor = link == S.Link.DEBTOR.value
    person_debtor = pl.col(S.DEBTOR_TYPE) == S.SubjectType.PERSON.value
    four = (link == S.Link.OFFICER_OF_LISTED_ENTITY.value) & pl.col(S.VIA).is_in(
        [r.value for r in S.FOUR_ROLES]
    )
    officers = (link == S.Link.ENTITY_OF_LISTED_PERSON.value) & pl.col(S.VIA).is_in(
        [r.value for r in S.OFFICER_ROLES]
    )
    scope = pl.col("rule_scope")
    return (
        pl.when(scope == S.Scope.DEBTOR.value)
        .then(debtor)
        .when(scope == S.Scope.DEBTOR_PERSON.value)
        .then(debtor & person_debtor)
        .when(scope == S.Scope.DEBTOR_AND_FOUR.value)
        .then(debtor | four)
        .when(scope == S.Scope.DEBTOR_AND_OFFICERS.value)
        .then(debtor | officers)
        .otherwise(False)
    )


def apply_rules(candidates: pl.LazyFrame, pack: RulePack) -> pl.LazyFrame:
    """Join candidates to the rules of their record type and keep what a rule accepts.

    ``candidates`` needs ``record_type, sub_type, subject_type, amount, tier, link, via,
    debtor_type``. Evidence from a review-only tier never blocks: such a rule's ``block``
    becomes ``review``. One row comes out per (candidate, accepting rule).
    """
    sub_type = pl.col(S.SUB_TYPE)
    accepted = (
        ~(sub_type.is_not_null() & pl.col("rule_exempt").list.contains(sub_type)).fill_null(False)
        & (pl.col(S.TIER).replace_strict(TIER_RANK) <= pl.col("rule_min_tier_rank"))
        & _in_scope()
        & (
            pl.col("rule_amount_at_least").is_null()
            | (pl.col(S.AMOUNT) >= pl.col("rule_amount_at_least"))
        )
        & (pl.col("rule_amount_below").is_null() | (pl.col(S.AMOUNT) < pl.col("rule_amount_below")))
        & (
            pl.col("rule_subject_type").is_null()
            | (pl.col(S.SUBJECT_TYPE) == pl.col("rule_subject_type"))
        )
        & (pl.col("rule_roles").is_null() | pl.col("rule_roles").list.contains(pl.col(S.VIA)))
        & (
            ~pl.col("rule_person_debtors_only")
            | (pl.col(S.DEBTOR_TYPE) == S.SubjectType.PERSON.value)
        )
    )
    review_only = pl.col(S.TIER).is_in([t.value for t in S.REVIEW_ONLY_TIERS])
    action = (
        pl.when(review_only & (pl.col("rule_action") == S.Action.BLOCK.value))
        .then(pl.lit(S.Action.REVIEW.value))
        .otherwise(pl.col("rule_action"))
    )
    # A rule names its sub-types or takes them all: join each candidate only to the rules of
    # its own (record type, sub-type) and to its record type's catch-all rules, rather than
    # to every rule of the record type and a list test per row.
    named = pack.table.filter(pl.col("rule_sub_types").is_not_null()).explode("rule_sub_types")
    catch_all = pack.table.filter(pl.col("rule_sub_types").is_null())
    joined = pl.concat(
        [
            candidates.join(
                named.lazy(),
                left_on=[S.RECORD_TYPE, S.SUB_TYPE],
                right_on=[S.RECORD_TYPE, "rule_sub_types"],
                how="inner",
            ),
            candidates.join(catch_all.drop("rule_sub_types").lazy(), on=S.RECORD_TYPE, how="inner"),
        ],
        how="diagonal_relaxed",
    )
    return joined.filter(accepted.fill_null(False)).with_columns(action.alias(S.ACTION))
