"""Table "user" as the model and the legacy schema say: its columns, then its keys and defaults."""

from django.db.models.functions import Now

from accounts.expectations import user_model
from accounts.verification.registry import check
from accounts.verification.results import doubtful, failed, passed
from accounts.verification.sql_fixes import set_not_null_fixes

USER_COLUMNS = """
SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull, pg_get_expr(d.adbin, d.adrelid),
       a.attidentity <> '' OR a.attgenerated <> ''
  FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
 WHERE a.attrelid = to_regclass(%s) AND a.attnum > 0 AND NOT a.attisdropped
"""

# Unique indexes of "user" (those behind its primary key and UNIQUE constraints included).
UNIQUE_INDEXES = """
SELECT c.relname, k.conname,
       ARRAY(SELECT a.attname FROM unnest(i.indkey) WITH ORDINALITY AS k(attnum, n)
               JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum ORDER BY k.n)::text[],
       i.indisprimary, i.indisvalid AND i.indimmediate AND i.indpred IS NULL AND i.indexprs IS NULL,
       coalesce(k.condeferrable, false)
  FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
  LEFT JOIN pg_constraint k
         ON k.conindid = i.indexrelid AND k.conrelid = i.indrelid AND k.contype IN ('p', 'u')
 WHERE i.indrelid = to_regclass(%s) AND i.indisunique
 ORDER BY 1
"""

# What a default of "the current time" looks like in the catalog (the legacy schema's is now()).
CURRENT_TIME = {
    "now()",
    "CURRENT_TIMESTAMP",
    "statement_timestamp()",
    "transaction_timestamp()",
    "LOCALTIMESTAMP",
}


@check("R010", "user_table", 'table "user" matches the model')
def check_user_table(ctx):
    problems, fixes = [], []
    if ctx.value("SELECT to_regclass('prosumer') IS NOT NULL"):
        problems.append('table prosumer still exists beside "user"')
    actual = {
        name: (type_name, not_null)
        for name, type_name, not_null, _default, _generated in ctx.rows(
            USER_COLUMNS, [ctx.quote(ctx.user_table)]
        )
    }
    model_fields = user_model()._meta.local_fields
    user = ctx.quote(ctx.user_table)
    for model_field in model_fields:
        column = model_field.column
        if column not in actual:
            problems.append(f'column "user".{column} is missing')
            continue
        wanted = ctx.canonical_type(model_field.db_type(ctx.connection))
        type_name, not_null = actual.pop(column)
        if type_name != wanted:
            problems.append(f'column "user".{column} is {type_name}, the model says {wanted}')
            fixes.append(f"ALTER TABLE {user} ALTER COLUMN {ctx.quote(column)} TYPE {wanted};")
        if not_null == model_field.null:
            problems.append(
                f'column "user".{column} is {"NOT NULL" if not_null else "nullable"}, '
                f"the model says {'nullable' if model_field.null else 'NOT NULL'}"
            )
            if model_field.null:
                fixes.append(f"ALTER TABLE {user} ALTER COLUMN {ctx.quote(column)} DROP NOT NULL;")
            else:
                fixes.extend(set_not_null_fixes(ctx, user, column))
    details = problems + [f'extra column "user".{column} (not in the model)' for column in sorted(actual)]
    if problems:
        return failed(f'{len(problems)} problem(s) with table "user"', details, fixes)
    return passed(f'table "user" has the model\'s {len(model_fields)} columns', details)


def default_matches(ctx, model_field, actual):
    """Whether the column default in the catalog (``actual``, SQL text or None) is the model's db_default."""
    if not model_field.has_db_default():
        return actual is None
    if actual is None:
        return False
    if isinstance(model_field.db_default, Now):
        return actual in CURRENT_TIME
    sql, params = ctx.connection.schema_editor().db_default_sql(model_field)
    escaped = actual.replace("%", "%%") if params else actual
    return ctx.value(f"SELECT ({escaped}) IS NOT DISTINCT FROM ({sql})", params)


def wanted_default_sql(ctx, model_field):
    """The default to set: the legacy schema's now() for the current time, else the model's expression."""
    if isinstance(model_field.db_default, Now):
        return "now()"
    sql, params = ctx.connection.schema_editor().db_default_sql(model_field)
    return sql % tuple(ctx.connection.schema_editor().quote_value(param) for param in params)


def key_problems(ctx, model):
    """The primary key and the UNIQUE columns of the model, against the unique indexes of "user"."""
    problems, fixes, extras = [], [], []
    user = ctx.quote(ctx.user_table)
    unique = ctx.rows(UNIQUE_INDEXES, [user])
    pk_column = model._meta.pk.column
    primary = [row for row in unique if row[3]]
    if not primary:
        problems.append(f'table "user" has no primary key (the model\'s is {pk_column})')
        fixes += [
            f"CREATE UNIQUE INDEX CONCURRENTLY user_pkey ON {user} ({ctx.quote(pk_column)});",
            f"ALTER TABLE {user} ADD CONSTRAINT user_pkey PRIMARY KEY USING INDEX user_pkey;",
        ]
    elif primary[0][2] != [pk_column]:
        problems.append(
            f'the primary key of "user" is on ({", ".join(primary[0][2])}), the model\'s is {pk_column}'
        )
    wanted = {(pk_column,)} | {
        (f.column,) for f in model._meta.local_fields if f.unique and not f.primary_key
    }
    enforced = {
        tuple(columns) for _name, _kind, columns, _pk, sound, deferrable in unique if sound and not deferrable
    }
    for columns in sorted(wanted - {(pk_column,)}):
        if columns not in enforced:
            name = f"user_{'_'.join(columns)}_key"
            listed = ", ".join(ctx.quote(column) for column in columns)
            problems.append(
                f'"user"({", ".join(columns)}) is not unique: the model and the legacy schema say it is'
            )
            fixes += [
                f"CREATE UNIQUE INDEX CONCURRENTLY {name} ON {user} ({listed});",
                f"ALTER TABLE {user} ADD CONSTRAINT {name} UNIQUE USING INDEX {name};",
            ]
    for name, constraint, columns, is_primary, sound, deferrable in unique:
        if (not sound or deferrable) and not is_primary:
            # Dropped after the sound one above is built: uniqueness is never off meanwhile.
            fixes.append(
                f"ALTER TABLE {user} DROP CONSTRAINT {ctx.quote(constraint)};"
                if constraint
                else f"DROP INDEX CONCURRENTLY {ctx.quote(name)};"
            )
        if not sound or deferrable:
            problems.append(
                f'unique index {name} on "user"({", ".join(columns)}) does not enforce uniqueness '
                "of every row at once (invalid, partial, on an expression or deferrable)"
            )
        elif tuple(columns) not in wanted:
            extras.append(
                f'unique index {name} on "user"({", ".join(columns)}): neither the model '
                "nor the legacy schema has it; it refuses rows the application may write"
            )
    return problems, fixes, extras


@check("R020", "user_keys_and_defaults", 'table "user": primary key, unique columns and defaults')
def check_user_keys_and_defaults(ctx):
    model = user_model()
    problems, fixes, extras = key_problems(ctx, model)
    user = ctx.quote(ctx.user_table)
    columns = {
        name: (default, generated)
        for name, _type, _not_null, default, generated in ctx.rows(USER_COLUMNS, [user])
    }
    for model_field in model._meta.local_fields:
        if model_field.column not in columns:
            continue  # the user_table check names it
        default, generated = columns[model_field.column]
        column = ctx.quote(model_field.column)
        if generated:
            problems.append(f'column "user".{model_field.column} is an identity or generated column')
        elif not default_matches(ctx, model_field, default):
            wanted = wanted_default_sql(ctx, model_field) if model_field.has_db_default() else None
            problems.append(
                f'column "user".{model_field.column} has default {default or "none"}, '
                f"the model and the legacy schema say {wanted or 'none'}"
            )
            change = f"SET DEFAULT {wanted}" if wanted else "DROP DEFAULT"
            fixes.append(f"ALTER TABLE {user} ALTER COLUMN {column} {change};")
    if problems:
        return failed(
            f'{len(problems)} problem(s) with the keys or defaults of "user"', problems + extras, fixes
        )
    if extras:
        return doubtful(f'{len(extras)} unique index(es) on "user" that the model does not know', extras)
    return passed('primary key, unique columns and defaults of "user" as the model and the legacy schema say')
