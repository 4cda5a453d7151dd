"""The tables are the very ones the rename renamed, with the same data files: no row was lost by it.

A rename changes only the catalog, so the rows of each table stay in the same
data file (``pg_class.relfilenode``) of the same table (its OID). The rename
journals both, so this check proves that the rename lost no row without counting
any: its cost does not grow with the data, and rows deleted since by the
application (an expired-token purge, an erasure) are not mistaken for a loss.

What it cannot see is named as such instead of as data loss: a table rewritten
since (VACUUM FULL, CLUSTER, TRUNCATE, ALTER TABLE ... TYPE) has a new data file,
and a database restored from a dump has new OIDs (a restored table may even get
an old OID of another table: an OID counts only under its recorded name). A
table that held rows at the rename and is now empty in a new data file is a
warning, since TRUNCATE or a restore without data look like that (finding out
reads one page, not the table).

A database renamed by other means (the guide's script) has no such snapshot
until ``manage.py repair_user_migration`` records one, before its first change:
the check then traces the tables to the repair, and says so.
"""

from accounts.verification.registry import check
from accounts.verification.results import doubtful, failed, passed

CURRENT = """
SELECT c.oid, c.relname, c.oid::regclass::text, c.relfilenode, c.reltuples::bigint
  FROM pg_class c WHERE c.oid = ANY (%s::oid[]) AND c.relkind IN ('r', 'p')
"""

NOW_NAMED = """
SELECT c.oid, c.oid::regclass::text, c.reltuples::bigint FROM pg_class c
 WHERE c.oid = to_regclass(%s) AND c.relkind IN ('r', 'p')
"""


def estimate(reltuples):
    return "unknown (never analysed)" if reltuples < 0 else f"about {reltuples:,}"


def emptied(ctx, recorded, qualified):
    """Whether a table that may have held rows at the rename holds none now (reads at most one page)."""
    return recorded.reltuples != 0 and not ctx.value(f"SELECT EXISTS (SELECT 1 FROM {qualified})")


def judge_same_table(ctx, table, current, warnings, details, event):
    _oid, relname, qualified, filenode, tuples = current
    rows = f"rows {estimate(table.reltuples)} then, {estimate(tuples)} now"
    renamed = f" (renamed since to {qualified})" if relname != table.name else ""
    if filenode == table.relfilenode:
        details.append(f"{qualified}: same table and data file as at {event}{renamed} ({rows})")
    elif emptied(ctx, table, qualified):
        warnings.append(
            f"{qualified}: rewritten since {event} and now empty{renamed} ({rows}): "
            "TRUNCATE looks like this; its rows are not in this database"
        )
    else:
        details.append(
            f"{qualified}: rewritten since {event} (VACUUM FULL, CLUSTER or ALTER TABLE ... TYPE): "
            f"same table, new data file{renamed} ({rows})"
        )


@check("R130", "table_identity", "same tables and data files as at the rename")
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
    current = {row[0]: row for row in ctx.rows(CURRENT, [[table.oid for table in recorded]])}
    problems, warnings, details, replaced = [], [], [], []
    for table in recorded:
        found = current.get(table.oid)
        quoted = ctx.quote(table.name)
        # The recorded OID under its recorded name, or under a new name when the old one is free.
        if found is not None and (
            found[1] == table.name or not ctx.value("SELECT to_regclass(%s) IS NOT NULL", [quoted])
        ):
            judge_same_table(ctx, table, found, warnings, details, event)
            continue
        now = ctx.rows(NOW_NAMED, [quoted])
        if now:
            replaced.append((table, now[0]))
        else:
            problems.append(
                f"table {table.name} is gone (it held {estimate(table.reltuples)} rows at {event})"
            )
    restored = bool(replaced) and len(replaced) == len(recorded)
    for table, (_oid, qualified, tuples) in replaced:
        rows = f"rows {estimate(table.reltuples)} then, {estimate(tuples)} now"
        if emptied(ctx, table, qualified):
            warnings.append(
                f"{qualified}: a new table (new OID) since {event}, and empty ({rows}): its rows are not "
                "in this database (a dump restored without its data looks like this)"
            )
        elif restored:
            details.append(f"{qualified}: a new table with rows, as a restore makes it ({rows})")
        else:
            warnings.append(
                f"{qualified}: not the table {event} saw (new OID): it was dropped and created again "
                f"since; its rows cannot be traced to {event} ({rows})"
            )
    if restored:
        details.insert(
            0,
            f"every table has a new OID: this database was restored from a dump (or copied) since {event}, "
            "which keeps the rows but not the identities; --count gives exact counts to compare with the "
            "source",
        )
    if problems:
        return failed(f"{len(problems)} table(s) gone since {event}", problems + warnings + details)
    if warnings:
        return doubtful(f"{len(warnings)} table(s) changed since {event}; review them", warnings + details)
    if restored:
        return passed(f"{len(recorded)} tables restored from a dump since {event}, each with rows", details)
    if event == "the repair":
        return passed(
            f"{len(recorded)} tables: no row lost since the repair recorded them (the rename before it, "
            "done by other means, recorded nothing to compare with)",
            details,
        )
    return passed(
        f"{len(recorded)} tables: the rename lost no row (same tables, data files accounted for)", details
    )
