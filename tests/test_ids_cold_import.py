"""The scalar identifier functions must not load Polars (the CLI spot check starts cold)."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = """
import sys
import blacklist_match.ids as i
from blacklist_match.ids import masked_id
assert i.classify('420902198305120510').value == '420902198305120510'
assert i.resident_id.validate('11010519491231002x') == '11010519491231002X'
assert masked_id.parse('4209021983****0510').year == 1983
assert masked_id.is_compatible('4209021983****0510', '420902198305120510')
assert i.mask_key('resident_id', '420902198305120510') == '42090219830510'
assert i.crosswalk_key('uscc', '91110000600037341L') == '600037341'
i.resident_id.region_warning('990426199112010074')  # loads the region table lazily
assert 'polars' not in sys.modules, sorted(m for m in sys.modules if m.startswith('polars'))
"""


def test_scalar_ids_do_not_import_polars():
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr


def test_the_brief_one_liner():
    code = (
        "import blacklist_match.ids as i, sys; i.classify('420902198305120510'); "
        "assert 'polars' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
