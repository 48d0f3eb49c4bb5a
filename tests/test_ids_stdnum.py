"""Differential test against python-stdnum: check characters of generated and mutated numbers.

Both our scalar functions and the vectorised column expressions must agree with
``stdnum.iso7064.mod_11_2``, ``stdnum.iso7064.mod_11_10`` and
``stdnum.cn.uscc.calc_check_digit`` on every number (zero disagreements).
"""

from __future__ import annotations

import random
import string

import polars as pl
import pytest
from stdnum.cn import uscc as stdnum_uscc
from stdnum.iso7064 import mod_11_2, mod_11_10

from blacklist_match.ids import org_code, reg_no, resident_id, uscc

COUNT = 120_000
N = pl.col("n")


def _mutate(rng: random.Random, number: str, alphabet: str) -> str:
    """Substitute, transpose or keep: a mix of valid and invalid numbers."""
    choice = rng.randrange(3)
    position = rng.randrange(len(number))
    if choice == 0:
        return number[:position] + rng.choice(alphabet) + number[position + 1 :]
    if choice == 1 and position < len(number) - 1:
        swapped = number[position + 1] + number[position]
        return number[:position] + swapped + number[position + 2 :]
    return number


def test_mod_11_2_agrees_with_stdnum_on_generated_and_mutated_numbers():
    rng = random.Random(112)
    numbers = []
    for _ in range(COUNT):
        body = "".join(rng.choice(string.digits) for _ in range(17))
        numbers.append(_mutate(rng, body + resident_id.calc_check_digit(body), string.digits + "X"))
    numbers = [n for n in numbers if "X" not in n[:17]]
    ours = [resident_id.calc_check_digit(n) == n[17] for n in numbers]
    theirs = [mod_11_2.is_valid(n) for n in numbers]
    vectorised = (
        pl.DataFrame({"n": numbers})
        .select(resident_id.check_char_expr(N.str.slice(0, 17)) == N.str.slice(17, 1))
        .to_series()
        .to_list()
    )
    assert sum(a != b for a, b in zip(ours, theirs, strict=True)) == 0
    assert vectorised == theirs
    assert 0.2 < sum(theirs) / len(theirs) < 0.8  # both valid and invalid numbers were tried


def test_mod_11_10_agrees_with_stdnum_on_generated_and_mutated_numbers():
    rng = random.Random(1110)
    numbers = []
    for _ in range(COUNT):
        body = "".join(rng.choice(string.digits) for _ in range(14))
        numbers.append(_mutate(rng, body + reg_no.calc_check_digit(body), string.digits))
    ours = [reg_no.calc_check_digit(n) == n[14] for n in numbers]
    theirs = [mod_11_10.is_valid(n) for n in numbers]
    assert [reg_no.calc_check_digit(n) for n in numbers[:20_000]] == [
        mod_11_10.calc_check_digit(n[:14]) for n in numbers[:20_000]
    ]
    vectorised = (
        pl.DataFrame({"n": numbers})
        .select(reg_no.check_digit_expr(N) == N.str.slice(14, 1).str.to_integer())
        .to_series()
        .to_list()
    )
    assert sum(a != b for a, b in zip(ours, theirs, strict=True)) == 0
    assert vectorised == theirs
    assert 0.2 < sum(theirs) / len(theirs) < 0.8


def test_uscc_check_character_agrees_with_stdnum_on_generated_and_mutated_numbers():
    rng = random.Random(32100)
    alphabet = uscc.GB32100_ALPHABET
    numbers = []
    for _ in range(COUNT):
        body = "".join(rng.choice(alphabet) for _ in range(17))
        numbers.append(_mutate(rng, body + uscc.calc_check_digit(body), alphabet))
    ours = [uscc.calc_check_digit(n) for n in numbers]
    theirs = [stdnum_uscc.calc_check_digit(n[:17]) for n in numbers]
    vectorised = pl.DataFrame({"n": numbers}).select(uscc.check_char_expr(N)).to_series().to_list()
    assert sum(a != b for a, b in zip(ours, theirs, strict=True)) == 0
    assert vectorised == theirs


@pytest.mark.parametrize("seed", [11714])
def test_org_code_vectorised_check_equals_scalar_on_generated_bodies(seed):
    rng = random.Random(seed)
    alphabet = string.digits + string.ascii_uppercase
    bodies = ["".join(rng.choice(alphabet) for _ in range(8)) for _ in range(COUNT // 2)]
    vectorised = pl.DataFrame({"n": bodies}).select(org_code.check_char_expr(N)).to_series()
    assert vectorised.to_list() == [org_code.calc_check_digit(b) for b in bodies]
