"""The vectorised cleaning equals the scalar one; the columnar path is checked per character."""

from __future__ import annotations

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from blacklist_match.ids import _clean


def _vectorised(values):
    return _clean._compact_series(pl.Series(values, dtype=pl.String)).to_list()


COLUMNAR_CHARS = (
    [chr(cp) for cp in range(0x80)]
    + sorted(ch for ch in _clean._COLUMNAR_MAP if ord(ch) > 0x7F)
    + [chr(cp) for cp in range(ord(_clean.CJK_IDEOGRAPHS[0]), ord(_clean.CJK_IDEOGRAPHS[1]) + 1)]
)


def test_every_character_of_the_columnar_path_cleans_like_compact():
    odd = pl.Series(COLUMNAR_CHARS).str.contains(_clean._ODD_RE)
    assert not odd.any(), "the columnar characters must not be sent to Python"
    assert _clean._compact_columnar(pl.Series(COLUMNAR_CHARS)).to_list() == [
        _clean.compact(ch) for ch in COLUMNAR_CHARS
    ]


def test_characters_outside_the_columnar_path_are_odd():
    outside = ["\u00af", "\u2460", "\uf900", "\u0301", "\uac00", "\u00df", "\U0001d400"]
    assert pl.Series(outside).str.contains(_clean._ODD_RE).all()


@settings(max_examples=300)
@given(st.lists(st.one_of(st.none(), st.text(st.sampled_from(COLUMNAR_CHARS), max_size=24))))
def test_compact_series_equals_compact_on_columnar_text(values):
    assert _vectorised(values) == [_clean.compact(v) for v in values]


@settings(max_examples=300)
@given(st.lists(st.one_of(st.none(), st.text(max_size=24))))
def test_compact_series_equals_compact_on_any_text(values):
    assert _vectorised(values) == [_clean.compact(v) for v in values]


@given(st.text(max_size=24))
def test_compact_is_idempotent(text):
    once = _clean.compact(text)
    assert _clean.compact(once) == once


def test_a_removed_space_before_a_combining_mark_is_cleaned_again():
    # NFKC turns the macron into space + U+0304; once the space is gone A + U+0304 is Ā
    assert _clean.compact("00000000000000000*A\u00af") == "00000000000000000*\u0100"
    assert _vectorised(["00000000000000000*A\u00af"]) == ["00000000000000000*\u0100"]


def test_the_input_series_is_not_modified():
    values = pl.Series(["ab c", None, "ＡＢ"])
    _clean._compact_series(values)
    assert values.to_list() == ["ab c", None, "ＡＢ"]
