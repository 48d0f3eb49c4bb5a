"""The clerk's spot check: one ID or name against the store, from a cold shell.

``run_check`` does the work for both the ``check`` command and :func:`main_fast`, the
entry the console script takes for ``blacklist-match check``: it parses the same options
with argparse instead of loading the whole command line (typer and every command module),
because a cold check must answer in well under a second and every import counts. Exit
codes: 0 no restriction applies, 3 a restriction applies, 1 bad input, 2 usage.
"""

from __future__ import annotations

import argparse
import json
import sys
import unicodedata
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any, Final

from blacklist_match.errors import BlacklistMatchError, InputError
from blacklist_match.privacy import mask_text

RESTRICTED_EXIT: Final = 3

_PUBLIC_KINDS: Final = ("uscc", "org_code")
"""Public registration numbers, shown as given: organisation codes and USCCs (a 15-digit
registration number may also be a person's old ID, and is masked like one)."""


def looks_like_id(text: str) -> bool:
    """An argument with at least six digits (or a mask) is an identifier, and so is one that
    reads as an identifier of some kind and holds a digit (an organisation code assigned
    after 2015 may show three: ``MA1MRHG20``); anything else is a name."""
    from blacklist_match.ids import classify
    from blacklist_match.schema import IdKind

    normal = unicodedata.normalize("NFKC", text)
    if sum(ch.isdigit() for ch in normal) >= 6 or "*" in normal:
        return True
    return any(ch.isdigit() for ch in normal) and classify(normal).kind != IdKind.UNKNOWN


def mask_id(subject_id: str) -> str:
    """A person ID as shown on screen: first six and last two characters."""
    text = subject_id.strip()
    return text[:6] + "*" * max(len(text) - 8, 0) + text[-2:] if len(text) > 8 else "*" * len(text)


def _day(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InputError(f"--date must be a date YYYY-MM-DD, got {value!r}") from None


def run_check(
    id_or_name: str,
    *,
    name: str | None = None,
    action: str | None = None,
    on: str | None = None,
    subject_type: str | None = None,
    as_json: bool = False,
    show_ids: bool = False,
    db: Path | None = None,
    echo: Callable[[str], None] = print,
) -> int:
    """Answer one check and print it; return the exit code (0, 3; errors raise)."""
    from blacklist_match.db import connect_for_reading
    from blacklist_match.lookup import StoreLookup
    from blacklist_match.screener import Screener

    is_id = name is not None or looks_like_id(id_or_name)  # with --name, it is the ID
    subject_id, subject_name = (id_or_name, name) if is_id else (None, name or id_or_name)
    day = _day(on)
    with connect_for_reading(db) as con:
        decision = Screener(StoreLookup(con)).check(
            subject_id, subject_name, subject_type=subject_type, action=action, date=day
        )
    public = decision.subject_kind in _PUBLIC_KINDS and decision.subject_problem is None
    shown = subject_id if show_ids or subject_id is None or public else mask_id(subject_id)
    if as_json:
        payload = decision.model_dump(mode="json")
        payload["subject"] = {"id": shown, "name": subject_name}
        echo(json.dumps(payload, ensure_ascii=False, indent=2))
    else:
        _print(decision, shown, subject_name, action, echo)
    return RESTRICTED_EXIT if decision.restricted else 0


def _print(
    decision: Any,
    shown: str | None,
    name: str | None,
    action: str | None,
    echo: Callable[[str], None],
) -> None:
    who = " ".join(part for part in (shown, name) if part)
    if decision.subject_problem and shown:
        echo(f"{who}: not a valid identifier ({decision.subject_problem})")
    if decision.suppressed:
        echo(f"{who}: {len(decision.suppressed)} listing(s) set aside by a reviewer's decision")
    if not decision.listings:
        echo(f"{who}: not on the list" + (f"; {action} not restricted" if action else ""))
        return
    if decision.needs_id:
        echo(f"{who}: possible listings by name only; an ID number is needed to confirm")
    if action:
        blocked = any(flag.action == "block" for flag in decision.flags)
        verdict = (
            f"{action} not restricted"
            if not decision.restricted
            else f"RESTRICTED for {action}"
            if blocked
            else f"REVIEW NEEDED before {action}: a rule calls for a person to review it"
        )
    else:
        verdict = "LISTED" if decision.restricted else "possibly listed"
    echo(f"{who}: {verdict}")
    for flag in decision.flags or decision.listings:
        head = f"  {flag.case_no} {flag.court or ''} listed {flag.listed_from}"
        if flag.rule_id:
            head += f" -> {flag.action} ({flag.rule_id}, {flag.category})"
        echo(f"{head} [{flag.tier}, {flag.score:.2f}]")
        echo(f"    {flag.explanation}")
    if action and not decision.flags:
        echo(
            "  (an ID number is needed to tell whether a restriction applies)"
            if decision.needs_id
            else "  (listed, but no rule restricts this action)"
        )


def parser() -> argparse.ArgumentParser:
    """The ``check`` options, as the typer command declares them."""
    p = argparse.ArgumentParser(prog="blacklist-match check", description=__doc__)
    p.add_argument("id_or_name", metavar="ID_OR_NAME")
    p.add_argument("--name")
    p.add_argument("--action")
    p.add_argument("--date", dest="on")
    p.add_argument("--subject-type", dest="subject_type")
    p.add_argument("--json", dest="as_json", action="store_true")
    p.add_argument("--show-ids", dest="show_ids", action="store_true")
    p.add_argument("--db", type=Path)
    return p


def main_fast(argv: Sequence[str]) -> int:
    """``blacklist-match check ...`` without the full command line; returns the exit code."""
    options = parser().parse_args(list(argv))
    try:
        return run_check(**vars(options))
    except BlacklistMatchError as error:
        print(f"error: {mask_text(str(error))}", file=sys.stderr)
        return 1
