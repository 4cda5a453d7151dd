"""The tables are the very ones the rename renamed, with the same data files: no row was lost by it.

A rename changes only the catalog, so the rows of each table stay in the same
data file (``pg_class.relfilenode``) of the same table (its OID). The rename
journals both, so this check proves that the rename lost no row without counting
any: its cost does not grow with the data, and rows deleted since by the
application (an expired-token purge, an erasure) are not mistaken for a loss.

What it cannot see is covered by what it says instead: a table rewritten since
(VACUUM FULL, CLUSTER, TRUNCATE, ALTER TABLE ... TYPE) has a new data file, and a
database restored from a dump has new OIDs. Both are named as such, not as data
loss; a rewritten table that is now empty is a warning, since TRUNCATE looks the
same from the catalog (finding out reads one page, not the table).

A database renamed by other means (the guide's script) has no such snapshot
until ``manage.py repair_user_migration`` records one, before its first change:
the check then traces the tables to the repair, and says so.
"""

from accounts.verification.registry import check
from accounts.verification.results import doubtful, failed, passed

CURRENT = """
SELECT c.oid, c.oid::regclass::text, c.relfilenode, c.reltuples::bigint
  FROM pg_class c WHERE c.oid = ANY (%s::oid[]) AND c.relkind IN ('r', 'p')
"""


def estimate(reltuples):
    return "unknown (never analysed)" if reltuples < 0 else f"about {reltuples:,}"


@check("table_identity", "same tables and data files as at the rename")
def check_table_identity(ctx):
    recorded = ctx.recorded_identities
    if not recorded:
        return doubtful(
            "no snapshot: this database was not renamed by the migration, so its tables cannot be traced "
            "to it",
            [
                "the rename records each table's OID and data file in user_rename_journal before it locks",
                "for a database renamed by other means, manage.py repair_user_migration records them",
            ],
        )
    event = "the repair" if recorded[0].source == "repair" else "the rename"
    current = {
        oid: (name, filenode, tuples)
        for oid, name, filenode, tuples in ctx.rows(CURRENT, [[r.oid for r in recorded]])
    }
    problems, warnings, details = [], [], []
    replaced = []
    for table in recorded:
        if table.oid in current:
            name, filenode, tuples = current[table.oid]
            rows = f"rows {estimate(table.reltuples)} then, {estimate(tuples)} now"
            if filenode == table.relfilenode:
                details.append(f"{name}: same table and data file as at {event} ({rows})")
            elif table.reltuples != 0 and not ctx.value(f"SELECT EXISTS (SELECT 1 FROM {name})"):
                warnings.append(
                    f"{name}: rewritten since {event} and now empty ({rows}): TRUNCATE looks like this; "
                    "if nobody emptied it on purpose, compare with the backup"
                )
            else:
                details.append(
                    f"{name}: rewritten since {event} (VACUUM FULL, CLUSTER or ALTER TABLE ... TYPE): "
                    f"same table, new data file ({rows})"
                )
        elif ctx.value("SELECT to_regclass(%s) IS NOT NULL", [ctx.quote(table.name)]):
            replaced.append(table.name)
        else:
            problems.append(
                f"table {table.name} is gone (it held {estimate(table.reltuples)} rows at {event})"
            )
    if replaced and len(replaced) == len(recorded):
        details.append(
            f"every table has a new OID: this database was restored from a dump (or copied) since {event}, "
            "which keeps the rows but not the identities"
        )
    elif replaced:
        warnings += [
            f"{name}: not the table {event} saw (new OID): it was dropped and created again since; "
            f"its rows cannot be traced to {event}"
            for name in replaced
        ]
    if problems:
        return failed(f"{len(problems)} table(s) gone since {event}", problems + warnings + details)
    if warnings:
        return doubtful(f"{len(warnings)} table(s) changed since {event}; review them", warnings + details)
    if event == "the repair":
        return passed(
            f"{len(recorded)} tables: no row lost since the repair recorded them (the rename before it, "
            "done by other means, recorded nothing to compare with)",
            details,
        )
    return passed(
        f"{len(recorded)} tables: the rename lost no row (same tables, data files accounted for)", details
    )
