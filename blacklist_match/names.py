"""Person and company name keys, as scalar functions and Polars expressions that agree.

A key is for comparison only; the original text stays for display. Every key is built in
this order, identically in the scalar and the vectorised form:

1. NFKC (full-width letters, digits and brackets to ASCII; compatibility ideographs folded).
2. One character table, applied in a single pass: traditional -> simplified (a
   character-level OpenCC t2s table, see ``t2s_table``), every whitespace and zero-width
   character removed, every middle-dot look-alike (``MIDDLE_DOTS``) to U+00B7. Company keys
   also map the bracket variants 【】〔〕〖〗[] to ``()``.
3. NFKC again (removing spaces can bring a letter next to its combining mark).
4. Runs of dots collapse to one, leading and trailing dots are dropped.
5. Placeholders (``暂无``, ``无``, ``--``, ``0``, empty, ...) become None.

Doing t2s after NFKC means compatibility ideographs are unified first; doing everything in
one table means the order of t2s, whitespace and dot folding cannot matter.

>>> person_key(" 張　偉 ")
'张伟'
>>> person_key("艾哈迈德•买买提") == person_key("艾哈迈德.买买提") == "艾哈迈德·买买提"
True
>>> person_key_nodot("艾哈迈德・买买提")
'艾哈迈德买买提'
>>> person_key("暂无") is None and person_key("－－") is None
True
>>> company_key("震雄营销（深圳）有限公司宁波分公司")  # doctest: +NORMALIZE_WHITESPACE
CompanyKey(key='震雄营销(深圳)有限公司宁波分公司', core='震雄营销宁波分公司',
           legal_form='有限公司', region='深圳')
>>> company_key("深圳市腾飞科技有限公司").core == company_key("腾飞科技【深圳】有限公司").core
True

Company keys: ``core`` is the key without its legal form (``LEGAL_FORMS``), without a
bracketed region such as ``(深圳)`` anywhere, and without leading region names (up to three,
e.g. ``广东省深圳市``), each only if at least two characters remain. A branch
(``…有限公司宁波分公司``) keeps its branch part in the core, with the head office's legal form
split off: a branch is a separate debtor (DOMAIN.md section 6), so its core differs from the
head office's core and equals the core of the same branch written without ``有限公司``.
``region`` is the recognised leading text (``深圳市``, ``广东省深圳市``), else the first
bracketed region (``深圳``); it is the text as written, not a code.

The t2s table is character-level on purpose: OpenCC's phrase-aware conversion cannot run on
a column, and names are not phrases. Both forms use the same table, so they are equal on
every input. (Polars' NFKC may use a newer Unicode version than Python's ``unicodedata``;
characters unassigned in the older one could normalise differently.)
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable
from importlib import resources
from typing import TYPE_CHECKING, Final, NamedTuple

from blacklist_match.regions import bracketed_region_names, region_names
from blacklist_match.schema import LEGAL_FORM, NAME_CORE, NAME_KEY, NAME_REGION
from blacklist_match.util import LazyModule

if TYPE_CHECKING:
    import polars as pl
else:
    pl = LazyModule("polars")

__all__ = [
    "BRANCH_CORE_RE",
    "LEGAL_FORMS",
    "MIDDLE_DOTS",
    "CompanyKey",
    "company_key",
    "company_key_expr",
    "is_branch_core",
    "person_key",
    "person_key_expr",
    "person_key_nodot",
    "person_key_nodot_expr",
    "t2s_table",
]

DOT: Final = "\u00b7"
"""The canonical middle dot (间隔号) of keys."""

MIDDLE_DOTS: Final = (
    "\u0087\u0387\u16eb\u2022\u2024\u2027\u2218\u2219\u22c5\u25e6\u2981\u2e30\u2e31\u2e33"
    "\u30fb\u318d\u119e\ua78f\ufe52\uff0e\uff65.\U00010101\u1427"
)
"""Characters written for the 间隔号 in transliterated names, all folded to U+00B7.

From DOMAIN.md section 6 (after 0x08.org/posts/middle-dot), plus U+2024, U+2E33, U+318D,
U+A78F, U+FE52 and U+1427, which render as the same dot (and U+119E, the NFKC form
of U+318D).
"""

WHITESPACE: Final = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
    "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
    "\u200b\u200c\u200d\u2060\ufeff\u00ad\u180e"
)
"""Python's ``str.isspace`` characters plus zero-width characters and the soft hyphen."""

BRACKETS: Final = {"[": "(", "]": ")", "【": "(", "】": ")", "〔": "(", "〕": ")"} | {
    "〖": "(",
    "〗": ")",
    "（": "(",
    "）": ")",
    "［": "(",
    "］": ")",
}
"""Bracket variants in company names -> ``()`` (the full-width forms are NFKC-folded anyway)."""

PLACEHOLDER_CHARS: Final = "-‐‑‒–—―_/\\?*" + DOT
"""A key made only of these (or empty) is a placeholder: ``--``, ``——``, ``???`` (mojibake)."""

PLACEHOLDER_WORDS: Final = ("暂无", "无", "不详", "未知", "0", "null", "NULL", "None", "N/A")
"""Values that stand for 'no name' in court and agency exports."""

LEGAL_FORMS: Final = (
    "集团股份有限公司",
    "集团有限责任公司",
    "合伙企业(有限合伙)",
    "合伙企业(普通合伙)",
    "股份有限公司",
    "有限责任公司",
    "集团有限公司",
    "个人独资企业",
    "(特殊普通合伙)",
    "(个体工商户)",
    "股份合作公司",
    "个体工商户",
    "(有限合伙)",
    "(普通合伙)",
    "有限公司",
    "合伙企业",
    "集团公司",
    "集团",
)
"""Legal-form suffixes split off a company key, longest first (the regex tries them in order)."""

BRANCH_SUFFIXES: Final = ("分公司", "分行", "支行", "营业部", "分店", "办事处", "分厂")
"""Endings of a branch name written after its head office's legal form."""

BRANCH_CORE_RE: Final = f"({'|'.join(BRANCH_SUFFIXES)})$"
"""A company core that ends like a branch (the same regex in Python and DuckDB)."""


def is_branch_core(core: str) -> bool:
    """Whether a company core key names a branch (``…宁波分公司``), not a head office.

    >>> is_branch_core(company_key("海越物流有限公司宁波分公司").core or "")
    True
    >>> is_branch_core(company_key("海越物流有限公司").core or "")
    False
    """
    return re.search(BRANCH_CORE_RE, core) is not None


MAX_LEADING_REGIONS: Final = 3
"""Province, prefecture and county: at most three leading region names are stripped."""


@functools.cache
def t2s_table() -> dict[str, str]:
    """Traditional -> simplified, one character to one character, from OpenCC ``t2s``.

    The table is generated by ``tools/build_t2s.py`` (every CJK codepoint converted on its
    own, chains followed to their end) and ships as ``data/t2s.tsv``, so name keys need no
    OpenCC at run time; a test checks the file against OpenCC.

    >>> t2s_table()["張"], t2s_table()["陳"], t2s_table()["薴"]
    ('张', '陈', '苎')
    """
    text = resources.files("blacklist_match").joinpath("data", "t2s.tsv").read_text("utf-8")
    return dict(
        line.split("\t", 1) for line in text.splitlines() if line and not line.startswith("#")
    )


@functools.cache
def _char_table(company: bool) -> dict[str, str]:
    table = dict(t2s_table())
    table.update(dict.fromkeys(WHITESPACE, ""))
    table.update(dict.fromkeys(MIDDLE_DOTS, DOT))
    if company:
        table.update(BRACKETS)
    return table


@functools.cache
def company_bracket_characters() -> frozenset[str]:
    """Every character a company key reads as a bracket (variants fold to ``(`` and ``)``)."""
    table = _char_table(True)
    return frozenset({"(", ")", "（", "）"} | {k for k, v in table.items() if v in ("(", ")")})


@functools.cache
def _translate_map(company: bool) -> dict[int, str]:
    return str.maketrans(_char_table(company))


def _base_key(name: str | None, company: bool) -> str | None:
    if name is None:
        return None
    text = unicodedata.normalize("NFKC", name).translate(_translate_map(company))
    text = unicodedata.normalize("NFKC", text)
    text = DOT.join(part for part in text.split(DOT) if part)
    if not text.strip(PLACEHOLDER_CHARS) or text in PLACEHOLDER_WORDS:
        return None
    return text


def _once(expr: pl.Expr, then: Callable[[pl.Expr], pl.Expr]) -> pl.Expr:
    """``then(expr)`` with ``expr`` computed once, however often ``then`` refers to it.

    Polars expressions are trees: an expression used twice is computed twice, and the
    stages below refer to their input many times, which multiplies out. Evaluating ``then``
    on the one-element list ``[expr]`` makes ``pl.element()`` a computed column.
    """
    return pl.concat_list(expr).list.eval(then(pl.element())).list.first()


def _clean_text(text: pl.Expr, company: bool) -> pl.Expr:
    table = _char_table(company)
    return (
        text.str.normalize("NFKC")
        .str.replace_many(list(table), list(table.values()))
        .str.normalize("NFKC")
        .str.replace_all(f"{DOT}+", DOT, literal=False)
        .str.strip_chars(DOT)
    )


def _drop_placeholder(text: pl.Expr) -> pl.Expr:
    placeholder = (text.str.strip_chars(PLACEHOLDER_CHARS) == "") | text.is_in(PLACEHOLDER_WORDS)
    return pl.when(placeholder).then(None).otherwise(text)


def _base_key_expr(expr: pl.Expr, company: bool) -> pl.Expr:
    return _once(_clean_text(expr, company), _drop_placeholder)


def person_key(name: str | None) -> str | None:
    """Comparison key of a person's name; None for a missing or placeholder name.

    >>> person_key("陳 大文"), person_key("ＡＢＣ"), person_key("--")
    ('陈大文', 'ABC', None)
    """
    return _base_key(name, company=False)


def person_key_nodot(name: str | None) -> str | None:
    """``person_key`` without the middle dot, for names written with and without it.

    >>> person_key_nodot("艾哈迈德·买买提") == person_key_nodot("艾哈迈德买买提")
    True
    """
    key = _base_key(name, company=False)
    # NFKC again: a mark the dot kept apart may now compose with the letter before it
    return unicodedata.normalize("NFKC", key.replace(DOT, "")) if key is not None else None


def person_key_expr(expr: pl.Expr) -> pl.Expr:
    """Vectorised ``person_key``: equal to it on every row; null for placeholders."""
    return _base_key_expr(expr, company=False)


def person_key_nodot_expr(expr: pl.Expr) -> pl.Expr:
    """Vectorised ``person_key_nodot``."""
    return (
        _base_key_expr(expr, company=False)
        .str.replace_all(DOT, "", literal=True)
        .str.normalize("NFKC")
    )


class CompanyKey(NamedTuple):
    """The keys of a company name (all None for a missing or placeholder name)."""

    key: str | None
    core: str | None
    legal_form: str | None
    region: str | None


@functools.cache
def _region_set() -> frozenset[str]:
    """Region names through the same character table, so that they match keys."""
    table = _translate_map(company=False)
    return frozenset(name.translate(table) for name in region_names())


@functools.cache
def _bracketed_region_set() -> frozenset[str]:
    """Region names recognised inside brackets (county short forms too), as keys."""
    table = _translate_map(company=False)
    return frozenset(name.translate(table) for name in bracketed_region_names())


_BRACKETED = re.compile(r"\(([^()]*)\)")


@functools.cache
def _legal_form_pattern() -> str:
    forms = "|".join(re.escape(f) for f in sorted(LEGAL_FORMS, key=len, reverse=True))
    branch = "|".join(BRANCH_SUFFIXES)
    return f"^(.+?)({forms})([^()]*(?:{branch}))?$"


@functools.cache
def _legal_form_re() -> re.Pattern[str]:
    return re.compile(_legal_form_pattern())


@functools.cache
def _max_region_len() -> int:
    return max(map(len, _region_set()))


def _strip_leading_region(core: str) -> tuple[str, str] | None:
    """Longest region name at the start that leaves two characters; what the regex does."""
    regions = _region_set()
    for length in range(min(_max_region_len(), len(core) - 2), 1, -1):
        if core[:length] in regions:
            return core[:length], core[length:]
    return None


def company_key(name: str | None) -> CompanyKey:
    """Comparison keys of a company name: full key, core, legal form and region.

    >>> company_key("北京XX股份有限公司")
    CompanyKey(key='北京XX股份有限公司', core='XX', legal_form='股份有限公司', region='北京')
    >>> company_key("暂无")
    CompanyKey(key=None, core=None, legal_form=None, region=None)
    """
    key = _base_key(name, company=True)
    if key is None:
        return CompanyKey(None, None, None, None)
    in_brackets = _bracketed_region_set()
    bracketed: list[str] = []

    def drop_region(m: re.Match[str]) -> str:
        if m.group(1) in in_brackets:
            bracketed.append(m.group(1))
            return ""
        return m.group(0)

    core = _BRACKETED.sub(drop_region, key)
    legal_form = None
    if m := _legal_form_re().match(core):
        core, legal_form = m.group(1) + (m.group(3) or ""), m.group(2)
    leading = ""
    for _ in range(MAX_LEADING_REGIONS):
        split = _strip_leading_region(core)
        if split is None:
            break
        leading += split[0]
        core = split[1]
    region = leading or (bracketed[0] if bracketed else None)
    return CompanyKey(key, core, legal_form, region)


def company_key_expr(expr: pl.Expr) -> pl.Expr:
    """Vectorised ``company_key``: a Struct of NAME_KEY, NAME_CORE, LEGAL_FORM, NAME_REGION.

    A linear chain of stages, each computed once (``_once``) on a struct carrying what the
    later stages need. Region names are looked up by hash (``is_in``, one slice per name
    length) and removed from brackets with Aho-Corasick (``replace_many``); a regex
    alternation of thousands of names with capture groups was far slower in Polars.
    """
    regions = sorted(_region_set())
    in_brackets = sorted(_bracketed_region_set())
    lengths = sorted({len(r) for r in regions}, reverse=True)
    state = _once(_base_key_expr(expr, company=True), lambda key: _bracket_stage(key, in_brackets))
    state = _once(state, _legal_form_stage)
    for _ in range(MAX_LEADING_REGIONS):
        state = _once(state, lambda st: _region_cut_stage(st, regions, lengths))
        state = _once(state, _region_strip_stage)
    return _once(state, _output_stage)


def _bracket_stage(key: pl.Expr, regions: list[str]) -> pl.Expr:
    bracketed = (
        key.str.extract_all(_BRACKETED.pattern)
        .list.eval(pl.element().str.slice(1, pl.element().str.len_chars() - 2))
        .list.eval(pl.element().filter(pl.element().is_in(regions)))
        .list.first()
    )
    core = key.str.replace_many([f"({r})" for r in regions], [""] * len(regions))
    return pl.struct(key=key, bracketed=bracketed, core=core)


def _legal_form_stage(state: pl.Expr) -> pl.Expr:
    core = state.struct.field("core")
    parts = core.str.extract_groups(_legal_form_pattern())
    form = parts.struct.field("2")
    head_and_branch = pl.concat_str(parts.struct.field("1"), parts.struct.field("3").fill_null(""))
    return state.struct.with_fields(
        core=pl.when(form.is_not_null()).then(head_and_branch).otherwise(core),
        form=form,
        leading=pl.lit("", dtype=pl.String),
    )


def _region_cut_stage(state: pl.Expr, regions: list[str], lengths: list[int]) -> pl.Expr:
    """Length of the longest region name at the start that leaves two characters, or 0."""
    core = state.struct.field("core")
    n_chars = core.str.len_chars()
    cut = pl.coalesce(
        pl.when(core.str.slice(0, n).is_in(regions) & (n_chars >= n + 2)).then(pl.lit(n))
        for n in lengths
    ).fill_null(0)
    return state.struct.with_fields(cut=cut)


def _region_strip_stage(state: pl.Expr) -> pl.Expr:
    core, cut = state.struct.field("core"), state.struct.field("cut")
    return state.struct.with_fields(
        core=core.str.slice(cut),
        leading=state.struct.field("leading") + core.str.slice(0, cut),
    )


def _output_stage(state: pl.Expr) -> pl.Expr:
    key, leading = state.struct.field("key"), state.struct.field("leading")
    present = key.is_not_null()
    return pl.struct(
        key.alias(NAME_KEY),
        pl.when(present).then(state.struct.field("core")).alias(NAME_CORE),
        pl.when(present).then(state.struct.field("form")).alias(LEGAL_FORM),
        pl.when(present)
        .then(pl.when(leading != "").then(leading).otherwise(state.struct.field("bracketed")))
        .alias(NAME_REGION),
    )
