"""One call writes a run's outputs: the flag report, its HTML summary and its manifest.

For ``--out flags.EXT`` the files are ``flags.EXT``, ``flags.summary.html`` and
``flags.manifest.json``. All three are written to temporary files first and put in place
together once all three are complete (:func:`~blacklist_match.report.writers.
files_placed_together`: if one cannot be, none is, and the files they would replace are
restored), so a failed run leaves the previous outputs untouched and never a report
without its manifest.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import polars as pl

from blacklist_match.errors import InputError
from blacklist_match.report.flags import public_flags
from blacklist_match.report.html import render_summary_html
from blacklist_match.report.manifest import build_manifest, input_hashes, manifest_json
from blacklist_match.report.writers import WRITERS, files_placed_together


class LoadedFile(Protocol):
    """What a run knows of one input file (a :class:`blacklist_match.store.LoadReport`)."""

    @property
    def kind(self) -> str: ...
    @property
    def file(self) -> str: ...
    @property
    def rows_read(self) -> int: ...
    @property
    def loaded(self) -> int: ...
    @property
    def quarantined(self) -> int: ...


class RunOutcome(Protocol):
    """What :func:`write_report` needs of a run (a ``pipeline.ScreenResult``).

    Optional: ``loads`` (the input files read, see :class:`LoadedFile`) and ``list_state``.
    """

    @property
    def flags(self) -> pl.DataFrame: ...
    @property
    def rules_digest(self) -> str: ...
    @property
    def counts(self) -> Mapping[str, int]: ...


def _loads(result: RunOutcome) -> list[LoadedFile]:
    """The run's input files (``result.loads``), when it read files itself."""
    return list(getattr(result, "loads", None) or [])


@dataclass(frozen=True)
class ReportFiles:
    """The files one run wrote, and its manifest."""

    flags: Path
    summary: Path
    manifest_path: Path
    manifest: dict[str, Any]


def companion_paths(out: str | Path) -> tuple[Path, Path]:
    """The summary and manifest paths that go beside the report ``out``.

    >>> [p.name for p in companion_paths("out/flags.csv")]
    ['flags.summary.html', 'flags.manifest.json']
    """
    target = Path(out)
    stem = target.with_suffix("")
    return (
        stem.with_name(f"{stem.name}.summary.html"),
        stem.with_name(f"{stem.name}.manifest.json"),
    )


def _list_state(result: RunOutcome) -> dict[str, Any]:
    state = getattr(result, "list_state", None)
    if state:
        return dict(state)
    return {"entries_total": result.counts.get("entries")}


def write_report(
    result: RunOutcome,
    out: str | Path,
    *,
    started_at: datetime | None = None,
    list_state: Mapping[str, Any] | None = None,
    inputs: Mapping[str, str] | None = None,
    options: Mapping[str, Any] | None = None,
    run_id: str | None = None,
) -> ReportFiles:
    """Write ``result.flags`` to ``out`` (format by extension), then its summary and manifest.

    ``list_state`` (entries total/listed/ended) defaults to ``result.list_state`` when the
    run has one; ``options`` records how the run was asked for (``as_of``, ``show_ids``...).
    ``inputs`` (``{path: sha256}``) defaults to hashing the files of ``result.loads``; a
    store-backed run passes the digests its ``loads`` table recorded. Returns the paths and
    the manifest, e.g. for :func:`blacklist_match.report.manifest.record_run`.
    """
    target = Path(out)
    writer = WRITERS.get(target.suffix.lower())
    if writer is None:
        raise InputError(
            f"unknown report type {target.suffix!r}: use one of {', '.join(WRITERS)}",
            file=str(target),
        )
    summary_path, manifest_path = companion_paths(target)
    loads = _loads(result)
    shown = public_flags(result.flags, show_ids=bool((options or {}).get("show_ids")))
    manifest = build_manifest(
        flags=shown,
        rules_hash=result.rules_digest,
        inputs=inputs
        if inputs is not None
        else input_hashes(dict.fromkeys(load.file for load in loads)),
        input_files=[
            {
                "kind": load.kind,
                "path": load.file,
                "rows_read": load.rows_read,
                "loaded": load.loaded,
                "quarantined": load.quarantined,
            }
            for load in loads
        ],
        counts=result.counts,
        list_state=list_state if list_state is not None else _list_state(result),
        started_at=started_at,
        finished_at=datetime.now(UTC),
        run_id=run_id,
        options=options,
        report={
            "flags": target.name,
            "format": target.suffix.lower().lstrip("."),
            "rows": result.flags.height,
            "summary": summary_path.name,
        },
    )
    page = render_summary_html(result.flags, result.counts, manifest)
    with files_placed_together(target, summary_path, manifest_path) as temporary:
        flags_tmp, summary_tmp, manifest_tmp = temporary
        writer(shown, flags_tmp)
        summary_tmp.write_text(page, encoding="utf-8")
        manifest_tmp.write_text(manifest_json(manifest), encoding="utf-8")
    return ReportFiles(
        flags=target, summary=summary_path, manifest_path=manifest_path, manifest=manifest
    )
