"""The HTML summary: self-contained, escaped, and it renders in a real browser."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import polars as pl
import pytest

from blacklist_match import schema as S
from blacklist_match.report.html import HTML_TOP, render_summary_html
from blacklist_match.report.manifest import build_manifest

CHROMIUM = Path("/usr/bin/chromium")
HOSTILE = '<script>alert("x")</script>&"\''


def _flags(**extra: list[str]) -> pl.DataFrame:
    rows = {
        S.CATEGORY: ["high_consumption", "high_consumption", "specific_industry"],
        S.ACTION: ["block", "review", "block"],
        S.TIER: ["exact_id", "name_only", "id_crosswalk"],
        S.AGENCY: ["机场", "机场", "财政局"],
        S.COURT: ["北京市朝阳区人民法院", None, "象州县人民法院"],
    }
    rows.update(extra)
    return pl.DataFrame(rows, schema=dict.fromkeys(rows, pl.String))


def _page(flags: pl.DataFrame, inputs: dict[str, str] | None = None) -> str:
    counts = {"records": 10, "flags": flags.height}
    manifest = build_manifest(
        flags=flags,
        rules_hash="0" * 64,
        inputs=inputs or {"/data/records.csv": "a" * 64},
        counts=counts,
        list_state={"entries_total": 3, "entries_listed": 2, "entries_ended": 1},
    )
    return render_summary_html(flags, counts, manifest)


def test_page_counts_by_every_dimension() -> None:
    page = _page(_flags())
    for dimension in ("category", "action", "tier", "agency", "court"):
        assert f'id="by-{dimension}"' in page
    assert "high_consumption 限制高消费及有关消费" in page
    assert re.search(r"机场</td><td class=\"n\">2</td>", page)
    assert "(none)" in page  # a flag without a court is counted, not dropped
    assert "entries_listed" in page and "a" * 64 in page


def test_page_needs_no_network() -> None:
    page = _page(_flags())
    assert not re.search(r"\b(src|href)\s*=|@import|url\(|<script|<link|<iframe", page, re.I)
    assert "http://" not in page and "https://" not in page


def test_every_text_from_the_data_is_escaped() -> None:
    page = _page(
        _flags(**{S.AGENCY: [HOSTILE] * 3, S.COURT: [HOSTILE, "a", "b"]}),
        inputs={f"/in/{HOSTILE}.csv": "b" * 64},
    )
    assert "<script" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&quot;&#x27;" in page


def test_long_dimensions_fold_into_others() -> None:
    many = [f"法院{i:03d}" for i in range(HTML_TOP + 10)]
    flags = pl.DataFrame(
        {
            S.CATEGORY: ["high_consumption"] * len(many),
            S.ACTION: ["block"] * len(many),
            S.TIER: ["exact_id"] * len(many),
            S.AGENCY: ["机场"] * len(many),
            S.COURT: many,
        }
    )
    page = _page(flags)
    assert "others (11)" in page
    assert "法院000" in page and f"法院{HTML_TOP + 9:03d}" not in page


def test_empty_report_renders() -> None:
    page = _page(_flags().clear())
    assert "no flags" in page and "0 flags" in page


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs /usr/bin/chromium")
def test_page_renders_in_headless_chromium(tmp_path: Path) -> None:
    path = tmp_path / "flags.summary.html"
    path.write_text(_page(_flags(**{S.AGENCY: [HOSTILE] * 3})), encoding="utf-8")
    done = subprocess.run(
        [
            str(CHROMIUM),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--proxy-server=127.0.0.1:9",  # any network fetch would fail
            f"--user-data-dir={tmp_path / 'profile'}",
            "--dump-dom",
            path.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    dom = done.stdout
    assert "by category" in dom and "by court" in dom
    assert dom.count('class="bar') == 11  # one bar per counted value
    assert "<script>" not in dom  # the hostile agency stayed text
    assert "&lt;script&gt;" in dom
