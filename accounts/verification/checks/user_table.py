"""Table "user" has the model's columns, types and nullability; no table prosumer is left beside it."""

from accounts.verification.expectations import user_model
from accounts.verification.registry import check
from accounts.verification.results import failed, passed


@check("user_table", 'table "user" matches the model')
def check_user_table(ctx):
    problems = []
    if ctx.value("SELECT to_regclass('prosumer') IS NOT NULL"):
        problems.append('table prosumer still exists beside "user"')
    actual = {
        name: (type_oid, not_null)
        for name, type_oid, not_null in ctx.rows(
            "SELECT attname, atttypid, attnotnull FROM pg_attribute WHERE attrelid = to_regclass(%s) "
            "AND attnum > 0 AND NOT attisdropped",
            [ctx.quote(ctx.user_table)],
        )
    }
    model_fields = user_model()._meta.local_fields
    for model_field in model_fields:
        column = model_field.column
        if column not in actual:
            problems.append(f'column "user".{column} is missing')
            continue
        expected_type = ctx.value("SELECT to_regtype(%s)::oid", [model_field.db_type(ctx.connection)])
        type_oid, not_null = actual.pop(column)
        if expected_type != type_oid:
            found, wanted = ctx.rows(
                "SELECT format_type(%s, NULL), format_type(%s, NULL)", [type_oid, expected_type]
            )[0]
            problems.append(f'column "user".{column} is {found}, the model says {wanted}')
        if not_null == model_field.null:
            problems.append(
                f'column "user".{column} is {"NOT NULL" if not_null else "nullable"}, '
                f"the model says {'nullable' if model_field.null else 'NOT NULL'}"
            )
    details = problems + [f'extra column "user".{column} (not in the model)' for column in sorted(actual)]
    if problems:
        return failed(f'{len(problems)} problem(s) with table "user"', details)
    return passed(f'table "user" has the model\'s {len(model_fields)} columns', details)
