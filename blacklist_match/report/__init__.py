"""Flag reports, summaries and run manifests.

:func:`write_report` is the one call a command needs: it writes the flags in the format
the extension names, the HTML summary and the JSON manifest beside them.
"""

from __future__ import annotations

from blacklist_match.report.manifest import build_manifest, record_run
from blacklist_match.report.output import ReportFiles, companion_paths, write_report
from blacklist_match.report.summary import print_summary, render_terminal, summarise

__all__ = [
    "ReportFiles",
    "build_manifest",
    "companion_paths",
    "print_summary",
    "record_run",
    "render_terminal",
    "summarise",
    "write_report",
]
