"""Issue 3: load 1,000,000 court-list rows from a GB18030 CSV into a new store.

Baseline, in the same run: DuckDB's own ``read_csv`` of the same rows into a plain table.
DuckDB 2.0 reads GB18030 only through its ``encodings`` extension, which must be
downloaded (this machine has no network), so the baseline reads the same rows in UTF-8;
the engine reads the GB18030 file. Peak memory is the process's maximum resident size.

The engine's time is split into the stages of :meth:`Store.ingest_list` (``digest``: the
file's SHA-256; ``read``: decode, parse and clean; ``key``: identifiers and names;
``write``: stage, compare and insert; ``commit``) and ``publish``: closing the store, which
checkpoints it and writes the indexed read-only copy that ``check`` and ``status`` read
(:func:`blacklist_match.db.publish_snapshot`). ``ingest list`` does all of it before it
returns, so the ratio counts it; the ratio without it is printed too. Last, a floor: DuckDB
writing the store's list columns of the same rows from memory into a new file. Peak memory is given
for this process and for the forked child that transcodes half of the GB18030 file
(:mod:`blacklist_match.io.transcode`; it exits before the parse). Figures and their
history: ``benchmarks/INGEST.md``.

Usage: ``python benchmarks/bench_ingest.py [--rows 1000000]``.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).parent))
import scale_data

from blacklist_match.store import Store
from blacklist_match.synth import LIST_LABEL_OF


def peak_mib(who: int = resource.RUSAGE_SELF) -> float:
    return resource.getrusage(who).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    folder = scale_data.CACHE / f"ingest_{args.rows}"
    folder.mkdir(parents=True, exist_ok=True)
    gb18030, utf8 = folder / "list_gb18030.csv", folder / "list_utf8.csv"
    if not gb18030.is_file():
        frame, _ids, _names, _codes = scale_data.court_list(args.rows, seed=4)
        labelled = frame.rename({v: k for k, v in LIST_LABEL_OF.items() if v in frame.columns})
        text = labelled.write_csv()
        utf8.write_text(text, encoding="utf-8")
        gb18030.write_bytes(text.encode("gb18030"))
    size = gb18030.stat().st_size / 1e6

    baseline_db = folder / "baseline.duckdb"
    baseline_db.unlink(missing_ok=True)
    started = time.perf_counter()
    with duckdb.connect(str(baseline_db)) as con:
        con.execute(
            "CREATE OR REPLACE TABLE list AS SELECT * FROM read_csv(?, all_varchar=true)",
            [str(utf8)],
        )
        baseline_rows = con.execute("SELECT count(*) FROM list").fetchall()[0][0]
    baseline = time.perf_counter() - started

    target = folder / "store.duckdb"
    target.unlink(missing_ok=True)
    Path(f"{target}.readonly").unlink(missing_ok=True)
    started = time.perf_counter()
    store = Store.open(target)
    opened = time.perf_counter()
    report = store.ingest_list(gb18030)
    loaded = time.perf_counter()
    store.close()
    engine = time.perf_counter() - started
    stages = {"open": opened - started, **report.seconds, "publish": time.perf_counter() - loaded}
    load = engine - stages["publish"]

    print(f"{args.rows:,} list rows, GB18030 CSV of {size:.0f} MB")
    print(
        f"  DuckDB read_csv (UTF-8 copy) into a table: {baseline:6.2f} s ({baseline_rows:,} rows)"
    )
    print(
        f"  blacklist-match ingest list (GB18030):     {engine:6.2f} s "
        f"({report.loaded:,} loaded, {report.quarantined} quarantined)"
    )
    for stage, seconds in stages.items():
        print(f"    {stage:8s} {seconds:6.2f} s")
    print(
        f"  ratio {engine / baseline:.1f}x ({load / baseline:.1f}x to commit, without publish); "
        f"rows/s {args.rows / engine:,.0f}; peak memory {peak_mib():,.0f} MiB "
        f"(the child that transcodes half the file: {peak_mib(resource.RUSAGE_CHILDREN):,.0f} MiB)"
    )
    floor, columns = _write_floor(target, folder / "floor.duckdb")
    print(
        f"  floor: DuckDB writing the store's {columns} list columns of the same rows from "
        f"memory into a new file (no reading, no keying): {floor:.2f} s = "
        f"{floor / baseline:.1f}x the baseline"
    )


def _write_floor(store: Path, scratch: Path) -> tuple[float, int]:
    """Seconds DuckDB takes to write what the store holds of the list (every column of
    ``list_entries``, already in memory as Arrow) into a new file, and the column count:
    what any load that keeps these columns pays after reading and keying."""
    with duckdb.connect(str(store), read_only=True) as con:
        entries = con.sql("SELECT * FROM list_entries").to_arrow_table()
    scratch.unlink(missing_ok=True)
    started = time.perf_counter()
    with duckdb.connect(str(scratch)) as con:
        con.register("entries", entries)
        con.execute("CREATE TABLE list_entries AS SELECT * FROM entries")
    seconds = time.perf_counter() - started
    scratch.unlink(missing_ok=True)
    return seconds, entries.num_columns


if __name__ == "__main__":
    main()
