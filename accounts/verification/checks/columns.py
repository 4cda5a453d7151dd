"""Every column that references "user" has the key's type and length, and the model's nullability.

A hand repair that re-creates a column, or turns it into ``text`` or
``varchar(36)``, keeps the rows and the key but changes what can be written: a
user id longer than the column no longer fits, a NULL owner goes in. The type
must be the one the model says (a ForeignKey's is its target key's; the legacy
schema's one narrower column, token_blacklist.user_id varchar(255), is kept as
it was), and of the same base type as "user".user_id.
"""

from accounts.expectations import expected_foreign_keys
from accounts.verification.registry import check
from accounts.verification.results import failed, passed
from accounts.verification.sql_fixes import set_not_null_fixes

# Views that read the column: PostgreSQL refuses to change its type while they exist.
DEPENDENT_VIEWS = """
SELECT DISTINCT r.ev_class::regclass::text
  FROM pg_depend d JOIN pg_rewrite r ON r.oid = d.objid
 WHERE d.classid = 'pg_rewrite'::regclass AND d.refclassid = 'pg_class'::regclass
   AND d.refobjid = to_regclass(%s) AND d.refobjsubid = (
       SELECT attnum FROM pg_attribute WHERE attrelid = to_regclass(%s) AND attname = %s)
   AND r.ev_class <> to_regclass(%s)
 ORDER BY 1
"""


def type_fix(ctx, table, column, wanted_type, problems):
    """ALTER COLUMN ... TYPE, unless a view reads the column (then a person rebuilds the view around it)."""
    views = [name for (name,) in ctx.rows(DEPENDENT_VIEWS, [table, table, column, table])]
    if views:
        problems[-1] += (
            f" (views {', '.join(views)} read it: PostgreSQL changes its type only with them dropped and "
            "created again, which the report leaves to a person)"
        )
        return []
    return [f"ALTER TABLE {table} ALTER COLUMN {ctx.quote(column)} TYPE {wanted_type};"]


@check("R040", "referencing_columns", "FK columns: type, length and nullability")
def check_referencing_columns(ctx):
    problems, fixes, details = [], [], []
    key = ctx.column(ctx.user_table, "user_id")
    for expected in expected_foreign_keys():
        found = ctx.column(expected.table, expected.column)
        if found is None:
            problems.append(f"column {expected.where} is missing")
            continue
        found_type, not_null, type_oid = found
        wanted_type = ctx.canonical_type(expected.model_type(ctx.connection))
        table = ctx.quote(expected.table)
        if found_type != wanted_type:
            problems.append(f"column {expected.where} is {found_type}, the model says {wanted_type}")
            fixes.extend(type_fix(ctx, table, expected.column, wanted_type, problems))
        elif key is not None and type_oid != key[2]:
            problems.append(f'column {expected.where} is {found_type}, but "user".user_id is {key[0]}')
        if not_null == expected.null:
            wanted = "nullable" if expected.null else "NOT NULL"
            problems.append(
                f"column {expected.where} is {'NOT NULL' if not_null else 'nullable'}, "
                f"the model says {wanted}"
            )
            if expected.null:
                fixes.append(f"ALTER TABLE {table} ALTER COLUMN {ctx.quote(expected.column)} DROP NOT NULL;")
            else:
                fixes.extend(set_not_null_fixes(ctx, table, expected.column))
        details.append(f"{expected.where}: {found_type}{' NOT NULL' if not_null else ''}")
    if problems:
        return failed(
            f'{len(problems)} problem(s) with the columns that reference "user"', problems + details, fixes
        )
    return passed(f"{len(details)} columns: the key's type, the model's nullability", details)
