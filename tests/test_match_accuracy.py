"""The matching engine measured on a fixed-seed labelled scenario (benchmarks/accuracy.py)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import polars as pl
import pytest

from blacklist_match import schema as S
from blacklist_match.synth import CERTAIN_TIERS, build_scenario

ACCURACY_PY = Path(__file__).parent.parent / "benchmarks" / "accuracy.py"


def _accuracy_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_accuracy", ACCURACY_PY)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def accuracy():  # type: ignore[no-untyped-def]
    scenario = build_scenario(listed_persons=300, listed_companies=150, records=2500, seed=11)
    return _accuracy_module().evaluate(scenario)


def test_certain_and_probable_identities_meet_the_floors(accuracy) -> None:  # type: ignore[no-untyped-def]
    by_tier = accuracy.identity_by_tier.filter(pl.col("tier").is_in(CERTAIN_TIERS))
    assert set(by_tier["tier"]) == set(CERTAIN_TIERS)
    assert by_tier["truth"].min() > 20  # every certain tier is exercised
    assert accuracy.certain["identity_recall"] >= 0.99
    assert accuracy.certain["identity_precision"] >= 0.99
    for row in by_tier.to_dicts():
        assert row["recall"] >= 0.99, row
        assert row["precision"] >= 0.99, row


def test_flags_match_what_the_rules_raise_on_the_truth(accuracy) -> None:  # type: ignore[no-untyped-def]
    assert accuracy.certain["flag_recall"] >= 0.99
    assert accuracy.certain["flag_precision"] >= 0.99


def test_typo_ids_are_found_for_review(accuracy) -> None:  # type: ignore[no-untyped-def]
    fuzzy = accuracy.identity_by_tier.filter(pl.col("tier") == "fuzzy_id_name").row(0, named=True)
    assert fuzzy["truth"] > 10
    assert fuzzy["recall"] >= 0.95
    assert fuzzy["precision"] >= 0.95


def test_review_only_evidence_never_blocks(accuracy) -> None:  # type: ignore[no-untyped-def]
    assert accuracy.block_on_review_only == 0
    weak = accuracy.flags.filter(pl.col(S.TIER).is_in([t.value for t in S.REVIEW_ONLY_TIERS]))
    assert weak.height > 0
    assert set(weak[S.ACTION]) <= {S.Action.REVIEW.value, S.Action.NOTIFY.value}


def test_namesakes_with_their_own_valid_id_get_no_flag(accuracy) -> None:  # type: ignore[no-untyped-def]
    assert accuracy.namesake_flags == 0


def test_namesakes_with_their_own_valid_id_get_no_candidate(accuracy) -> None:  # type: ignore[no-untyped-def]
    namesake_records = accuracy.truth  # truth never holds namesakes; candidates must not either
    false = accuracy.candidates.join(namesake_records.select("record_id", "case_no"),
                                     on=["record_id", "case_no"], how="anti")  # fmt: skip
    assert set(false[S.TIER]) <= {"name_only"}


def test_every_case_listed_on_the_event_date_gets_a_flag(accuracy) -> None:  # type: ignore[no-untyped-def]
    listed = accuracy.truth.filter(
        pl.col("listed_on_event") & (pl.col("relation") == "debtor")
        & pl.col("expected_tier").is_in(CERTAIN_TIERS)
    )  # fmt: skip
    several = (
        listed.group_by("record_id").agg(pl.col("case_no")).filter(pl.col("case_no").list.len() > 1)
    )
    assert several.height > 5
    flagged = accuracy.flags.group_by("record_id").agg(pl.col("case_no").unique())
    joined = several.join(flagged, on="record_id", how="left", suffix="_flagged")
    for row in joined.to_dicts():
        if row["case_no_flagged"] is None:  # record type with no rule (e.g. groceries)
            continue
        assert set(row["case_no"]) <= set(row["case_no_flagged"]), row


def test_registry_scopes(accuracy) -> None:  # type: ignore[no-untyped-def]
    flags = accuracy.flags
    consumption = flags.filter(pl.col(S.RECORD_TYPE) == "consumption")
    officer_links = consumption.filter(pl.col(S.LINK) != S.Link.DEBTOR.value)
    assert officer_links.height > 0
    assert set(officer_links[S.LINK]) == {S.Link.OFFICER_OF_LISTED_ENTITY.value}
    assert set(officer_links["via"]) <= {r.value for r in S.FOUR_ROLES}
    appointments = flags.filter(pl.col(S.RECORD_TYPE) == "appointment")
    assert set(appointments[S.LINK]) == {S.Link.DEBTOR.value}
    entity_links = flags.filter(pl.col(S.LINK) == S.Link.ENTITY_OF_LISTED_PERSON.value)
    assert entity_links.height > 0
    assert set(entity_links[S.RECORD_TYPE]) <= {"subsidy", "honour", "credit"}


def test_former_officers_are_not_linked_after_leaving(accuracy) -> None:  # type: ignore[no-untyped-def]
    scenario_tags = accuracy.flags.join(
        accuracy.truth.select("record_id").unique(), on="record_id", how="anti"
    )
    assert scenario_tags.filter(pl.col(S.LINK) == S.Link.OFFICER_OF_LISTED_ENTITY.value).is_empty()
