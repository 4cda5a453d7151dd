"""The rename's objects as PostgreSQL's catalog knows them: found by what they are, never by guessed names.

Production copies name their keys with ORM hashes, the guide's names or Django's,
so every tool that works on the rename (the compatibility schema, the repair, the
preflight, the report) finds the user table and the keys that reference it here,
the way the rename's own SQL does (``accounts/migrations/0003_*.forward.sql``,
step 2): every single-column foreign key whose target is the user table's key
column, whatever its table or name. Works with a Django cursor or a psycopg one.
"""

from dataclasses import dataclass

LEGACY_TABLE = "prosumer"
USER_TABLE = "user"
LEGACY_KEY = "prosumer_id"
USER_KEY = "user_id"


@dataclass(frozen=True)
class UserTable:
    """The table that holds the platform's users, before the rename (prosumer) or after it ("user")."""

    oid: int
    name: str
    key: str

    @property
    def renamed(self):
        return self.name == USER_TABLE


@dataclass(frozen=True)
class ForeignKey:
    """A single-column foreign key that references the user table's key."""

    oid: int
    name: str
    table_oid: int
    table: str  # as regclass prints it: quoted where needed, schema-qualified off the search_path
    table_name: str
    column: str
    on_delete: str  # pg_constraint.confdeltype: a, r, c, n, d
    on_update: str
    deferrable: bool
    deferred: bool
    validated: bool
    definition: str


USER_TABLES = """
SELECT c.oid, c.relname FROM pg_class c
 WHERE c.oid IN (to_regclass('prosumer'), to_regclass('"user"')) AND c.relkind IN ('r', 'p')
 ORDER BY c.relname
"""

REFERENCING_KEYS = """
SELECT c.oid, c.conname, c.conrelid, c.conrelid::regclass::text, t.relname, a.attname,
       c.confdeltype, c.confupdtype, c.condeferrable, c.condeferred, c.convalidated,
       pg_get_constraintdef(c.oid)
  FROM pg_constraint c
  JOIN pg_class t ON t.oid = c.conrelid
  JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
 WHERE c.contype = 'f' AND c.confrelid = %s AND cardinality(c.conkey) = 1
   AND c.confkey[1] = (SELECT attnum FROM pg_attribute WHERE attrelid = %s AND attname = %s)
   AND c.conrelid <> %s
 ORDER BY 4, 6, 2
"""


# Views of the schema whose name, columns or text say prosumer.
CODE_VIEWS = r"""
SELECT c.oid::regclass::text, CASE c.relkind WHEN 'm' THEN 'materialized view' ELSE 'view' END
  FROM pg_class c
 WHERE c.relnamespace = %(ns)s AND c.relkind IN ('v', 'm')
   AND (c.relname ~* 'prosumer' OR pg_get_viewdef(c.oid) ~* 'prosumer'
        OR EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname ~* 'prosumer'))
 ORDER BY 1
"""

# Functions and procedures of the schema (not an extension's) whose name, arguments or text say prosumer.
CODE_FUNCTIONS = r"""
SELECT p.oid, p.oid::regprocedure::text, l.lanname, p.prosrc, p.prosqlbody IS NOT NULL,
       coalesce(p.proargnames, '{}'),
       EXISTS (SELECT 1 FROM pg_type t WHERE t.typtype = 'p' AND t.typname LIKE 'any%%'
                 AND (t.oid = p.prorettype OR t.oid = ANY (p.proargtypes))),
       CASE WHEN p.prokind IN ('f', 'p') THEN pg_get_functiondef(p.oid) END,
       pg_has_role(p.proowner, 'USAGE')
  FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
 WHERE p.pronamespace = %(ns)s AND p.prokind IN ('f', 'p') AND l.lanname NOT IN ('internal', 'c')
   AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid
                     AND d.deptype = 'e')
   AND (p.proname ~* 'prosumer' OR p.prosrc ~* 'prosumer'
        OR array_to_string(coalesce(p.proargnames, '{}'), ' ') ~* 'prosumer')
 ORDER BY 2
"""


class AmbiguousUserTable(Exception):
    """Both prosumer and "user" exist: nobody can tell which one holds the users."""


class NoUserTable(Exception):
    """Neither prosumer nor "user": not an EnerLink database, or not the one that was meant."""


def wrong_database(database):
    """The one line every command gives on a database that has neither user table."""
    return (
        f'wrong database: {database!r} has neither table prosumer nor "user"; '
        "check DATABASE_URL or --database"
    )


def require_user_table(cursor):
    """The user table; NoUserTable, with the line that says what to do, when there is none."""
    found = user_table(cursor)
    if found is None:
        cursor.execute("SELECT current_database()")
        raise NoUserTable(wrong_database(cursor.fetchone()[0]))
    return found


def user_table(cursor):
    """The user table, or None when the database has neither prosumer nor "user"."""
    cursor.execute(USER_TABLES)
    found = {name: oid for oid, name in cursor.fetchall()}
    if len(found) > 1:
        raise AmbiguousUserTable('both tables prosumer and "user" exist')
    if LEGACY_TABLE in found:
        return UserTable(found[LEGACY_TABLE], LEGACY_TABLE, LEGACY_KEY)
    if USER_TABLE in found:
        return UserTable(found[USER_TABLE], USER_TABLE, USER_KEY)
    return None


def referencing_keys(cursor, table):
    """Every single-column foreign key that references ``table``'s key column (a UserTable)."""
    cursor.execute(REFERENCING_KEYS, [table.oid, table.oid, table.key, table.oid])
    return [ForeignKey(*row) for row in cursor.fetchall()]


def renamed_column(column):
    """The column's name after the rename, as the rename names it: prosumer becomes user."""
    return column.replace("prosumer", "user")


def legacy_column(column):
    """The column's name before the rename, for a column the rename renamed (user_id -> prosumer_id)."""
    return column.replace("user", "prosumer")
