"""Fixes that several checks give, written once."""


def set_not_null_fixes(ctx, table, column):
    """NOT NULL without a long exclusive scan: a validated CHECK lets SET NOT NULL skip reading the table.

    ``table`` is quoted already. The CHECK is added NOT VALID (a brief lock), validated while
    writes go on, then SET NOT NULL finds it and does not scan; the CHECK is dropped after.
    """
    constraint = ctx.quote(f"{column}_not_null_check"[:63])
    column = ctx.quote(column)
    return [
        f"ALTER TABLE {table} ADD CONSTRAINT {constraint} CHECK ({column} IS NOT NULL) NOT VALID;",
        f"ALTER TABLE {table} VALIDATE CONSTRAINT {constraint};",
        f"ALTER TABLE {table} ALTER COLUMN {column} SET NOT NULL;",
        f"ALTER TABLE {table} DROP CONSTRAINT {constraint};",
    ]
