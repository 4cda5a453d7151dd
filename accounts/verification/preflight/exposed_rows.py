"""Rows the rename would expose: orphans behind NOT VALID keys, duplicates behind INVALID unique indexes.

A valid key guarantees that every row has its user; a NOT VALID one only
checks new rows, so older orphans may hide behind it, and the report after the
rename counts them as a failure. A unique index whose concurrent build failed
usually failed on duplicate values that are still there. Both are read from the
rows (skipped by ``--fast``), and only where such a key or index exists.
"""

from psycopg import sql

from accounts.verification.preflight.scope import oid_list, scope
from accounts.verification.registry import BEFORE_RENAME, check
from accounts.verification.results import failed, passed

INVALID_UNIQUE = """
SELECT i.indexrelid::regclass::text, i.indrelid::regclass::text, i.indexprs IS NOT NULL,
       pg_get_expr(i.indpred, i.indrelid),
       ARRAY(SELECT a.attname FROM unnest(i.indkey[0:i.indnkeyatts - 1]) WITH ORDINALITY k(attnum, n)
               JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum ORDER BY k.n)
  FROM pg_index i WHERE NOT i.indisvalid AND i.indisunique AND i.indrelid = ANY (%s::oid[]) ORDER BY 2, 1
"""


def as_string(ctx, composed):
    return composed.as_string(ctx.connection.connection)


def orphans(ctx, found, key):
    query = sql.SQL(
        "SELECT count(*) FROM {table} t WHERE t.{column} IS NOT NULL "
        "AND NOT EXISTS (SELECT 1 FROM {parent} p WHERE p.{parent_key} = t.{column})"
    ).format(
        table=sql.SQL(key.table),  # regclass text: quoted and qualified as needed
        column=sql.Identifier(key.column),
        parent=sql.Identifier(found.table.name),
        parent_key=sql.Identifier(found.table.key),
    )
    return ctx.value(as_string(ctx, query))


def duplicates(ctx, table, columns, predicate):
    condition = sql.SQL(" AND ").join(sql.SQL("{} IS NOT NULL").format(sql.Identifier(c)) for c in columns)
    if predicate:
        condition = sql.SQL("{} AND ({})").format(condition, sql.SQL(predicate))
    query = sql.SQL(
        "SELECT count(*), coalesce(sum(n), 0) FROM (SELECT count(*) AS n FROM {table} WHERE {condition} "
        "GROUP BY {columns} HAVING count(*) > 1) d"
    ).format(
        table=sql.SQL(table),
        condition=condition,
        columns=sql.SQL(", ").join(sql.Identifier(c) for c in columns),
    )
    return ctx.rows(as_string(ctx, query))[0]


@check(
    "P070",
    "exposed_rows",
    "no orphan or duplicate rows behind a NOT VALID key or an INVALID index",
    reads_rows=True,
    suite=BEFORE_RENAME,
)
def check_exposed_rows(ctx):
    found = scope(ctx)
    problems, details = [], []
    for key in found.keys:
        if key.validated:
            continue
        ctx.progress(f"orphans in {key.table}.{key.column}")
        count = orphans(ctx, found, key)
        where = f"{key.table}.{key.column}"
        if count:
            problems.append(
                f"{where}: {count:,} orphan row(s) behind NOT VALID key {key.name} (their {key.column} "
                f"names no {found.table.name} row): repair or delete them, then VALIDATE the key; list them "
                "with "
                f"SELECT * FROM {key.table} t WHERE NOT EXISTS (SELECT 1 FROM {found.table.name} p "
                f"WHERE p.{found.table.key} = t.{key.column})"
            )
        else:
            details.append(f"{where}: no orphan behind NOT VALID key {key.name}")
    for index, table, expression, predicate, columns in ctx.rows(
        INVALID_UNIQUE, [oid_list(found.table_oids)]
    ):
        if expression:
            details.append(f"{index} on {table}: an expression index, its duplicates not counted")
            continue
        ctx.progress(f"duplicates behind {index}")
        groups, rows = duplicates(ctx, table, columns, predicate)
        if groups:
            problems.append(
                f"{table} ({', '.join(columns)}): {rows:,} rows share {groups:,} value(s) that INVALID "
                f"unique index {index} forbids: resolve them before building it again"
            )
        else:
            details.append(f"{index} on {table}: no duplicate values now")
    if problems:
        return failed(
            f"{len(problems)} set(s) of rows the rename would expose to the report", problems + details
        )
    if not details:
        return passed("no NOT VALID key and no INVALID unique index: nothing to read")
    return passed("no orphan or duplicate rows behind the NOT VALID keys or INVALID unique indexes", details)
