"""DuckDB's memory limit and spill directory are set deliberately, by option or environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from blacklist_match.errors import StoreError
from blacklist_match.store import Store


def _setting(store: Store, name: str) -> str:
    return str(store.con.execute("SELECT current_setting(?)", [name]).fetchall()[0][0])


def test_options_set_memory_limit_and_temp_directory(tmp_path: Path) -> None:
    spill = tmp_path / "spill"
    with Store.open(tmp_path / "s.duckdb", memory_limit="1GB", temp_directory=spill) as store:
        assert _setting(store, "memory_limit") in ("953.6 MiB", "1.0 GiB", "1000.0 MB")
        assert _setting(store, "temp_directory") == str(spill)
    assert spill.is_dir()


def test_environment_supplies_the_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(Store.MEMORY_LIMIT_ENV, "2GiB")
    monkeypatch.setenv(Store.TEMP_DIR_ENV, str(tmp_path / "t"))
    with Store.open(tmp_path / "s.duckdb") as store:
        assert _setting(store, "memory_limit") == "2.0 GiB"
        assert _setting(store, "temp_directory") == str(tmp_path / "t")


@pytest.mark.parametrize("size", ["lots", "1GB'; DROP TABLE records; --", "12"])
def test_a_memory_limit_that_is_not_a_size_is_refused(tmp_path: Path, size: str) -> None:
    with pytest.raises(StoreError, match="not a memory size"):
        Store.open(tmp_path / "s.duckdb", memory_limit=size)
