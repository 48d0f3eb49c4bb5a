"""The README's library example runs as written."""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl
from test_pipeline import _records

from blacklist_match.store import Store

README = Path(__file__).resolve().parent.parent / "README.md"


def test_readme_library_example_runs(tmp_path: Path, list_csv: Path) -> None:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    assert blocks, "the README has no Python example"
    db = tmp_path / "readme.duckdb"
    with Store.open(db) as store:
        store.ingest_list(list_csv)
    records = pl.read_csv(_records(tmp_path), infer_schema=False)
    namespace = {"db_path": db, "records": records}
    exec(compile(blocks[0], str(README), "exec"), namespace)  # noqa: S102 - our own README
    assert namespace["flags"].height > 0


def test_readme_opens_with_the_two_commands() -> None:
    text = README.read_text(encoding="utf-8")
    first_block = re.search(r"```sh\n(.*?)```", text, re.S)
    assert first_block is not None
    lines = first_block.group(1).strip().splitlines()
    assert lines[0].endswith("blacklist-match demo")
    assert lines[1].endswith("python -m pytest")
    ci = (README.parent / ".ci" / "run").read_text(encoding="utf-8")
    assert lines[1] in ci
