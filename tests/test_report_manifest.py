"""The run manifest: written beside every report, reproducible, storable in DuckDB."""

from __future__ import annotations

import hashlib
import json
import shutil
from datetime import datetime
from pathlib import Path

import duckdb
import polars as pl
import pytest
from conftest import LIST_HEADER, LIST_ROWS, write_records
from polars.testing import assert_frame_equal

from blacklist_match import __version__
from blacklist_match.pipeline import ScreenResult, screen_files
from blacklist_match.report import companion_paths, record_run, write_report
from blacklist_match.report.manifest import build_manifest, flags_digest, reproducible_part
from blacklist_match.report.writers import read_frame
from blacklist_match.rules import RulePack
from blacklist_match.store import LoadReport

RECORDS = [
    {"record_id": "R1", "agency": "机场", "record_type": "consumption", "sub_type": "flight",
     "subject_type": "person", "subject_name": "王芳", "subject_id": "110105197801010028",
     "event_date": "2020-01-01", "amount": "1200"},
    {"record_id": "R2", "agency": "财政局", "record_type": "procurement",
     "sub_type": "government_procurement_bid", "subject_type": "entity",
     "subject_name": "象州县腾飞商贸有限公司", "subject_id": "91451322600563165B",
     "event_date": "2019-05-01", "amount": "500000"},
    {"record_id": "R3", "agency": "机场", "record_type": "consumption", "sub_type": "groceries",
     "subject_type": "person", "subject_name": "王芳", "subject_id": "110105197801010028",
     "event_date": "2020-01-01", "amount": "30"},
]  # fmt: skip


@pytest.fixture
def inputs(tmp_path: Path) -> tuple[Path, Path]:
    folder = tmp_path / "inputs"
    folder.mkdir()
    court_list = folder / "court_list.csv"
    court_list.write_text("\n".join([LIST_HEADER, *LIST_ROWS]) + "\n", encoding="utf-8-sig")
    return court_list, write_records(folder / "records.csv", RECORDS)


def _screen(inputs: tuple[Path, Path], rules: RulePack | None = None) -> ScreenResult:
    return screen_files([inputs[0]], [inputs[1]], rules=rules)


def test_summary_and_manifest_go_beside_the_report(tmp_path: Path, inputs) -> None:  # type: ignore[no-untyped-def]
    written = write_report(_screen(inputs), tmp_path / "out" / "flags.parquet")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "flags.manifest.json",
        "flags.parquet",
        "flags.summary.html",
    ]
    assert (written.summary, written.manifest_path) == companion_paths(written.flags)
    on_disk = json.loads(written.manifest_path.read_text(encoding="utf-8"))
    assert on_disk == written.manifest


def test_manifest_names_inputs_list_state_rules_and_counts(tmp_path: Path, inputs) -> None:  # type: ignore[no-untyped-def]
    result = _screen(inputs)
    manifest = write_report(result, tmp_path / "flags.csv", options={"show_ids": False}).manifest
    assert manifest["engine_version"] == __version__
    assert manifest["inputs"] == {
        str(path): hashlib.sha256(path.read_bytes()).hexdigest() for path in inputs
    }
    assert [item["kind"] for item in manifest["input_files"]] == ["list", "records"]
    assert manifest["rules_hash"] == RulePack.load().digest
    assert manifest["list_state"]["entries_total"] == len(LIST_ROWS)
    assert manifest["counts"]["flags"] == result.flags.height == 2
    assert manifest["summary"]["category"] == {"high_consumption": 1, "specific_industry": 1}
    assert manifest["options"] == {"show_ids": False}
    assert manifest["run_id"].startswith(manifest["started_at"][:10].replace("-", ""))
    naive = build_manifest(
        flags=pl.DataFrame(), rules_hash="r", inputs={}, counts={},
        started_at=datetime(2026, 1, 2, 3, 4, 5),  # a run's start, as the batch keeps it
    )  # fmt: skip
    assert naive["started_at"].endswith("+00:00") and naive["finished_at"].endswith("+00:00")
    assert manifest["report"] == {
        "flags": "flags.csv",
        "format": "csv",
        "rows": 2,
        "summary": "flags.summary.html",
    }


def test_list_state_comes_from_the_run_when_it_has_one(tmp_path: Path, inputs) -> None:  # type: ignore[no-untyped-def]
    state = {"entries_total": 3, "entries_listed": 2, "entries_ended": 1}
    manifest = write_report(_screen(inputs), tmp_path / "f.json", list_state=state).manifest
    assert manifest["list_state"] == state


def test_same_inputs_and_rules_reproduce_the_flags_and_the_hashes(
    tmp_path: Path,
    inputs,  # type: ignore[no-untyped-def]
) -> None:
    first = write_report(_screen(inputs), tmp_path / "first" / "flags.csv")
    second = write_report(_screen(inputs), tmp_path / "second" / "flags.csv")
    assert first.manifest["run_id"] != second.manifest["run_id"]
    assert reproducible_part(first.manifest) == reproducible_part(second.manifest)
    schema = _screen(inputs).flags.schema
    assert_frame_equal(read_frame(first.flags, schema), read_frame(second.flags, schema))
    assert flags_digest(read_frame(second.flags, schema)) == first.manifest["flags_sha256"]


def test_a_changed_input_or_rule_pack_changes_the_hashes(tmp_path: Path, inputs) -> None:  # type: ignore[no-untyped-def]
    before = write_report(_screen(inputs), tmp_path / "a" / "flags.csv").manifest
    write_records(inputs[1], RECORDS[:1])
    rules = tmp_path / "rules"
    shutil.copytree(RulePack.load().sources[0].parent, rules)
    text = (rules / "high_consumption.yaml").read_text(encoding="utf-8")
    (rules / "high_consumption.yaml").write_text(
        text.replace("id: HX-01-travel-air-rail", "id: HX-01-travel-air-rail-local"),
        encoding="utf-8",
    )
    after = write_report(
        _screen(inputs, RulePack.load(rules)), tmp_path / "b" / "flags.csv"
    ).manifest
    assert after["inputs"][str(inputs[0])] == before["inputs"][str(inputs[0])]
    assert after["inputs"][str(inputs[1])] != before["inputs"][str(inputs[1])]
    assert after["rules_hash"] != before["rules_hash"]
    assert after["flags_sha256"] != before["flags_sha256"]


def test_record_run_stores_the_manifest_in_the_duckdb_file(tmp_path: Path, inputs) -> None:  # type: ignore[no-untyped-def]
    manifests = [
        write_report(_screen(inputs), tmp_path / name / "flags.csv").manifest
        for name in ("one", "two")
    ]
    db = tmp_path / "blacklist.duckdb"
    with duckdb.connect(str(db)) as con:
        for manifest in manifests:
            record_run(con, manifest)
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute(
            "SELECT run_id, engine_version, rules_hash, inputs, list_state, counts, manifest, "
            "finished_at >= started_at FROM runs ORDER BY run_id"
        ).fetchall()
    assert [row[0] for row in rows] == sorted(m["run_id"] for m in manifests)
    for run_id, version, rules_hash, inputs_json, state, counts, whole, ordered in rows:
        manifest = next(m for m in manifests if m["run_id"] == run_id)
        assert (version, rules_hash, ordered) == (__version__, manifest["rules_hash"], True)
        assert json.loads(inputs_json) == manifest["inputs"]
        assert json.loads(state) == manifest["list_state"]
        assert json.loads(counts) == manifest["counts"]
        assert json.loads(whole) == manifest


def test_inputs_loaded_twice_are_hashed_once(tmp_path: Path, inputs) -> None:  # type: ignore[no-untyped-def]
    result = _screen(inputs)
    result.loads.append(LoadReport(kind="list", file=str(inputs[0]), skipped=True))
    manifest = write_report(result, tmp_path / "flags.csv").manifest
    assert list(manifest["inputs"]) == [str(inputs[0]), str(inputs[1])]
    assert len(manifest["input_files"]) == 3


def test_a_store_run_passes_its_recorded_digests_and_needs_no_loads(tmp_path: Path) -> None:
    from dataclasses import dataclass, field

    import polars as pl

    @dataclass
    class StoreRun:  # what a store-backed run has: no files of its own
        flags: pl.DataFrame
        rules_digest: str
        counts: dict[str, int] = field(default_factory=dict)

    run = StoreRun(pl.DataFrame({"category": ["high_consumption"]}), "f" * 64, {"flags": 1})
    recorded = {"list-2024-05-01.csv": "c" * 64}
    manifest = write_report(run, tmp_path / "flags.json", inputs=recorded).manifest
    assert manifest["inputs"] == recorded
    assert manifest["input_files"] == []
    assert manifest["rules_hash"] == "f" * 64


def test_a_store_keeps_the_digest_of_every_content_a_reused_file_name_had(
    tmp_path: Path,
) -> None:
    """A nightly ``records.csv`` overwritten with new records keeps both digests in the
    manifest of a run over the store (the first named by its load), so each flag's input
    can be justified later; the same content loaded twice is named once."""
    from conftest import write_records

    from blacklist_match.store import Store

    row = {"record_id": "R1", "agency": "a", "record_type": "consumption", "sub_type": "flight",
           "subject_type": "person", "subject_name": "王芳", "subject_id": "110105197801010028",
           "event_date": "2024-01-01", "amount": "1"}  # fmt: skip
    nightly = tmp_path / "records.csv"
    with Store.open(tmp_path / "s.duckdb") as store:
        write_records(nightly, [row])
        store.ingest_records(nightly)
        store.ingest_records(nightly)  # the same content: skipped
        first = store.input_digests()
        write_records(nightly, [{**row, "record_id": "R2"}])
        store.ingest_records(nightly)
        both = store.input_digests()
    assert list(first) == [str(nightly)]
    assert len(both) == 2 and set(both.values()) >= set(first.values())
    assert all(name.startswith(f"{nightly}#load") for name in both)
