"""The nightly batch: a since-last run finds exactly what a full run finds for what changed."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from blacklist_match.batch import record_batch_run, run_batch
from blacklist_match.rules import RulePack
from blacklist_match.store import Store
from blacklist_match.synth import build_scenario

ENTRY_POINT = shutil.which("blacklist-match", path=str(Path(sys.executable).parent))
KEY = ["record_id", "entry_id", "rule_id"]


def _split_list(path: Path, tmp_path: Path) -> tuple[Path, Path]:
    """The list as a first publication (most rows) and a later increment (the rest)."""
    rows = path.read_text(encoding="utf-8-sig").splitlines()
    header, body = rows[0], rows[1:]
    cut = len(body) * 9 // 10
    first, later = tmp_path / "list_first.csv", tmp_path / "list_later.csv"
    first.write_text("\n".join([header, *body[:cut]]) + "\n", encoding="utf-8")
    later.write_text("\n".join([header, *body[cut:]]) + "\n", encoding="utf-8")
    return first, later


def test_since_last_equals_the_full_run_on_what_changed(tmp_path: Path) -> None:
    files = build_scenario(listed_persons=150, listed_companies=60, records=700, seed=5).write(
        tmp_path / "data"
    )
    first, later = _split_list(files["list"], tmp_path)
    pack = RulePack.load()
    with Store.open(tmp_path / "b.duckdb") as store:
        store.ingest_list(first)
        store.ingest_officers(files["officers"])
        store.ingest_records(files["records"])
        initial = run_batch(store, pack)
        record_batch_run(store, initial, tmp_path / "r0")
        store.ingest_list(later)
        store.ingest_removals(files["removals"])
        since = run_batch(store, pack, since_last=True)
        changed = set(
            store.con.execute(
                "SELECT entry_id FROM list_entries WHERE last_load_id > ?", [initial.watermark]
            ).fetchall()
        )
        full = run_batch(store, pack)
    assert since.mode == "since_last" and full.mode == "full"
    changed_ids = {row[0] for row in changed}
    expected = full.flags.filter(pl.col("entry_id").is_in(changed_ids)).select(KEY).sort(KEY)
    assert expected.height > 0
    assert since.flags.select(KEY).sort(KEY).equals(expected)
    unchanged = initial.flags.filter(~pl.col("entry_id").is_in(changed_ids)).select(KEY).sort(KEY)
    assert unchanged.equals(
        full.flags.filter(~pl.col("entry_id").is_in(changed_ids)).select(KEY).sort(KEY)
    )


def test_a_failed_run_leaves_no_report_and_is_not_the_last_run(
    tmp_path: Path, list_csv: Path
) -> None:
    assert ENTRY_POINT
    db = tmp_path / "f.duckdb"
    with Store.open(db) as store:
        store.ingest_list(list_csv)
    out = tmp_path / "out"
    bad_rules = tmp_path / "rules"
    bad_rules.mkdir()
    (bad_rules / "x.yaml").write_text("category: nonsense\nrules: []\n", encoding="utf-8")
    done = subprocess.run(
        [ENTRY_POINT, "run", "--out", str(out), "--db", str(db), "--rules", str(bad_rules)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1
    assert not out.exists() or not any(out.iterdir())
    with Store.open(db, read_only=True) as store:
        assert store.con.execute("SELECT count(*) FROM batch_runs").fetchall()[0][0] == 0


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_run_command_writes_the_report(tmp_path: Path, list_csv: Path, fmt: str) -> None:
    assert ENTRY_POINT
    db = tmp_path / "c.duckdb"
    from test_pipeline import _records

    with Store.open(db) as store:
        store.ingest_list(list_csv)
        store.ingest_records(_records(tmp_path))
    done = subprocess.run(
        [ENTRY_POINT, "run", "--out", str(tmp_path / "out"), "--db", str(db), "--format", fmt],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "out" / f"flags.{fmt}").is_file()
    again = subprocess.run(
        [ENTRY_POINT, "run", "--since-last", "--out", str(tmp_path / "out2"), "--db", str(db)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert "since_last): 0 records screened, 0 flags" in again.stdout
