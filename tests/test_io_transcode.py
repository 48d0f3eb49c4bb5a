"""GB18030 is transcoded to UTF-8 exactly as Python's codec does, on one core or two."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import LIST_HEADER, LIST_ROWS
from hypothesis import given, settings
from hypothesis import strategies as st

from blacklist_match.io.court_list import read_court_list
from blacklist_match.io.tables import read_table
from blacklist_match.io.transcode import gb18030_to_utf8

# four-byte GB18030 sequences (U+00E9, U+20000) beside two-byte ones and ASCII
MIXED = "案号,名称\n(2019)鄂0902执1194号,张伟é\n(2018)京0105执55号,王芳𠀀\n"


@pytest.mark.parametrize("parallel_from", [0, 1 << 30], ids=["two_cores", "one_core"])
def test_gb18030_becomes_the_utf8_of_pythons_decode(parallel_from: int) -> None:
    data = (MIXED * 500).encode("gb18030")
    assert gb18030_to_utf8(data, parallel_from=parallel_from) == (MIXED * 500).encode()


@pytest.mark.parametrize("half", ["first", "second"])
def test_bytes_gb18030_cannot_decode_give_none_in_either_half(half: str) -> None:
    good = (MIXED * 200).encode("gb18030")
    data = b"\xff\xff\n" + good if half == "first" else good + b"\xff\xff\n"
    assert gb18030_to_utf8(data, parallel_from=0) is None


def test_text_without_a_line_break_is_transcoded_whole() -> None:
    data = ("张伟" * 1000).encode("gb18030")
    assert gb18030_to_utf8(data, parallel_from=0) == ("张伟" * 1000).encode()


@settings(max_examples=60, deadline=None)
@given(st.text(st.characters(codec="gb18030", exclude_categories=("Cs",)), max_size=200))
def test_any_gb18030_text_survives_the_cut(text: str) -> None:
    data = f"{text}\n{text}\n{text}".encode("gb18030")
    assert gb18030_to_utf8(data, parallel_from=0) == f"{text}\n{text}\n{text}".encode()


def test_a_large_gb18030_list_reads_as_its_utf8_twin(tmp_path: Path) -> None:
    rows = [LIST_HEADER, *(LIST_ROWS * 30_000)]  # about 9 MB: transcoded on two cores
    text = "\n".join(rows) + "\n"
    gb18030, utf8 = tmp_path / "list_gb.csv", tmp_path / "list_utf8.csv"
    gb18030.write_bytes(text.encode("gb18030"))
    utf8.write_bytes(text.encode())
    assert gb18030.stat().st_size > 8 << 20
    assert read_table(gb18030).equals(read_table(utf8))
    entries, quarantine = read_court_list(gb18030)
    assert (entries.height, quarantine.height) == (90_000, 0)


def test_a_damaged_large_gb18030_list_still_quarantines_the_bad_line(tmp_path: Path) -> None:
    rows = [LIST_HEADER, *(LIST_ROWS * 30_000)]
    data = ("\n".join(rows) + "\n").encode("gb18030")
    middle = data.index(b"\n", len(data) * 3 // 4) + 1
    path = tmp_path / "damaged.csv"
    path.write_bytes(data[:middle] + b"\xff\xfe,bad\n" + data[middle:])
    entries, quarantine = read_court_list(path)
    assert entries.height == 90_000
    assert quarantine["reason"].to_list() == ["undecodable bytes"]
