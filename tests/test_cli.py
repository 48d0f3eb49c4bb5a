"""The command line through its real entry point, on files in a temporary folder."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
from test_pipeline import _records

ENTRY_POINT = shutil.which("blacklist-match", path=str(Path(sys.executable).parent))


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    assert ENTRY_POINT, "the console script blacklist-match is not installed"
    return subprocess.run(
        [ENTRY_POINT, *args], cwd=cwd, capture_output=True, text=True, timeout=300, check=False
    )


def test_demo_runs_the_sample_data_and_prints_a_summary(tmp_path: Path) -> None:
    done = run("demo", "--out", "flags.csv", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "by category" in done.stdout
    flags = pl.read_csv(tmp_path / "flags.csv", infer_schema=False)
    assert flags.height > 0
    assert {"exact_id", "id_crosswalk", "masked_id_name"} <= set(flags["tier"])
    assert (tmp_path / "flags.csv").read_bytes().startswith(b"\xef\xbb\xbf")


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".xlsx", ".json"])
def test_screen_writes_the_report_in_the_format_of_its_extension(
    tmp_path: Path, list_csv: Path, suffix: str
) -> None:
    records = _records(tmp_path)
    out = tmp_path / f"flags{suffix}"
    done = run(
        "screen",
        "--list",
        str(list_csv),
        "--records",
        str(records),
        "--out",
        str(out),
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert out.is_file()
    assert not list(tmp_path.glob(".flags*.part"))
    if suffix == ".parquet":
        assert pl.read_parquet(out).columns[:3] == ["record_id", "case_no", "rule_id"]


def test_bad_input_exits_1_with_a_message_not_a_traceback(tmp_path: Path, list_csv: Path) -> None:
    records = tmp_path / "records.csv"
    records.write_text("record_id,subject_id\nR1,1\n", encoding="utf-8")
    done = run(
        "screen",
        "--list",
        str(list_csv),
        "--records",
        str(records),
        "--out",
        str(tmp_path / "f.csv"),
        cwd=tmp_path,
    )
    assert done.returncode == 1
    assert "records.csv" in done.stderr and "record_type" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "f.csv").exists()


def test_usage_error_exits_2(tmp_path: Path) -> None:
    assert run("screen", "--nonsense", cwd=tmp_path).returncode == 2
