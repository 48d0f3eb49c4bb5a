"""Accuracy of the matching engine on a labelled scenario: precision and recall per tier
and per difficulty, for identities (candidate pairs) and for flags.

Usage: python benchmarks/accuracy.py [--persons 400] [--companies 200] [--records 3000]
       [--seed 11]

Identity: every candidate pair the tiers produce (before the listing window) against the
scenario's truth pairs (record, case). Recall per tier is counted on the truth pairs whose
``expected_tier`` is that tier (found at any tier); precision per tier on the candidates the
tier produced. Flags: the flags the pipeline raises against the flags the shipped rules
raise when fed the truth itself (the right identity, link and role), compared on (record,
case, rule) for entries listed on the event date.
"""

from __future__ import annotations

import argparse
import tempfile
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from blacklist_match import schema as S
from blacklist_match.match.identity import candidate_pairs, find_candidates
from blacklist_match.report.flags import build_flags
from blacklist_match.rules import RulePack, apply_rules
from blacklist_match.store import MEMORY, Store
from blacklist_match.synth import CERTAIN_TIERS, Scenario, build_scenario
from blacklist_match.util import query_frame

PAIR = ["record_id", "case_no"]


@dataclass
class Accuracy:
    """Frames of one evaluation (see the module docstring)."""

    identity_by_tier: pl.DataFrame
    identity_by_difficulty: pl.DataFrame
    flags_by_tier: pl.DataFrame
    flags_by_difficulty: pl.DataFrame
    certain: dict[str, float]
    """Recall and precision over the certain and probable tiers, identities and flags."""
    block_on_review_only: int
    namesake_flags: int
    """Flags on namesake records that carry a valid ID of their own."""
    flags: pl.DataFrame
    candidates: pl.DataFrame
    truth: pl.DataFrame


def _load(scenario: Scenario, folder: Path, store: Store) -> None:
    files = scenario.write(folder)
    store.ingest_list(files["list"])
    store.ingest_removals(files["removals"])
    store.ingest_officers(files["officers"])
    store.ingest_records(files["records"])


def _ratio(hit: pl.Expr, total: pl.Expr) -> pl.Expr:
    return pl.when(total > 0).then(hit / total).otherwise(None).round(4)


def _by(frame: pl.DataFrame, key: str, flag: str) -> pl.DataFrame:
    return frame.group_by(key).agg(pl.len().alias("n"), pl.col(flag).sum().alias("hit"))


def _table(recall: pl.DataFrame, precision: pl.DataFrame, key: str) -> pl.DataFrame:
    """Join recall (n, hit over truth) and precision (n, hit over predictions) on ``key``."""
    return (
        recall.rename({"n": "truth", "hit": "found"})
        .join(precision.rename({"n": "predicted", "hit": "correct"}), on=key, how="full",
              coalesce=True)
        .with_columns(
            _ratio(pl.col("found"), pl.col("truth")).alias("recall"),
            _ratio(pl.col("correct"), pl.col("predicted")).alias("precision"),
        )
        .sort(key)
    )  # fmt: skip


def _explode_tags(frame: pl.DataFrame, column: str = "difficulty") -> pl.DataFrame:
    return frame.with_columns(pl.col(column).str.split("+")).explode(column)


def _expected_flags(store: Store, truth: pl.DataFrame, pack: RulePack) -> pl.DataFrame:
    """The flags the rules raise on the truth itself (what a perfect matcher would give)."""
    records = query_frame(store.con, "SELECT * FROM records").rename({"id_kind": "subject_id_kind"})
    entries = query_frame(
        store.con,
        "SELECT entry_id, case_no, debtor_type, listed_from, listed_until FROM entries",
    )
    relation = pl.col("relation")
    candidates = (
        truth.filter(pl.col("listed_on_event") & (pl.col("expected_tier") != "none"))
        .join(entries, on="case_no")
        .join(records, on="record_id")
        .with_columns(
            pl.col("expected_tier").alias(S.TIER),
            pl.when(relation == "debtor")
            .then(pl.lit(S.Link.DEBTOR.value))
            .when(relation.str.starts_with("officer:"))
            .then(pl.lit(S.Link.OFFICER_OF_LISTED_ENTITY.value))
            .otherwise(pl.lit(S.Link.ENTITY_OF_LISTED_PERSON.value))
            .alias(S.LINK),
            pl.when(relation == "debtor")
            .then(pl.lit("debtor"))
            .otherwise(relation.str.split(":").list.get(1))
            .alias(S.VIA),
        )
    )
    return apply_rules(candidates.lazy(), pack).select(*PAIR, S.RULE_ID, S.ACTION).collect()


def evaluate(scenario: Scenario, rules: RulePack | None = None) -> Accuracy:
    """Screen ``scenario`` in an in-memory store and measure it against its truth."""
    pack = rules or RulePack.load()
    truth = scenario.truth
    tags = scenario.record_difficulty
    if tags is None:
        raise ValueError("the scenario has no record_difficulty")
    with tempfile.TemporaryDirectory() as folder, Store(MEMORY) as store:
        _load(scenario, Path(folder), store)
        # entries carry the case number as the list wrote it; map truth through entry_id
        case_of = query_frame(store.con, "SELECT entry_id, case_no FROM entries")
        pairs = query_frame(store.con, candidate_pairs(store.con)).join(case_of, on="entry_id")
        candidates = find_candidates(store.con)
        flags = build_flags(apply_rules(candidates.lazy(), pack), show_ids=True)
        expected = _expected_flags(store, truth, pack)

    # --- identity ---------------------------------------------------------------------
    truth_pairs = truth.select(*PAIR).unique()
    found = truth.join(
        pairs.select(*PAIR, pl.col(S.TIER).alias("found_tier")).unique(PAIR), on=PAIR, how="left"
    ).with_columns(pl.col("found_tier").is_not_null().alias("found"))
    judged = pairs.join(
        truth_pairs.with_columns(pl.lit(True).alias("true")), on=PAIR, how="left"
    ).with_columns(pl.col("true").fill_null(False))
    identity_by_tier = _table(
        _by(found.rename({"expected_tier": "tier"}), "tier", "found"), _by(judged, "tier", "true"),
        "tier",
    )  # fmt: skip
    judged_tags = _explode_tags(judged.join(tags, on="record_id"))
    identity_by_difficulty = _table(
        _by(_explode_tags(found), "difficulty", "found"),
        _by(judged_tags, "difficulty", "true"),
        "difficulty",
    )

    # --- flags --------------------------------------------------------------------------
    key = [*PAIR, S.RULE_ID]
    raised = flags.select(*key, S.TIER, S.ACTION).unique(key)
    expected_keys = expected.select(*key).unique()
    expected_found = (
        expected_keys.join(truth.select(*PAIR, "expected_tier", "difficulty").unique(PAIR),
                           on=PAIR)
        .join(raised.select(*key).with_columns(pl.lit(True).alias("found")), on=key, how="left")
        .with_columns(pl.col("found").fill_null(False))
    )  # fmt: skip
    raised_judged = raised.join(
        expected_keys.with_columns(pl.lit(True).alias("true")), on=key, how="left"
    ).with_columns(pl.col("true").fill_null(False))
    flags_by_tier = _table(
        _by(expected_found.rename({"expected_tier": "tier"}), "tier", "found"),
        _by(raised_judged, "tier", "true"),
        "tier",
    )
    flags_by_difficulty = _table(
        _by(_explode_tags(expected_found), "difficulty", "found"),
        _by(_explode_tags(raised_judged.join(tags, on="record_id")), "difficulty", "true"),
        "difficulty",
    )

    def _sum(frame: pl.DataFrame, column: str) -> int:
        return int(frame.filter(pl.col("tier").is_in(CERTAIN_TIERS))[column].sum() or 0)

    certain = {
        "identity_recall": _sum(identity_by_tier, "found")
        / max(1, _sum(identity_by_tier, "truth")),
        "identity_precision": _sum(identity_by_tier, "correct")
        / max(1, _sum(identity_by_tier, "predicted")),
        "flag_recall": _sum(flags_by_tier, "found") / max(1, _sum(flags_by_tier, "truth")),
        "flag_precision": _sum(flags_by_tier, "correct") / max(1, _sum(flags_by_tier, "predicted")),
    }
    review_only = [t.value for t in S.REVIEW_ONLY_TIERS]
    block_on_review_only = flags.filter(
        pl.col(S.TIER).is_in(review_only) & (pl.col(S.ACTION) == S.Action.BLOCK.value)
    ).height
    namesakes = tags.filter(
        pl.col("difficulty").str.contains("namesake")
        & ~pl.col("difficulty").str.contains("no_id|typo_id")
    )
    namesake_flags = flags.join(namesakes, on="record_id", how="semi").height
    return Accuracy(
        identity_by_tier=identity_by_tier,
        identity_by_difficulty=identity_by_difficulty,
        flags_by_tier=flags_by_tier,
        flags_by_difficulty=flags_by_difficulty,
        certain=certain,
        block_on_review_only=block_on_review_only,
        namesake_flags=namesake_flags,
        flags=flags,
        candidates=pairs,
        truth=truth,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=400)
    parser.add_argument("--companies", type=int, default=200)
    parser.add_argument("--records", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    scenario = build_scenario(
        listed_persons=args.persons,
        listed_companies=args.companies,
        records=args.records,
        seed=args.seed,
    )
    result = evaluate(scenario)
    pl.Config.set_tbl_rows(60)
    pl.Config.set_tbl_hide_dataframe_shape(True)
    pl.Config.set_tbl_formatting("ASCII_MARKDOWN")
    for title, frame in (
        ("Identity by tier (recall on expected tier, precision on produced tier)",
         result.identity_by_tier),
        ("Identity by difficulty", result.identity_by_difficulty),
        ("Flags by tier", result.flags_by_tier),
        ("Flags by difficulty", result.flags_by_difficulty),
    ):  # fmt: skip
        print(f"\n## {title}\n")
        print(frame)
    print("\ncertain+probable tiers:", {k: round(v, 4) for k, v in result.certain.items()})
    print("block actions on review-only tiers:", result.block_on_review_only)
    print("flags on namesakes with their own valid ID:", result.namesake_flags)


if __name__ == "__main__":
    main()
