"""Shared fixtures: real files in the formats users send, written to a temporary folder."""

from __future__ import annotations

import contextlib
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl
import pytest

if TYPE_CHECKING:
    from blacklist_match.store import Store

LIST_HEADER = (
    "案号,被执行人姓名/名称,性别,年龄,身份证号码/组织机构代码,法定代表人或者负责人姓名,"
    "执行法院,省份,执行依据文号,立案时间,做出执行依据单位,生效法律文书确定的义务,"
    "被执行人的履行情况,失信被执行人行为具体情形,发布时间"
)

# Synthetic debtors (valid check characters, not real people):
# 420902198305120510 is compatible with the published mask 4209021983****0510.
LIST_ROWS = [
    "（2019）鄂0902执1194号,张伟,男,36,4209021983****0510,,孝感市孝南区人民法院,湖北,"
    "(2019)鄂0902民初1103号,2019年07月09日,孝感市孝南区人民法院,支付货款,全部未履行,"
    '"违反财产报告制度,违反限制消费令",2019年07月13日',
    "(2017)桂1322执487号,象州县腾飞商贸有限公司,,0,60056316-5,李明,象州县人民法院,广西,"
    "(2017)桂1322民初88号,20170811,象州县人民法院,支付货款,全部未履行,"
    "有履行能力而拒不履行生效法律文书确定义务,1511625600",
    "(2018)京0105执55号,王芳,女,40,110105197801010028,,北京市朝阳区人民法院,北京,"
    "(2018)京0105民初9号,2018-03-01,北京市朝阳区人民法院,还款,部分未履行,暂无,"
    "2018-03-20 10:00:00",
]


@pytest.fixture
def list_csv(tmp_path: Path) -> Path:
    """A court list CSV with the publication's Chinese labels, UTF-8 with BOM."""
    path = tmp_path / "court_list.csv"
    path.write_text("\n".join([LIST_HEADER, *LIST_ROWS]) + "\n", encoding="utf-8-sig")
    return path


def write_records(path: Path, rows: list[dict[str, str | None]]) -> Path:
    """Write agency records as UTF-8 CSV with the canonical headers."""
    pl.DataFrame(rows, schema=dict.fromkeys(rows[0], pl.String)).write_csv(path)
    return path


@contextlib.contextmanager
def held_by_another_process(db: Path) -> Iterator[None]:
    """Hold ``db`` open for writing in a separate process (DuckDB's file lock) for a block."""
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); "
            "print('ready', flush=True); time.sleep(60)",
            str(db),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        yield
    finally:
        holder.kill()
        holder.wait()


def ingest_scenario(store: Store, files: dict[str, Path]) -> None:
    """Load a written scenario (``Scenario.write``): list, removals, registry, records."""
    store.ingest_list(files["list"])
    store.ingest_removals(files["removals"])
    store.ingest_officers(files["officers"])
    store.ingest_records(files["records"])
