"""The yardsticks the matching benchmarks divide by, measured in the same run.

* :data:`BARE_JOIN`, the issues' baseline: DuckDB's equi-join of the records and the list
  on the raw ID column, returning the two row keys.
* :data:`WIDE_JOIN`: the same join returning the columns a candidate carries
  (``identity.candidates_sql``). A screen must hand every candidate to the rules and the
  report with those columns, and fetching them for pairs spread over the whole table
  decodes nearly every segment of each column read; this join pays that cost too, so the
  ratio to it shows what the tiers themselves cost.
"""

from __future__ import annotations

from typing import Final

BARE_JOIN: Final = (
    "SELECT r.record_id, e.entry_id FROM records r "
    "JOIN list_entries e ON r.subject_id = e.id_number"
)

WIDE_JOIN: Final = """
SELECT r.record_id, r.agency, r.record_type, r.sub_type, r.subject_type, r.subject_name,
       r.subject_id, r.event_date, r.amount, r.id_kind AS subject_id_kind,
       r.id_norm IS NOT NULL AS subject_id_valid,
       e.entry_id, e.case_no, e.name AS debtor_name, e.debtor_type, e.id_number AS debtor_id,
       e.id_kind AS debtor_id_kind, e.court, e.listed_from, e.listed_until
FROM records r JOIN list_entries e ON r.subject_id = e.id_number
"""
