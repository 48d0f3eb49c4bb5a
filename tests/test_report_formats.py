"""Flag reports: the contract columns, masked IDs, explanations, four formats read back equal."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from blacklist_match import schema as S
from blacklist_match.errors import InputError
from blacklist_match.match.evidence import EVIDENCE_ZH
from blacklist_match.pipeline import ScreenResult, screen_files
from blacklist_match.report import write_report
from blacklist_match.report.summary import print_summary, render_terminal
from blacklist_match.report.writers import WRITERS, read_frame, write_frame
from blacklist_match.resources import shipped_dir

FORMATS = [".parquet", ".csv", ".xlsx", ".json"]


def _screen_sample(show_ids: bool = False) -> ScreenResult:
    folder = shipped_dir("sample_data")
    return screen_files(
        [folder / "court_list.csv"],
        [folder / "records.csv"],
        removal_files=[folder / "removals.csv"],
        officer_files=[folder / "officers.csv"],
        show_ids=show_ids,
    )


@pytest.fixture(scope="module")
def sample() -> ScreenResult:
    return _screen_sample()


def test_report_has_every_contract_column_first(sample: ScreenResult) -> None:
    assert tuple(sample.flags.columns[: len(S.FLAG_COLUMNS)]) == S.FLAG_COLUMNS
    assert sample.flags.height > 0
    assert sample.flags.select(S.FLAG_COLUMNS).null_count().row(0, named=True)[S.RULE_ID] == 0


def test_person_ids_are_masked_by_default_and_shown_only_when_asked(sample: ScreenResult) -> None:
    shown = _screen_sample(show_ids=True).flags
    persons = sample.flags.filter(pl.col(S.SUBJECT_ID).str.len_chars() == 18).join(
        shown.select(S.RECORD_ID, S.ENTRY_ID, S.RULE_ID, pl.col(S.SUBJECT_ID).alias("full")),
        on=[S.RECORD_ID, S.ENTRY_ID, S.RULE_ID],
    )
    person_rows = persons.filter(pl.col(S.SUBJECT_ID).str.contains(r"\*", literal=False))
    assert person_rows.height > 0
    for masked, full in person_rows.select(S.SUBJECT_ID, "full").rows():
        assert masked == full[:6] + "*" * 10 + full[-2:]
    assert not shown[S.SUBJECT_ID].str.contains(r"\*").any()
    entity_rows = sample.flags.filter(pl.col(S.SUBJECT_ID).str.starts_with("9"))
    assert not entity_rows[S.SUBJECT_ID].str.contains(r"\*").any()


def test_explanation_is_chinese_and_names_evidence_listing_and_rule(
    sample: ScreenResult,
) -> None:
    for row in sample.flags.iter_rows(named=True):
        text = row[S.EXPLANATION]
        if row["evidence"] in EVIDENCE_ZH:
            assert EVIDENCE_ZH[row["evidence"]] in text
        assert row[S.CASE_NO] in text
        assert row[S.RULE_ID] in text
        assert row[S.LISTED_FROM].strftime("%Y年%m月%d日") in text
    linked = sample.flags.filter(pl.col(S.LINK) != "debtor")
    assert linked.height > 0
    assert linked[S.EXPLANATION].str.contains("据登记信息").all()


@pytest.mark.parametrize("suffix", FORMATS)
def test_report_reads_back_equal_in_every_format(
    sample: ScreenResult, tmp_path: Path, suffix: str
) -> None:
    path = write_frame(sample.flags, tmp_path / f"flags{suffix}")
    back = read_frame(path, sample.flags.schema)
    assert_frame_equal(back, sample.flags)
    assert not list(tmp_path.glob(".*.part"))


def test_all_four_formats_agree_with_one_another(sample: ScreenResult, tmp_path: Path) -> None:
    frames = [
        read_frame(write_frame(sample.flags, tmp_path / f"flags{s}"), sample.flags.schema)
        for s in FORMATS
    ]
    for other in frames[1:]:
        assert_frame_equal(other, frames[0])


def test_csv_starts_with_a_bom_for_excel(sample: ScreenResult, tmp_path: Path) -> None:
    path = write_frame(sample.flags, tmp_path / "flags.csv")
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert raw[3:].decode("utf-8").startswith(",".join(S.FLAG_COLUMNS))


def test_unknown_report_type_is_refused(sample: ScreenResult, tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"unknown report type '\.txt'"):
        write_frame(sample.flags, tmp_path / "flags.txt")
    with pytest.raises(InputError, match="unknown report type"):
        write_report(sample, tmp_path / "flags.txt")
    assert list(tmp_path.iterdir()) == []


def test_a_failed_write_leaves_the_previous_report_and_no_temporary_files(
    sample: ScreenResult, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    written = write_report(sample, tmp_path / "flags.csv")
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}

    def broken_writer(frame: pl.DataFrame, path: Path) -> None:
        path.write_text("half a report", encoding="utf-8")
        raise OSError("disk full")

    monkeypatch.setitem(WRITERS, ".csv", broken_writer)
    with pytest.raises(OSError, match="disk full"):
        write_report(sample, written.flags)
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


def test_outputs_that_cannot_all_be_put_in_place_are_none_of_them_put_in_place(
    sample: ScreenResult, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The manifest is the last file renamed into place: if that rename fails, the report
    and summary already renamed are taken back and the previous three restored, so no
    report stands without its manifest; a directory in a report file's way is refused
    before anything is written."""
    import os

    written = write_report(sample, tmp_path / "flags.csv")
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    replace = os.replace

    def failing_on_the_manifest(source: object, target: object) -> None:
        if str(target).endswith("flags.manifest.json") and ".part" in str(source):
            raise OSError("disk full")
        replace(source, target)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "replace", failing_on_the_manifest)
    with pytest.raises(OSError, match="disk full"):
        write_report(sample, written.flags)
    monkeypatch.setattr(os, "replace", replace)
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before
    fresh = tmp_path / "fresh"
    (fresh / "flags.manifest.json").mkdir(parents=True)
    with pytest.raises(IsADirectoryError, match=r"flags\.manifest\.json"):
        write_report(sample, fresh / "flags.csv")
    assert [p.name for p in fresh.iterdir()] == ["flags.manifest.json"]


def test_new_reports_are_readable_like_any_new_file(sample: ScreenResult, tmp_path: Path) -> None:
    path = write_frame(sample.flags, tmp_path / "flags.parquet")
    probe = tmp_path / "probe"
    probe.write_text("", encoding="utf-8")
    assert path.stat().st_mode & 0o777 == probe.stat().st_mode & 0o777


def test_terminal_summary_counts_by_each_dimension(sample: ScreenResult) -> None:
    text = render_terminal(sample.flags, sample.counts)
    for dimension in ("category", "action", "tier", "agency", "court"):
        assert f"by {dimension}" in text
    assert f"flags {sample.flags.height}" in text
    blocks = sample.flags.filter(pl.col(S.ACTION) == "block").height
    assert any(line.split()[:3] == ["block", "禁止", str(blocks)] for line in text.splitlines())
    assert "\x1b[" not in text


def test_rich_summary_prints_to_a_console(sample: ScreenResult) -> None:
    from rich.console import Console

    console = Console(record=True, width=100)
    print_summary(sample.flags, sample.counts, console)
    assert "by category" in console.export_text()


def test_empty_report_still_writes_and_summarises(tmp_path: Path) -> None:
    empty = pl.DataFrame(schema={name: pl.String for name in S.FLAG_COLUMNS})
    for suffix in FORMATS:
        path = write_frame(empty, tmp_path / f"empty{suffix}")
        assert read_frame(path, empty.schema).height == 0
    assert "by category" in render_terminal(empty, {"flags": 0})
