"""The summary as one self-contained HTML page: counts, CSS bar charts, the run manifest.

The page loads nothing from the network (no scripts, fonts, images or style sheets from
elsewhere), so it opens offline and can be mailed as one file. Every text from the data is
escaped. It shows counts only: no subject names or identifiers.
"""

from __future__ import annotations

from collections.abc import Mapping
from html import escape
from typing import Any, Final

import polars as pl

from blacklist_match import schema as S
from blacklist_match.report.summary import SUMMARY_DIMENSIONS, label, summarise

HTML_TOP: Final = 25
"""Agencies and courts beyond this many are folded into one 'others' row."""

_TITLES: Final = {
    S.CATEGORY: "by category 按惩戒类别",
    S.ACTION: "by action 按处理方式",
    S.TIER: "by tier 按匹配层级",
    S.AGENCY: "by agency 按报送单位",
    S.COURT: "by court 按执行法院",
}

_STYLE: Final = """
body { font-family: system-ui, "Noto Sans CJK SC", "Microsoft YaHei", sans-serif;
       margin: 2rem; color: #1b1b1b; max-width: 64rem; }
h1 { font-size: 1.4rem; } h2 { font-size: 1.1rem; margin-top: 2rem; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .25rem .5rem; border-bottom: 1px solid #ddd;
         vertical-align: top; }
td.n { text-align: right; font-variant-numeric: tabular-nums; width: 5rem; }
td.chart { width: 45%; }
.bar { background: #b03a2e; height: .9rem; min-width: 1px; }
.bar.block { background: #b03a2e; } .bar.review { background: #d68910; }
.bar.notify { background: #2e86c1; }
.cards { display: flex; gap: 1rem; flex-wrap: wrap; }
.card { border: 1px solid #ddd; border-radius: .4rem; padding: .5rem 1rem; }
.card b { display: block; font-size: 1.3rem; }
code { font-size: .85rem; word-break: break-all; }
"""


def _cards(counts: Mapping[str, Any]) -> str:
    cards = "".join(
        f'<div class="card"><b>{escape(str(value))}</b>{escape(str(name))}</div>'
        for name, value in counts.items()
    )
    return f'<div class="cards">{cards}</div>'


def _dimension_table(dimension: str, pairs: list[tuple[str, int]], total: int) -> str:
    if len(pairs) > HTML_TOP:
        rest = sum(count for _, count in pairs[HTML_TOP - 1 :])
        pairs = [*pairs[: HTML_TOP - 1], (f"others ({len(pairs) - HTML_TOP + 1})", rest)]
    largest = max((count for _, count in pairs), default=1)
    rows = []
    for value, count in pairs:
        width = 100 * count / largest
        css = f"bar {value}" if dimension == S.ACTION and value in set(S.Action) else "bar"
        rows.append(
            f"<tr><td>{escape(label(dimension, value))}</td>"
            f'<td class="n">{count}</td><td class="n">{100 * count / total:.1f}%</td>'
            f'<td class="chart"><div class="{escape(css)}" style="width:{width:.1f}%"'
            f' title="{escape(value)}: {count}"></div></td></tr>'
        )
    if not rows:
        rows.append('<tr><td colspan="4">no flags</td></tr>')
    title = _TITLES.get(dimension, f"by {dimension}")
    return (
        f'<section id="by-{escape(dimension)}"><h2>{escape(title)}</h2>'
        f"<table><thead><tr><th>{escape(dimension)}</th><th>flags</th><th>share</th>"
        f"<th></th></tr></thead><tbody>{''.join(rows)}</tbody></table></section>"
    )


def _definition_rows(items: Mapping[str, Any]) -> str:
    return "".join(
        f"<tr><th>{escape(str(key))}</th><td><code>{escape(str(value))}</code></td></tr>"
        for key, value in items.items()
    )


def _manifest_section(manifest: Mapping[str, Any]) -> str:
    run = {
        key: manifest[key]
        for key in ("run_id", "started_at", "finished_at", "engine_version", "rules_hash")
        if key in manifest
    }
    run.update({f"list {key}": value for key, value in manifest.get("list_state", {}).items()})
    if "flags_sha256" in manifest:
        run["flags_sha256"] = manifest["flags_sha256"]
    inputs = manifest.get("inputs", {})
    return (
        '<section id="manifest"><h2>run manifest 运行记录</h2>'
        f"<table><tbody>{_definition_rows(run)}</tbody></table>"
        "<h2>input files (SHA-256) 输入文件</h2>"
        f"<table><tbody>{_definition_rows(inputs) or '<tr><td>none</td></tr>'}</tbody></table>"
        "</section>"
    )


def render_summary_html(
    flags: pl.DataFrame, counts: Mapping[str, int], manifest: Mapping[str, Any]
) -> str:
    """A self-contained HTML page summarising ``flags``: counts by category, action, tier,
    agency and court with bar charts, the run counts, and the run manifest."""
    total = max(flags.height, 1)
    kept = manifest.get("summary")  # the manifest's own counts of these flags
    summary = (
        {dimension: list(pairs.items()) for dimension, pairs in kept.items()}
        if isinstance(kept, Mapping)
        else summarise(flags)
    )
    sections = "".join(
        _dimension_table(dimension, summary[dimension], total)
        for dimension in SUMMARY_DIMENSIONS
        if dimension in summary
    )
    run_id = str(manifest.get("run_id", ""))
    return (
        "<!DOCTYPE html>\n"
        '<html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>blacklist-match summary {escape(run_id)}</title>"
        f"<style>{_STYLE}</style></head><body>"
        f"<h1>失信被执行人名单筛查结果 · blacklist-match summary</h1>"
        f"<p>{flags.height} flags from run <code>{escape(run_id)}</code>.</p>"
        f"{_cards(counts)}{sections}{_manifest_section(manifest)}"
        "</body></html>\n"
    )
