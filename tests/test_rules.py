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


def test_every_rule_states_its_basis_in_chinese_and_english_with_a_source() -> None:
    for rule in RulePack.load().rules:
        assert any("\u4e00" <= ch <= "\u9fff" for ch in rule.basis.zh), rule.id
        assert rule.basis.en.isascii(), rule.id
        assert rule.basis.source.strip(), rule.id


def test_rules_for_natural_person_debtors_say_so() -> None:
    for rule in RulePack.load().rules:
        if rule.subjects == S.Scope.DEBTOR_PERSON:
            assert rule.natural_person_debtors_only, rule.id


def test_pack_covers_the_design_vocabulary() -> None:
    """DESIGN.md section 5: the restricted sub_types each record type must know."""
    vocabulary = {
        "procurement": {"government_procurement_bid", "government_project_tender"},
        "subsidy": {"employment_subsidy", "technology_grant", "agriculture_subsidy"},
        "appointment": {
            "soe_director",
            "company_officer",
            "civil_servant",
            "public_institution_legal_rep",
        },
        "licence": {
            "food_production",
            "drug_wholesale",
            "hazardous_chemicals",
            "construction_qualification",
            "real_estate_development",
        },
        "honour": {"civilised_unit", "model_worker"},
        "credit": {"bank_loan", "credit_line"},
        "asset_transaction": {"land_use_right", "state_asset_transfer", "mining_right"},
        "consumption": {
            "flight", "train_g", "train_first_class", "soft_sleeper", "star_hotel", "nightclub",
            "golf", "real_estate", "office_lease", "vehicle", "travel", "private_school",
            "insurance_premium",
        },
    }  # fmt: skip
    covered: dict[str, set[str]] = {}
    for rule in RulePack.load().rules:
        covered.setdefault(rule.record_type, set()).update(rule.sub_types or ())
    for record_type, sub_types in vocabulary.items():
        assert sub_types <= covered[record_type], record_type


def test_necessary_consumption_is_never_restricted() -> None:
    necessary = {"groceries", "medical", "utilities", "public_transport", "train_d_second_class"}
    for rule in RulePack.load().rules:
        if rule.record_type == "consumption":
            assert rule.sub_types is not None, rule.id
            assert not necessary & set(rule.sub_types), rule.id


def test_pack_ships_inside_the_package() -> None:
    """The wheel force-includes rules/ as blacklist_match/_rules; a checkout uses rules/."""
    import tomllib

    pyproject = Path(__file__).resolve().parent.parent / "pyproject.toml"
    include = tomllib.loads(pyproject.read_text(encoding="utf-8"))["tool"]["hatch"]["build"][
        "targets"
    ]["wheel"]["force-include"]
    assert include["rules"] == "blacklist_match/_rules"
    assert sorted(p.name for p in shipped_rules_dir().glob("*.yaml")) == sorted(
        f"{c.value}.yaml" for c in S.Category
    )


@pytest.mark.parametrize(
    ("replace", "by", "message", "field"),
    [
        ("[yacht]", "[yacht]\n    exempt: [yacht]", "both restricted and exempt", "exempt"),
        (
            "    basis:",
            "    conditions: {amount_at_least: 100, amount_below: 50}\n    basis:",
            "no amount could match",
            "conditions.amount_at_least",
        ),
        (
            "    basis:",
            "    conditions: {roles: [director]}\n    basis:",
            "not reached by subject scope 'debtor_and_four'",
            "conditions.roles",
        ),
        (
            "subjects: debtor_and_four",
            "subjects: debtor_person\n    natural_person_debtors_only: false",
            "natural_person_debtors_only cannot be false",
            "natural_person_debtors_only",
        ),
        ("    basis:", "    colour: red\n    basis:", "unknown key 'colour'", "colour"),
        (
            "    basis: {zh: 不得租用游艇, en: No yacht hire, source: 本地规定}",
            "",
            "missing required field",
            "basis",
        ),
    ],
    ids=[
        "exempt-and-restricted",
        "amount-bounds",
        "roles-outside-scope",
        "person-scope",
        "unknown-key",
        "missing-field",
    ],
)
def test_contradictory_rule_is_refused_naming_the_field(
    tmp_path: Path, replace: str, by: str, message: str, field: str
) -> None:
    folder = _write(tmp_path / "rules", GOOD_RULE.replace(replace, by, 1))
    with pytest.raises(RulePackError) as caught:
        RulePack.load(folder)
    assert message in str(caught.value)
    assert f"field {field}" in str(caught.value)
    assert "rule LOCAL-01" in str(caught.value)


def test_every_error_in_a_pack_is_reported_at_once(tmp_path: Path) -> None:
    folder = _write(tmp_path / "rules", GOOD_RULE.replace("action: block", "action: forbid"))
    _write(folder, GOOD_RULE.replace("min_tier: name_only", "min_tier: vibes"), "b.yaml")
    with pytest.raises(RulePackError) as caught:
        RulePack.load(folder)
    assert sorted(e.field for e in caught.value.errors) == ["action", "min_tier"]


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        (
            {
                S.RECORD_TYPE: "subsidy",
                S.SUB_TYPE: "technology_grant",
                S.SUBJECT_TYPE: "entity",
                S.LINK: "entity_of_listed_person",
                S.VIA: "director",
                S.TIER: "registry_link",
            },
            [("GS-02-preferential-support", "notify")],
        ),
        (
            {
                S.RECORD_TYPE: "subsidy",
                S.SUB_TYPE: "employment_subsidy",
                S.SUBJECT_TYPE: "entity",
                S.LINK: "entity_of_listed_person",
                S.VIA: "supervisor",
                S.TIER: "registry_link",
            },
            [("GS-03-subsidy-via-officers", "notify")],
        ),
        (
            {
                S.RECORD_TYPE: "asset_transaction",
                S.SUB_TYPE: "housing_purchase",
                S.LINK: "officer_of_listed_entity",
                S.VIA: "actual_controller",
                S.DEBTOR_TYPE: "entity",
                S.TIER: "registry_link",
            },
            [("SM-03-property-purchase", "block")],
        ),
        (
            {
                S.RECORD_TYPE: "asset_transaction",
                S.SUB_TYPE: "land_use_right",
                S.LINK: "officer_of_listed_entity",
                S.VIA: "actual_controller",
                S.DEBTOR_TYPE: "entity",
                S.TIER: "registry_link",
            },
            [("SM-03-property-purchase", "block")],  # DOMAIN.md 4.2: D+4 (buying property)
        ),
        (
            {
                S.RECORD_TYPE: "honour",
                S.SUB_TYPE: "civilised_unit",
                S.SUBJECT_TYPE: "entity",
                S.LINK: "entity_of_listed_person",
                S.VIA: "director",
                S.TIER: "registry_link",
            },
            [("HC-01-honour", "block")],
        ),
        (
            {
                S.RECORD_TYPE: "honour",
                S.SUB_TYPE: "civilised_unit",
                S.SUBJECT_TYPE: "entity",
                S.LINK: "entity_of_listed_person",
                S.VIA: "main_person_in_charge",
                S.TIER: "registry_link",
            },
            # conditions.roles would narrow the debtor link too (its via is "debtor")
            [("HC-01-honour", "block")],
        ),
        ({S.RECORD_TYPE: "honour", S.SUB_TYPE: "civilised_unit"}, [("HC-01-honour", "block")]),
        (
            {S.RECORD_TYPE: "subsidy", S.SUB_TYPE: "technology_grant"},
            [("GS-02-preferential-support", "notify")],
        ),
        (
            {
                S.RECORD_TYPE: "credit",
                S.SUB_TYPE: "bank_loan",
                S.SUBJECT_TYPE: "entity",
                S.LINK: "entity_of_listed_person",
                S.VIA: "main_person_in_charge",
                S.TIER: "registry_link",
            },
            [("HC-02-credit", "review")],  # credit names the main person in charge too
        ),
        (
            {S.RECORD_TYPE: "licence", S.SUB_TYPE: "financing_guarantee_company"},
            [("SI-09-financing-guarantee", "block")],
        ),
        ({S.SUB_TYPE: "rated_resort"}, [("HX-05-rated-resort-spending", "review")]),
        (
            {
                S.SUB_TYPE: "rated_resort",
                S.LINK: "officer_of_listed_entity",
                S.VIA: "legal_representative",
                S.DEBTOR_TYPE: "entity",
                S.TIER: "registry_link",
            },
            [],
        ),
    ],
    ids=[
        "preference-via-director",
        "subsidy-via-supervisor",
        "housing-via-controller",
        "land-right-via-controller",
        "honour-via-director",
        "honour-via-main-person",
        "honour-debtor-itself",
        "preference-debtor-itself",
        "credit-via-main-person",
        "financing-guarantee-prohibited",
        "resort-cap-debtor",
        "resort-cap-not-the-four",
    ],
)
def test_officer_scopes_reach_exactly_their_roles(
    overrides: dict[str, object], expected: list
) -> None:
    flags = apply_rules(_candidate(**overrides), RulePack.load()).collect()
    assert sorted(flags.select(S.RULE_ID, S.ACTION).rows()) == expected


# --- each Article 10 category end to end, on real files ------------------------------------
# Debtors of conftest.LIST_ROWS: 张伟 (person, masked ID 4209021983****0510), 象州县腾飞商贸
# 有限公司 (entity, org code 60056316-5 = USCC 91451322600563165B), 王芳 (person, full ID).
ZHANG = {"subject_type": "person", "subject_name": "张伟", "subject_id": "420902198305120510"}
TENGFEI = {
    "subject_type": "entity",
    "subject_name": "象州县腾飞商贸有限公司",
    "subject_id": "91451322600563165B",
}
WANG = {"subject_type": "person", "subject_name": "王芳", "subject_id": "110105197801010028"}

CATEGORY_CASES = [
    # (category, record id, subject, record_type, sub_type, event_date, expected rule or None)
    ("specific_industry", "SI-yes", TENGFEI, "procurement", "government_procurement_bid",
     "2020-06-01", ("SI-01-procurement-bid", "block")),
    ("specific_industry", "SI-no-before-listing", TENGFEI, "procurement",
     "government_procurement_bid", "2016-01-01", None),
    ("government_support", "GS-yes", WANG, "subsidy", "employment_subsidy", "2020-06-01",
     ("GS-01-subsidy", "block")),
    ("government_support", "GS-no-unrestricted", WANG, "subsidy", "disaster_relief",
     "2020-06-01", None),
    ("office_qualification", "OQ-yes", WANG, "appointment", "soe_director", "2020-06-01",
     ("OQ-01-soe-officer", "block")),
    ("office_qualification", "OQ-no-entity-debtor", TENGFEI, "appointment", "soe_director",
     "2020-06-01", None),
    ("market_access", "MA-yes", TENGFEI, "licence", "food_production", "2020-06-01",
     ("MA-01-food-drug", "review")),
    ("market_access", "MA-no-before-listing", ZHANG, "licence", "food_production",
     "2019-01-01", None),
    ("honour_and_credit", "HC-yes", TENGFEI, "credit", "bank_loan", "2020-06-01",
     ("HC-02-credit", "review")),
    ("honour_and_credit", "HC-no-unrestricted", TENGFEI, "credit", "deposit_account",
     "2020-06-01", None),
    ("special_market_transaction", "SM-yes", TENGFEI, "asset_transaction", "land_use_right",
     "2020-06-01", ("SM-03-property-purchase", "block")),
    ("special_market_transaction", "SM-no-before-listing", WANG, "asset_transaction",
     "land_use_right", "2015-01-01", None),
    ("high_consumption", "HX-yes", ZHANG, "consumption", "flight", "2020-06-01",
     ("HX-01-travel-air-rail", "block")),
    ("high_consumption", "HX-no-necessary", ZHANG, "consumption", "train_d_second_class",
     "2020-06-01", None),
]  # fmt: skip


@pytest.fixture(scope="module")
def category_flags(tmp_path_factory: pytest.TempPathFactory) -> pl.DataFrame:
    from conftest import LIST_HEADER, LIST_ROWS, write_records

    from blacklist_match.pipeline import screen_files

    folder = tmp_path_factory.mktemp("categories")
    court_list = folder / "court_list.csv"
    court_list.write_text("\n".join([LIST_HEADER, *LIST_ROWS]) + "\n", encoding="utf-8-sig")
    rows = [
        {
            "record_id": record_id,
            "agency": f"agency_{category}",
            "record_type": record_type,
            "sub_type": sub_type,
            **subject,
            "event_date": event_date,
            "amount": "1000",
        }
        for category, record_id, subject, record_type, sub_type, event_date, _ in CATEGORY_CASES
    ]
    records = write_records(folder / "records.csv", rows)
    return screen_files([court_list], [records]).flags


def test_every_category_has_a_record_that_flags_and_one_that_does_not() -> None:
    categories = {case[0] for case in CATEGORY_CASES}
    assert categories == {c.value for c in S.Category}
    for category in categories:
        outcomes = [case[-1] is None for case in CATEGORY_CASES if case[0] == category]
        assert True in outcomes and False in outcomes, category


@pytest.mark.parametrize(
    ("category", "record_id", "expected"),
    [(case[0], case[1], case[-1]) for case in CATEGORY_CASES],
    ids=[case[1] for case in CATEGORY_CASES],
)
def test_category_record_flags_exactly_as_the_rules_say(
    category_flags: pl.DataFrame, category: str, record_id: str, expected: tuple | None
) -> None:
    flags = category_flags.filter(pl.col(S.RECORD_ID) == record_id)
    if expected is None:
        assert flags.is_empty(), flags.select(S.RULE_ID, S.EVENT_DATE).rows()
        return
    assert flags.select(S.RULE_ID, S.ACTION).rows() == [expected]
    row = flags.row(0, named=True)
    assert row[S.CATEGORY] == category
    assert row[S.EXPLANATION].startswith("申请人")
    assert expected[0] in row[S.EXPLANATION]


def test_a_user_rules_folder_flags_what_the_shipped_pack_does_not(tmp_path: Path) -> None:
    from conftest import LIST_HEADER, LIST_ROWS, write_records

    from blacklist_match.pipeline import screen_files

    court_list = tmp_path / "court_list.csv"
    court_list.write_text("\n".join([LIST_HEADER, *LIST_ROWS]) + "\n", encoding="utf-8")
    record = {
        "record_id": "Y1",
        "agency": "marina",
        "record_type": "consumption",
        "sub_type": "yacht",
        **WANG,
        "event_date": "2020-06-01",
        "amount": "9000",
    }
    records = write_records(tmp_path / "records.csv", [record])
    assert screen_files([court_list], [records]).flags.is_empty()
    pack = RulePack.load(_write(tmp_path / "rules", GOOD_RULE))
    flags = screen_files([court_list], [records], rules=pack).flags
    assert flags.select(S.RULE_ID, S.ACTION).rows() == [("LOCAL-01", "block")]


@pytest.mark.parametrize(
    ("replace", "by", "message"),
    [
        (
            "min_tier: name_only",
            "min_tier: name_only\n    conditions:"
            " {amount_at_least: \"__import__('os').system('id')\"}",
            "conditions.amount_at_least",
        ),
        (
            "category: high_consumption\nrules:",
            "category: high_consumption\ninclude: ../../../etc/passwd\nrules:",
            "unknown key 'include'",
        ),
        ("    basis:", "    when: \"record_type == 'x' or 1=1\"\n    basis:", "unknown key 'when'"),
        ("id: LOCAL-01", 'id: "LOCAL-01; DROP TABLE records"', "field id"),
    ],
    ids=["python-expression", "path-traversal-include", "expression-key", "sql-in-id"],
)
def test_injection_attempts_are_refused_with_a_message(
    tmp_path: Path, replace: str, by: str, message: str
) -> None:
    folder = _write(tmp_path / "rules", GOOD_RULE.replace(replace, by, 1))
    with pytest.raises(RulePackError) as caught:
        RulePack.load(folder)
    assert message in str(caught.value)
