"""classify() and its vectorised twin classify_expr(), plus the blocking-key expressions."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from blacklist_match.ids import (
    Classification,
    classify,
    classify_expr,
    crosswalk_key,
    crosswalk_key_expr,
    mask_key,
    mask_key_expr,
    masked_id,
)
from blacklist_match.schema import ID_ALT_KIND, ID_ALT_NORM, ID_KIND, ID_NORM, ID_PROBLEM, IdKind

K = IdKind
CASES = [
    # (text, subject_type, kind, value, problem, alt_kind, alt_value)
    (None, None, K.UNKNOWN, None, "empty", None, None),
    ("", None, K.UNKNOWN, None, "empty", None, None),
    ("暂无", None, K.UNKNOWN, None, "empty", None, None),
    ("--", None, K.UNKNOWN, None, "empty", None, None),
    ("\u3000 ", None, K.UNKNOWN, None, "empty", None, None),
    ("张三", None, K.UNKNOWN, None, "format", None, None),
    ("11010519491231002x", None, K.RESIDENT_ID, "11010519491231002X", None, None, None),
    ("36042619910102009X", None, K.RESIDENT_ID, None, "checksum", None, None),
    ("360426199113010079", None, K.RESIDENT_ID, None, "date", None, None),
    ("T60426199101010078", None, K.RESIDENT_ID, None, "format", None, None),
    ("810000199408230021", None, K.RESIDENCE_PERMIT, "810000199408230021", None, None, None),
    ("911840198001010013", None, K.FOREIGN_PR, "911840198001010013", None, None, None),
    ("USA110080010111", None, K.FOREIGN_PR, "USA110080010111", None, None, None),
    ("121200004013590816", None, K.USCC, "121200004013590816", None, None, None),
    ("91110000600037341L", None, K.USCC, "91110000600037341L", None, None, None),
    ("91110000600037341N", None, K.USCC, None, "checksum", None, None),
    ("9111000060003IOZSV", None, K.USCC, None, "format", None, None),
    ("91320621MA1MRHG207", None, K.USCC, None, "checksum", None, None),
    ("60056316-5", None, K.ORG_CODE, "600563165", None, None, None),
    ("600563166", None, K.ORG_CODE, None, "checksum", None, None),
    ("4209021983****0482", None, K.MASKED_RESIDENT_ID, "4209021983****0482", None, None, None),
    ("53272219751****0914", None, K.MASKED_RESIDENT_ID, "5327221975****0914", None, None, None),
    ("4209021983***0482", None, K.MASKED_RESIDENT_ID, None, "length", None, None),
    ("110108000000016", None, K.REG_NO, "110108000000016", None, None, None),
    ("110108000000017", None, K.REG_NO, None, "checksum", None, None),
    ("110108000000016", "person", K.RESIDENT_ID, None, "date", None, None),
    ("411702700422319", None, K.RESIDENT_ID, "41170219700422319X", None, None, None),
    ("411702700422319", "entity", K.REG_NO, None, "checksum", None, None),
    ("610104620927690", "person", K.RESIDENT_ID, "610104196209276908", None, None, None),
    # both readings pass: an old ID dated 1962-09-27 whose MOD 11,10 check also holds
    (
        "610104620927002",
        None,
        K.RESIDENT_ID,
        "610104196209270020",
        None,
        K.REG_NO,
        "610104620927002",
    ),
    ("6005631", None, K.ORG_CODE, None, "length", None, None),
    ("1101051949123100", None, K.RESIDENT_ID, None, "length", None, None),
]


@pytest.mark.parametrize(
    ("text", "subject", "kind", "value", "problem", "alt_kind", "alt_value"),
    CASES,
    ids=[f"{c[0]!r}-{c[1]}" for c in CASES],
)
def test_classify_and_classify_expr_agree_on_known_cases(
    text, subject, kind, value, problem, alt_kind, alt_value
):
    expected = Classification(kind, value, problem, alt_kind, alt_value)
    assert classify(text, subject) == expected
    frame = pl.DataFrame(
        {"id": [text], "subject": [subject]}, schema={"id": pl.String, "subject": pl.String}
    )
    row = frame.select(classify_expr(pl.col("id"), pl.col("subject"))).unnest("id").row(0)
    assert row == (kind.value, value, problem, alt_kind and alt_kind.value, alt_value)


def test_classify_expr_struct_fields_are_the_schema_names():
    frame = pl.DataFrame({"raw": ["60056316-5"]})
    result = frame.select(classify_expr(pl.col("raw")))
    assert result.columns == ["raw"]
    assert [f.name for f in result.schema["raw"].fields] == [
        ID_KIND,
        ID_NORM,
        ID_PROBLEM,
        ID_ALT_KIND,
        ID_ALT_NORM,
    ]


def test_classify_expr_accepts_a_constant_subject_type_and_works_lazily():
    frame = pl.LazyFrame({"id": ["411702700422319"]})
    row = frame.select(classify_expr(pl.col("id"), "entity")).collect().unnest("id").row(0)
    assert row[:3] == ("reg_no", None, "checksum")


KEY_VALUES = [
    "91110000600037341L",
    "600563165",
    "11010519491231002X",
    "4209021983****0482",
    "810000199408230021",
    "USA110080010111",
    "110108000000016",
    None,
]


def test_crosswalk_and_mask_keys_scalar_and_vectorised_agree():
    classified = [classify(v) for v in KEY_VALUES]
    frame = pl.DataFrame(
        {
            "kind": [c.kind.value for c in classified],
            "norm": [c.value for c in classified],
        }
    )
    keys = frame.select(
        crosswalk=crosswalk_key_expr(pl.col("kind"), pl.col("norm")),
        mask=mask_key_expr(pl.col("kind"), pl.col("norm")),
    )
    assert keys["crosswalk"].to_list() == [crosswalk_key(c.kind, c.value) for c in classified]
    assert keys["mask"].to_list() == [mask_key(c.kind, c.value) for c in classified]
    assert keys["crosswalk"].to_list()[:2] == ["600037341", "600563165"]
    assert keys["mask"].to_list()[2:5] == ["1101051949002X", "42090219830482", "81000019940021"]


def test_full_id_and_compatible_mask_share_the_mask_key():
    mask = "4209021983****0482"
    full = "420902" + f"{masked_id.compatible_dates(mask)[0]:%Y%m%d}" + "0482"
    assert mask_key(IdKind.RESIDENT_ID, full) == mask_key(IdKind.MASKED_RESIDENT_ID, mask)
    assert mask_key(IdKind.RESIDENT_ID, full) == "42090219830482"
    assert mask_key(IdKind.USCC, "91110000600037341L") is None


def test_compatible_expr_equals_is_compatible():
    mask = "4209021983****0482"
    dates = masked_id.compatible_dates(mask)
    fulls = ["420902" + f"{d:%Y%m%d}" + "0482" for d in dates[:6]]
    rows = [
        (mask, full, age, published)
        for full in [*fulls, fulls[0][:-1] + "1", "garbage", None]
        for age, published in [(None, None), (35, date(2019, 7, 13)), (36, date(2019, 7, 13))]
    ] + [("53272219751****0914", "532722197511040914", None, None), (None, fulls[0], None, None)]
    frame = pl.DataFrame(
        rows,
        schema={"mask": pl.String, "full": pl.String, "age": pl.Int64, "pub": pl.Date},
        orient="row",
    )
    vectorised = frame.select(
        masked_id.compatible_expr(pl.col("mask"), pl.col("full"), pl.col("age"), pl.col("pub"))
    ).to_series()
    scalar = [masked_id.is_compatible(m, f, a, p) for m, f, a, p in rows]
    assert vectorised.to_list() == scalar
    assert any(scalar) and not all(scalar)
