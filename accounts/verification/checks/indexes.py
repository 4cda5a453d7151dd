"""The models' named indexes index what they should; every FK column leads a valid index; none is INVALID.

An index is compared with the model by what it is, not by its name: its key
columns and their order, its INCLUDE columns, its access method, its operator
classes (the defaults), that it is not unique, and its WHERE clause. The
predicate is compared by PostgreSQL itself: both the model's clause and the
index's are planned as the filter of a sequential scan of the table (EXPLAIN,
nothing is run or created), so two spellings of the same condition match and
different conditions do not.

A missing or wrong index is rebuilt the way energy 0003 builds it, concurrently;
``manage.py migrate`` is the fix only where it would build it (its migration is
pending): once applied, migrate never looks at the index again.
"""

from django.db import transaction

from accounts import facts
from accounts.expectations import expected_foreign_keys, expected_named_indexes
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

INDEX_DEFINITION = """
SELECT am.amname, i.indisunique, i.indisvalid, i.indexprs IS NOT NULL,
       ARRAY(SELECT coalesce(a.attname, '?') FROM unnest(i.indkey) WITH ORDINALITY AS k(attnum, n)
             LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
             WHERE k.n <= i.indnkeyatts ORDER BY k.n)::text[],
       ARRAY(SELECT coalesce(a.attname, '?') FROM unnest(i.indkey) WITH ORDINALITY AS k(attnum, n)
             LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
             WHERE k.n > i.indnkeyatts ORDER BY k.n)::text[],
       ARRAY(SELECT (o.option & 1) = 1 FROM unnest(i.indoption) WITH ORDINALITY AS o(option, n) ORDER BY o.n),
       ARRAY(SELECT c.opcdefault FROM unnest(i.indclass) WITH ORDINALITY AS k(opclass, n)
             JOIN pg_opclass c ON c.oid = k.opclass ORDER BY k.n),
       pg_get_expr(i.indpred, i.indrelid)
  FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_am am ON am.oid = ic.relam
 WHERE i.indrelid = to_regclass(%s) AND ic.relname = %s
"""

# A plan that shows the filter as written: no index may stand in for it.
NO_INDEX_SCANS = ("enable_indexscan", "enable_bitmapscan", "enable_indexonlyscan")


def planned_filter(ctx, table, condition):
    """The plan of ``SELECT 1 FROM table WHERE condition``: PostgreSQL's normal form of the condition."""
    if condition is None:
        return None
    with transaction.atomic(using=ctx.connection.alias):
        for setting in NO_INDEX_SCANS:
            ctx.cursor.execute("SELECT set_config(%s, 'off', true)", [setting])
        plan = [
            line
            for (line,) in ctx.rows(f"EXPLAIN (VERBOSE, COSTS OFF) SELECT 1 FROM {table} WHERE {condition}")
        ]
        for setting in NO_INDEX_SCANS:
            ctx.cursor.execute("SELECT set_config(%s, 'on', true)", [setting])
    return plan


def definition_differences(ctx, expected, row):
    """How the index named like ``expected`` differs from the model's, in words."""
    method, unique, _valid, on_expressions, columns, include, descending, default_classes, predicate = row
    found = []
    if on_expressions:
        found.append("indexes expressions, not columns")
    elif columns != expected.columns:
        found.append(f"is on ({', '.join(columns)}), the model says ({', '.join(expected.columns)})")
    elif descending != expected.descending:
        found.append("orders its columns differently from the model")
    if include != expected.include:
        found.append(f"includes ({', '.join(include)}), the model says ({', '.join(expected.include)})")
    if method != expected.method:
        found.append(f"uses {method}, the model says {expected.method}")
    if unique:
        found.append("is UNIQUE, the model's is not")
    if not expected.index.opclasses and not all(default_classes):
        found.append("uses a non-default operator class")
    table = ctx.quote(expected.table)
    wanted = expected.condition_sql(ctx.connection)
    if (predicate is None) != (wanted is None):
        found.append(
            f"is {'partial (WHERE ' + predicate + ')' if predicate else 'not partial'}, "
            f"the model says {'WHERE ' + wanted if wanted else 'not partial'}"
        )
    elif predicate is not None and planned_filter(ctx, table, predicate) != planned_filter(
        ctx, table, wanted
    ):
        found.append(f"has WHERE {predicate}, the model says WHERE {wanted}")
    return found


def rebuild_fixes(ctx, expected, exists):
    """How to give the database the model's index: migrate when it would build it, else SQL.

    Nothing while the rename itself is not recorded: migrate would refuse to rename again, and the
    migrations check's fixes (record it, then migrate) build the index.
    """
    if facts.RENAME_MIGRATION in ctx.pending_migrations:
        return []
    if expected.name in ctx.pending_index_names:
        return ["manage.py migrate"]
    drop = [f"DROP INDEX CONCURRENTLY {ctx.quote(expected.name)};"] if exists else []
    return [*drop, expected.create_sql(ctx.connection)]


def check_named_index(ctx, expected, problems, fixes, details):
    table = ctx.quote(expected.table)
    rows = ctx.rows(INDEX_DEFINITION, [table, expected.name])
    if not rows:
        problems.append(f"index {expected.name} on {expected.table} is missing")
        fixes.extend(fix for fix in rebuild_fixes(ctx, expected, exists=False) if fix not in fixes)
        return
    found = definition_differences(ctx, expected, rows[0])
    valid = rows[0][2]
    problems.extend(f"index {expected.name} on {expected.table} {difference}" for difference in found)
    if not valid:
        problems.append(
            f"index {expected.name} on {expected.table} is INVALID (a failed concurrent build): "
            "queries do not use it"
        )
    if found or not valid:
        fixes.extend(fix for fix in rebuild_fixes(ctx, expected, exists=True) if fix not in fixes)
    else:
        details.append(f"{expected.name} on {expected.table}: as the model defines it")


@check("R120", "indexes", "named indexes as the models define them, FK columns indexed, no INVALID index")
def check_indexes(ctx):
    problems, fixes, details = [], [], []
    named = expected_named_indexes()
    for expected in named:
        check_named_index(ctx, expected, problems, fixes, details)
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
    known = {expected.name for expected in named}
    for name, table in ctx.rows(INVALID_INDEXES, [ctx.namespace]):
        if name in known:
            continue  # named above, with its rebuild
        problems.append(
            f"index {name} on {table} is INVALID (a failed concurrent build, not one the models name): "
            "it slows every write and no query uses it"
        )
        fixes.append(f"DROP INDEX CONCURRENTLY {ctx.quote(name)};")
    if problems:
        return failed(f"{len(problems)} index problem(s)", problems + details, fixes)
    return passed(
        f"{len(named)} named indexes as the models define them; each FK column leads a valid index; "
        "none INVALID",
        details,
    )
