"""The vendored GB/T 2260 table: known codes, names, and the region-name list for company keys."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from blacklist_match.regions import is_known_region, region_name, region_names, short_form

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    ("code", "name"),
    [
        pytest.param("110000", "北京市", id="province"),
        pytest.param("440300", "深圳市", id="prefecture"),
        pytest.param("440305", "南山区", id="current-county"),
        pytest.param("110103", "崇文区", id="abolished-2010"),
        pytest.param("130502", "襄都区", id="renamed-2020-current-name-first"),
        pytest.param("440302", "沙头角区办事处", id="abolished-1990"),
        pytest.param("652100", "吐鲁番地区", id="abolished-prefecture"),
        pytest.param("710000", "台湾省", id="taiwan"),
        pytest.param("810000", "香港特别行政区", id="hong-kong-simplified"),
        pytest.param("820000", "澳门特别行政区", id="macao-simplified"),
        pytest.param("830000", "台湾居民居住证", id="taiwan-residence-permit"),
    ],
)
def test_known_codes_have_names(code: str, name: str) -> None:
    assert is_known_region(code)
    assert region_name(code) == name


@pytest.mark.parametrize(
    "code",
    [
        pytest.param("440399", id="unused-county"),
        pytest.param("000000", id="zeros"),
        pytest.param("4403", id="too-short"),
        pytest.param("4403050", id="too-long"),
        pytest.param("", id="empty"),
        pytest.param("44030X", id="not-digits"),
    ],
)
def test_unknown_codes_are_not_known(code: str) -> None:
    assert not is_known_region(code)
    assert region_name(code) is None


def test_table_covers_all_provinces_and_thousands_of_counties() -> None:
    prefixes = (11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45)
    prefixes += (46, 50, 51, 52, 53, 54, 61, 62, 63, 64, 65)
    provinces = [f"{p}0000" for p in prefixes]
    assert all(is_known_region(c) for c in provinces)
    codes = [f"{p}{n:04d}" for p in ("44", "11", "65") for n in range(10000)]
    assert sum(is_known_region(c) for c in codes) > 300


@pytest.mark.parametrize(
    "name",
    [
        "广东省",
        "广东",
        "深圳市",
        "深圳",
        "南山区",
        "内蒙古自治区",
        "内蒙古",
        "广西壮族自治区",
        "广西",
        "新疆",
        "香港特别行政区",
        "香港",
        "澳门",
        "延边朝鲜族自治州",
        "延边",
        "吉林",
        "苏州",
        "崇文区",
    ],
)
def test_region_names_include_full_and_short_forms(name: str) -> None:
    assert name in region_names()


@pytest.mark.parametrize(
    "name",
    [
        pytest.param("市辖区", id="bookkeeping-group"),
        pytest.param("县", id="one-char"),
        pytest.param("南山", id="county-short-form"),
        pytest.param("平安", id="county-short-form-common-word"),
        pytest.param("白银", id="prefecture-short-form-common-word"),
        pytest.param("东区", id="generic"),
        pytest.param("省直辖县级行政单位", id="not-a-place"),
    ],
)
def test_region_names_exclude_generic_and_risky_forms(name: str) -> None:
    assert name not in region_names()


def test_region_names_are_longest_first_simplified_and_at_least_two_chars() -> None:
    names = region_names()
    assert [len(n) for n in names] == sorted((len(n) for n in names), reverse=True)
    assert len(set(names)) == len(names)
    assert all(len(n) >= 2 for n in names)
    assert all(re.fullmatch(r"[\u3400-\u9fff]+", n) for n in names)
    assert "香港特別行政區" not in names


@pytest.mark.parametrize(
    ("name", "short"),
    [
        ("广东省", "广东"),
        ("深圳市", "深圳"),
        ("内蒙古自治区", "内蒙古"),
        ("宁夏回族自治区", "宁夏"),
        ("新疆维吾尔自治区", "新疆"),
        ("克孜勒苏柯尔克孜自治州", "克孜勒苏"),
        ("海西蒙古族藏族哈萨克族自治州", "海西"),
        ("锡林郭勒盟", "锡林郭勒"),
        ("吐鲁番地区", "吐鲁番"),
        ("南山区", None),
    ],
)
def test_short_form(name: str, short: str | None) -> None:
    assert short_form(name) == short


def test_vendored_table_is_what_the_build_script_makes() -> None:
    pytest.importorskip("stdnum")
    result = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "build_regions.py"), "--check"], check=False
    )
    assert result.returncode == 0, "run python tools/build_regions.py to refresh the table"


def test_table_names_its_source_and_licence() -> None:
    head = (ROOT / "blacklist_match" / "data" / "regions.tsv").read_text("utf-8")[:600]
    assert "python-stdnum" in head
    assert "LGPL-2.1-or-later" in head
