"""Hypothesis properties of the identifier codecs and of scalar/vectorised equivalence."""

from __future__ import annotations

import string
from datetime import date

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from blacklist_match.ids import (
    classify,
    classify_expr,
    foreign_pr,
    masked_id,
    org_code,
    reg_no,
    residence_permit,
    resident_id,
    uscc,
)

DIGITS = string.digits
USCC_SYMBOLS = uscc.GB32100_ALPHABET
ORG_SYMBOLS = string.digits + string.ascii_uppercase

births = st.dates(min_value=date(1900, 1, 1), max_value=date.today())
sequences = st.text(DIGITS, min_size=3, max_size=3)
regions = st.text(DIGITS, min_size=5, max_size=5).flatmap(
    lambda rest: st.sampled_from("1234567").map(lambda first: first + rest)
)


def _with_check(body: str) -> str:
    return body + resident_id.calc_check_digit(body)


resident_ids = st.builds(
    lambda r, b, s: _with_check(f"{r}{b:%Y%m%d}{s}"), regions, births, sequences
)
permits = st.builds(
    lambda p, b, s: _with_check(f"{p}{b:%Y%m%d}{s}"),
    st.sampled_from(resident_id.PERMIT_PREFIXES),
    births,
    sequences,
)
foreign_new = st.builds(
    lambda r, b, s: _with_check(f"9{r}{b:%Y%m%d}{s}"),
    st.text(DIGITS, min_size=5, max_size=5),
    births,
    sequences,
)
old_resident_ids = st.builds(
    lambda r, b, s: f"{r}{b:%y%m%d}{s}",
    regions,
    st.dates(min_value=date(1900, 1, 1), max_value=date(1999, 12, 31)),
    sequences,
)


def _uscc(head: str, region: str, org_body: str) -> str:
    body = head + region + org_body + org_code.calc_check_digit(org_body)
    return body + uscc.calc_check_digit(body)


usccs = st.builds(
    _uscc,
    st.text(USCC_SYMBOLS, min_size=2, max_size=2),
    st.text(DIGITS, min_size=6, max_size=6),
    st.text(USCC_SYMBOLS, min_size=8, max_size=8),
)
org_codes = st.text(ORG_SYMBOLS, min_size=8, max_size=8).map(
    lambda body: body + org_code.calc_check_digit(body)
)
reg_nos = st.text(DIGITS, min_size=14, max_size=14).map(
    lambda body: body + reg_no.calc_check_digit(body)
)
masks = resident_ids.map(lambda n: n[:10] + "****" + n[14:])

VALID_BY_MODULE = [
    (resident_id, resident_ids),
    (residence_permit, permits),
    (foreign_pr, foreign_new),
    (uscc, usccs),
    (org_code, org_codes),
    (reg_no, reg_nos),
    (masked_id, masks),
]


@given(st.data())
def test_generated_valid_numbers_validate_for_every_kind(data):
    for module, strategy in VALID_BY_MODULE:
        number = data.draw(strategy, label=module.__name__)
        assert module.validate(number) == number


@settings(max_examples=60)
@given(resident_ids)
def test_every_single_character_substitution_of_a_resident_id_is_caught(number):
    for position, original in enumerate(number):
        for replacement in DIGITS + "X":
            if replacement != original:
                changed = number[:position] + replacement + number[position + 1 :]
                assert not resident_id.is_valid(changed), changed


@settings(max_examples=40)
@given(usccs)
def test_every_single_character_substitution_of_a_uscc_is_caught(number):
    for position, original in enumerate(number):
        for replacement in USCC_SYMBOLS:
            if replacement != original:
                changed = number[:position] + replacement + number[position + 1 :]
                assert not uscc.is_valid(changed), changed


@given(old_resident_ids)
def test_15_digit_upgrades_validate_as_18_character_ids(number):
    upgraded = resident_id.validate(number)
    assert len(upgraded) == 18
    assert upgraded == number[:6] + "19" + number[6:] + upgraded[-1]
    assert resident_id.validate(upgraded) == upgraded


@given(resident_ids)
def test_a_full_id_is_compatible_with_its_own_mask(number):
    mask = number[:10] + "****" + number[14:]
    born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    assert born in masked_id.compatible_dates(mask)
    assert masked_id.is_compatible(mask, number)


# --- scalar classify == vectorised classify_expr ---------------------------------------------


def _scalar_rows(values, subject):
    rows = []
    for value in values:
        result = classify(value, subject)
        alt_kind = result.alt_kind.value if result.alt_kind else None
        rows.append((result.kind.value, result.value, result.problem, alt_kind, result.alt_value))
    return rows


def _assert_same(values, subject=None):
    frame = pl.DataFrame({"id": values}, schema={"id": pl.String})
    vectorised = frame.select(classify_expr(pl.col("id"), subject)).unnest("id").rows()
    assert vectorised == _scalar_rows(values, subject)


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(st.none(), st.text(max_size=24)), max_size=40))
def test_classify_expr_equals_classify_on_arbitrary_text(values):
    _assert_same(values)


def _full_width(text: str) -> str:
    return "".join(chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ch for ch in text)


@st.composite
def disguised_ids(draw):
    """A generated number, maybe mutated, then dressed as agencies type them."""
    number = draw(
        st.one_of(
            resident_ids, permits, foreign_new, usccs, org_codes, reg_nos, masks, old_resident_ids
        )
    )
    mutation = draw(st.sampled_from(["none", "substitute", "delete", "insert", "swap"]))
    position = draw(st.integers(0, len(number) - 1))
    char = draw(st.sampled_from(DIGITS + "XIO*A"))
    if mutation == "substitute":
        number = number[:position] + char + number[position + 1 :]
    elif mutation == "delete":
        number = number[:position] + number[position + 1 :]
    elif mutation == "insert":
        number = number[:position] + char + number[position:]
    elif mutation == "swap" and position < len(number) - 1:
        number = (
            number[:position] + number[position + 1] + number[position] + number[position + 2 :]
        )
    dress = draw(st.sampled_from(["plain", "lower", "full", "spaces", "hyphen", "ideographic"]))
    if dress == "lower":
        number = number.lower()
    elif dress == "full":
        number = _full_width(number)
    elif dress == "spaces":
        number = f"  {number[:6]} {number[6:]}\t"
    elif dress == "hyphen":
        number = f"{number[:8]}-{number[8:]}"
    elif dress == "ideographic":
        number = f"\u3000{number}\u3000"
    return number


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(disguised_ids(), min_size=1, max_size=40),
    st.sampled_from([None, "person", "entity"]),
)
def test_classify_expr_equals_classify_on_generated_and_mutated_ids(values, subject):
    _assert_same(values, subject)


@given(st.lists(disguised_ids(), min_size=1, max_size=20))
def test_undressed_valid_ids_classify_to_a_value(values):
    for value in values:
        result = classify(value)
        assert (result.value is None) == (result.problem is not None)
