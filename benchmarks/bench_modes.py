"""Issue 6: the three run modes on a 1,000,000-entry store.

- cold ``blacklist-match check`` from a shell (median of 10 runs);
- library ``Screener.check`` latency (p50, p99 over 100,000 calls, index built once);
- ``run --since-last`` after a 1% list change, against a full ``run`` in the same session.

Usage: ``python benchmarks/bench_modes.py [--entries 1000000] [--records 10000000]
[--since-last-only] [--repeats 3]``. The store is built once and cached under
``benchmarks/.cache/`` (at 10M records: about 100 s, 1.6 GB, and a 3.2 GB record index).

The store holds 10,000,000 records by default: the nightly batch's floor in DESIGN.md
(10^7 to 10^8 records a night), and the scale of ``bench_match.py``. A since-last run costs
about 0.3 s whatever the records (some 50 statements, the registry's officers, the report
and the run's bookkeeping), and a full run grows with them, so the ratio grows with the
records: ``--records 1000000`` gives a quicker run, at which new cases and name corrections
reach about 5x (benchmarks/SINCE_LAST.md).

The store holds the shapes of DOMAIN.md (:func:`build_store`: masked, full and typo'd IDs,
companies, a registry, records of every type, removals). Since-last, five 1% changes
(:func:`_list_change`; figures and the per-step table in benchmarks/SINCE_LAST.md): 10,000
new cases, 10,000 status updates (performance only:
nothing to screen), 10,000 court corrections and 10,000 removal notices (the last run's
stored candidates of those entries are reported again, none matched again), and 10,000
name corrections (what the tiers read: the entries' records are found and matched
again). Each run is timed as the ``run`` command does it: screen, write the report, record
the run (and its candidates), each in a store opened for it as a nightly job runs it; the
process is warmed by a first full run, untimed. Each mode is timed ``--repeats`` times
from the same state and the medians are compared (one run of each swung the ratio by a
tenth). The ratio of the screening alone is printed beside it.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Final

import duckdb
import numpy as np
import polars as pl

sys.path.insert(0, str(Path(__file__).parent))
import scale_data

from blacklist_match import record_index
from blacklist_match.batch import RunResult, report_and_record, run_batch
from blacklist_match.db import publish_snapshot
from blacklist_match.rules import RulePack
from blacklist_match.screener import Screener
from blacklist_match.since_last import current_record_index
from blacklist_match.store import Store

CACHE = scale_data.CACHE


def build_store(
    entries: int, records: int, officers: int | None = None
) -> tuple[Path, np.ndarray, np.ndarray]:
    """The cached store, from the national-scale generators (:mod:`scale_data`, the shapes
    of DOMAIN.md): ``entries`` list entries (masked, full and typo'd person IDs, companies
    by organisation code or USCC) with their removal notices, ``officers`` registry links
    (default: two for every five entries, as ``bench_scale``) and ``records`` agency records
    of every type (persons and companies, 20% without an ID). Returns the store and the full
    IDs and names of the list's person debtors."""
    officers = entries * 2 // 5 if officers is None else officers
    folder = CACHE / f"modes_{entries}_{records}_{officers}"
    folder.mkdir(parents=True, exist_ok=True)
    db = folder / "store.duckdb"
    if not db.is_file():
        inputs = {name: folder / f"{name}.parquet" for name in ("list", "removals", "officers")}
        listed = scale_data.court_list_chunk(0, entries, entries)
        listed.write_parquet(inputs["list"])
        scale_data.removals_for(listed).write_parquet(inputs["removals"])
        scale_data.officer_links(0, officers, entries).write_parquet(inputs["officers"])
        record_files = []
        for start in range(0, records, 1_000_000):
            part = folder / f"records-{start // 1_000_000:03d}.parquet"
            scale_data.records_chunk(start, min(1_000_000, records - start), entries).write_parquet(
                part
            )
            record_files.append(part)
        started = time.perf_counter()
        with Store.open(folder / "building.duckdb") as store:
            store.ingest_list(inputs["list"])
            store.ingest_removals(inputs["removals"])
            store.ingest_officers(inputs["officers"])
            for part in record_files:
                store.ingest_records(part)
        Path(f"{folder / 'building.duckdb'}.readonly").rename(f"{db}.readonly")
        (folder / "building.duckdb").rename(db)
        print(
            f"built store: {entries:,} entries, {officers:,} registry links, {records:,} "
            f"records in {time.perf_counter() - started:.1f} s"
        )
    persons, _companies = scale_data.listed_debtors(entries)
    index = pl.int_range(0, persons, dtype=pl.Int64)
    people = pl.select(
        scale_data.person_id_expr(index, seed=1).alias("id"),
        scale_data.person_name_expr(index, seed=1).alias("name"),
    )
    return db, people["id"].to_numpy(), people["name"].to_numpy()


def cold_check(db: Path, subject: str, runs: int = 10) -> float:
    entry_point = shutil.which("blacklist-match", path=str(Path(sys.executable).parent))
    assert entry_point
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(
            [entry_point, "check", subject, "--db", str(db)], capture_output=True, check=False
        )
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def library_latency(db: Path, ids: np.ndarray, names: np.ndarray, calls: int) -> dict[str, float]:
    started = time.perf_counter()
    screener = Screener.open(db)
    build = time.perf_counter() - started
    rng = np.random.default_rng(3)
    listed = rng.integers(0, len(ids), calls // 2)
    fresh = scale_data.person_ids(rng, calls - calls // 2)
    subjects = [(str(ids[i]), str(names[i])) for i in listed] + [(str(f), "王伟") for f in fresh]
    rng.shuffle(subjects)
    timings = np.empty(len(subjects))
    for index, (subject_id, name) in enumerate(subjects):
        began = time.perf_counter_ns()
        screener.check(subject_id, name, action="consumption/flight")
        timings[index] = time.perf_counter_ns() - began
    return {
        "index_build_s": build,
        "p50_us": float(np.percentile(timings, 50) / 1000),
        "p99_us": float(np.percentile(timings, 99) / 1000),
    }


CHANGES: Final = ("new", "paid", "corrected", "removed", "renamed")


def _list_change(db: Path, entries: int, kind: str) -> Path:
    """A 1% list change as a publication: ``new``: 10,000 new cases against debtors drawn
    from the list's own pool (as most new listings are: some pair with records); ``paid``:
    every hundredth entry republished with its performance changed (a status update:
    nothing a flag reads changed, so no record is screened); ``corrected``: every hundredth
    entry republished with its court's name corrected (shown in flags: the run reports their
    flags again, from the stored pairs); ``removed``: removal notices for every hundredth
    entry (their flags after the removal date are retracted, from the stored pairs);
    ``renamed``: every hundredth entry republished with its name corrected (what the tiers
    read: its records are found and matched again)."""
    listed = pl.read_parquet(db.with_name("list.parquet"))
    if kind == "new":
        change = scale_data.court_list_chunk(entries, entries // 100, entries)
    elif kind == "removed":
        change = listed.gather_every(100).select(
            "case_no",
            pl.lit("2025-06-30").alias("removed_on"),  # after every publication
            pl.lit("履行完毕").alias("reason"),
        )
    elif kind == "renamed":
        change = listed.gather_every(100).with_columns(
            pl.col("name").str.replace("^(.)", "${1}${1}")
        )
    elif kind == "paid":
        change = listed.gather_every(100).with_columns(pl.lit("部分履行").alias("performance"))
    else:
        change = listed.gather_every(100).with_columns(pl.col("court") + "执行局")
    change_file = db.with_name(f"change_{kind}.parquet")
    change.write_parquet(change_file)
    return change_file


def since_last_ratio(db: Path, entries: int, kind: str = "new", repeats: int = 3) -> dict[str, Any]:
    """Full runs, then ``run --since-last`` after the change, timed in one process, each as
    the ``run`` command does it (screen, write the report, record the run and its
    candidates) in a store opened for it, as nightly. Each mode is timed ``repeats`` times
    from the same state (a copy of the store as it was before the first), and the medians
    compared. A first full run (not timed) pays the process's one-time costs (imports,
    DuckDB's first read of the store's columns), so no timed run carries them."""
    work = db.with_name("since_last.duckdb")
    before = db.with_name("before.duckdb")
    pack = RulePack.load()
    change_file = _list_change(db, entries, kind)
    reports = work.with_name("reports")

    def run(store: Store, *, since_last: bool, name: str) -> tuple[RunResult, float, float]:
        """``run [--since-last]`` in this process: screen, write the report, record it;
        with the time of the whole and of the screening (``run_batch``) alone."""
        started = time.perf_counter()
        result = run_batch(store, pack, since_last=since_last)
        screened = time.perf_counter()
        report_and_record(store, result, reports / name / "flags.parquet", options={})
        return result, time.perf_counter() - started, screened - started

    def timed(since_last: bool) -> tuple[RunResult, list[float], list[float]]:
        """``repeats`` runs, each from a copy of ``before`` opened for it."""
        wholes, screens = [], []
        result = None
        for repeat in range(repeats):
            _copy_store(before, work)
            with Store.open(work) as store:
                result, whole, screen = run(store, since_last=since_last, name=f"{repeat}")
            wholes.append(whole)
            screens.append(screen)
        assert result is not None
        return result, wholes, screens

    try:
        # a closed store is checkpointed (updates not yet checkpointed slow every scan)
        shutil.copyfile(db, work)
        with Store.open(work) as store:
            run(store, since_last=False, name="warm-up")
        _copy_store(work, before)
        full, full_s, full_screen_s = timed(since_last=False)
        with Store.open(before) as store:  # the last successful run, then the change
            run(store, since_last=False, name="base")
            # the record index, as the first since-last run builds it (records loads then
            # keep it in step)
            started = time.perf_counter()
            index = current_record_index(store.con, store.path)
            index_s = time.perf_counter() - started
            index_mb = _folder_mb(index.folder) if index is not None else 0.0
        _ingest_change(before, kind, change_file)
        since, since_s, since_screen_s = timed(since_last=True)
    finally:
        _remove_stores(work, before)
        shutil.rmtree(reports, ignore_errors=True)
    full_median, since_median = statistics.median(full_s), statistics.median(since_s)
    return {
        "full_s": full_median,
        "full_range": (min(full_s), max(full_s)),
        "full_flags": full.flags.height,
        "since_last_s": since_median,
        "since_last_range": (min(since_s), max(since_s)),
        "since_last_flags": since.flags.height,
        "since_last_screened": since.records_screened,
        "ratio": full_median / since_median,
        "index_s": index_s,
        "index_mb": index_mb,
        "screen_ratio": statistics.median(full_screen_s) / statistics.median(since_screen_s),
    }


def command_ratio(db: Path, entries: int, kind: str = "new", repeats: int = 3) -> dict[str, Any]:
    """The ``run`` command end to end, as cron starts it: a new process (its imports), the
    store opened, screened, the report written, the run recorded and, on close, the store's
    read-only copy published (:func:`~blacklist_match.db.publish_snapshot`). A full ``run``
    against ``run --since-last`` after the change, each ``repeats`` times from a fresh copy
    of the same store (medians); and the publication alone, timed in this process."""
    entry_point = shutil.which("blacklist-match", path=str(Path(sys.executable).parent))
    assert entry_point
    after = db.with_name("command_after.duckdb")
    work = db.with_name("command.duckdb")
    out = db.with_name("command_reports")
    pack = RulePack.load()
    times: dict[str, list[float]] = {"full": [], "since_last": [], "publish": []}
    try:
        _copy_store(db, after)
        with Store.open(after) as store:  # the last successful run, and the record index
            report_and_record(store, run_batch(store, pack), out / "base.parquet", options={})
            current_record_index(store.con, store.path)
        _ingest_change(after, kind, _list_change(db, entries, kind))
        for _ in range(repeats):
            for mode, flags in (("full", []), ("since_last", ["--since-last"])):
                _copy_store(after, work)  # with its read-only copy, written after it
                shutil.copyfile(f"{after}.readonly", f"{work}.readonly")
                started = time.perf_counter()
                subprocess.run(
                    [entry_point, "run", *flags, "--out", str(out / mode), "--db", str(work)],
                    capture_output=True,
                    check=True,
                )
                times[mode].append(time.perf_counter() - started)
            with duckdb.connect(str(work)) as con:
                started = time.perf_counter()
                publish_snapshot(con, work)
                times["publish"].append(time.perf_counter() - started)
    finally:
        _remove_stores(after, work)
        shutil.rmtree(out, ignore_errors=True)
    medians = {mode: statistics.median(values) for mode, values in times.items()}
    return {**medians, "ratio": medians["full"] / medians["since_last"]}


def index_upkeep(db: Path, records: int) -> dict[str, float]:
    """What the record index adds to a records load: a 1% load of new records, then a 1%
    load replacing records (new content under known ids), each timed into a store with
    the index and into one without (median of 3 each); and the index's build from scratch."""
    work = db.with_name("upkeep.duckdb")
    source = pl.read_parquet(db.with_name("records-000.parquet"))
    count = max(records // 100, 1)
    files = {
        "new": source.head(count).with_columns(("U" + pl.col("record_id")).alias("record_id")),
        "replaced": source.slice(count, count).with_columns(
            (pl.col("amount").cast(pl.Float64) + 1).cast(source.schema["amount"])
        ),
    }
    paths = {}
    for kind, frame in files.items():
        paths[kind] = db.with_name(f"upkeep_{kind}.parquet")
        frame.write_parquet(paths[kind])
    times: dict[str, list[float]] = {}
    try:
        for _ in range(3):
            for indexed in (False, True):
                _copy_store(db, work)
                if indexed:
                    with Store.open(work) as store:
                        started = time.perf_counter()
                        current_record_index(store.con, store.path)
                        times.setdefault("build", []).append(time.perf_counter() - started)
                with Store.open(work) as store:
                    for kind, path in paths.items():
                        started = time.perf_counter()
                        store.ingest_records(path)
                        label = f"{kind}_{'index' if indexed else 'plain'}"
                        times.setdefault(label, []).append(time.perf_counter() - started)
    finally:
        _remove_stores(work)
        for path in paths.values():
            path.unlink(missing_ok=True)
    return {label: statistics.median(values) for label, values in times.items()}


def _copy_store(source: Path, target: Path) -> None:
    """Copy a closed store file (its read-only companion is made again on the next close)
    with its record index (hard links: an index's files are replaced, never rewritten)."""
    shutil.copyfile(source, target)
    Path(f"{target}.readonly").unlink(missing_ok=True)
    record_index.drop(target)
    if record_index.index_folder(source).is_dir():
        shutil.copytree(
            record_index.index_folder(source),
            record_index.index_folder(target),
            copy_function=os.link,
        )


def _ingest_change(db: Path, kind: str, change: Path) -> None:
    """Load a list change (:func:`_list_change`) into the store at ``db``."""
    with Store.open(db) as store:
        if kind == "removed":
            store.ingest_removals(change)
        else:
            store.ingest_list(change)


def _remove_stores(*stores: Path) -> None:
    """Remove work stores with their read-only copies and record indexes."""
    for path in stores:
        path.unlink(missing_ok=True)
        Path(f"{path}.readonly").unlink(missing_ok=True)
        record_index.drop(path)


def _folder_mb(folder: Path) -> float:
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file()) / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--records", type=int, default=10_000_000)
    parser.add_argument(
        "--officers", type=int, default=None, help="registry links (default: entries * 2/5)"
    )
    parser.add_argument("--calls", type=int, default=100_000)
    parser.add_argument(
        "--since-last-only", action="store_true", help="skip the cold and library checks"
    )
    parser.add_argument(
        "--repeats", type=int, default=3, help="timed runs of each mode (medians compared)"
    )
    parser.add_argument(
        "--changes",
        nargs="*",
        choices=CHANGES,
        default=list(CHANGES),
        help="the 1%% list changes to time since-last after (default: all)",
    )
    parser.add_argument(
        "--skip-upkeep", action="store_true", help="skip timing the record index's upkeep"
    )
    parser.add_argument(
        "--commands",
        action="store_true",
        help="also time the run command end to end (a new process, the store's read-only "
        "copy published on close), after 1%% new cases",
    )
    args = parser.parse_args()
    db, ids, names = build_store(args.entries, args.records, args.officers)
    if not args.since_last_only:
        print(f"cold check, median of 10: {cold_check(db, str(ids[0])):.3f} s")
        latency = library_latency(db, ids, names, args.calls)
        print(
            f"library: index built in {latency['index_build_s']:.1f} s; check p50 "
            f"{latency['p50_us']:.1f} us, p99 {latency['p99_us']:.1f} us over "
            f"{args.calls:,} calls"
        )
    if not args.skip_upkeep:
        upkeep = index_upkeep(db, args.records)
        print(
            f"record index: built in {upkeep['build']:.1f} s; a records load of 1% new records "
            f"{upkeep['new_plain']:.2f} s without it, {upkeep['new_index']:.2f} s keeping it; "
            f"of 1% replaced records {upkeep['replaced_plain']:.2f} s, "
            f"{upkeep['replaced_index']:.2f} s (medians of 3)"
        )
    for kind in args.changes:
        ratio = since_last_ratio(db, args.entries, kind, args.repeats)
        print(
            f"full run {ratio['full_s']:.2f} s ({_spread(ratio['full_range'], 2)}; "
            f"{ratio['full_flags']:,} flags); since-last after a 1% list change ({kind} "
            f"entries) {ratio['since_last_s']:.3f} s ({_spread(ratio['since_last_range'], 3)}; "
            f"{ratio['since_last_screened']:,} records screened, "
            f"{ratio['since_last_flags']:,} flags); ratio of medians {ratio['ratio']:.1f}x "
            f"(screening alone, without the report and the bookkeeping: "
            f"{ratio['screen_ratio']:.1f}x); record index built in {ratio['index_s']:.1f} s, "
            f"{ratio['index_mb']:,.0f} MB"
        )

    if args.commands:
        command = command_ratio(db, args.entries, "new", args.repeats)
        print(
            f"the run command end to end, after 1% new cases (medians of {args.repeats}): "
            f"full {command['full']:.2f} s, since-last {command['since_last']:.2f} s, ratio "
            f"{command['ratio']:.1f}x; of each, the read-only copy published on close: "
            f"{command['publish']:.2f} s"
        )


def _spread(bounds: tuple[float, float], digits: int) -> str:
    return f"{bounds[0]:.{digits}f}-{bounds[1]:.{digits}f} s"


if __name__ == "__main__":
    main()
