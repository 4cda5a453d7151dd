"""A valid index leads with every FK column; the indexes the models name exist; nothing is INVALID."""

from accounts.verification.expectations import expected_foreign_keys, expected_named_indexes
from accounts.verification.registry import check
from accounts.verification.results import failed, passed

LEADING_INDEXES = """
SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
 WHERE i.indrelid = to_regclass(%s) AND i.indisvalid AND i.indpred IS NULL
   AND i.indkey[0] = (SELECT attnum FROM pg_attribute WHERE attrelid = to_regclass(%s) AND attname = %s)
 ORDER BY 1
"""

INVALID_INDEXES = """
SELECT c.relname, i.indrelid::regclass::text FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
 WHERE NOT i.indisvalid AND c.relnamespace = %s ORDER BY 1
"""


@check("indexes", "FK columns indexed, no INVALID index")
def check_indexes(ctx):
    problems, details = [], []
    for expected in expected_foreign_keys():
        if not ctx.column_exists(expected.table, expected.column):
            problems.append(f"{expected.where}: column missing, so no index")
            continue
        table = ctx.quote(expected.table)
        leading = ctx.rows(LEADING_INDEXES, [table, table, expected.column])
        if leading:
            details.append(f"{expected.where}: {', '.join(name for (name,) in leading)}")
        else:
            problems.append(f"{expected.where} has no valid index that leads with it")
    for table, name in expected_named_indexes():
        exists = ctx.value(
            "SELECT EXISTS (SELECT 1 FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "WHERE c.relname = %s AND i.indrelid = to_regclass(%s))",
            [name, ctx.quote(table)],
        )
        if not exists:
            problems.append(f"index {name} on {table} is missing")
    for name, table in ctx.rows(INVALID_INDEXES, [ctx.namespace]):
        problems.append(
            f"index {name} on {table} is INVALID (a failed concurrent build): "
            "drop it and re-run manage.py migrate"
        )
    if problems:
        return failed(f"{len(problems)} index problem(s)", problems + details)
    return passed("every FK column has a valid leading index; the named indexes exist; none INVALID", details)
