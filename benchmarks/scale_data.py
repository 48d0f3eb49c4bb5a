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
