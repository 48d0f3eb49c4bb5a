"""The shipped traditional -> simplified table is what OpenCC says, and needs no OpenCC."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_vendored_t2s_table_matches_opencc() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "build_t2s.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, "run python tools/build_t2s.py to refresh the table"


def test_name_keys_do_not_import_opencc() -> None:
    code = (
        "import sys; from blacklist_match.names import person_key; "
        "assert person_key('張偉') == '张伟'; assert 'opencc' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
