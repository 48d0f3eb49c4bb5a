"""Full person ID numbers never reach a terminal or a report unless ``--show-ids`` is given.

Every command runs through the real entry point on generated data; every output (stdout,
stderr, report CSV and JSON, manifest, summary HTML) is searched for the 18- and 15-digit
person numbers of the scenario's records and officers (and of the shipped sample data for
the demo). The store itself keeps them: it is the one place personal data lives.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
import pytest

from blacklist_match.synth import build_scenario

ENTRY_POINT = shutil.which("blacklist-match", path=str(Path(sys.executable).parent))
SAMPLE_DATA = Path(__file__).parent.parent / "sample_data"
PERSON_ID = re.compile(r"^(\d{17}[\dXx]|\d{15})$")
TEXT_SUFFIXES = {".csv", ".json", ".html", ".txt", ".md", ".jsonl"}


def person_ids(folder: Path) -> set[str]:
    """Full person IDs in the records (person subjects) and officers files of ``folder``."""
    records = pl.read_csv(folder / "records.csv", infer_schema=False)
    officers = pl.read_csv(folder / "officers.csv", infer_schema=False)
    found = records.filter(pl.col("subject_type") == "person")["subject_id"].to_list()
    found += officers["person_id"].to_list()
    return {i for i in found if i and PERSON_ID.match(i)}


@dataclass
class Outputs:
    """What the commands printed and wrote, by where it came from."""

    texts: dict[str, str] = field(default_factory=dict)

    def add_run(self, cwd: Path, *args: str, codes: tuple[int, ...] = (0,)) -> str:
        assert ENTRY_POINT, "the console script blacklist-match is not installed"
        done = subprocess.run(
            [ENTRY_POINT, *args],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert done.returncode in codes, (args, done.stdout[-2000:], done.stderr[-2000:])
        assert "Traceback" not in done.stdout + done.stderr
        self.texts[f"{' '.join(args)} (stdout)"] = done.stdout
        self.texts[f"{' '.join(args)} (stderr)"] = done.stderr
        return done.stdout

    def add_files(self, folder: Path) -> None:
        for path in sorted(folder.rglob("*")):
            if path.is_file() and path.suffix.lower() in TEXT_SUFFIXES:
                self.texts[str(path)] = path.read_text(encoding="utf-8-sig", errors="replace")

    def leaks(self, ids: set[str]) -> dict[str, list[str]]:
        pattern = re.compile(r"(?<![0-9A-Za-z])(\d{17}[\dXx]|\d{15})(?![0-9A-Za-z])")
        found: dict[str, list[str]] = {}
        for where, text in self.texts.items():
            hits = sorted({m for m in pattern.findall(text) if m in ids})
            if hits:
                found[where] = hits[:3]
        return found


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, set[str]]:
    folder = tmp_path_factory.mktemp("privacy")
    build_scenario(listed_persons=30, listed_companies=15, records=150, seed=5).write(
        folder / "data"
    )
    ids = person_ids(folder / "data")
    assert len(ids) > 50
    return folder, ids


def test_demo_prints_and_writes_no_full_id(tmp_path: Path) -> None:
    outputs = Outputs()
    outputs.add_run(tmp_path, "demo", "--out", "demo/flags.csv")
    outputs.add_files(tmp_path / "demo")
    assert outputs.texts, "the demo wrote nothing"
    assert outputs.leaks(person_ids(SAMPLE_DATA)) == {}


def test_ingest_status_screen_run_check_show_no_full_id(scenario: tuple[Path, set[str]]) -> None:
    folder, ids = scenario
    data = folder / "data"
    outputs = Outputs()
    db = ["--db", "store.duckdb"]
    for kind, name in [
        ("list", "court_list"),
        ("removals", "removals"),
        ("officers", "officers"),
        ("records", "records"),
    ]:
        outputs.add_run(folder, "ingest", kind, str(data / f"{name}.csv"), *db)
    damaged = folder / "damaged_records.csv"  # bad rows go to the quarantine, IDs and all
    lines = (data / "records.csv").read_text(encoding="utf-8").splitlines()
    damaged.write_text("\n".join([lines[0], lines[1] + ",extra", lines[2][:40], *lines[3:]]))
    outputs.add_run(folder, "ingest", "records", str(damaged), *db)
    outputs.add_run(folder, "status", *db)
    outputs.add_run(folder, "status", "--json", *db)
    inputs = [
        "--list",
        str(data / "court_list.csv"),
        "--records",
        str(data / "records.csv"),
        "--officers",
        str(data / "officers.csv"),
        "--removals",
        str(data / "removals.csv"),
    ]
    outputs.add_run(folder, "screen", *inputs, "--out", "screen/flags.csv")
    outputs.add_run(folder, "screen", *inputs, "--out", "screen/flags.json")
    outputs.add_run(folder, "run", "--out", "run", "--format", "csv", *db)
    outputs.add_run(folder, "run", "--out", "run_json", "--format", "json", *db)
    flags = pl.read_csv(folder / "screen" / "flags.csv", infer_schema=False)
    assert flags.height
    for subject in sorted(ids)[:5]:
        outputs.add_run(folder, "check", subject, *db, codes=(0, 1, 3))
        outputs.add_run(folder, "check", subject, "--json", *db, codes=(0, 1, 3))
    for folder_name in ("screen", "run", "run_json"):
        outputs.add_files(folder / folder_name)
    assert outputs.leaks(ids) == {}


def test_show_ids_puts_full_ids_in_the_report(scenario: tuple[Path, set[str]]) -> None:
    folder, ids = scenario
    data = folder / "data"
    outputs = Outputs()
    outputs.add_run(
        folder,
        "screen",
        "--list",
        str(data / "court_list.csv"),
        "--records",
        str(data / "records.csv"),
        "--officers",
        str(data / "officers.csv"),
        "--out",
        "shown/flags.csv",
        "--show-ids",
    )
    outputs.add_files(folder / "shown")
    assert str(folder / "shown" / "flags.csv") in outputs.leaks(ids)
