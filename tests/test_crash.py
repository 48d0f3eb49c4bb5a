"""kill -9 at any moment leaves the store before or after, and no partial report."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import polars as pl

from blacklist_match.store import Store
from blacklist_match.synth import build_scenario

ENTRY_POINT = shutil.which("blacklist-match", path=str(Path(sys.executable).parent))


def _runs(db: Path) -> int:
    with Store.open(db, read_only=True) as store:
        return int(store.con.execute("SELECT count(*) FROM batch_runs").fetchall()[0][0])


def test_kill_9_during_run_leaves_no_partial_report(tmp_path: Path) -> None:
    assert ENTRY_POINT
    files = build_scenario(listed_persons=600, listed_companies=300, records=4000, seed=21).write(
        tmp_path / "data"
    )
    db = tmp_path / "run.duckdb"
    with Store.open(db) as store:
        store.ingest_list(files["list"])
        store.ingest_officers(files["officers"])
        store.ingest_records(files["records"])
    out = tmp_path / "out"
    survived = 0
    runs_before = _runs(db)
    for delay in (0.2, 0.6, 1.0, 1.5, 2.5):
        process = subprocess.Popen(
            [ENTRY_POINT, "run", "--out", str(out), "--db", str(db), "--format", "parquet"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        process.wait()
        survived += 1
        runs_after = _runs(db)
        assert runs_after in (runs_before, runs_before + 1)  # a run counts whole or not at all
        runs_before = runs_after
        if (out / "flags.parquet").exists():
            assert pl.read_parquet(out / "flags.parquet").height > 0
        assert not [p for p in out.glob("*") if p.name.startswith(".")] or all(
            p.suffix == ".part" for p in out.glob(".*")
        )
    done = subprocess.run(
        [ENTRY_POINT, "run", "--out", str(out), "--db", str(db)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert survived == 5
    assert pl.read_parquet(out / "flags.parquet").height > 0
    assert (out / "flags.manifest.json").is_file()
