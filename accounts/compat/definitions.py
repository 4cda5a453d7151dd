"""Which views the compatibility schema holds, and their SQL, read from the catalog.

One view per table the rename touches, found as the rename finds them
(``accounts.catalog``): the user table under its legacy name ``prosumer``, and
each table holding a foreign key to it under its own name. Each view lists
every column of its table in the table's order; the columns the rename renames
(the user table's key and each referencing key column) are aliased back to
their legacy names. Before the rename that alias is the column itself; after it,
``user_id AS prosumer_id``. Either way the view stores its table and columns by
OID and number, so the rename and its reverse carry the views along unchanged.

TypeORM's own tables (``migrations``, ``typeorm_metadata``), when the user
table's schema has them, get a plain view too: an old instance that looks for
its migrations table in the first schema of its search_path must find the real
one, not create an empty copy there and re-run its migrations.
"""

import re
from dataclasses import dataclass

from accounts import catalog

DEFAULT_SCHEMA = "enerlink_prosumer"
# A schema we created says so in its comment: remove never drops a schema without it.
MARKER = "enerlink user_rename_compat"
SCHEMA_COMMENT = (
    MARKER + ": the old backend's table and column names, as views over the real tables, for old "
    "instances during a rolling deploy (search_path={schema},public). Remove it with "
    '"manage.py user_rename_compat remove --schema {schema}" once no old instance is left.'
)
VIEW_COMMENT = MARKER + ": {table} under its legacy names"
TYPEORM_TABLES = ("migrations", "typeorm_metadata")

# Lower-case, unquoted identifiers only: the name goes into a search_path and a connection string.
SCHEMA_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
RESERVED_SCHEMAS = {"public", "information_schema"}


class CompatError(Exception):
    """Something the command reports in one line, then exits with ``exit_code``; nothing was changed."""

    exit_code = 2


class Busy(CompatError):
    """A lock could not be had in time: nothing was changed, and running the command again may work."""

    exit_code = 1


def quote(name):
    """A PostgreSQL identifier, always quoted (the rule of quote_ident: double the double quotes)."""
    return '"' + name.replace('"', '""') + '"'


def check_schema_name(schema):
    """Refuse a name that is not a plain lower-case identifier, or that names a schema we must not own."""
    if not isinstance(schema, str) or not SCHEMA_NAME.match(schema):
        raise CompatError(
            f"invalid schema name {schema!r}: use a lower-case identifier of letters, digits and "
            "underscores that does not start with a digit (at most 63), e.g. enerlink_prosumer"
        )
    if schema in RESERVED_SCHEMAS or schema.startswith("pg_"):
        raise CompatError(
            f"schema name {schema!r} is reserved for PostgreSQL or the real tables: "
            "choose a schema of its own, e.g. enerlink_prosumer"
        )
    return schema


@dataclass(frozen=True)
class ViewColumn:
    name: str  # the name old instances use
    source: str  # the table's column today

    @property
    def select_item(self):
        if self.name == self.source:
            return quote(self.source)
        return f"{quote(self.source)} AS {quote(self.name)}"


@dataclass(frozen=True)
class ViewDefinition:
    """One view: its legacy name, the table it reads (by OID and by today's name) and its columns."""

    name: str
    table_oid: int
    table: str  # schema-qualified and quoted
    owner: str
    columns: tuple

    @property
    def select_sql(self):
        return f"SELECT {', '.join(column.select_item for column in self.columns)} FROM {self.table}"

    @property
    def renamed_columns(self):
        return [column for column in self.columns if column.name != column.source]


TABLE_FACTS = """
SELECT format('%%I.%%I', n.nspname, c.relname), pg_get_userbyid(c.relowner)
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.oid = %s
"""
TABLE_COLUMNS = """
SELECT attname FROM pg_attribute WHERE attrelid = %s AND attnum > 0 AND NOT attisdropped ORDER BY attnum
"""
TYPEORM_TABLE_OIDS = """
SELECT c.oid, c.relname FROM pg_class c
 WHERE c.relnamespace = (SELECT relnamespace FROM pg_class WHERE oid = %s)
   AND c.relname = ANY (%s) AND c.relkind IN ('r', 'p')
 ORDER BY c.relname
"""


OURS_IN_SEARCH_PATH = """
SELECT string_agg(n.nspname, ', ') FROM unnest(current_schemas(false)) AS s(name)
  JOIN pg_namespace n ON n.nspname = s.name
 WHERE starts_with(obj_description(n.oid, 'pg_namespace'), %s)
"""


def refuse_compat_search_path(cursor):
    """In a session whose search_path starts with our views, "prosumer" would name a view, not the table."""
    cursor.execute(OURS_IN_SEARCH_PATH, [MARKER])
    found = cursor.fetchone()[0]
    if found:
        cursor.execute("SELECT current_setting('search_path')")
        raise CompatError(
            f"this session's search_path ({cursor.fetchone()[0]}) includes the compatibility schema {found}: "
            "that is the old instances' setting; run manage.py (this command and migrate) without it "
            "(check PGOPTIONS and ALTER ROLE ... SET search_path)"
        )


def user_table(cursor):
    """The user table (a catalog.UserTable); refuse when there is none or two."""
    try:
        table = catalog.user_table(cursor)
    except catalog.AmbiguousUserTable as error:
        raise CompatError(
            f"{error}: nobody can tell which one holds the users; drop or rename the stray one first"
        ) from error
    if table is None:
        cursor.execute("SELECT current_database()")
        raise CompatError(catalog.wrong_database(cursor.fetchone()[0]))
    return table


def expected_views(cursor):
    """The views the schema must hold today, in a stable order (the user table first)."""
    refuse_compat_search_path(cursor)
    table = user_table(cursor)
    keys = catalog.referencing_keys(cursor, table)
    renamed = {(table.oid, table.key)} | {(key.table_oid, key.column) for key in keys}
    tables = [(table.oid, catalog.LEGACY_TABLE)]
    for key in keys:
        if (key.table_oid, key.table_name) not in tables:
            tables.append((key.table_oid, key.table_name))
    cursor.execute(TYPEORM_TABLE_OIDS, [table.oid, list(TYPEORM_TABLES)])
    tables += [tuple(row) for row in cursor.fetchall()]

    views = []
    for oid, name in tables:
        cursor.execute(TABLE_FACTS, [oid])
        qualified, owner = cursor.fetchone()
        cursor.execute(TABLE_COLUMNS, [oid])
        columns = tuple(
            ViewColumn(catalog.legacy_column(column) if (oid, column) in renamed else column, column)
            for (column,) in cursor.fetchall()
        )
        views.append(ViewDefinition(name, oid, qualified, owner, columns))
    refuse_clashes(views)
    return views


def refuse_clashes(views):
    """Two views of one name, or two columns of one view under one legacy name: a half-renamed database."""
    seen = {}
    for view in views:
        if view.name in seen:
            raise CompatError(
                f"tables {seen[view.name]} and {view.table} would both need the view {view.name}: "
                "the compatibility schema takes one table per name"
            )
        seen[view.name] = view.table
        names = [column.name for column in view.columns]
        doubled = sorted({name for name in names if names.count(name) > 1})
        if doubled:
            raise CompatError(
                f"table {view.table} has two columns that both read as {', '.join(doubled)} under the legacy "
                "names: it looks partly renamed by hand; run manage.py verify_user_migration"
            )
