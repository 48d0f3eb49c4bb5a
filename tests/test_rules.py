"""The rule pack is data: it validates, compiles, and refuses anything else with a message."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest

from blacklist_match import schema as S
from blacklist_match.rules import RulePack, RulePackError, apply_rules, shipped_rules_dir

GOOD_RULE = """
category: high_consumption
rules:
  - id: LOCAL-01
    category: high_consumption
    record_type: consumption
    sub_types: [yacht]
    subjects: debtor_and_four
    action: block
    min_tier: name_only
    basis: {zh: 不得租用游艇, en: No yacht hire, source: 本地规定}
"""


def test_shipped_pack_covers_every_category_and_record_type() -> None:
    pack = RulePack.load()
    assert {r.category for r in pack.rules} == set(S.Category)
    assert {r.record_type for r in pack.rules} == set(S.RECORD_TYPES)
    assert {p.stem for p in shipped_rules_dir().glob("*.yaml")} == {c.value for c in S.Category}


def test_office_rules_bind_natural_person_debtors_only() -> None:
    pack = RulePack.load()
    office = [r for r in pack.rules if r.category == S.Category.OFFICE_QUALIFICATION]
    assert office
    assert all(r.subjects == S.Scope.DEBTOR_PERSON for r in office)


def _write(folder: Path, text: str, name: str = "high_consumption.yaml") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")
    return folder


@pytest.mark.parametrize(
    ("replace", "by", "message"),
    [
        (
            "category: high_consumption\n    record_type",
            "category: luxury\n    record_type",
            "unknown category",
        ),
        ("action: block", "action: forbid", "unknown action"),
        ("subjects: debtor_and_four", "subjects: family", "unknown subject scope"),
        ("record_type: consumption", "record_type: yachting", "unknown record type"),
        ("min_tier: name_only", "min_tier: vibes", "unknown tier"),
        ("    basis:", "    conditions: {colour: red}\n    basis:", "unknown condition 'colour'"),
    ],
    ids=["category", "action", "scope", "record-type", "tier", "condition"],
)
def test_bad_rule_is_refused_with_file_rule_and_field(
    tmp_path: Path, replace: str, by: str, message: str
) -> None:
    folder = _write(tmp_path / "rules", GOOD_RULE.replace(replace, by, 1))
    with pytest.raises(RulePackError) as caught:
        RulePack.load(folder)
    text = str(caught.value)
    assert message in text
    assert "high_consumption.yaml" in text
    assert "rule LOCAL-01" in text


def test_yaml_tags_that_construct_objects_are_refused(tmp_path: Path) -> None:
    evil = GOOD_RULE.replace(
        "min_tier: name_only", "min_tier: !!python/object/apply:os.system [ls]"
    )
    folder = _write(tmp_path / "rules", evil)
    with pytest.raises(RulePackError, match="not a plain YAML rule file"):
        RulePack.load(folder)


def test_sql_fragment_in_a_value_is_refused(tmp_path: Path) -> None:
    evil = GOOD_RULE.replace("[yacht]", '["yacht\' OR 1=1 --"]')
    folder = _write(tmp_path / "rules", evil)
    with pytest.raises(RulePackError, match="sub_types"):
        RulePack.load(folder)


def test_user_folder_extends_and_overrides_the_shipped_pack(tmp_path: Path) -> None:
    shipped = RulePack.load()
    override = GOOD_RULE + GOOD_RULE.split("rules:\n", 1)[1].replace(
        "LOCAL-01", "HX-02-hotels-leisure"
    )
    folder = _write(tmp_path / "rules", override)
    pack = RulePack.load(folder)
    by_id = {r.id: r for r in pack.rules}
    assert "LOCAL-01" in by_id
    assert by_id["HX-02-hotels-leisure"].sub_types == ("yacht",)
    assert len(pack.rules) == len(shipped.rules) + 1
    assert pack.digest != shipped.digest


def _candidate(**overrides: object) -> pl.LazyFrame:
    row = {
        S.RECORD_ID: "R1",
        S.RECORD_TYPE: "consumption",
        S.SUB_TYPE: "flight",
        S.SUBJECT_TYPE: "person",
        S.AMOUNT: 1000.0,
        S.TIER: "exact_id",
        S.LINK: "debtor",
        S.VIA: "debtor",
        S.DEBTOR_TYPE: "person",
        S.EVENT_DATE: date(2024, 1, 1),
    }
    row.update(overrides)
    return pl.DataFrame([row]).lazy()


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({}, [("HX-01-travel-air-rail", "block")]),
        ({S.SUB_TYPE: "groceries"}, []),
        ({S.SUB_TYPE: "train_d_second_class"}, []),
        ({S.TIER: "name_only"}, [("HX-01-travel-air-rail", "review")]),
        (
            {
                S.LINK: "officer_of_listed_entity",
                S.VIA: "legal_representative",
                S.DEBTOR_TYPE: "entity",
            },
            [("HX-01-travel-air-rail", "block")],
        ),
        ({S.LINK: "officer_of_listed_entity", S.VIA: "director", S.DEBTOR_TYPE: "entity"}, []),
        (
            {
                S.RECORD_TYPE: "appointment",
                S.SUB_TYPE: "soe_director",
                S.LINK: "officer_of_listed_entity",
                S.VIA: "legal_representative",
                S.DEBTOR_TYPE: "entity",
            },
            [],
        ),
        (
            {S.RECORD_TYPE: "appointment", S.SUB_TYPE: "soe_director"},
            [("OQ-01-soe-officer", "block")],
        ),
    ],
    ids=[
        "flight",
        "groceries-exempt",
        "d-train-exempt",
        "weak-evidence-never-blocks",
        "legal-rep-of-listed-entity",
        "director-not-in-consumption-scope",
        "office-ban-not-through-entity",
        "office-ban-person",
    ],
)
def test_rules_accept_exactly_their_scope(overrides: dict[str, object], expected: list) -> None:
    flags = apply_rules(_candidate(**overrides), RulePack.load()).collect()
    assert sorted(flags.select(S.RULE_ID, S.ACTION).rows()) == expected
