"""``rules validate`` and ``rules show``: every kind of mistake gets its own message."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

import blacklist_match.cli.rules_commands  # noqa: F401  registers ``rules`` on the app
from blacklist_match.cli import app
from blacklist_match.rules import RulePack

GOOD_FILE = """
category: high_consumption
rules:
  - id: LOCAL-01
    category: high_consumption
    record_type: consumption
    sub_types: [yacht]
    subjects: debtor_and_four
    action: block
    min_tier: name_only
    basis: {zh: 不得租用游艇, en: No yacht hire, source: 本地规定}
"""


def _invoke(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(app, list(args))


def _folder(tmp_path: Path, text: str, name: str = "local.yaml") -> Path:
    folder = tmp_path / "rules"
    folder.mkdir(exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")
    return folder


def test_validate_accepts_the_shipped_pack() -> None:
    done = _invoke("rules", "validate")
    assert done.exit_code == 0, done.output
    assert f"rules hash {RulePack.load().digest}" in done.stdout


def test_validate_accepts_a_good_user_folder(tmp_path: Path) -> None:
    done = _invoke("rules", "validate", str(_folder(tmp_path, GOOD_FILE)))
    assert done.exit_code == 0, done.output
    assert f"{len(RulePack.load().rules) + 1} rules" in done.stdout


MISTAKES = [
    pytest.param(
        "category: high_consumption\n    record_type",
        "category: luxury\n    record_type",
        "unknown category; expected one of",
        "field category",
        id="category",
    ),
    pytest.param(
        "action: block", "action: forbid", "unknown action; expected one of", "field action",
        id="action",
    ),
    pytest.param(
        "subjects: debtor_and_four",
        "subjects: family",
        "unknown subject scope; expected one of",
        "field subjects",
        id="scope",
    ),
    pytest.param(
        "record_type: consumption",
        "record_type: yachting",
        "unknown record type 'yachting'",
        "field record_type",
        id="record-type",
    ),
    pytest.param(
        "    basis:",
        "    conditions: {colour: red}\n    basis:",
        "unknown condition 'colour'",
        "field conditions.colour",
        id="condition",
    ),
    pytest.param(
        "min_tier: name_only", "min_tier: vibes", "unknown tier; expected one of",
        "field min_tier", id="tier",
    ),
    pytest.param(
        "min_tier: name_only",
        "min_tier: !!python/object/apply:os.system [echo owned]",
        "not a plain YAML rule file",
        "local.yaml",
        id="yaml-tag",
    ),
    pytest.param(
        "rules:\n",
        "rules:\n" + GOOD_FILE.split("rules:\n", 1)[1],
        "duplicate rule id",
        "field id",
        id="duplicate-id",
    ),
    pytest.param(
        "    basis:", "    colour: red\n    basis:", "unknown key 'colour'", "field colour",
        id="unknown-key",
    ),
    pytest.param(
        "[yacht]", "[yacht]\n    exempt: [yacht]", "both restricted and exempt", "field exempt",
        id="exempt-and-restricted",
    ),
    pytest.param(
        "category: high_consumption\nrules",
        "category: high_consumption\nrule",
        "unknown key 'rule'",
        "local.yaml",
        id="file-key",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("replace", "by", "message", "where"), MISTAKES)
def test_validate_names_file_rule_and_field_of_each_mistake(
    tmp_path: Path, replace: str, by: str, message: str, where: str
) -> None:
    assert replace in GOOD_FILE
    folder = _folder(tmp_path, GOOD_FILE.replace(replace, by, 1))
    done = _invoke("rules", "validate", str(folder))
    assert done.exit_code == 1
    assert message in done.stderr
    assert "local.yaml" in done.stderr
    assert where in done.stderr
    if "rule LOCAL-01" not in done.stderr:  # file-level mistakes name no rule
        assert where == "local.yaml"
    assert "Traceback" not in done.output


def test_validate_reports_every_mistake_of_a_pack(tmp_path: Path) -> None:
    folder = _folder(tmp_path, GOOD_FILE.replace("action: block", "action: forbid"))
    _folder(tmp_path, GOOD_FILE.replace("LOCAL-01", "LOCAL-02").replace("name_only", "x"), "b.yml")
    done = _invoke("rules", "validate", str(folder))
    assert done.exit_code == 1
    assert "rule LOCAL-01, field action" in done.stderr
    assert "rule LOCAL-02, field min_tier" in done.stderr
    assert "2 error(s)" in done.stderr


def test_validate_refuses_a_missing_folder_and_an_empty_file(tmp_path: Path) -> None:
    missing = _invoke("rules", "validate", str(tmp_path / "nowhere"))
    assert missing.exit_code == 1
    assert "not a rules folder" in missing.stderr
    empty = _invoke("rules", "validate", str(_folder(tmp_path, "")))
    assert empty.exit_code == 1
    assert "a rule file is a mapping" in empty.stderr


def test_show_prints_every_rule_with_its_scope_and_basis() -> None:
    done = _invoke("rules", "show")
    assert done.exit_code == 0, done.output
    pack = RulePack.load()
    for rule in pack.rules:
        assert rule.id in done.stdout
    assert "natural persons" in done.stdout
    assert pack.digest[:12] in done.stdout


def test_show_includes_a_user_folder_and_refuses_a_bad_one(tmp_path: Path) -> None:
    folder = _folder(tmp_path, GOOD_FILE)
    done = _invoke("rules", "show", "--rules", str(folder))
    assert done.exit_code == 0, done.output
    assert "LOCAL-01" in done.stdout
    (folder / "local.yaml").write_text(GOOD_FILE.replace("block", "forbid"), encoding="utf-8")
    bad = _invoke("rules", "show", "--rules", str(folder))
    assert bad.exit_code == 1
    assert "unknown action" in bad.stderr
