"""No INVALID index on the tables: the rename would carry it over and the report fail on it."""

from accounts.verification.preflight.scope import oid_list, scope
from accounts.verification.registry import BEFORE_RENAME, check
from accounts.verification.results import failed, passed

INVALID = """
SELECT i.indexrelid::regclass::text, i.indrelid::regclass::text, i.indisunique, pg_get_indexdef(i.indexrelid)
  FROM pg_index i WHERE NOT i.indisvalid AND i.indrelid = ANY (%s::oid[]) ORDER BY 2, 1
"""


@check("P060", "invalid_indexes", "no INVALID index on the tables", suite=BEFORE_RENAME)
def check_invalid_indexes(ctx):
    found = scope(ctx)
    problems = []
    for name, table, unique, definition in ctx.rows(INVALID, [oid_list(found.table_oids)]):
        cause = (
            "duplicate values are the usual cause (see exposed_rows)"
            if unique
            else "the build was interrupted"
        )
        problems.append(
            f"index {name} on {table} is INVALID (a failed CREATE INDEX CONCURRENTLY; {cause}): "
            f"DROP INDEX CONCURRENTLY {name}, then build it again if it is needed: {definition}"
        )
    if problems:
        return failed(f"{len(problems)} INVALID index(es) on the tables", problems)
    return passed(f"no INVALID index on the {len(found.table_oids)} tables")
