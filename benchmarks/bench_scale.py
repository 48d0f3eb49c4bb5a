"""Benchmark: a national-scale nightly screen on one machine, stage by stage.

Usage: python benchmarks/bench_scale.py [--entries 5000000] [--officers 2000000]
       [--records 2000000,5000000,20000000] [--memory-limit 8GB] [--temp-dir DIR]
       [--threads 2] [--stages load,match,rules,report]

Generates once (cached as Parquet chunks of a million rows under
``benchmarks/.cache/scale_<entries>_<officers>/``) the raw inputs a user would load: a court
list with history (removal notices end about 12% of entries), an officer registry and
agency records of every type (:mod:`scale_data`). The list, removals and registry are
loaded once into a base store (timed as the ``load list`` stage, cached with its timings);
then for each record count the base store is copied, the records are loaded through
``Store.ingest_records`` (``load records``), and the screen runs as stages:

* ``match``: :func:`blacklist_match.match.identity.find_candidates` (every tier, in DuckDB);
* ``rules``: :func:`blacklist_match.rules.apply_rules` (Polars);
* ``report``: :func:`blacklist_match.report.flags.build_flags` and the Parquet write.

In the same run, on the same store, a bare DuckDB equi-join of records and list entries on
the raw ID column (``subject_id = id_number``, result materialised like the screen's) is
the yardstick: the screen's ratio is ``(match + rules + report) / bare join``. Peak memory
is the process's resident set sampled every 20 ms during each stage (DuckDB's buffer pool,
capped by ``--memory-limit``, lives inside it; spills go to ``--temp-dir``).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

sys.path.insert(0, str(Path(__file__).parent))
import scale_data  # benchmarks/ is not a package
from baselines import BARE_JOIN, WIDE_JOIN

from blacklist_match.match.identity import find_candidates
from blacklist_match.report.flags import build_flags
from blacklist_match.report.writers import write_frame
from blacklist_match.rules import RulePack, apply_rules
from blacklist_match.store import Store

CHUNK = 1_000_000
_PAGE = os.sysconf("SC_PAGE_SIZE")


def _rss() -> int:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * _PAGE


@dataclass
class Stage:
    name: str
    seconds: float
    rows: int
    peak_bytes: int

    def line(self) -> str:
        rate = self.rows / self.seconds if self.seconds else 0.0
        return (
            f"  {self.name:22s} {self.seconds:9.2f} s {self.rows:>12,} rows "
            f"{rate:>12,.0f} rows/s {self.peak_bytes / 2**30:7.2f} GiB"
        )


@contextmanager
def _measure(name: str, stages: list[Stage], rows: Callable[[], int]) -> Iterator[None]:
    """Time a block and sample the process's peak resident memory while it runs."""
    peak = [_rss()]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.02):
            peak[0] = max(peak[0], _rss())

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.perf_counter()
    try:
        yield
    finally:
        seconds = time.perf_counter() - started
        done.set()
        sampler.join()
        peak[0] = max(peak[0], _rss())
        stages.append(Stage(name, seconds, rows(), peak[0]))
        print(stages[-1].line(), flush=True)


# --- inputs ------------------------------------------------------------------------------
def _write_parts(folder: Path, count: int, build: Callable[[int, int], pl.DataFrame]) -> None:
    """Write ``count`` rows as Parquet parts of :data:`CHUNK` rows; existing parts are kept."""
    folder.mkdir(parents=True, exist_ok=True)
    for number, start in enumerate(range(0, count, CHUNK)):
        part = folder / f"part-{number:05d}.parquet"
        if part.exists():
            continue
        started = time.perf_counter()
        partial = part.with_suffix(".partial")
        build(start, min(CHUNK, count - start)).write_parquet(partial)
        partial.rename(part)
        print(f"  generated {part.parent.name}/{part.name} in {time.perf_counter() - started:.1f}s",
              flush=True)  # fmt: skip


def generate(root: Path, entries: int, officers: int, records: int) -> None:
    """The raw inputs, cached: list parts (with removal notices), registry, records."""
    _write_parts(root / "list", entries,
                 lambda s, n: scale_data.court_list_chunk(s, n, entries))  # fmt: skip
    removals = root / "removals"
    removals.mkdir(exist_ok=True)
    for part in sorted((root / "list").glob("part-*.parquet")):
        target = removals / part.name
        if not target.exists():
            scale_data.removals_for(pl.read_parquet(part)).write_parquet(target)
    _write_parts(root / "officers", officers,
                 lambda s, n: scale_data.officer_links(s, n, entries))  # fmt: skip
    _write_parts(root / "records", records,
                 lambda s, n: scale_data.records_chunk(s, n, entries))  # fmt: skip


def _parts(folder: Path, rows: int | None = None) -> list[Path]:
    parts = sorted(folder.glob("part-*.parquet"))
    return parts if rows is None else parts[: -(-rows // CHUNK)]


def _open(path: Path, args: argparse.Namespace) -> Store:
    store = Store(path, memory_limit=args.memory_limit, temp_directory=args.temp_dir)
    store.con.execute(f"SET threads = {int(args.threads)}")
    store.con.execute("SET preserve_insertion_order = false")
    return store


def base_store(root: Path, args: argparse.Namespace) -> tuple[Path, list[Stage]]:
    """List (with removals) and registry loaded once; their load timings cached beside."""
    path = root / "base.duckdb"
    timings = root / "base_timings.json"
    if path.exists() and timings.exists():
        cached = [Stage(**row) for row in json.loads(timings.read_text())]
        for stage in cached:
            print(stage.line() + "  (cached)")
        return path, cached
    partial = root / "base.partial.duckdb"
    partial.unlink(missing_ok=True)
    stages: list[Stage] = []
    store = _open(partial, args)
    count = lambda table: int(store.con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0])  # noqa: E731, S608
    with _measure("load list", stages, lambda: count("list_entries")):
        for part in _parts(root / "list"):
            store.ingest_list(part)
    with _measure("load removals", stages, lambda: count("removals")):
        for part in _parts(root / "removals"):
            store.ingest_removals(part)
    with _measure("load officers", stages, lambda: count("officers")):
        for part in _parts(root / "officers"):
            store.ingest_officers(part)
    store.con.execute("CHECKPOINT")
    store.con.close()
    partial.rename(path)
    timings.write_text(json.dumps([stage.__dict__ for stage in stages]))
    return path, stages


# --- one screen ---------------------------------------------------------------------------
def screen(root: Path, base: Path, n_records: int, args: argparse.Namespace) -> dict[str, Any]:
    path = root / f"run_{n_records}.duckdb"
    reuse = args.reuse and path.exists()
    if not reuse:
        path.unlink(missing_ok=True)
        shutil.copyfile(base, path)
    stages: list[Stage] = []
    store = _open(path, args)
    con = store.con
    count = lambda table: int(con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0])  # noqa: E731, S608
    print(f"records={n_records:,}" + (" (store reused: no load)" if reuse else ""), flush=True)
    if n_records % CHUNK:
        raise SystemExit("--records must be multiples of a million")
    if not reuse:
        with _measure("load records", stages, lambda: count("records")):
            for part in _parts(root / "records", n_records):
                store.ingest_records(part)
        con.execute("CHECKPOINT")
    bare: dict[str, int] = {}
    with _measure("bare equi-join", stages, lambda: bare["rows"]):
        bare["rows"] = con.sql(BARE_JOIN).to_arrow_table().num_rows
    with _measure("join, candidates' columns", stages, lambda: bare["wide"]):
        bare["wide"] = con.sql(WIDE_JOIN).to_arrow_table().num_rows
    pack = RulePack.load()
    found: dict[str, Any] = {}
    with _measure("match", stages, lambda: found["candidates"].height):
        found["candidates"] = find_candidates(con)
    with _measure("rules", stages, lambda: found["accepted"].height):
        found["accepted"] = apply_rules(found["candidates"].lazy(), pack).collect()
    with _measure("report", stages, lambda: found["flags"].height):
        found["flags"] = build_flags(found["accepted"].lazy())
        write_frame(found["flags"], root / f"flags_{n_records}.parquet")
    by_name = {stage.name: stage for stage in stages}
    screen_s = sum(by_name[s].seconds for s in ("match", "rules", "report"))
    bare_s = by_name["bare equi-join"].seconds
    tiers = found["candidates"].group_by("tier").len().sort("tier").rows()
    wide_s = by_name["join, candidates' columns"].seconds
    print(f"  screen (match+rules+report) {screen_s:.2f} s = {screen_s / bare_s:.2f}x the bare "
          f"join ({screen_s / wide_s:.2f}x the join with the candidates' columns); "
          f"{screen_s / n_records * 1e6:.2f} s per million records; "
          f"peak {max(s.peak_bytes for s in stages) / 2**30:.2f} GiB", flush=True)  # fmt: skip
    print(f"  candidates by tier: {dict(tiers)}; flags by action: "
          f"{dict(found['flags'].group_by('action').len().rows())}", flush=True)  # fmt: skip
    store.con.close()
    if not (args.keep or args.reuse):
        path.unlink(missing_ok=True)
    return {
        "records": n_records,
        "stages": [stage.__dict__ for stage in stages],
        "screen_seconds": screen_s,
        "ratio": screen_s / bare_s,
        "ratio_wide": screen_s / wide_s,
        "tiers": dict(tiers),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=5_000_000)
    parser.add_argument("--officers", type=int, default=2_000_000)
    parser.add_argument("--records", default="2000000,5000000,20000000",
                        help="comma-separated record counts (multiples of a million)")  # fmt: skip
    parser.add_argument("--memory-limit", default="8GB",
                        help="DuckDB memory_limit (default 8GB: with Polars' frames beside it the "
                             "process stays under the 12 GiB target)")  # fmt: skip
    parser.add_argument("--temp-dir", default=str(scale_data.CACHE / "spill"),
                        help="DuckDB temp_directory, where it spills")  # fmt: skip
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--keep", action="store_true", help="keep each run's store file")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="reuse a kept run store (skip loading records; implies --keep)",
    )
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    sizes = [int(size) for size in args.records.split(",")]
    root = scale_data.CACHE / f"scale_{args.entries}_{args.officers}"
    root.mkdir(parents=True, exist_ok=True)
    print(f"entries={args.entries:,} officers={args.officers:,} records={sizes} "
          f"memory_limit={args.memory_limit} temp_dir={args.temp_dir} threads={args.threads} "
          f"load={os.getloadavg()[0]:.1f} cores={os.cpu_count()}", flush=True)  # fmt: skip
    started = time.perf_counter()
    generate(root, args.entries, args.officers, max(sizes))
    print(f"inputs ready in {time.perf_counter() - started:.1f}s", flush=True)
    base, base_stages = base_store(root, args)
    results = [screen(root, base, size, args) for size in sizes]
    print("\nscaling (screen = match + rules + report):")
    for result in results:
        per_million = result["screen_seconds"] / result["records"] * 1e6
        print(
            f"  {result['records']:>12,} records: screen {result['screen_seconds']:8.2f} s, "
            f"{per_million:6.2f} s per million, {result['ratio']:5.2f}x the bare join"
        )
    print(f"load average at the end: {os.getloadavg()}")
    if args.json:
        args.json.write_text(
            json.dumps({"base": [s.__dict__ for s in base_stages], "runs": results}, indent=1)
        )


if __name__ == "__main__":
    main()
