"""Each module's vectorised ``problem_expr``/``canonical_expr`` equals its scalar ``validate``."""

from __future__ import annotations

import string
from datetime import date

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from blacklist_match.ids import (
    _clean,
    foreign_pr,
    masked_id,
    org_code,
    reg_no,
    residence_permit,
    resident_id,
    uscc,
)
from blacklist_match.ids.classify import PROBLEM_CODES

MODULES = [resident_id, residence_permit, foreign_pr, uscc, org_code, reg_no, masked_id]
SYMBOLS = string.digits + string.ascii_uppercase + "*"


def _expected(module, value):
    try:
        return module.validate(value), None
    except ValueError as error:
        return None, PROBLEM_CODES[type(error)]


@st.composite
def near_valid(draw):
    """A valid number of some kind with one character changed, or random symbols."""
    body = draw(st.text(SYMBOLS, min_size=7, max_size=20))
    kind = draw(st.sampled_from(["uscc", "person", "org", "reg", "raw"]))
    if kind == "uscc":
        head = draw(st.text(uscc.GB32100_ALPHABET, min_size=17, max_size=17))
        head = head[:2] + draw(st.text(string.digits, min_size=6, max_size=6)) + head[8:]
        org_body = head[8:16]
        if all(ch in uscc.GB32100_ALPHABET for ch in org_body) and draw(st.booleans()):
            head = head[:16] + org_code.calc_check_digit(org_body)
        body = head + uscc.calc_check_digit(head)
    elif kind == "person":
        born = draw(st.dates(date(1790, 1, 1), date(2100, 12, 31)))
        prefix = draw(st.sampled_from(["110105", "810000", "911840", "012345"]))
        head = f"{prefix}{born:%Y%m%d}{draw(st.integers(0, 999)):03d}"
        body = head + resident_id.calc_check_digit(head)
    elif kind == "org":
        head = draw(st.text(string.digits + string.ascii_uppercase, min_size=8, max_size=8))
        body = head + org_code.calc_check_digit(head)
    elif kind == "reg":
        head = draw(st.text(string.digits, min_size=14, max_size=14))
        body = head + reg_no.calc_check_digit(head)
    if draw(st.booleans()):
        position = draw(st.integers(0, len(body) - 1))
        body = body[:position] + draw(st.sampled_from(SYMBOLS)) + body[position + 1 :]
    return body


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__.rsplit(".", 1)[1])
@settings(max_examples=120)
@given(values=st.lists(near_valid(), min_size=1, max_size=30))
def test_problem_and_canonical_exprs_equal_validate(module, values):
    values = [_clean.compact(v) for v in values]
    n = pl.col("n")
    frame = pl.DataFrame({"n": values}, schema={"n": pl.String}).select(
        module.canonical_expr(n).alias("value"), module.problem_expr(n).alias("problem")
    )
    assert frame.rows() == [_expected(module, v) for v in values]
