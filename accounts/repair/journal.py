"""The repair's own record, in the rename's journal table: one ``repair`` entry per step, with its undo SQL.

A rename by other means keeps no journal, so nothing else says what the repair
changed. Each step writes one row of kind ``repair`` (accounts.RenameJournalEntry)
in the same transaction as its change; a CONCURRENTLY step, which runs outside
any transaction, writes its row before it starts and marks it done after. The
rename's own reverse reads only its ``rename`` and ``comment`` rows, so it never
replays these: a repaired database is not undone by ``migrate accounts 0001``
(there are no original names to restore), but step by step with the SQL below.
"""

import json

from accounts.facts import JOURNAL_TABLE

KIND = "repair"

INSERT = f"""
INSERT INTO {JOURNAL_TABLE} (step, kind, object_type, table_name, old_name, new_name, details)
SELECT coalesce(max(step), 0) + 1, %s, %s, %s, %s, %s, %s FROM {JOURNAL_TABLE}
RETURNING id
"""

MARK_DONE = f"""
UPDATE {JOURNAL_TABLE} SET details = details || %s WHERE id = %s
"""

ENTRIES = f"""
SELECT step, object_type, table_name, old_name, new_name, details, recorded_at
  FROM {JOURNAL_TABLE} WHERE kind = '{KIND}' ORDER BY step DESC, id DESC
"""


def details(step, plan, run, policy, done, attempts=None):
    findings = {finding.number: finding.text for finding in plan.findings}
    return {
        "run": run,
        "plan_step": step.number,
        "title": step.title,
        "findings": [findings[number] for number in step.findings],
        "sql": step.sql,
        "undo": step.undo,
        "locks": [f"{mode} on {relation}" for mode, relation in step.locks],
        "scans": step.scans,
        "lock_timeout": policy.timeout,
        "attempts": attempts,
        "done": done,
    }


def record(conn, step, plan, run, policy, done, attempts=None):
    """Write the step's entry; return its id."""
    row = conn.execute(
        INSERT,
        [
            KIND,
            step.object_type or step.phase,
            step.table,
            step.old_name or "",
            step.new_name or "",
            json.dumps(details(step, plan, run, policy, done, attempts)),
        ],
    ).fetchone()
    return row[0]


def mark_done(conn, entry, attempts, seconds):
    conn.execute(
        MARK_DONE, [json.dumps({"done": True, "attempts": attempts, "seconds": round(seconds, 3)}), entry]
    )


def recorded_steps(cursor):
    """Every step the repair recorded, newest first: (step, details, recorded_at)."""
    cursor.execute(f"SELECT to_regclass('{JOURNAL_TABLE}') IS NOT NULL")
    if not cursor.fetchone()[0]:
        return []
    cursor.execute(ENTRIES)
    return [
        (step, entry_details or {}, recorded_at) for step, _, _, _, _, entry_details, recorded_at in cursor
    ]
