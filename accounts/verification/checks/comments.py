"""The table and column comments the models declare (the guide's) are in place."""

from accounts.catalog import legacy_column
from accounts.expectations import expected_comments
from accounts.verification.registry import check
from accounts.verification.results import failed, passed

TABLE_COMMENT = "SELECT obj_description(to_regclass(%s), 'pg_class')"
COLUMN_COMMENT = (
    "SELECT col_description(to_regclass(%s), "
    "(SELECT attnum FROM pg_attribute WHERE attrelid = to_regclass(%s) AND attname = %s))"
)


def comment_fix(ctx, table, column, wanted):
    literal = "'" + wanted.replace("'", "''") + "'"
    if column is None:
        return f"COMMENT ON TABLE {ctx.quote(table)} IS {literal};"
    return f"COMMENT ON COLUMN {ctx.quote(table)}.{ctx.quote(column)} IS {literal};"


@check("R160", "comments", "table and column comments")
def check_comments(ctx):
    problems, details, fixes = [], [], []
    for (table, column), wanted in sorted(
        expected_comments().items(), key=lambda item: (item[0][0], item[0][1] or "")
    ):
        if column is None:
            actual = ctx.value(TABLE_COMMENT, [ctx.quote(table)])
            where = f"table {table}"
        else:
            actual = ctx.value(COLUMN_COMMENT, [ctx.quote(table), ctx.quote(table), column])
            where = f"column {table}.{column}"
        if actual != wanted:
            problems.append(f"{where}: comment is {actual!r}, expected {wanted!r}")
            # A column still under its legacy name gets it back from prosumer_names' fix, which comes first.
            if column is None or any(
                ctx.column_exists(table, name) for name in (column, legacy_column(column))
            ):
                fixes.append(comment_fix(ctx, table, column, wanted))
        else:
            details.append(f"{where}: {wanted}")
    if problems:
        return failed(f"{len(problems)} comment(s) missing or different", problems + details, fixes)
    return passed(f"{len(details)} comments in place", details)
