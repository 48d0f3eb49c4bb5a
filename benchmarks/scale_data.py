"""Columnar generators of large synthetic inputs for the benchmarks (no real people).

Row-by-row generation (``blacklist_match.synth``) is right for labelled scenarios; for
millions of rows these NumPy/Polars generators build the same shapes in seconds:
masked person IDs with valid check characters, organisation codes and USCCs, removals,
registry links and agency records of every type, about ``listed_share`` of them listed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

import numpy as np
import polars as pl

from blacklist_match.synth import COURTS, GIVEN, REGIONS, SURNAMES

GB11643_WEIGHTS: Final = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2])
GB11643_CHECK: Final = np.array(list("10X98765432"))
GB11714_WEIGHTS: Final = np.array([3, 7, 9, 10, 5, 8, 4, 2])
USCC_ALPHABET: Final = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS: Final = np.array([pow(3, i, 31) for i in range(17)])
CACHE: Final = Path(__file__).parent / ".cache"


def _digits(values: np.ndarray, width: int) -> np.ndarray:
    """Integer array -> (n, width) digit matrix."""
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    return (values[:, None] // powers) % 10


def person_ids(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` distinct-enough valid 18-character resident IDs."""
    regions = np.array([int(r) for r in REGIONS])[rng.integers(0, len(REGIONS), n)]
    days = rng.integers(0, 365 * 60, n)
    births = np.datetime64("1950-01-01") + days.astype("timedelta64[D]")
    ymd = births.astype("datetime64[D]").astype(str)
    ymd_int = np.char.replace(ymd, "-", "").astype(np.int64)
    sequence = rng.integers(0, 1000, n)
    body = np.concatenate([_digits(regions, 6), _digits(ymd_int, 8), _digits(sequence, 3)], axis=1)
    check = GB11643_CHECK[(body * GB11643_WEIGHTS).sum(axis=1) % 11]
    text = np.array(["".join(map(str, row)) for row in body]) if n < 1000 else None
    if text is None:
        frame = pl.DataFrame({"d": body.astype(np.uint8).tolist()})
        text = frame.select(pl.col("d").list.eval(pl.element().cast(pl.String)).list.join(""))[
            "d"
        ].to_numpy()
    return np.char.add(text.astype(str), check)


def org_codes(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` valid 9-character organisation codes (digits body)."""
    body = rng.integers(0, 10, (n, 8))
    check = 11 - (body * GB11714_WEIGHTS).sum(axis=1) % 11
    check_char = np.where(check == 11, "0", np.where(check == 10, "X", check.astype(str)))
    text = (
        pl.DataFrame({"d": body.astype(np.uint8).tolist()})
        .select(pl.col("d").list.eval(pl.element().cast(pl.String)).list.join(""))["d"]
        .to_numpy()
    )
    return np.char.add(text.astype(str), check_char)


def usccs(rng: np.random.Generator, codes: np.ndarray) -> np.ndarray:
    """USCCs ``91`` + region + the organisation code + check character."""
    n = len(codes)
    regions = np.array(REGIONS)[rng.integers(0, len(REGIONS), n)]
    prefix = np.char.add(np.char.add("91", regions), codes)
    table = {c: i for i, c in enumerate(USCC_ALPHABET)}
    chars = pl.Series(prefix).str.split("").to_list()
    sums = np.array(
        [sum(table[c] * w for c, w in zip(row, USCC_WEIGHTS, strict=False)) for row in chars]
    )
    check = np.array(list(USCC_ALPHABET))[(31 - sums % 31) % 31]
    return np.char.add(prefix, check)


def person_names(rng: np.random.Generator, n: int) -> np.ndarray:
    surnames = np.array(list(SURNAMES))
    given = np.array(list(GIVEN))
    first = surnames[np.minimum(rng.zipf(1.3, n) - 1, len(surnames) - 1)]
    second = given[rng.integers(0, len(given), n)]
    third = np.where(rng.random(n) < 0.7, given[rng.integers(0, len(given), n)], "")
    return np.char.add(np.char.add(first, second), third)


def _ages(ids: np.ndarray, published: np.ndarray) -> pl.Series:
    """Age at publication, as the list publishes it."""
    frame = pl.DataFrame({"id": ids.astype(str), "on": published.astype("datetime64[D]")})
    birth = pl.col("id").str.slice(6, 8).str.strptime(pl.Date, "%Y%m%d")
    on = pl.col("on").cast(pl.Date)
    before_birthday = (on.dt.month() * 100 + on.dt.day()) < (
        birth.dt.month() * 100 + birth.dt.day()
    )
    age = on.dt.year() - birth.dt.year() - before_birthday.cast(pl.Int32)
    return frame.select(age.cast(pl.String))["on"].alias("age")


def court_list(n: int, seed: int = 1) -> tuple[pl.DataFrame, np.ndarray, np.ndarray, np.ndarray]:
    """A list of ``n`` entries (85% persons, masked) plus the full person IDs, their names
    and the organisation codes behind it, so records can be drawn that match."""
    rng = np.random.default_rng(seed)
    persons = int(n * 0.85)
    entities = n - persons
    ids = person_ids(rng, persons)
    names = person_names(rng, persons)
    masked = np.char.add(
        np.char.add(np.char.ljust(ids, 10).astype("U10"), "****"),
        np.array([i[14:] for i in ids])
        if persons < 1000
        else pl.Series(ids).str.slice(14).to_numpy().astype(str),
    )
    codes = org_codes(rng, entities)
    published = np.datetime64("2016-01-01") + rng.integers(0, 3500, n).astype("timedelta64[D]")
    courts = np.array([c for c, _ in COURTS])[rng.integers(0, len(COURTS), n)]
    court_codes = np.array([code for _, code in COURTS])[rng.integers(0, len(COURTS), n)]
    case_no = pl.Series(
        np.char.add(
            np.char.add(np.char.add("(2020)", court_codes), "执"),
            np.char.add(np.arange(n).astype(str), "号"),
        )
    )
    frame = pl.DataFrame(
        {
            "case_no": case_no,
            "name": np.concatenate(
                [names, np.char.add(person_names(rng, entities), "商贸有限公司")]
            ),
            "gender": ["男"] * persons + [None] * entities,
            "age": pl.concat([_ages(ids, published[:persons]), pl.Series(["0"] * entities)]),
            "id_number": np.concatenate([masked, codes]),
            "legal_rep": [None] * persons + list(person_names(rng, entities)),
            "court": courts,
            "published_on": published.astype(str),
            "performance": ["全部未履行"] * n,
            "conduct": ["违反财产报告制度"] * n,
        }
    )
    return frame, ids, names, codes


def records(
    n: int,
    ids: np.ndarray,
    names: np.ndarray,
    *,
    listed_share: float = 0.01,
    without_id_share: float = 0.2,
    seed: int = 2,
) -> pl.DataFrame:
    """``n`` agency records: ``listed_share`` draw a listed subject, ``without_id_share`` no ID."""
    rng = np.random.default_rng(seed)
    listed = rng.random(n) < listed_share
    fresh = person_ids(rng, n)
    pick = rng.integers(0, len(ids), n)
    subject_id = np.where(listed, ids[pick], fresh)
    subject_id = np.where(rng.random(n) < without_id_share, "", subject_id)
    kinds = np.array(
        [
            "consumption/flight",
            "consumption/train_g",
            "credit/bank_loan",
            "subsidy/employment_subsidy",
            "appointment/company_officer",
            "consumption/groceries",
        ]
    )
    action = kinds[rng.integers(0, len(kinds), n)]
    split = pl.Series(action).str.split_exact("/", 1).struct.rename_fields(["t", "s"])
    event = np.datetime64("2016-06-01") + rng.integers(0, 3800, n).astype("timedelta64[D]")
    return pl.DataFrame(
        {
            "record_id": pl.Series(np.arange(n)).cast(pl.String).str.zfill(10),
            "agency": "bench",
            "record_type": split.struct.field("t"),
            "sub_type": split.struct.field("s"),
            "subject_type": "person",
            "subject_name": np.where(listed, names[pick], person_names(rng, n)),
            "subject_id": subject_id,
            "event_date": event.astype(str),
            "amount": rng.integers(100, 100000, n).astype(str),
        }
    )


# --- national scale: raw input files, generated by Polars expressions ----------------------
# The generators above build NumPy arrays row by row in places (fine up to a million rows);
# the ones below derive every column from a seeded hash of the row number, so 20 million
# records take about a minute and the same seed always gives the same files. They write the
# *raw* inputs a user would load (court list, removals, registry, agency records), so the
# benchmark's load stage times reading, keying and storing as well.

PERSON_POOL: Final = 100_000_000
"""Person indexes drawn by unlisted records; listed debtors and officers use low indexes."""
COMPANY_POOL: Final = 80_000_000
CORE_CHARS: Final = (
    "腾飞华信鑫源宏达恒通金桥瑞丰中辰博远嘉禾永盛天成力拓润泽长青新航锦程广联正元东方海星光明"
    "伟业德隆安泰福佳茂兴旺顺利康宁汇聚昌隆弘毅卓越启航创新智诚信义和美"
)
TRADES: Final = (
    "科技",
    "商贸",
    "食品",
    "医药",
    "化工",
    "物流",
    "实业",
    "机械",
    "建设工程",
    "房地产开发",
)
ROLES: Final = (
    "legal_representative", "main_person_in_charge", "actual_controller",
    "directly_responsible", "director", "supervisor", "senior_manager",
)  # fmt: skip
RECORD_KINDS: Final = (
    ("person", "consumption", "flight"), ("person", "consumption", "train_g"),
    ("person", "consumption", "star_hotel"), ("person", "consumption", "groceries"),
    ("person", "consumption", "train_d_second_class"), ("person", "appointment", "company_officer"),
    ("person", "appointment", "civil_servant"), ("person", "credit", "credit_card"),
    ("person", "honour", "model_worker"), ("person", "subsidy", "employment_subsidy"),
    ("entity", "procurement", "government_procurement_bid"),
    ("entity", "procurement", "government_project_tender"),
    ("entity", "subsidy", "technology_grant"), ("entity", "licence", "food_production"),
    ("entity", "licence", "construction_qualification"), ("entity", "honour", "civilised_unit"),
    ("entity", "credit", "bank_loan"), ("entity", "asset_transaction", "land_use_right"),
    ("entity", "consumption", "office_lease"), ("entity", "consumption", "utilities"),
)  # fmt: skip
"""(subject type, record type, sub type): every record type, restricted and necessary ones."""
_PERSON_KINDS: Final = [k for k in RECORD_KINDS if k[0] == "person"]
_ENTITY_KINDS: Final = [k for k in RECORD_KINDS if k[0] == "entity"]
_DAY0: Final = np.datetime64("1950-01-01")


def _hash(index: pl.Expr, seed: int, modulo: int) -> pl.Expr:
    """Pseudo-random integers in [0, modulo) from an integer column (Polars hash, seeded)."""
    return (index.cast(pl.UInt64).hash(seed) % modulo).cast(pl.Int64)


def _choose(items: tuple[str, ...] | str, index: pl.Expr) -> pl.Expr:
    values = list(items)
    return index.mod(len(values)).replace_strict(
        list(range(len(values))), values, return_dtype=pl.String
    )


def _digit_sum(value: pl.Expr, width: int, weights: np.ndarray | list[int]) -> pl.Expr:
    """Sum of ``digit * weight`` over the ``width`` decimal digits of an integer column
    (integer arithmetic: no string slicing)."""
    return pl.sum_horizontal(
        (value // 10 ** (width - 1 - i)) % 10 * int(w) for i, w in enumerate(weights)
    )


def _region_code(index: pl.Expr) -> pl.Expr:
    codes = [int(r) for r in REGIONS]
    return index.mod(len(codes)).replace_strict(
        list(range(len(codes))), codes, return_dtype=pl.Int64
    )


def person_id_expr(index: pl.Expr, seed: int) -> pl.Expr:
    """A valid 18-character resident ID for each person index (GB 11643 check character)."""
    birth = pl.lit(_DAY0.astype("datetime64[D]").item()) + pl.duration(
        days=_hash(index, seed, 365 * 60)
    )
    region = _region_code(_hash(index, seed + 1, len(REGIONS)))
    ymd = (
        birth.dt.year().cast(pl.Int64) * 10_000
        + birth.dt.month().cast(pl.Int64) * 100
        + birth.dt.day().cast(pl.Int64)
    )
    sequence = _hash(index, seed + 2, 1000)
    total = (
        _digit_sum(region, 6, GB11643_WEIGHTS[:6])
        + _digit_sum(ymd, 8, GB11643_WEIGHTS[6:14])
        + _digit_sum(sequence, 3, GB11643_WEIGHTS[14:])
    )
    return pl.concat_str(
        region.cast(pl.String),
        ymd.cast(pl.String),
        sequence.cast(pl.String).str.zfill(3),
        _choose("10X98765432", total % 11),
    )


def person_name_expr(index: pl.Expr, seed: int) -> pl.Expr:
    """Two or three characters; surnames skewed towards the common ones, as in life."""
    skew = _hash(index, seed + 3, 10_000)
    surname = _choose(SURNAMES, (skew * skew // 1_000_000) % len(SURNAMES))
    given = _choose(GIVEN, _hash(index, seed + 4, len(GIVEN)))
    third = pl.when(_hash(index, seed + 5, 10) < 7).then(
        _choose(GIVEN, _hash(index, seed + 6, len(GIVEN)))
    )
    return pl.concat_str(surname, given, third.fill_null(""))


def _org_check_value(body: pl.Expr) -> pl.Expr:
    """GB 11714 check value of an 8-digit body: 0-9, or 10 for ``X``."""
    check = 11 - _digit_sum(body, 8, GB11714_WEIGHTS) % 11
    return pl.when(check == 11).then(0).otherwise(check)


def org_code_expr(index: pl.Expr) -> pl.Expr:
    """A valid 9-character organisation code (GB 11714), distinct per company index."""
    body = index + 10_000_000
    return body.cast(pl.String) + _choose("0123456789X", _org_check_value(body))


def uscc_expr(index: pl.Expr, seed: int) -> pl.Expr:
    """A valid USCC: ``91`` + region + the organisation code + check character (GB 32100)."""
    region = _region_code(_hash(index, seed + 7, len(REGIONS)))
    body = index + 10_000_000
    org_check = _org_check_value(body)
    org_value = pl.when(org_check == 10).then(USCC_ALPHABET.index("X")).otherwise(org_check)
    total = (
        9 * int(USCC_WEIGHTS[0])
        + 1 * int(USCC_WEIGHTS[1])
        + _digit_sum(region, 6, USCC_WEIGHTS[2:8])
        + _digit_sum(body, 8, USCC_WEIGHTS[8:16])
        + org_value * int(USCC_WEIGHTS[16])
    )
    return pl.concat_str(
        pl.lit("91"),
        region.cast(pl.String),
        body.cast(pl.String),
        _choose("0123456789X", org_check),
        _choose(USCC_ALPHABET, (31 - total % 31) % 31),
    )


def company_name_expr(index: pl.Expr, seed: int) -> pl.Expr:
    """City prefix + a three-character core + trade + legal form."""
    core = pl.concat_str(
        *(_choose(CORE_CHARS, _hash(index, seed + 10 + i, len(CORE_CHARS))) for i in range(3))
    )
    city = _choose(("北京", "上海", "深圳", "武汉", "重庆", "西安"), _hash(index, seed + 14, 6))
    trade = _choose(TRADES, _hash(index, seed + 15, len(TRADES)))
    return pl.concat_str(city, core, trade, pl.lit("有限公司"))


def _transposed(id18: pl.Expr, seed: int, index: pl.Expr) -> pl.Expr:
    """One adjacent transposition at a position in 6..15 (a typo that breaks the check)."""
    at = _hash(index, seed, 10) + 6
    return pl.concat_str(
        id18.str.slice(0, at), id18.str.slice(at + 1, 1), id18.str.slice(at, 1),
        id18.str.slice(at + 2),
    )  # fmt: skip


def listed_debtors(n_entries: int) -> tuple[int, int]:
    """How many distinct persons and companies a list of ``n_entries`` names (several cases
    per debtor)."""
    return int(n_entries * 0.85 * 0.8), int(n_entries * 0.15 * 0.8)


def court_list_chunk(start: int, n: int, n_entries: int, seed: int = 11) -> pl.DataFrame:
    """Entries ``start .. start+n`` of a list of ``n_entries``: 85% persons (95% masked as
    the site publishes them, 4% full, 1% a typo'd ID), 15% companies (org code or USCC), a
    few without ID; published 2014-2024."""
    persons, companies = listed_debtors(n_entries)
    e = pl.int_range(start, start + n, dtype=pl.Int64)
    frame = pl.select(e.alias("e")).with_columns(
        (_hash(pl.col("e"), seed, 100) < 85).alias("is_person"),
        _hash(pl.col("e"), seed + 1, 100).alias("form"),
        _hash(pl.col("e"), seed + 2, persons).alias("p"),
        _hash(pl.col("e"), seed + 3, companies).alias("c"),
        (
            pl.lit(np.datetime64("2014-01-01").item())
            + pl.duration(days=_hash(pl.col("e"), seed + 4, 3650))
        ).alias("published_on"),
    )
    id18 = person_id_expr(pl.col("p"), seed=1)
    masked = id18.str.slice(0, 10) + "****" + id18.str.slice(14)
    person_id = (
        pl.when(pl.col("form") < 95).then(masked)
        .when(pl.col("form") < 99).then(id18)
        .otherwise(_transposed(id18, seed + 5, pl.col("e")))
    )  # fmt: skip
    company_id = (
        pl.when(pl.col("form") < 45).then(org_code_expr(pl.col("c")))
        .when(pl.col("form") < 97).then(uscc_expr(pl.col("c"), seed=2))
    )  # fmt: skip
    birth = id18.str.slice(6, 8).str.strptime(pl.Date, "%Y%m%d")
    on = pl.col("published_on")
    age = (
        on.dt.year()
        - birth.dt.year()
        - (on.dt.strftime("%m%d") < birth.dt.strftime("%m%d")).cast(pl.Int32)
    )
    court = _hash(pl.col("e"), seed + 6, len(COURTS))
    person = pl.col("is_person")
    return frame.select(
        pl.concat_str(
            pl.lit("("),
            on.dt.year().cast(pl.String),
            pl.lit(")"),
            _choose(tuple(code for _, code in COURTS), court),
            pl.lit("执"),
            pl.col("e").cast(pl.String),
            pl.lit("号"),
        ).alias("case_no"),
        pl.when(person)
        .then(person_name_expr(pl.col("p"), seed=1))
        .otherwise(company_name_expr(pl.col("c"), seed=2))
        .alias("name"),
        pl.when(person).then(_choose(("男", "女"), pl.col("p"))).alias("gender"),
        pl.when(person).then(age.cast(pl.String)).alias("age"),
        pl.when(person).then(person_id).otherwise(company_id).alias("id_number"),
        pl.when(~person).then(person_name_expr(pl.col("c") + 7, seed=1)).alias("legal_rep"),
        _choose(tuple(name for name, _ in COURTS), court).alias("court"),
        on.dt.strftime("%Y-%m-%d").alias("published_on"),
        pl.lit("全部未履行").alias("performance"),
        pl.lit("违反财产报告制度").alias("conduct"),
    )


def removals_for(list_chunk: pl.DataFrame, seed: int = 12) -> pl.DataFrame:
    """Removal notices ending about 12% of a chunk's entries 30 to 1,000 days after
    publication (the list's history: some entries ended)."""
    index = pl.int_range(0, pl.len(), dtype=pl.Int64)
    return list_chunk.filter(_hash(index, seed, 100) < 12).select(
        "case_no",
        (
            pl.col("published_on").str.strptime(pl.Date, "%Y-%m-%d")
            + pl.duration(days=_hash(pl.int_range(0, pl.len(), dtype=pl.Int64), seed + 1, 970) + 30)
        ).dt.strftime("%Y-%m-%d").alias("removed_on"),
        pl.lit("履行完毕").alias("reason"),
    )  # fmt: skip


def officer_links(start: int, n: int, n_entries: int, seed: int = 13) -> pl.DataFrame:
    """Registry links ``start .. start+n``: seven roles per company; a third of the companies
    are listed debtors, and one officer in 25 is a listed person; 1 role in 10 has ended."""
    persons, companies = listed_debtors(n_entries)
    o = pl.int_range(start, start + n, dtype=pl.Int64)
    company = o // len(ROLES)
    frame = pl.select(o.alias("o"), company.alias("k")).with_columns(
        pl.when(_hash(pl.col("k"), seed, 3) == 0)
        .then(_hash(pl.col("k"), seed + 1, companies))
        .otherwise(_hash(pl.col("k"), seed + 2, COMPANY_POOL - companies) + companies)
        .alias("c"),
        pl.when(_hash(pl.col("o"), seed + 3, 25) == 0)
        .then(_hash(pl.col("o"), seed + 4, persons))
        .otherwise(_hash(pl.col("o"), seed + 5, 10_000_000) + persons)
        .alias("p"),
        (
            pl.lit(np.datetime64("2005-01-01").item())
            + pl.duration(days=_hash(pl.col("o"), seed + 6, 4000))
        ).alias("start"),
    )
    return frame.select(
        uscc_expr(pl.col("c"), seed=2).alias("entity_id"),
        company_name_expr(pl.col("c"), seed=2).alias("entity_name"),
        person_name_expr(pl.col("p"), seed=1).alias("person_name"),
        person_id_expr(pl.col("p"), seed=1).alias("person_id"),
        _choose(ROLES, pl.col("o")).alias("role"),
        pl.col("start").dt.strftime("%Y-%m-%d").alias("start_date"),
        pl.when(_hash(pl.col("o"), seed + 7, 10) == 0)
        .then((pl.col("start") + pl.duration(days=1500)).dt.strftime("%Y-%m-%d"))
        .alias("end_date"),
    )


def records_chunk(start: int, n: int, n_entries: int, seed: int = 14) -> pl.DataFrame:
    """Agency records ``start .. start+n`` of every record type: 70% persons; 1% name a
    listed debtor, 1% a registry officer or company; 20% carry no ID (name only), 0.5% of
    persons a typo'd ID; events 2016-2026."""
    persons, companies = listed_debtors(n_entries)
    r = pl.int_range(start, start + n, dtype=pl.Int64)
    frame = pl.select(r.alias("r")).with_columns(
        (_hash(pl.col("r"), seed, 10) < 7).alias("is_person"),
        _hash(pl.col("r"), seed + 1, 1000).alias("draw"),
        _hash(pl.col("r"), seed + 2, 1000).alias("form"),
        _hash(pl.col("r"), seed + 3, 1_000_000).alias("kind"),
    ).with_columns(
        pl.when(pl.col("draw") < 10).then(_hash(pl.col("r"), seed + 4, persons))
        .when(pl.col("draw") < 20).then(_hash(pl.col("r"), seed + 5, 10_000_000) + persons)
        .otherwise(_hash(pl.col("r"), seed + 6, PERSON_POOL) + persons).alias("p"),
        pl.when(pl.col("draw") < 10).then(_hash(pl.col("r"), seed + 7, companies))
        .otherwise(_hash(pl.col("r"), seed + 8, COMPANY_POOL - companies) + companies).alias("c"),
    )  # fmt: skip
    person = pl.col("is_person")
    id18 = person_id_expr(pl.col("p"), seed=1)
    subject_id = (
        pl.when(pl.col("form") < 200).then(pl.lit(None, pl.String))
        .when(person & (pl.col("form") < 205)).then(_transposed(id18, seed + 9, pl.col("r")))
        .when(person).then(id18)
        .when(pl.col("form") < 300).then(org_code_expr(pl.col("c")))
        .otherwise(uscc_expr(pl.col("c"), seed=2))
    )  # fmt: skip
    kind = (
        pl.when(person)
        .then(_choose(tuple("/".join(k[1:]) for k in _PERSON_KINDS), pl.col("kind")))
        .otherwise(_choose(tuple("/".join(k[1:]) for k in _ENTITY_KINDS), pl.col("kind")))
    )
    event = pl.lit(np.datetime64("2016-01-01").item()) + pl.duration(
        days=_hash(pl.col("r"), seed + 10, 3800)
    )
    return frame.select(
        pl.col("r").cast(pl.String).str.zfill(10).alias("record_id"),
        _choose(("民航局", "铁路12306", "人民银行", "发改委", "市场监管总局"), pl.col("kind"))
        .alias("agency"),
        kind.str.split("/").list.get(0).alias("record_type"),
        kind.str.split("/").list.get(1).alias("sub_type"),
        pl.when(person).then(pl.lit("person")).otherwise(pl.lit("entity")).alias("subject_type"),
        pl.when(person).then(person_name_expr(pl.col("p"), seed=1))
        .otherwise(company_name_expr(pl.col("c"), seed=2)).alias("subject_name"),
        subject_id.alias("subject_id"),
        event.dt.strftime("%Y-%m-%d").alias("event_date"),
        _hash(pl.col("r"), seed + 11, 1_000_000).cast(pl.String).alias("amount"),
    )  # fmt: skip
