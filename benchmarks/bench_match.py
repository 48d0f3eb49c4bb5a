"""Benchmark: the matching stage (``find_candidates``) on a DuckDB file, against a bare
DuckDB equi-join of the same two tables on the raw ID column, in the same run.

Usage: python benchmarks/bench_match.py [--entries 1000000] [--records 10000000]
       [--memory-limit 6GB] [--threads 2] [--seed 7]

Tables are generated columnar with Polars (hash-based pseudo-random columns, no Python
loop over rows) already keyed as :mod:`blacklist_match.prepare` would key them, and cached
as ``benchmarks/.cache/match_<entries>_<records>.duckdb``: the benchmark times matching, not
classification (``bench_ids.py`` does that). Shape: 70% person entries (95% masked IDs),
30% entity entries (org code or USCC), several cases per debtor; records are 70% persons,
about 1% are listed debtors, 20% carry no usable ID, 0.5% carry a typo'd person ID; a
registry of four officers per company. Prints seconds, records/s, the ratio to the bare
join, per-tier seconds and the process's peak RSS.
"""

from __future__ import annotations

# ruff: noqa: E501  (column generators are one expression per line, kept unformatted)
import argparse
import multiprocessing
import resource
import time
from datetime import date
from pathlib import Path

import duckdb
import polars as pl
from baselines import BARE_JOIN, WIDE_JOIN  # benchmarks/ is the script's directory

from blacklist_match.match.fuzzy import (
    NAME_ONLY_COMPANY,
    score_company_names,
    stage_typo_relations,
)
from blacklist_match.match.identity import TIER_QUERIES, find_candidates
from blacklist_match.store_schema import DDL, upgrade_key_hashes

CACHE = Path(__file__).parent / ".cache"
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
)
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华玉萍红娥玲芬燕辉鹏建国志斌俊峰波宇浩凯健晨欣怡雪梅琳丹婷慧颖倩亮飞鑫然轩涵"
CORE = "腾飞华信鑫源宏达恒通金桥瑞丰中辰博远嘉禾永盛天成力拓润泽长青新航锦程广联正元东方海星光明"
TRADES = ["科技", "商贸", "食品", "医药", "化工", "物流", "实业", "机械", "建设工程", "房地产开发"]
REGIONS = ["110105", "310115", "440305", "420902", "342301", "320923", "513521", "410826"]
ROLES = ["legal_representative", "main_person_in_charge", "actual_controller", "director"]
BASE_DAY = date(1950, 1, 1)


def _h(n: int, seed: int, modulo: int, offset: int = 0) -> pl.Expr:
    """Pseudo-random integers in [0, modulo) for rows 0..n-1 (Polars hash, seeded)."""
    return (pl.int_range(offset, offset + n, dtype=pl.UInt64).hash(seed) % modulo).cast(pl.Int64)


def _pick(chars: str | list[str], index: pl.Expr) -> pl.Expr:
    items = list(chars)
    return index.mod(len(items)).replace_strict(
        list(range(len(items))), items, return_dtype=pl.String
    )


def _persons(index: pl.Expr, seed: int) -> list[pl.Expr]:
    """Person columns derived from a person index: id18, name."""
    h = index.cast(pl.UInt64).hash(seed)
    birth = pl.lit(BASE_DAY) + pl.duration(days=(h % 18000).cast(pl.Int64))
    id18 = pl.concat_str(
        _pick(REGIONS, (h // 7).cast(pl.Int64)),
        birth.dt.strftime("%Y%m%d"),
        ((h // 131) % 1000).cast(pl.String).str.zfill(3),
        ((h // 997) % 10).cast(pl.String),
    )
    name = pl.concat_str(
        _pick(SURNAMES, (h // 3).cast(pl.Int64)),
        _pick(GIVEN, (h // 11).cast(pl.Int64)),
        _pick(GIVEN, (h // 13).cast(pl.Int64)),
    )
    return [id18.alias("id18"), name.alias("pname"), birth.alias("birth")]


def _companies(index: pl.Expr, seed: int) -> list[pl.Expr]:
    h = index.cast(pl.UInt64).hash(seed + 1)
    org = ((h % 90_000_000) + 10_000_000).cast(pl.String) + ((h // 7) % 10).cast(pl.String)
    uscc = pl.concat_str(pl.lit("91"), _pick(REGIONS, (h // 5).cast(pl.Int64)), org, pl.lit("0"))
    core = pl.concat_str(
        _pick(CORE, (h // 17).cast(pl.Int64)),
        _pick(CORE, (h // 19).cast(pl.Int64)),
        _pick(CORE, (h // 23).cast(pl.Int64)),
        _pick(TRADES, (h // 29).cast(pl.Int64)),
    )
    return [org.alias("org"), uscc.alias("uscc"), core.alias("core")]


def _entries(n: int, seed: int) -> pl.DataFrame:
    persons_listed, companies_listed = int(n * 0.7 * 0.8), int(n * 0.3 * 0.8)
    e = pl.int_range(0, n, dtype=pl.Int64)
    is_person = _h(n, seed, 10) < 7
    frame = pl.select(
        e.alias("e"),
        is_person.alias("is_person"),
        _h(n, seed + 2, persons_listed).alias("pidx"),
        _h(n, seed + 3, companies_listed).alias("cidx"),
        _h(n, seed + 4, 100).alias("form"),
        _h(n, seed + 5, 3650).alias("pub_day"),
    )
    frame = frame.with_columns(*_persons(pl.col("pidx"), seed), *_companies(pl.col("cidx"), seed))
    masked = pl.concat_str(
        pl.col("id18").str.slice(0, 10), pl.lit("****"), pl.col("id18").str.slice(14)
    )
    published = pl.lit(date(2016, 1, 1)) + pl.duration(days=pl.col("pub_day"))
    person_masked = pl.col("form") < 95
    id_norm = (
        pl.when(pl.col("is_person"))
        .then(pl.when(person_masked).then(masked).otherwise(pl.col("id18")))
        .otherwise(pl.when(pl.col("form") < 50).then(pl.col("org")).otherwise(pl.col("uscc")))
    )
    kind = (
        pl.when(pl.col("is_person"))
        .then(
            pl.when(person_masked)
            .then(pl.lit("masked_resident_id"))
            .otherwise(pl.lit("resident_id"))
        )
        .otherwise(pl.when(pl.col("form") < 50).then(pl.lit("org_code")).otherwise(pl.lit("uscc")))
    )
    age = (published.dt.year() - pl.col("birth").dt.year()).cast(pl.Int32)
    return frame.select(
        pl.concat_str(pl.lit("E"), pl.col("e").cast(pl.String)).alias("entry_id"),
        published.alias("listed_from"),
        pl.when(pl.col("form") % 7 == 0).then(published + pl.duration(days=400)).alias("listed_until"),
        pl.concat_str(pl.lit("(2020)京0105执"), pl.col("e").cast(pl.String), pl.lit("号")).alias("case_no"),
        pl.col("e").cast(pl.String).alias("case_key"),
        pl.when(pl.col("is_person")).then(pl.col("pname")).otherwise(pl.col("core") + "有限公司").alias("name"),
        pl.when(pl.col("is_person")).then(age).alias("age"),
        id_norm.alias("id_number"),
        published.alias("published_on"),
        kind.alias("id_kind"),
        id_norm.alias("id_norm"),
        pl.when(~pl.col("is_person")).then(pl.col("org")).alias("org_code_key"),
        pl.when(pl.col("is_person")).then(pl.col("id18").str.slice(0, 10) + pl.col("id18").str.slice(14)).alias("mask_key"),
        pl.when(pl.col("is_person")).then(pl.col("pname")).otherwise(pl.col("core") + "有限公司").alias("name_key"),
        pl.when(pl.col("is_person")).then(pl.col("pname")).otherwise(pl.col("core")).alias("name_core"),
        pl.when(pl.col("is_person")).then(pl.lit("person")).otherwise(pl.lit("entity")).alias("debtor_type"),
    )  # fmt: skip


def _records(n: int, n_entries: int, seed: int) -> pl.DataFrame:
    persons_listed, companies_listed = int(n_entries * 0.7 * 0.8), int(n_entries * 0.3 * 0.8)
    r = pl.int_range(0, n, dtype=pl.Int64)
    is_person = _h(n, seed + 10, 10) < 7
    listed = _h(n, seed + 11, 1000) < 10  # ~1% listed debtors
    form = _h(n, seed + 12, 1000)  # < 200: no usable ID; < 205: typo
    frame = pl.select(
        r.alias("r"),
        is_person.alias("is_person"),
        form.alias("form"),
        pl.when(listed)
        .then(_h(n, seed + 13, persons_listed))
        .otherwise(_h(n, seed + 14, 50_000_000) + persons_listed)
        .alias("pidx"),
        pl.when(listed)
        .then(_h(n, seed + 15, companies_listed))
        .otherwise(_h(n, seed + 16, 20_000_000) + companies_listed)
        .alias("cidx"),
        (pl.lit(date(2016, 1, 1)) + pl.duration(days=_h(n, seed + 17, 3800))).alias("event_date"),
    )
    frame = frame.with_columns(*_persons(pl.col("pidx"), seed), *_companies(pl.col("cidx"), seed))
    no_id = pl.col("form") < 200
    typo = (pl.col("form") < 205) & ~no_id & pl.col("is_person")
    typo_id = (
        pl.col("id18").str.slice(0, 15)
        + pl.col("id18").str.slice(16, 1)
        + pl.col("id18").str.slice(15, 1)
        + pl.col("id18").str.slice(17, 1)
    )  # one adjacent transposition: one edit from the listed ID
    raw = (
        pl.when(no_id)
        .then(pl.lit(None, pl.String))
        .when(typo)
        .then(typo_id)
        .when(pl.col("is_person"))
        .then(pl.col("id18"))
        .otherwise(pl.col("uscc"))
    )
    usable = ~no_id & ~typo
    return frame.select(
        pl.concat_str(pl.lit("R"), pl.col("r").cast(pl.String)).alias("record_id"),
        pl.when(pl.col("is_person")).then(pl.lit("consumption")).otherwise(pl.lit("procurement")).alias("record_type"),
        pl.when(pl.col("is_person")).then(pl.lit("flight")).otherwise(pl.lit("government_procurement_bid")).alias("sub_type"),
        pl.when(pl.col("is_person")).then(pl.lit("person")).otherwise(pl.lit("entity")).alias("subject_type"),
        pl.when(pl.col("is_person")).then(pl.col("pname")).otherwise(pl.col("core") + "有限公司").alias("subject_name"),
        raw.alias("subject_id"),
        pl.col("event_date"),
        pl.lit(1000.0).alias("amount"),
        # as the classifier keys them: a typo'd number is still a (invalid) resident ID
        pl.when(usable | typo).then(pl.when(pl.col("is_person")).then(pl.lit("resident_id")).otherwise(pl.lit("uscc")))
        .otherwise(pl.lit("unknown")).alias("id_kind"),
        pl.when(typo).then(pl.lit("checksum")).alias("id_problem"),
        pl.when(usable).then(raw).alias("id_norm"),
        pl.when(usable & ~pl.col("is_person")).then(pl.col("org")).alias("org_code_key"),
        pl.when(usable & pl.col("is_person")).then(pl.col("id18").str.slice(0, 10) + pl.col("id18").str.slice(14)).alias("mask_key"),
        pl.when(pl.col("is_person")).then(pl.col("pname")).otherwise(pl.col("core") + "有限公司").alias("name_key"),
        pl.when(pl.col("is_person")).then(pl.col("pname")).otherwise(pl.col("core")).alias("name_core"),
    )  # fmt: skip


def _officers(n_entries: int, seed: int) -> pl.DataFrame:
    """Four officers for each listed company and as many unlisted ones; 1 in 20 ended."""
    companies = int(n_entries * 0.3 * 0.8) * 2
    n = companies * len(ROLES)
    frame = pl.select(pl.int_range(0, n, dtype=pl.Int64).alias("o")).with_columns(
        (pl.col("o") // len(ROLES)).alias("cidx"),
        # officers are people from the record population (some of them listed persons)
        _h(n, seed + 20, 5_000_000).alias("pidx"),
        _h(n, seed + 21, 20).alias("ended"),
    )
    frame = frame.with_columns(*_persons(pl.col("pidx"), seed), *_companies(pl.col("cidx"), seed))
    return frame.select(
        pl.concat_str(pl.lit("L"), pl.col("o").cast(pl.String)).alias("link_id"),
        pl.col("uscc").alias("entity_id"),
        pl.col("pname").alias("person_name"),
        pl.col("id18").alias("person_id"),
        _pick(ROLES, pl.col("o")).alias("role"),
        pl.lit(date(2010, 1, 1)).alias("start_date"),
        pl.when(pl.col("ended") == 0).then(pl.lit(date(2019, 1, 1))).alias("end_date"),
        pl.lit("uscc").alias("entity_id_kind"),
        pl.col("uscc").alias("entity_id_norm"),
        pl.col("org").alias("entity_org_code_key"),
        pl.lit("resident_id").alias("person_id_kind"),
        pl.col("id18").alias("person_id_norm"),
        (pl.col("id18").str.slice(0, 10) + pl.col("id18").str.slice(14)).alias("person_mask_key"),
        pl.col("pname").alias("person_name_key"),
    )


def _insert(con: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame, extra: str) -> None:
    columns = ", ".join(frame.columns)
    con.register("staged", frame.to_arrow())
    con.execute(f"INSERT INTO {table} ({columns}, {extra}) SELECT *, 'h', 1, now() FROM staged")  # noqa: S608 - constant names
    con.unregister("staged")


def generate(path: Path, n_entries: int, n_records: int, seed: int) -> None:
    """Write the keyed tables into a DuckDB file (run in a child process)."""
    tmp = path.with_suffix(".partial")
    tmp.unlink(missing_ok=True)
    con = duckdb.connect(str(tmp))
    for statement in DDL:
        con.execute(statement)
    started = time.perf_counter()
    entries = _entries(n_entries, seed)
    con.register("staged", entries.to_arrow())
    con.execute(
        f"INSERT INTO list_entries ({', '.join(entries.columns)}, row_hash, first_load_id,"  # noqa: S608
        " last_load_id, changed_at) SELECT *, 'h', 1, 1, now() FROM staged"
    )
    con.unregister("staged")
    _insert(con, "officers", _officers(n_entries, seed), "row_hash, load_id, changed_at")
    chunk = 2_000_000
    for start in range(0, n_records, chunk):
        part = _records(min(chunk, n_records - start), n_entries, seed + start)
        part = part.with_columns(
            pl.concat_str(pl.lit(f"R{start}_"), pl.col("record_id")).alias("record_id")
        )
        _insert(con, "records", part, "row_hash, load_id, changed_at")
    upgrade_key_hashes(con)  # the stored key hashes and row ids, as a load computes them
    con.execute("CHECKPOINT")
    con.close()
    tmp.rename(path)
    print(f"generated {path.name} in {time.perf_counter() - started:.1f}s")


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _timed(con: duckdb.DuckDBPyConnection, sql: str) -> tuple[float, int]:
    started = time.perf_counter()
    rows = con.sql(sql).to_arrow_table().num_rows
    return time.perf_counter() - started, rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--records", type=int, default=10_000_000)
    parser.add_argument("--memory-limit", default="6GB")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--per-tier", action="store_true", help="also time each tier alone")
    args = parser.parse_args()
    CACHE.mkdir(exist_ok=True)
    path = CACHE / f"match_{args.entries}_{args.records}_{args.seed}_v2.duckdb"
    if not path.exists():
        child = multiprocessing.get_context("spawn").Process(
            target=generate, args=(path, args.entries, args.records, args.seed)
        )
        child.start()
        child.join()
        if child.exitcode:
            raise SystemExit(f"generation failed ({child.exitcode})")
    with duckdb.connect(str(path)) as writable:  # a cache from an older schema: upgrade it
        upgrade_key_hashes(writable)
    con = duckdb.connect(str(path), read_only=True)
    (CACHE / "spill").mkdir(exist_ok=True)
    con.execute(f"SET memory_limit = '{args.memory_limit}'")
    con.execute(f"SET threads = {args.threads}")
    con.execute(f"SET temp_directory = '{CACHE / 'spill'}'")
    con.execute("SET preserve_insertion_order = false")
    n_records = con.execute("SELECT count(*) FROM records").fetchall()[0][0]
    _timed(con, BARE_JOIN)  # warm: both timed runs read the columns from memory, not disk
    cpu = _cpu()
    bare_s, bare_rows = _timed(con, BARE_JOIN)
    bare_cpu = _cpu() - cpu
    _timed(con, WIDE_JOIN)
    cpu = _cpu()
    wide_s, _ = _timed(con, WIDE_JOIN)
    wide_cpu = _cpu() - cpu
    find_candidates(con)  # warm, as the bare join was
    cpu, started = _cpu(), time.perf_counter()
    candidates = find_candidates(con)
    match_s = time.perf_counter() - started
    match_cpu = _cpu() - cpu
    print(f"entries={args.entries:,} records={n_records:,} threads={args.threads} "
          f"memory_limit={args.memory_limit}")  # fmt: skip
    print(f"bare equi-join on raw ID: {bare_s:.2f}s, CPU {bare_cpu:.2f}s ({bare_rows:,} pairs)")
    print(f"the same join with the candidates' columns: {wide_s:.2f}s, CPU {wide_cpu:.2f}s")
    print(
        f"find_candidates: {match_s:.2f}s, CPU {match_cpu:.2f}s "
        f"({candidates.height:,} candidates in window), {n_records / match_s:,.0f} records/s, "
        f"ratio {match_s / bare_s:.2f}x (CPU {match_cpu / bare_cpu:.2f}x); "
        f"{match_s / wide_s:.2f}x the join with the candidates' columns"
    )
    print(candidates.group_by("tier").len().sort("tier"))
    if args.per_tier:
        started = time.perf_counter()
        stage_typo_relations(con)
        print(f"  staged typos    {time.perf_counter() - started:7.2f}s")
        for tier, sql in TIER_QUERIES.items():
            seconds, rows = _timed(con, sql)
            print(f"  {tier.value:15s} {seconds:7.2f}s {rows:>10,} pairs")
        started = time.perf_counter()
        kept = score_company_names(con)
        seconds, _ = _timed(con, NAME_ONLY_COMPANY)
        print(f"  name_only/co    {time.perf_counter() - started:7.2f}s {kept:>10,} pairs")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    print(f"peak RSS of the matching process: {peak:.2f} GiB")


if __name__ == "__main__":
    main()
