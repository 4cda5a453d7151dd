"""SQL for the initial migrations: create the legacy schema, or adopt it as it is.

A team that already runs the legacy database applies ``manage.py migrate`` to
its production copy. Its constraint and index names are ORM hashes and most
foreign-key columns have no index, and none of that may change on adoption.
So each initial migration creates a legacy table only where it is missing;
where it exists, it checks that the expected columns are there (failing with a
message that says which are not) and leaves the table untouched.
"""

import textwrap


def create_unless_present(table, columns, create_sql):
    """A DO block that creates ``table`` with ``create_sql`` or adopts the existing one."""
    expected = ", ".join(f"'{column}'" for column in columns)
    body = textwrap.indent(textwrap.dedent(create_sql).strip(), "        ")
    return f"""
DO $adopt$
DECLARE
    missing text[];
BEGIN
    IF to_regclass('{table}') IS NULL THEN
{body}
    ELSE
        SELECT array_agg(expected ORDER BY expected) INTO missing
          FROM unnest(ARRAY[{expected}]) AS expected
         WHERE NOT EXISTS (
               SELECT 1 FROM pg_attribute
                WHERE attrelid = to_regclass('{table}') AND attname = expected
                  AND attnum > 0 AND NOT attisdropped);
        IF missing IS NOT NULL THEN
            RAISE EXCEPTION 'table {table} exists but lacks column(s) %: it is not the legacy EnerLink table', missing
                USING HINT = 'Compare it with docs/adoption.md; nothing was changed.';
        END IF;
        RAISE NOTICE 'adopting existing table {table} unchanged';
    END IF;
END
$adopt$;
"""


REFUSE_RENAMED_DATABASE = """
DO $guard$
BEGIN
    IF to_regclass('prosumer') IS NULL AND to_regclass('"user"') IS NOT NULL THEN
        RAISE EXCEPTION 'this database was already renamed: table "user" exists and table prosumer does not'
            USING HINT = 'See "Databases renamed by hand" in docs/adoption.md; nothing was changed.';
    END IF;
END
$guard$;
"""


ENSURE_TIMESTAMP_FUNCTION = """
IF to_regprocedure('trigger_set_timestamp()') IS NULL THEN
    CREATE FUNCTION trigger_set_timestamp() RETURNS trigger LANGUAGE plpgsql AS $fn$
    BEGIN
        NEW.updated_at = now();
        RETURN NEW;
    END
    $fn$;
END IF;
"""
