"""Rows whose user does not exist: let in while FK triggers were off, or behind a NOT VALID key.

No fix is offered: whether an orphan's user comes back from the backup or the
row goes is a decision about the ledger that only a person can make. The
report gives the query that lists them; once they are resolved, the keys'
fixes (VALIDATE CONSTRAINT) succeed.
"""

from accounts.expectations import expected_foreign_keys
from accounts.verification.registry import check
from accounts.verification.results import failed, passed


@check("R110", "orphans", "no orphan rows", reads_rows=True)
def check_orphans(ctx):
    problems, details = [], []
    user = ctx.quote(ctx.user_table)
    for expected in expected_foreign_keys():
        ctx.progress(f"orphans in {expected.where}")
        if not ctx.column_exists(expected.table, expected.column):
            details.append(f"{expected.where}: column missing, not scanned")
            continue
        table, column = ctx.quote(expected.table), ctx.quote(expected.column)
        orphans = ctx.value(
            f"SELECT count(*) FROM {table} t WHERE t.{column} IS NOT NULL "
            f"AND NOT EXISTS (SELECT 1 FROM {user} u WHERE u.user_id = t.{column})"
        )
        line = f"{expected.where}: {orphans:,} orphan row(s)"
        if orphans:
            line += (
                f"; list them: SELECT * FROM {table} t WHERE t.{column} IS NOT NULL AND NOT EXISTS "
                f"(SELECT 1 FROM {user} u WHERE u.user_id = t.{column});"
            )
        (problems if orphans else details).append(line)
    if problems:
        return failed(f"orphan rows in {len(problems)} column(s)", problems + details)
    return passed("every row's user exists", details)
