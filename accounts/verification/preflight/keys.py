"""Each key that references prosumer can be renamed as it is, and the rename will not refuse.

The rename renames every single-column key to ``<table>_<column>_fkey`` and
keeps everything else about it. It refuses (changing nothing) when a table has
a second key on the same column or another constraint that already has that
name, a multi-column key references prosumer, or a table has both the legacy
and the renamed column. A key that is NOT VALID is renamed as it is, and the
report after the rename then fails on it: validate it first.
"""

from collections import defaultdict

from accounts import catalog, facts
from accounts.verification.preflight.scope import scope
from accounts.verification.registry import BEFORE_RENAME, check
from accounts.verification.results import failed, passed

MULTI_COLUMN = """
SELECT conrelid::regclass::text, conname FROM pg_constraint
 WHERE contype = 'f' AND confrelid = %s AND cardinality(conkey) > 1 ORDER BY 1, 2
"""

HAS_COLUMN = """
SELECT EXISTS (SELECT 1 FROM pg_attribute
                WHERE attrelid = %s AND attname = %s AND attnum > 0 AND NOT attisdropped)
"""
NAME_TAKEN = """
SELECT EXISTS (SELECT 1 FROM pg_constraint WHERE conrelid = %s AND conname = %s AND oid <> ALL (%s::oid[]))
"""


def target_name(key):
    return facts.canonical_key_name(key.table_name, catalog.renamed_column(key.column))


@check("P050", "referencing_keys", "each key can be renamed as it is", suite=BEFORE_RENAME)
def check_referencing_keys(ctx):
    found = scope(ctx)
    problems, details = [], []
    by_column = defaultdict(list)
    for key in found.keys:
        by_column[(key.table, key.column)].append(key)
    for (table, column), keys in sorted(by_column.items()):
        where = f"{table}.{column}"
        names = ", ".join(key.name for key in keys)
        if len(keys) > 1:
            problems.append(
                f"{where} has {len(keys)} foreign keys ({names}): the rename stops on it (changing nothing) "
                f"and the report fails on it; keep the original and drop the others "
                f"(ALTER TABLE {table} DROP CONSTRAINT <name>)"
            )
        renamed = catalog.renamed_column(column)
        if renamed != column and ctx.value(HAS_COLUMN, [keys[0].table_oid, renamed]):
            problems.append(
                f"{table} has both columns {column} and {renamed}: it looks partly renamed by hand; "
                "the rename refuses until one is gone"
            )
        wanted = target_name(keys[0])
        if ctx.value(NAME_TAKEN, [keys[0].table_oid, wanted, [key.oid for key in keys]]):
            problems.append(
                f"{table} already has a constraint named {wanted}, the name the rename gives the key on "
                f"{where}: the rename refuses; rename or drop that constraint"
            )
        for key in keys:
            if not key.validated:
                problems.append(
                    f"{key.name} on {where} is NOT VALID (existing rows were never checked): the report "
                    f"after the rename fails on it; fix any orphan rows (see exposed_rows), then "
                    f"ALTER TABLE {table} VALIDATE CONSTRAINT {key.name} (reads and writes go on meanwhile)"
                )
        details.append(f"{where}: {names} -> {wanted}")
    for table, name in ctx.rows(MULTI_COLUMN, [found.table.oid]):
        problems.append(
            f"{name} on {table} is a multi-column key to prosumer: the rename handles single-column ones"
        )
    if problems:
        return failed(
            f"{len(problems)} key problem(s) the rename would refuse or the report would fail on",
            problems + details,
        )
    return passed(f"{len(found.keys)} key(s), one valid key per column, each can keep its rules", details)
