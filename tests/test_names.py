"""Person and company name keys: table-driven cases and scalar == vectorised properties."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from blacklist_match.names import (
    MIDDLE_DOTS,
    CompanyKey,
    company_key,
    company_key_expr,
    person_key,
    person_key_expr,
    person_key_nodot,
    person_key_nodot_expr,
    t2s_table,
)
from blacklist_match.schema import LEGAL_FORM, NAME_CORE, NAME_KEY, NAME_REGION


def _column(expr_fn, values: list[str | None]) -> list:
    frame = pl.DataFrame({"name": values}, schema={"name": pl.String})
    return frame.select(out=expr_fn(pl.col("name")))["out"].to_list()


def _company_rows(values: list[str | None]) -> list[CompanyKey]:
    rows = _column(company_key_expr, values)
    return [CompanyKey(r[NAME_KEY], r[NAME_CORE], r[LEGAL_FORM], r[NAME_REGION]) for r in rows]


# --- person keys -----------------------------------------------------------------------------

PERSON_CASES = [
    pytest.param("張偉", "张伟", id="traditional-zhang-wei"),
    pytest.param("陳", "陈", id="traditional-chen"),
    pytest.param("陳大文", "陈大文", id="traditional-full-name"),
    pytest.param("  张 伟\u3000", "张伟", id="whitespace-ideographic-space"),
    pytest.param("张\u200b伟", "张伟", id="zero-width-space"),
    pytest.param("ＺＨＡＮＧ　Ｗｅｉ", "ZHANGWei", id="full-width-latin"),
    pytest.param("王芳１", "王芳1", id="full-width-digit"),
    pytest.param("艾哈迈德·买买提", "艾哈迈德·买买提", id="canonical-dot"),
    pytest.param("艾哈迈德··买买提", "艾哈迈德·买买提", id="double-dot-collapses"),
    pytest.param("·艾哈迈德·", "艾哈迈德", id="edge-dots-dropped"),
    pytest.param("\uf9f4", "林", id="compatibility-ideograph"),
    pytest.param("暂无", None, id="placeholder-zanwu"),
    pytest.param("无", None, id="placeholder-wu"),
    pytest.param("--", None, id="placeholder-dashes"),
    pytest.param("-", None, id="placeholder-dash"),
    pytest.param("－－", None, id="placeholder-full-width-dashes"),
    pytest.param("——", None, id="placeholder-em-dashes"),
    pytest.param("", None, id="empty"),
    pytest.param("   ", None, id="blank"),
    pytest.param("0", None, id="placeholder-zero"),
    pytest.param(None, None, id="none"),
]


@pytest.mark.parametrize(("name", "key"), PERSON_CASES)
def test_person_key(name: str | None, key: str | None) -> None:
    assert person_key(name) == key
    assert _column(person_key_expr, [name]) == [key]


@pytest.mark.parametrize("dot", [*MIDDLE_DOTS, "\u00b7"], ids=lambda d: f"U+{ord(d):04X}")
def test_every_dot_look_alike_gives_the_same_keys(dot: str) -> None:
    name = f"艾哈迈德{dot}买买提"
    assert person_key(name) == "艾哈迈德·买买提"
    assert person_key_nodot(name) == "艾哈迈德买买提"
    assert _column(person_key_expr, [name]) == ["艾哈迈德·买买提"]
    assert _column(person_key_nodot_expr, [name]) == ["艾哈迈德买买提"]


def test_nodot_key_matches_name_written_without_dot() -> None:
    assert person_key_nodot("艾哈迈德•买买提") == person_key_nodot("艾哈迈德买买提")
    assert person_key_nodot("·") is None


def test_t2s_table_is_single_characters_and_closed() -> None:
    table = t2s_table()
    assert len(table) > 3000
    assert all(len(k) == 1 and len(v) == 1 for k, v in table.items())
    assert all(v not in table for v in table.values())


# --- company keys ----------------------------------------------------------------------------

COMPANY_CASES = [
    pytest.param(
        "震雄营销（深圳）有限公司宁波分公司",
        CompanyKey("震雄营销(深圳)有限公司宁波分公司", "震雄营销宁波分公司", "有限公司", "深圳"),
        id="bracketed-region-and-branch",
    ),
    pytest.param(
        "深圳市腾飞科技有限公司",
        CompanyKey("深圳市腾飞科技有限公司", "腾飞科技", "有限公司", "深圳市"),
        id="leading-region",
    ),
    pytest.param(
        "腾飞科技（深圳）有限公司",
        CompanyKey("腾飞科技(深圳)有限公司", "腾飞科技", "有限公司", "深圳"),
        id="bracketed-region",
    ),
    pytest.param(
        "北京XX股份有限公司",
        CompanyKey("北京XX股份有限公司", "XX", "股份有限公司", "北京"),
        id="joint-stock",
    ),
    pytest.param(
        "广东省深圳市南山区腾飞科技有限公司",
        CompanyKey(
            "广东省深圳市南山区腾飞科技有限公司", "腾飞科技", "有限公司", "广东省深圳市南山区"
        ),
        id="three-leading-regions",
    ),
    pytest.param(
        "內蒙古伊利實業集團股份有限公司",
        CompanyKey("内蒙古伊利实业集团股份有限公司", "伊利实业", "集团股份有限公司", "内蒙古"),
        id="traditional-script",
    ),
    pytest.param(
        "香港特別行政區某某貿易有限責任公司",
        CompanyKey(
            "香港特别行政区某某贸易有限责任公司", "某某贸易", "有限责任公司", "香港特别行政区"
        ),
        id="hong-kong-traditional",
    ),
    pytest.param(
        "杭州某某投资合伙企业（有限合伙）",
        CompanyKey("杭州某某投资合伙企业(有限合伙)", "某某投资", "合伙企业(有限合伙)", "杭州"),
        id="limited-partnership",
    ),
    pytest.param(
        "某某集团",
        CompanyKey("某某集团", "某某", "集团", None),
        id="group",
    ),
    pytest.param(
        "可口可乐（中国）饮料有限公司",
        CompanyKey("可口可乐(中国)饮料有限公司", "可口可乐(中国)饮料", "有限公司", None),
        id="non-region-bracket-kept",
    ),
    pytest.param(
        "深圳市有限公司",
        CompanyKey("深圳市有限公司", "深圳市", "有限公司", None),
        id="region-not-stripped-to-nothing",
    ),
    pytest.param(
        "有限公司",
        CompanyKey("有限公司", "有限公司", None, None),
        id="legal-form-alone-not-split",
    ),
    pytest.param(
        "中国建设银行股份有限公司北京分行",
        CompanyKey(
            "中国建设银行股份有限公司北京分行", "中国建设银行北京分行", "股份有限公司", None
        ),
        id="bank-branch",
    ),
    pytest.param("暂无", CompanyKey(None, None, None, None), id="placeholder"),
    pytest.param(None, CompanyKey(None, None, None, None), id="none"),
]


@pytest.mark.parametrize(("name", "expected"), COMPANY_CASES)
def test_company_key(name: str | None, expected: CompanyKey) -> None:
    assert company_key(name) == expected
    assert _company_rows([name]) == [expected]


@pytest.mark.parametrize(
    ("left", "right"),
    [
        pytest.param(
            "深圳市腾飞科技有限公司", "腾飞科技（深圳）有限公司", id="leading-vs-bracketed"
        ),
        pytest.param("腾飞科技有限公司", "腾飞科技股份有限公司", id="legal-forms-differ"),
        pytest.param("震雄营销宁波分公司", "震雄营销（深圳）有限公司宁波分公司", id="branch"),
        pytest.param("深圳市 腾飞科技 有限公司", "深圳腾飞科技有限公司", id="spaces-short-region"),
    ],
)
def test_names_sharing_a_core(left: str, right: str) -> None:
    assert company_key(left).core == company_key(right).core


def test_branch_core_differs_from_head_office_core() -> None:
    head = company_key("震雄营销（深圳）有限公司")
    branch = company_key("震雄营销（深圳）有限公司宁波分公司")
    assert head.core == "震雄营销"
    assert branch.core != head.core


@pytest.mark.parametrize(
    "variant",
    [
        "某某(深圳)有限公司",
        "某某（深圳）有限公司",
        "某某[深圳]有限公司",
        "某某【深圳】有限公司",
        "某某〔深圳〕有限公司",
    ],
)
def test_bracket_variants_give_one_key(variant: str) -> None:
    assert company_key(variant).key == "某某(深圳)有限公司"
    assert company_key(variant).core == "某某"


def test_vectorised_company_key_has_schema_fields() -> None:
    frame = pl.DataFrame({"name": ["深圳市腾飞科技有限公司"]})
    out = frame.select(k=company_key_expr(pl.col("name")))
    assert out.schema["k"] == pl.Struct(
        {NAME_KEY: pl.String, NAME_CORE: pl.String, LEGAL_FORM: pl.String, NAME_REGION: pl.String}
    )


# --- properties: scalar == vectorised, idempotence ---------------------------------------------

_TRADITIONAL = "張偉陳劉黃吳鄭謝羅東貿實業集團責資營銷廣華國強麗紅輝門灣龍鳳"
_SIMPLIFIED = "张伟陈王李赵腾飞科技有限公司股份合伙企业个体工商户分深圳广东省市区县北京南山"
_REGIONS = ["深圳", "深圳市", "广东省", "内蒙古自治区", "香港特别行政区", "南山区", "北京"]
_FORMS = ["有限公司", "股份有限公司", "集团", "合伙企业(有限合伙)", "分公司", "分行", "(", ")"]
_PUNCT = MIDDLE_DOTS + "\u00b7()（）[]【】〔〕-－—_ \u3000\t\u200bＡＢ１2a\u0301\uf9f4暂无0"
_chars = st.sampled_from(_TRADITIONAL + _SIMPLIFIED + _PUNCT)
_pieces = st.one_of(
    _chars,
    st.sampled_from(_REGIONS + _FORMS),
    st.characters(max_codepoint=0xFFFF, exclude_categories=("Cs", "Cn")),
)
names = st.lists(_pieces, max_size=14).map("".join)


@settings(max_examples=150, deadline=None)
@given(st.lists(names, min_size=1, max_size=20))
def test_person_keys_scalar_equals_vectorised(values: list[str]) -> None:
    assert _column(person_key_expr, values) == [person_key(v) for v in values]
    assert _column(person_key_nodot_expr, values) == [person_key_nodot(v) for v in values]


@settings(max_examples=80, deadline=None)
@given(st.lists(names, min_size=1, max_size=40))
def test_company_key_scalar_equals_vectorised(values: list[str]) -> None:
    assert _company_rows(values) == [company_key(v) for v in values]


@settings(max_examples=300, deadline=None)
@given(names)
@example("a\x87\u0301")  # a look-alike dot between a letter and its combining accent
def test_person_keys_are_idempotent(name: str) -> None:
    key = person_key(name)
    assert person_key(key) == key
    nodot = person_key_nodot(name)
    assert person_key_nodot(nodot) == nodot


@settings(max_examples=300, deadline=None)
@given(names)
def test_company_key_is_idempotent_on_the_full_key(name: str) -> None:
    key = company_key(name).key
    assert company_key(key).key == key
