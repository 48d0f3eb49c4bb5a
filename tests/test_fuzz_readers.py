"""Damaged input never crashes a reader, never loses a row: each bad row is quarantined.

The damage comes from ``benchmarks/fuzz_readers.py`` (truncation, random bytes, UTF-16 and
GB18030, unbalanced quotes, huge fields, wrong field counts, broken JSON lines, empty and
header-only files); this suite runs a small sample of it, the benchmark runs 10,000 cases.
"""

from __future__ import annotations

import codecs
import random
import sys
from functools import cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from blacklist_match.errors import InputError
from blacklist_match.io.court_list import read_court_list
from blacklist_match.io.tables import (
    MAX_FIELD_CHARS,
    PROBLEM,
    ROW,
    _read_csv_careful,
    _read_csv_fast,
    read_table,
)

sys.path.insert(0, str(Path(__file__).parent.parent / "benchmarks"))
import fuzz_readers as fuzz

HEADER = "案号,被执行人姓名/名称,发布时间"


@cache
def base() -> fuzz.Base:
    return fuzz.build_base(entries=20)


KINDS = [(s, k) for s in fuzz.TEXT_FORMATS for k in fuzz.TEXT_KINDS[s]] + [
    (s, k) for s in fuzz.BINARY_FORMATS for k in fuzz.BINARY_KINDS
]


def make(suffix: str, kind: str, rnd: random.Random) -> fuzz.Case:
    maker = fuzz.text_case if suffix in fuzz.TEXT_FORMATS else fuzz.binary_case
    return maker(base(), suffix, kind, rnd)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(kind=st.sampled_from(KINDS), rnd=st.randoms(use_true_random=False))
def test_damaged_files_load_every_good_row_and_quarantine_every_bad_one(
    tmp_path_factory: pytest.TempPathFactory, kind: tuple[str, str], rnd: random.Random
) -> None:
    case = make(*kind, rnd)
    outcome = fuzz.check_in_process(case, tmp_path_factory.mktemp("case"))
    assert outcome.crashed is None
    assert outcome.lost == 0, outcome
    assert outcome.good_not_loaded == 0, outcome


@pytest.mark.parametrize(
    ("suffix", "kind", "must_load"),
    [
        ("csv", "wrong_field_count", True),
        ("csv", "stray_quote", True),
        ("csv", "random_bytes", True),
        ("csv", "huge_field", True),
        ("csv", "encoding", False),
        ("csv", "empty", False),
        ("jsonl", "broken_json", True),
        ("xlsx", "truncated", False),
        ("parquet", "random_bytes", False),
        ("csv", "garbage", False),
    ],
)
def test_cli_on_damaged_files_exits_0_or_1_without_traceback(
    tmp_path: Path, suffix: str, kind: str, must_load: bool
) -> None:
    case = make(suffix, kind, random.Random(f"{suffix}:{kind}"))
    outcome = fuzz.check_cli(case, tmp_path)
    assert outcome.crashed is None
    assert outcome.lost == 0
    if must_load:
        assert outcome.refused is None


def _csv(tmp_path: Path, text: str | bytes, name: str = "list.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return path


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("(2019)鄂1执1号,张三,2019-07-13,extra", "wrong number of fields (expected 3, got 4)"),
        ("(2019)鄂1执1号,张三", "wrong number of fields (expected 3, got 2)"),
        ('(2019)鄂1执1号,"张三,2019-07-13', "unbalanced or misplaced quotes"),
        ('(2019)鄂1执1号,"张"三,2019-07-13', "unbalanced or misplaced quotes"),
        (f"(2019)鄂1执1号,{'张' * (MAX_FIELD_CHARS + 1)},2019-07-13", "field longer than"),
    ],
    ids=["too-many", "too-few", "open-quote", "quote-then-text", "huge-field"],
)
def test_bad_csv_row_is_quarantined_with_its_line_and_reason(
    tmp_path: Path, line: str, reason: str
) -> None:
    good = ["(2019)鄂1执2号,李四,2019-07-13", "(2019)鄂1执3号,王五,2019-07-14"]
    path = _csv(tmp_path, "\n".join([HEADER, good[0], line, good[1]]) + "\n")
    entries, quarantine = read_court_list(path)
    assert entries[ROW].to_list() == [2, 4]
    assert quarantine.select("row").to_series().to_list() == [3]
    assert quarantine["reason"][0].startswith(reason)


def test_undecodable_line_is_quarantined_and_the_file_stays_utf8(tmp_path: Path) -> None:
    lines = [f"(2019)鄂1执{n}号,张{n},2019-07-13".encode() for n in range(4)]
    lines[2] = b"(2019)\xff\xfe\x81,bad,2019-07-13"
    path = _csv(tmp_path, b"\n".join([HEADER.encode(), *lines]) + b"\n")
    entries, quarantine = read_court_list(path)
    assert entries["name"].to_list() == ["张0", "张1", "张3"]
    assert quarantine.rows() == [
        (str(path), 4, None, "(2019)\ufffd\ufffd\ufffd,bad,2019-07-13", "undecodable bytes")
    ]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "gb18030"])
def test_utf16_and_gb18030_files_are_read(tmp_path: Path, encoding: str) -> None:
    text = f"{HEADER}\n(2019)鄂1执1号,张三,2019-07-13\n"
    entries, quarantine = read_court_list(_csv(tmp_path, text.encode(encoding)))
    assert entries["name"].to_list() == ["张三"]
    assert quarantine.height == 0


def test_json_lines_with_a_broken_line_loads_the_others(tmp_path: Path) -> None:
    lines = [
        '{"caseCode": "(2019)鄂1执1号", "iname": "张三", "publishDate": "2019-07-13"}',
        '{"caseCode": "(2019)鄂1执2号", "iname": ',
        "[1, 2]",
        '{"caseCode": "(2019)鄂1执3号", "iname": "王五", "publishDate": "2019-07-14"}',
    ]
    path = _csv(tmp_path, "\n".join(lines) + "\n", "list.jsonl")
    entries, quarantine = read_court_list(path)
    assert entries[ROW].to_list() == [1, 4]
    assert quarantine.select("row", "reason").rows() == [
        (2, "not valid JSON: Expecting value"),
        (3, "expected a JSON object"),
    ]


@pytest.mark.parametrize(
    "data",
    [b"", b"  \n", codecs.BOM_UTF8, codecs.BOM_UTF16_LE],
    ids=["0", "space", "bom8", "bom16"],
)
def test_empty_csv_is_a_clear_input_error(tmp_path: Path, data: bytes) -> None:
    with pytest.raises(InputError, match="the file is empty") as raised:
        read_court_list(_csv(tmp_path, data))
    assert raised.value.file is not None


def test_header_only_csv_has_zero_rows(tmp_path: Path) -> None:
    entries, quarantine = read_court_list(_csv(tmp_path, HEADER + "\n"))
    assert (entries.height, quarantine.height) == (0, 0)


@pytest.mark.parametrize("suffix", ["xlsx", "parquet"])
def test_truncated_xlsx_or_parquet_is_an_input_error_naming_the_file(
    tmp_path: Path, suffix: str
) -> None:
    path = tmp_path / f"list.{suffix}"
    path.write_bytes(base().files[suffix][:500])
    with pytest.raises(InputError, match="cannot read as") as raised:
        read_table(path)
    assert raised.value.file == str(path)


def test_fast_and_careful_csv_readers_agree_on_a_clean_file() -> None:
    text = (
        base().files["csv"].decode()
        + '(2020)京1执9号,"赵,六",,,,,,,,,,,,"a ""quoted"" b",2020-01-01\n'
    )
    fast = _read_csv_fast(text.encode(), ",")
    assert fast is not None
    careful = _read_csv_careful(text, ",")
    assert PROBLEM not in careful.columns
    assert fast.select(careful.columns).equals(careful)


def test_json_lines_spelling_a_key_two_ways_is_merged(tmp_path: Path) -> None:
    lines = [
        '{"caseCode": "(2019)鄂1执1号", "iname": "张三", "publishDate": "2019-07-13"}',
        '{"案号": "(2019)鄂1执2号", "iname": "李四", "publishDate": "2019-07-14"}',
    ]
    entries, quarantine = read_court_list(_csv(tmp_path, "\n".join(lines), "list.jsonl"))
    assert entries["case_no"].to_list() == ["(2019)鄂1执1号", "(2019)鄂1执2号"]
    assert quarantine.height == 0


def test_json_lines_with_no_readable_line_quarantines_them_all(tmp_path: Path) -> None:
    path = _csv(tmp_path, '{"caseCode": "(2019)鄂1\n[1]\n', "list.jsonl")
    entries, quarantine = read_court_list(path)
    assert entries.height == 0
    assert quarantine["row"].to_list() == [1, 2]


def test_stray_quote_does_not_swallow_the_rows_after_it(tmp_path: Path) -> None:
    rows = [f"(2019)鄂1执{n}号,张{n},2019-07-13" for n in range(5)]
    rows[1] = '(2019)鄂1执1号,"张1,2019-07-13'
    rows[3] = '(2019)鄂1执3号,张3",2019-07-13,'
    entries, quarantine = read_court_list(_csv(tmp_path, "\n".join([HEADER, *rows]) + "\n"))
    assert entries["name"].to_list() == ["张0", "张2", "张4"]
    assert quarantine["row"].to_list() == [3, 5]
