"""Benchmark: classify + canonicalise identifiers, vectorised (classify_expr) vs scalar.

Usage: python benchmarks/bench_ids.py [--n 1000000] [--scalar-sample 100000] [--seed 7]
                                      [--repeat 3]

Generates a mix of valid and invalid identifiers of every kind (resident IDs 18/15,
residence permits, foreign PR, masks 18/19, USCC, org codes with/without hyphen,
registration numbers, full-width and spaced forms, junk), times ``classify_expr`` on all
of them and the scalar ``classify`` on the first ``--scalar-sample`` of the same values
(extrapolated to n), checks that both agree on the sample, and prints seconds, rows/s and
the ratio. Each path is timed ``--repeat`` times and the best time is kept for both (the
machine is shared; the minimum is the least disturbed run).
"""

from __future__ import annotations

import argparse
import random
import string
import time
from datetime import date, timedelta

import polars as pl

from blacklist_match.ids import classify, classify_expr, org_code, reg_no, resident_id, uscc

_USCC_SYMBOLS = uscc.GB32100_ALPHABET
_REGIONS = ("110105", "440524", "360426", "420902", "320621", "610104", "532722", "990426")


def _birth(rng: random.Random) -> str:
    return f"{date(1930, 1, 1) + timedelta(days=rng.randrange(0, 30000)):%Y%m%d}"


def _person18(rng: random.Random, prefix: str | None = None) -> str:
    body = (prefix or rng.choice(_REGIONS)) + _birth(rng) + f"{rng.randrange(1000):03d}"
    return body + resident_id.calc_check_digit(body)


def _uscc(rng: random.Random) -> str:
    body = rng.choice("159") + rng.choice("123") + rng.choice(_REGIONS[:6])
    org_body = "".join(rng.choice(_USCC_SYMBOLS) for _ in range(8))
    body += org_body + org_code.calc_check_digit(org_body)
    return body + uscc.calc_check_digit(body)


def _org(rng: random.Random) -> str:
    body = "".join(rng.choice(string.digits + string.ascii_uppercase) for _ in range(8))
    return body + org_code.calc_check_digit(body)


def _reg(rng: random.Random) -> str:
    body = rng.choice(_REGIONS[:6]) + "".join(rng.choice(string.digits) for _ in range(8))
    return body + reg_no.calc_check_digit(body)


def _mutate(rng: random.Random, value: str) -> str:
    position = rng.randrange(len(value))
    return value[:position] + rng.choice(string.digits + "X") + value[position + 1 :]


def _full_width(value: str) -> str:
    return "".join(chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ch for ch in value)


def generate(n: int, seed: int = 7) -> list[str | None]:
    """``n`` mixed identifiers, deterministic for a seed."""
    rng = random.Random(seed)
    makers = [
        lambda: _person18(rng),
        lambda: _person18(rng).lower(),
        lambda: _person18(rng)[:6] + _person18(rng)[8:17],  # 15-digit old form
        lambda: _person18(rng, rng.choice(resident_id.PERMIT_PREFIXES)),
        lambda: _person18(rng, "9" + rng.choice(["11840", "31392"])),
        lambda: (lambda p: p[:10] + "****" + p[14:])(_person18(rng)),
        lambda: (lambda p: p[:11] + "****" + p[14:])(_person18(rng)),
        lambda: _uscc(rng),
        lambda: _org(rng),
        lambda: (lambda o: o[:8] + "-" + o[8])(_org(rng)),
        lambda: _reg(rng),
        lambda: _mutate(rng, _person18(rng)),
        lambda: _mutate(rng, _uscc(rng)),
        lambda: _mutate(rng, _org(rng)),
        lambda: _full_width(_person18(rng)),
        lambda: " " + _uscc(rng)[:9] + " " + _uscc(rng)[9:] + "\u3000",
        lambda: rng.choice(["暂无", "--", "", "无", "张三", "N/A", "hello world", "0"]),
        lambda: None,
    ]
    weights = [20, 2, 4, 2, 1, 10, 1, 15, 6, 3, 4, 6, 4, 2, 2, 2, 3, 1]
    chosen = rng.choices(range(len(makers)), weights=weights, k=n)
    return [makers[i]() for i in chosen]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--scalar-sample", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=3, help="best of this many runs")
    args = parser.parse_args()

    values = generate(args.n, args.seed)
    frame = pl.DataFrame({"id": values}, schema={"id": pl.String})
    classify_expr(pl.col("id"))  # build once so import/compile cost is not timed

    vector_seconds = float("inf")
    for _ in range(args.repeat):
        start = time.perf_counter()
        result = frame.select(classify_expr(pl.col("id")).alias("c")).unnest("c")
        vector_seconds = min(vector_seconds, time.perf_counter() - start)

    sample = values[: min(args.scalar_sample, args.n)]
    sample_seconds = float("inf")
    for _ in range(args.repeat):
        start = time.perf_counter()
        scalar = [classify(v) for v in sample]
        sample_seconds = min(sample_seconds, time.perf_counter() - start)
    scalar_seconds = sample_seconds * args.n / len(sample)

    vector_rows = result.head(len(sample)).rows()
    mismatches = sum(
        1
        for s, v in zip(scalar, vector_rows, strict=True)
        if (s.kind.value, s.value, s.problem, s.alt_kind and s.alt_kind.value, s.alt_value) != v
    )
    kinds = result.group_by(result.columns[0]).len().sort("len", descending=True)

    print(f"rows: {args.n:,}  (kinds: {dict(kinds.iter_rows())})")
    print(
        f"vectorised classify_expr: {vector_seconds:.3f} s  {args.n / vector_seconds:,.0f} rows/s"
        f"  (best of {args.repeat})"
    )
    extrapolated = f" (best of {args.repeat}"
    if len(sample) != args.n:
        extrapolated += f"; timed on {len(sample):,}, extrapolated"
    extrapolated += ")"
    print(
        f"scalar classify:          {scalar_seconds:.3f} s  "
        f"{args.n / scalar_seconds:,.0f} rows/s{extrapolated}"
    )
    print(f"speed-up: {scalar_seconds / vector_seconds:.1f}x")
    print(f"scalar/vectorised disagreements on the sample: {mismatches}")


if __name__ == "__main__":
    main()
