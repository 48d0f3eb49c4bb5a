"""The review loop: flag states across runs, decisions, suppressions, retractions, audit.

A flag's key is stable across runs: ``record_id|case_no|rule_id``. Every run appends one
event per flag it reports (``new``, ``open``, ``retracted`` or ``suppressed``) and every
decision is appended too: nothing in this history is updated or deleted. A rejected pair
(this subject is not this debtor) suppresses the flag for the same subject and list entry
until the decision's ``until`` date; a confirmed pair is noted in the explanation. When an
entry ends (removal, snapshot absence), the next run retracts its open flags.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, Final

import duckdb
import polars as pl

from blacklist_match import schema as S
from blacklist_match.errors import InputError
from blacklist_match.util import query_frame

FLAG_KEY: Final = "flag_key"
STATUS: Final = "status"
SUBJECT_KEY: Final = "subject_key"
KEY_SEPARATOR: Final = "|"


def subject_key_sql(alias: str = "") -> str:
    """SQL: who a record is about: its canonical ID, else its name key (the same in
    check()); ``alias``: the records table's alias, if any."""
    t = f"{alias}." if alias else ""
    return (
        f"coalesce({t}id_norm, {t}id_alt_norm, "
        f"'name:' || coalesce({t}subject_type, '') || ':' || {t}name_key)"
    )


SUBJECT_KEY_SQL: Final = subject_key_sql()


class FlagStatus(StrEnum):
    NEW = "new"
    OPEN = "open"
    RETRACTED = "retracted"
    SUPPRESSED = "suppressed"


class Decision(StrEnum):
    CONFIRM = "confirm"
    REJECT = "reject"


DECISION_WORDS: Final = {
    **dict.fromkeys(("confirm", "confirmed", "yes", "y", "true", "是", "确认", "属实"), "confirm"),
    **dict.fromkeys(
        ("reject", "rejected", "no", "n", "false", "否", "排除", "非本人", "不是"), "reject"
    ),
}
OPEN_STATES: Final = (FlagStatus.NEW.value, FlagStatus.OPEN.value)


def flag_key(record_id: str, case_no: str, rule_id: str) -> str:
    """``record_id|case_no|rule_id``."""
    return KEY_SEPARATOR.join((record_id, case_no, rule_id))


def flag_key_expr() -> pl.Expr:
    return pl.concat_str(S.RECORD_ID, S.CASE_NO, S.RULE_ID, separator=KEY_SEPARATOR)


_DECIDED: Final = """
LEFT JOIN (SELECT subject_key, entry_id, decision, decided_by, decided_at, until
           FROM decisions WHERE subject_key IS NOT NULL
           QUALIFY row_number() OVER (PARTITION BY subject_key, entry_id
                                      ORDER BY decision_id DESC) = 1) d
       ON d.subject_key = r.subject_key AND d.entry_id = r.entry_id
"""

_LISTED: Final = """
LEFT JOIN (SELECT entry_id, listed_from, listed_until FROM list_entries
           SEMI JOIN (SELECT DISTINCT entry_id, listed_from FROM reported_flags)
           USING (entry_id, listed_from)) l
       ON l.entry_id = r.entry_id AND l.listed_from = r.listed_from
"""


def _reported_context(store_ends: bool) -> str:
    """SQL: for each reported flag (by ``row_nr``), its latest state and the latest decision
    on its subject and entry, and with ``store_ends`` its entry's end as ``list_entries``
    holds it now (``current_until``), in one statement."""
    until = ", l.listed_until AS current_until" if store_ends else ""
    return (
        "SELECT r.row_nr, s.status AS previous_status, d.decision, d.decided_by, "
        f"d.decided_at, d.until{until} FROM reported_flags r "
        "LEFT JOIN flag_states s ON s.flag_key = r.flag_key"
        + _DECIDED
        + (_LISTED if store_ends else "")
    )


_OPEN_STATES_SQL: Final = "status IN ('new', 'open')"

_GONE: Final = """
SELECT s.flag_key, s.subject_key, e.row_json
FROM ({scoped}) s JOIN flag_events e ON e.event_id = s.event_id
WHERE s.flag_key NOT IN (SELECT flag_key FROM reported_flags WHERE flag_key IS NOT NULL)
"""
"""The open flags in scope that were not reported now (retracted), with the report row of
their last event."""


_REVIEW_SCOPES: Final = {"review_rescreened": S.RECORD_ID, "review_changed_entries": S.ENTRY_ID}
"""The relations a since-last review registers, and the flag column each holds values of."""


def _scoped_open_states(scopes: Iterable[str]) -> str:
    """SQL: the open flag states a run's review can change: all of them on a full run (no
    ``scopes``), else those whose record was screened against the whole list (registered as
    ``review_rescreened``) or whose entry changed (``review_changed_entries``); a union
    rather than an ``OR`` of two ``IN`` lists, which DuckDB plans as a scan per row."""
    open_states = f"SELECT * FROM flag_states WHERE {_OPEN_STATES_SQL}"
    parts = [
        f"{open_states} AND {_REVIEW_SCOPES[name]} IN (SELECT {_REVIEW_SCOPES[name]} FROM {name})"
        for name in scopes
    ]
    return " UNION ".join(parts) if parts else open_states


def _gone_flags(
    con: duckdb.DuckDBPyConnection,
    rescreened_records: pl.Series | None,
    changed_entries: pl.Series | None,
) -> pl.DataFrame:
    """The open flags no longer reported (``flag_key``, ``subject_key``, ``row_json``);
    on a run that screened part of the store (``rescreened_records`` not None), only those
    whose record was rescreened or whose entry changed: no other open flag can change."""
    if rescreened_records is None:
        return query_frame(con, _GONE.format(scoped=_scoped_open_states(())))
    scopes = {
        name: values.rename(_REVIEW_SCOPES[name]).to_frame()
        for name, values in (
            ("review_rescreened", rescreened_records),
            ("review_changed_entries", changed_entries),
        )
        if values is not None and not values.is_empty()
    }
    if not scopes:  # nothing rescreened, no entry changed: no earlier flag can change
        return pl.DataFrame(
            schema={FLAG_KEY: pl.String, SUBJECT_KEY: pl.String, "row_json": pl.String}
        )
    for name, frame in scopes.items():
        con.register(name, frame)
    try:
        return query_frame(con, _GONE.format(scoped=_scoped_open_states(scopes)))
    finally:
        for name in scopes:
            con.unregister(name)


def _rows_from_json(frame: pl.DataFrame, like: pl.DataFrame) -> pl.DataFrame:
    """Rebuild report rows stored as JSON, in ``like``'s columns and types."""
    if frame.is_empty():
        return like.clear()
    text_schema = pl.Struct({name: pl.String for name in like.columns})
    rows = frame.select(pl.col("row_json").str.json_decode(text_schema)).unnest("row_json")

    def typed(name: str, dtype: pl.DataType) -> pl.Expr:
        column = pl.col(name)
        if dtype == pl.String:
            return column
        if dtype == pl.Date:
            return column.str.to_date("%Y-%m-%d", strict=False)
        if isinstance(dtype, pl.Datetime):
            return column.str.to_datetime(strict=False).cast(dtype)
        return column.cast(dtype, strict=False)

    return rows.select(typed(name, dtype) for name, dtype in like.schema.items())


def apply_review_state(
    con: duckdb.DuckDBPyConnection,
    flags: pl.DataFrame,
    *,
    today: date,
    rescreened_records: pl.Series | None,
    changed_entries: pl.Series | None,
    earlier_flags: bool = True,
    subjects: pl.DataFrame | None = None,
    ends: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Give each flag its ``status`` against the store's history and decisions, and add a
    ``retracted`` row for every open flag that no longer holds.

    ``rescreened_records`` are the records screened against the whole list (None: all, a
    full run); ``changed_entries`` the entries screened against them since the last run.
    A flag whose entry has ended by ``today`` is retracted if it was open, else dropped.
    ``earlier_flags`` false says no earlier flag can be in scope (``flags`` empty, no record
    rescreened, every changed entry new since the last run): the history is not read.
    ``subjects`` (``record_id``, ``subject_key``: the candidates' own) saves reading the
    records' subject keys from the store's ``records``, and ``ends`` (``entry_id``,
    ``listed_from``, ``listed_until``: the candidates' own, read with the list as it is
    now) the entries' ends from its ``list_entries``. Flag states are read from
    ``flag_states`` (the latest event of each flag), so the cost follows the flags in
    scope, not the length of the history.
    """
    if not earlier_flags and not flags.is_empty():
        raise ValueError("flags were reported: their earlier states must be read")
    report_columns = list(flags.columns)
    columns = [*report_columns, STATUS, FLAG_KEY, SUBJECT_KEY]
    keyed = flags.with_columns(flag_key_expr().alias(FLAG_KEY))
    if not keyed.is_empty():
        if subjects is None:
            con.register("reported_records", keyed.select(S.RECORD_ID).unique())
            try:
                subjects = query_frame(
                    con,
                    f"SELECT record_id, {SUBJECT_KEY_SQL} AS subject_key FROM records "
                    "SEMI JOIN reported_records USING (record_id)",
                )
            finally:
                con.unregister("reported_records")
        keyed = keyed.join(
            subjects.select(S.RECORD_ID, SUBJECT_KEY).unique(S.RECORD_ID),
            on=S.RECORD_ID,
            how="left",
            maintain_order="left",
        )
        if ends is not None:
            keyed = keyed.join(
                ends.select(
                    S.ENTRY_ID, S.LISTED_FROM, pl.col(S.LISTED_UNTIL).alias("current_until")
                ).unique([S.ENTRY_ID, S.LISTED_FROM]),
                on=[S.ENTRY_ID, S.LISTED_FROM],
                how="left",
                maintain_order="left",
            )
    else:
        keyed = keyed.with_columns(pl.lit(None, pl.String).alias(SUBJECT_KEY))
    keyed = keyed.with_row_index("row_nr")
    con.register(
        "reported_flags",
        keyed.select("row_nr", S.RECORD_ID, S.ENTRY_ID, S.LISTED_FROM, FLAG_KEY, SUBJECT_KEY),
    )
    try:
        current = (
            _current_states(query_frame(con, _reported_context(ends is None)), keyed, today)
            if not keyed.is_empty()
            else keyed.with_columns(pl.lit(None, pl.String).alias(STATUS))
        )
        gone = (
            _gone_flags(con, rescreened_records, changed_entries)
            if earlier_flags
            else pl.DataFrame()
        )
    finally:
        con.unregister("reported_flags")
    current = current.select(columns)  # the end and the context columns dropped
    if gone.is_empty():  # nothing to retract
        return current.sort(S.RECORD_ID, S.CASE_NO, S.RULE_ID)
    retracted = _rows_from_json(gone, flags.select(report_columns)).with_columns(
        pl.lit(FlagStatus.RETRACTED.value).alias(STATUS),
        flag_key_expr().alias(FLAG_KEY),
        gone[SUBJECT_KEY].alias(SUBJECT_KEY),
    )
    return pl.concat([current, retracted.select(columns)], how="vertical_relaxed").sort(
        S.RECORD_ID, S.CASE_NO, S.RULE_ID
    )


def _current_states(context: pl.DataFrame, keyed: pl.DataFrame, today: date) -> pl.DataFrame:
    """The reported flags (``keyed``, with ``row_nr``) with their ``status`` against their
    entry's end (``current_until``, in ``keyed`` or the context) and their ``context``
    (:func:`_reported_context`: previous state, decision), and a
    confirmation noted in the explanation; flags whose entry has ended and that were not
    open are dropped."""
    current = keyed.join(context, on="row_nr", how="left", maintain_order="left")
    ended = pl.col("current_until").is_not_null() & (pl.col("current_until") <= today)
    was_open = pl.col("previous_status").is_in(OPEN_STATES).fill_null(False)
    suppressed = _rejected(today)
    confirmed = pl.col("decision") == Decision.CONFIRM.value
    status = (
        pl.when(ended)
        .then(pl.when(was_open).then(pl.lit(FlagStatus.RETRACTED.value)))
        .when(suppressed.fill_null(False))
        .then(pl.lit(FlagStatus.SUPPRESSED.value))
        .when(was_open)
        .then(pl.lit(FlagStatus.OPEN.value))
        .otherwise(pl.lit(FlagStatus.NEW.value))
    )
    note = pl.concat_str(
        pl.lit("（已经人工确认为同一主体："),
        pl.col("decided_by"),
        pl.lit("，"),
        pl.col("decided_at").dt.strftime("%Y年%m月%d日"),
        pl.lit("）"),
    )
    return current.with_columns(
        status.alias(STATUS),
        pl.when(confirmed.fill_null(False))
        .then(pl.concat_str(S.EXPLANATION, note))
        .otherwise(pl.col(S.EXPLANATION))
        .alias(S.EXPLANATION),
    ).filter(pl.col(STATUS).is_not_null())


def _rejected(today: date) -> pl.Expr:
    """The latest decision (``decision``, ``until``) rejects the pair on ``today``."""
    return (pl.col("decision") == Decision.REJECT.value) & (
        pl.col("until").is_null() | (pl.col("until") > today)
    )


def suppress_rejected(
    con: duckdb.DuckDBPyConnection, flags: pl.DataFrame, subjects: pl.DataFrame, today: date
) -> pl.DataFrame:
    """``flags`` (a screen's: every one ``new``, no history) with ``status`` ``suppressed``
    where the latest decision on the flag's subject and entry rejects the pair on ``today``,
    as a run and the spot check suppress it; ``subjects`` gives each record's
    ``subject_key`` (the candidates')."""
    if (
        flags.is_empty()
        or not con.execute("SELECT EXISTS (SELECT 1 FROM decisions)").fetchall()[0][0]
    ):
        return flags
    latest = query_frame(
        con,
        "SELECT subject_key, entry_id, decision, until FROM decisions "
        "WHERE subject_key IS NOT NULL QUALIFY row_number() OVER "
        "(PARTITION BY subject_key, entry_id ORDER BY decision_id DESC) = 1",
    )
    decided = flags.join(
        subjects.select(S.RECORD_ID, SUBJECT_KEY).unique(S.RECORD_ID),
        on=S.RECORD_ID,
        how="left",
        maintain_order="left",
    ).join(latest, on=[SUBJECT_KEY, S.ENTRY_ID], how="left", maintain_order="left")
    return decided.with_columns(
        pl.when(_rejected(today).fill_null(False))
        .then(pl.lit(FlagStatus.SUPPRESSED.value))
        .otherwise(pl.col(STATUS))
        .alias(STATUS)
    ).select(flags.columns)


_STATE_COLUMNS: Final = "flag_key, event_id, status, record_id, entry_id, subject_key"


def rebuild_flag_states(con: duckdb.DuckDBPyConnection) -> None:
    """Rebuild ``flag_states`` (the latest event of each flag) from the whole history (a
    store made before it existed, or written since by a build that did not keep it)."""
    con.execute("DELETE FROM flag_states")
    con.execute(
        f"INSERT INTO flag_states ({_STATE_COLUMNS}) SELECT {_STATE_COLUMNS} FROM flag_events "
        "QUALIFY row_number() OVER (PARTITION BY flag_key ORDER BY event_id DESC) = 1"
    )


def record_flag_events(con: duckdb.DuckDBPyConnection, flags: pl.DataFrame, run_id: str) -> int:
    """Append one event per reported flag (the report row kept as JSON) and make the last
    its flag's state in ``flag_states``; return how many. Run it in a transaction (the
    events and the states are written by separate statements)."""
    if flags.is_empty():
        return 0
    report_columns = [c for c in flags.columns if c not in (STATUS, FLAG_KEY, SUBJECT_KEY)]
    events = flags.select(
        FLAG_KEY,
        S.RECORD_ID,
        S.CASE_NO,
        S.RULE_ID,
        S.ENTRY_ID,
        SUBJECT_KEY,
        pl.lit(run_id).alias("run_id"),
        pl.lit(datetime.now()).alias("raised_at"),
        STATUS,
        S.ACTION,
        S.TIER,
        S.SCORE,
        pl.struct(report_columns).struct.json_encode().alias("row_json"),
    )
    con.register("new_flag_events", events.to_arrow())
    try:
        # every event inserted now gets a later id from the sequence than this one
        floor = con.execute("SELECT nextval('review_event_ids')").fetchall()[0][0]
        con.execute(
            "INSERT INTO flag_events (flag_key, record_id, case_no, rule_id, entry_id, "
            "subject_key, run_id, raised_at, status, action, tier, score, row_json) "
            "SELECT * FROM new_flag_events"
        )
        con.execute(
            "DELETE FROM flag_states WHERE flag_key IN (SELECT flag_key FROM new_flag_events)"
        )
        con.execute(  # one state per flag, though a run may report a flag key twice
            f"INSERT INTO flag_states ({_STATE_COLUMNS}) SELECT {_STATE_COLUMNS} "
            "FROM flag_events WHERE event_id > $floor "
            "QUALIFY row_number() OVER (PARTITION BY flag_key ORDER BY event_id DESC) = 1",
            {"floor": floor},
        )
    finally:
        con.unregister("new_flag_events")
    return events.height


@dataclass(frozen=True)
class DecisionInput:
    """One decision to record."""

    flag_key: str
    decision: str
    decided_by: str
    note: str | None = None
    until: date | None = None


def _flag_identity(con: duckdb.DuckDBPyConnection, key: str) -> tuple[str, str | None] | None:
    rows = con.execute(
        "SELECT entry_id, subject_key FROM flag_states WHERE flag_key = ?",
        [key],
    ).fetchall()
    return (rows[0][0], rows[0][1]) if rows else None


def decide(con: duckdb.DuckDBPyConnection, decisions: Iterable[DecisionInput], source: str) -> int:
    """Append decisions; every flag key must be known (raised by some run)."""
    count = 0
    for item in decisions:
        if item.decision not in (Decision.CONFIRM.value, Decision.REJECT.value):
            raise InputError(f"decision must be confirm or reject, got {item.decision!r}")
        identity = _flag_identity(con, item.flag_key)
        if identity is None:
            raise InputError(f"unknown flag key {item.flag_key!r}: no run has raised it")
        con.execute(
            "INSERT INTO decisions (flag_key, entry_id, subject_key, decision, decided_by, note, "
            "until, decided_at, source) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [item.flag_key, identity[0], identity[1], item.decision, item.decided_by, item.note,
             item.until, datetime.now(), source],
        )  # fmt: skip
        count += 1
    return count


def read_decision_file(
    con: duckdb.DuckDBPyConnection, path: str | Path, default_by: str | None
) -> tuple[list[DecisionInput], list[InputError]]:
    """Read a filled-in report (CSV or XLSX with a ``decision`` column); return the decisions
    and an error (file, row, column) for every bad row. Rows with no decision are skipped."""
    from blacklist_match.io.normalise import parse_date
    from blacklist_match.io.tables import ROW, read_table

    file = str(path)
    table = read_table(path)
    if "decision" not in table.columns:
        raise InputError("no 'decision' column: fill one in the report", file=file)
    if FLAG_KEY not in table.columns:
        missing = [c for c in (S.RECORD_ID, S.CASE_NO, S.RULE_ID) if c not in table.columns]
        if missing:
            raise InputError("needs flag_key, or record_id, case_no and rule_id", file=file,
                             column=", ".join(missing))  # fmt: skip
        table = table.with_columns(flag_key_expr().alias(FLAG_KEY))
    for optional in ("decided_by", "note", "until"):
        if optional not in table.columns:
            table = table.with_columns(pl.lit(None, pl.String).alias(optional))
    table = table.with_columns(parse_date(pl.col("until")).alias("until_date"))
    known = set(query_frame(con, "SELECT flag_key FROM flag_states")[FLAG_KEY].to_list())
    good: list[DecisionInput] = []
    errors: list[InputError] = []
    unreadable = "__problem" in table.columns
    for row in table.iter_rows(named=True):  # a reviewer's file: hundreds of rows, not millions
        where = {"file": file, "row": row[ROW]}
        if unreadable and row["__problem"]:
            errors.append(InputError(f"row not readable: {row['__problem']}", **where))
            continue
        text = (row["decision"] or "").strip()
        if not text:
            continue
        decision = DECISION_WORDS.get(text.lower())
        by = (row["decided_by"] or "").strip() or default_by
        if decision is None:
            errors.append(InputError(f"decision {text!r} is not confirm or reject", **where,
                                     column="decision"))  # fmt: skip
        elif row[FLAG_KEY] not in known:
            errors.append(InputError("unknown flag key", **where, column=FLAG_KEY))
        elif not by:
            errors.append(InputError("who decided? give --by or a decided_by column", **where,
                                     column="decided_by"))  # fmt: skip
        elif row["until"] and row["until_date"] is None:
            errors.append(InputError(f"until {row['until']!r} is not a date", **where,
                                     column="until"))  # fmt: skip
        else:
            good.append(DecisionInput(row[FLAG_KEY], decision, by, row["note"], row["until_date"]))
    return good, errors


def waiting_flags(
    con: duckdb.DuckDBPyConnection, *, status: str | None = None, action: str | None = None
) -> pl.DataFrame:
    """Flags that wait for a person: latest state new or open (or ``status``) and no decision
    in force on their subject and entry; review and notify first, then blocks."""
    wanted = [status] if status else list(OPEN_STATES)
    kept = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'flag_states' "
        "AND database_name = current_database() AND schema_name = current_schema()"
    ).fetchall()[0][0]
    latest = (  # a store no build with flag_states has written yet: read the history
        "SELECT e.* FROM flag_states s JOIN flag_events e ON e.event_id = s.event_id "
        "WHERE list_contains($wanted, s.status)"
        if kept
        else "SELECT * FROM flag_events WHERE list_contains($wanted, status) QUALIFY "
        "row_number() OVER (PARTITION BY flag_key ORDER BY event_id DESC) = 1"
    )
    frame = query_frame(
        con,
        f"""
        WITH latest AS ({latest})
        SELECT l.flag_key, l.status, l.action, l.tier, l.score, l.raised_at AS last_raised,
               l.row_json ->> 'debtor_name' AS debtor_name,
               l.row_json ->> 'subject_name' AS subject_name,
               l.row_json ->> 'category' AS category
        FROM latest l
        WHERE list_contains($wanted, l.status)
          AND ($action IS NULL OR l.action = $action)
          AND NOT EXISTS (
              SELECT 1 FROM (
                  SELECT * FROM decisions d WHERE d.subject_key = l.subject_key
                    AND d.entry_id = l.entry_id
                  ORDER BY decision_id DESC LIMIT 1) AS latest_decision
              WHERE decision = 'confirm' OR until IS NULL OR until > current_date)
        ORDER BY CASE l.action WHEN 'review' THEN 0 WHEN 'notify' THEN 1 ELSE 2 END,
                 l.flag_key
        """,
        {"wanted": wanted, "action": action},
    )
    return frame


def audit(con: duckdb.DuckDBPyConnection, key: str) -> list[dict[str, Any]]:
    """The flag's whole history in order: every run that reported it (with its manifest)
    and every decision, who, when and why."""
    events = con.execute(
        """
        SELECT 'run' AS kind, f.raised_at, f.status, f.run_id, f.tier, f.score, f.action,
               f.row_json ->> 'explanation' AS explanation, r.manifest, NULL, NULL, NULL
        FROM flag_events f LEFT JOIN runs r USING (run_id) WHERE f.flag_key = $key
        UNION ALL
        SELECT 'decision', decided_at, decision, NULL, NULL, NULL, NULL, NULL, NULL,
               decided_by, note, until
        FROM decisions WHERE flag_key = $key
        ORDER BY 2
        """,
        {"key": key},
    ).fetchall()
    history = []
    for (
        kind,
        at,
        status,
        run_id,
        tier,
        score,
        action,
        explanation,
        manifest,
        by,
        note,
        until,
    ) in events:
        item: dict[str, Any] = {"kind": kind, "at": at.isoformat(timespec="seconds")}
        if kind == "run":
            item |= {"status": status, "run_id": run_id, "tier": tier, "score": score,
                     "action": action, "explanation": explanation,
                     "manifest": json.loads(manifest) if manifest else None}  # fmt: skip
        else:
            item |= {"decision": status, "by": by, "note": note,
                     "until": until.isoformat() if until else None}  # fmt: skip
        history.append(item)
    return history
