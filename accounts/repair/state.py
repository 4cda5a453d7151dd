"""What the repair reads from the catalog: the user table, its keys, and the indexes, names and comments.

Everything here is a catalog read (no table is scanned; orphans are counted
apart, in ``orphans.py``), done with a plain psycopg cursor. The user table and
the keys that reference it come from ``accounts.catalog``, the way the rename
finds them. One difference: a table renamed by hand may still call its key
column ``prosumer_id``, so the key column is read, not assumed.
"""

from dataclasses import dataclass, field

from accounts import catalog
from accounts.facts import JOURNAL_TABLE, MIGRATIONS_TABLE


class CannotRepair(Exception):
    """The database is not one the repair can work on; the message says why and what to do."""


@dataclass(frozen=True)
class Table:
    oid: int
    name: str
    relfilenode: int
    reltuples: int
    relpages: int
    owner: str
    owned: bool  # the current role may ALTER it (owner, or member of the owner role)
    comment: str | None


@dataclass(frozen=True)
class Index:
    oid: int
    name: str
    table: str
    valid: bool
    unique: bool
    constraint: bool  # backs a primary-key, unique or exclusion constraint
    columns: tuple  # the table's column names, in key order; None for an expression
    attnames: tuple  # the index's own column names (they keep the name they were built with)
    partial: bool
    signature: tuple  # what makes two indexes the same index
    definition: str  # pg_get_indexdef

    @property
    def plain(self):
        """One column, no expression, no predicate: the kind the rename gives a canonical name."""
        return len(self.columns) == 1 and self.columns[0] is not None and not self.partial

    @property
    def leading(self):
        return self.columns[0] if self.columns else None


@dataclass(frozen=True)
class Constraint:
    oid: int
    name: str
    table: str
    kind: str  # pg_constraint.contype


@dataclass(frozen=True)
class Trigger:
    name: str
    table: str


@dataclass
class DatabaseState:
    database: str
    server_version: str
    role: str
    user: catalog.UserTable
    keywords: frozenset
    tables: dict = field(default_factory=dict)  # name -> Table (the user table and the tables of the models)
    columns: dict = field(default_factory=dict)  # table -> set of column names
    keys: list = field(default_factory=list)  # catalog.ForeignKey to the user table's key
    indexes: list = field(default_factory=list)  # Index, on the tables above
    constraints: list = field(default_factory=list)  # Constraint, on the tables above
    triggers: list = field(default_factory=list)  # Trigger named prosumer, on the tables above
    sequences: list = field(default_factory=list)  # sequence names that say prosumer
    relations: set = field(default_factory=set)  # every relation name of the user table's schema
    column_comments: dict = field(default_factory=dict)  # (table, column) -> comment
    migrations_table: bool = False
    applied: set = field(default_factory=set)  # (app, name)
    journal_table: bool = False
    renamed_by_migration: bool = False  # the journal holds the rename's own entries
    recorded_rules: dict = field(default_factory=dict)  # (table, column) -> rule dict, from the journal
    identities_recorded: bool = False
    code_with_prosumer: list = field(default_factory=list)

    def has_column(self, table, column):
        return column in self.columns.get(table, set())

    def keys_on(self, table, column):
        return [key for key in self.keys if key.table_name == table and key.column == column]

    def indexes_on(self, table):
        return [index for index in self.indexes if index.table == table]

    def constraint_names(self, table):
        return {constraint.name for constraint in self.constraints if constraint.table == table}


USER_KEY_COLUMN = """
SELECT attname FROM pg_attribute
 WHERE attrelid = %s AND attname IN ('user_id', 'prosumer_id') AND attnum > 0 AND NOT attisdropped
 ORDER BY attname DESC
"""

TABLES = """
SELECT c.oid, c.relname, c.relfilenode, c.reltuples::bigint, c.relpages, pg_get_userbyid(c.relowner),
       pg_has_role(c.relowner, 'USAGE'), obj_description(c.oid, 'pg_class')
  FROM pg_class c
 WHERE c.relnamespace = %s AND c.relkind IN ('r', 'p') AND c.relname = ANY (%s)
"""

COLUMNS = """
SELECT c.relname, a.attname, col_description(a.attrelid, a.attnum)
  FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
 WHERE a.attrelid = ANY (%s) AND a.attnum > 0 AND NOT a.attisdropped
"""

INDEXES = """
SELECT i.indexrelid, ic.relname, t.relname, i.indisvalid, i.indisunique,
       EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid AND k.conrelid = i.indrelid),
       ARRAY(SELECT ta.attname FROM unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, n)
               LEFT JOIN pg_attribute ta ON ta.attrelid = i.indrelid AND ta.attnum = k.attnum AND k.attnum > 0
              WHERE k.n <= i.indnkeyatts ORDER BY k.n),
       ARRAY(SELECT ia.attname FROM pg_attribute ia WHERE ia.attrelid = i.indexrelid AND ia.attnum > 0
              ORDER BY ia.attnum),
       i.indpred IS NOT NULL,
       i.indkey::text, i.indclass::text, i.indcollation::text, i.indoption::text,
       coalesce(pg_get_expr(i.indexprs, i.indrelid), ''), coalesce(pg_get_expr(i.indpred, i.indrelid), ''),
       ic.relam, i.indnkeyatts, pg_get_indexdef(i.indexrelid)
  FROM pg_index i
  JOIN pg_class ic ON ic.oid = i.indexrelid
  JOIN pg_class t ON t.oid = i.indrelid
 WHERE i.indrelid = ANY (%s)
 ORDER BY t.relname, ic.relname
"""

CONSTRAINTS = """
SELECT k.oid, k.conname, t.relname, k.contype
  FROM pg_constraint k JOIN pg_class t ON t.oid = k.conrelid
 WHERE k.conrelid = ANY (%s)
 ORDER BY t.relname, k.conname
"""

TRIGGERS = """
SELECT t.tgname, c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
 WHERE t.tgrelid = ANY (%s) AND NOT t.tgisinternal AND t.tgname ~* 'prosumer'
 ORDER BY c.relname, t.tgname
"""

SEQUENCES = """
SELECT c.relname FROM pg_class c
 WHERE c.relkind = 'S' AND c.relnamespace = %s AND c.relname ~* 'prosumer' ORDER BY 1
"""


def read_state(cursor, expected_tables):
    """The state of the database behind ``cursor``, for the user table and ``expected_tables``.

    Raises CannotRepair when there is no renamed user table to repair.
    """
    cursor.execute("SELECT current_database(), current_setting('server_version'), current_user")
    database, version, role = cursor.fetchone()
    version = version.split(" ")[0]
    try:
        found = catalog.user_table(cursor)
    except catalog.AmbiguousUserTable as error:
        raise CannotRepair(
            f'both tables prosumer and "user" exist in database {database!r}: nobody can tell which one '
            "holds the users; drop or rename the stray one, then run the repair again"
        ) from error
    if found is None:
        raise CannotRepair(catalog.wrong_database(database))
    if not found.renamed:
        raise CannotRepair(
            f"nothing to repair: table prosumer in database {database!r} was never renamed; run manage.py "
            "migrate, which renames it (the repair is for databases renamed by the guide or by hand)"
        )
    cursor.execute(USER_KEY_COLUMN, [found.oid])
    row = cursor.fetchone()
    if row is None:
        raise CannotRepair(
            f'table "user" in database {database!r} has neither column user_id nor prosumer_id: '
            "it is not the EnerLink user table"
        )
    user = catalog.UserTable(found.oid, found.name, row[0])
    cursor.execute("SELECT word FROM pg_get_keywords() WHERE catcode <> 'U'")
    keywords = frozenset(word for (word,) in cursor.fetchall())
    state = DatabaseState(database, version, role, user, keywords)
    cursor.execute("SELECT relnamespace FROM pg_class WHERE oid = %s", [user.oid])
    namespace = cursor.fetchone()[0]

    state.keys = catalog.referencing_keys(cursor, user)
    names = sorted({user.name, *expected_tables, *(key.table_name for key in state.keys)})
    cursor.execute(TABLES, [namespace, names])
    for oid, name, filenode, tuples, pages, owner, owned, comment in cursor.fetchall():
        state.tables[name] = Table(oid, name, filenode, tuples, pages, owner, owned, comment)
    not_owned = sorted(name for name, table in state.tables.items() if not table.owned)
    if not_owned:
        owners = ", ".join(sorted({state.tables[name].owner for name in not_owned}))
        raise CannotRepair(
            f"role {role} does not own {len(not_owned)} table(s) of the repair ({', '.join(not_owned)}; "
            f"owner: {owners}): run it as the role that owns the tables"
        )
    oids = [table.oid for table in state.tables.values()]

    cursor.execute(COLUMNS, [oids])
    for table, column, comment in cursor.fetchall():
        state.columns.setdefault(table, set()).add(column)
        state.column_comments[(table, column)] = comment
    cursor.execute(INDEXES, [oids])
    for row in cursor.fetchall():
        (oid, name, table, valid, unique, backs, columns, attnames, partial, *signature) = row
        definition = signature.pop()
        key_count = signature[-1]
        state.indexes.append(
            Index(
                oid,
                name,
                table,
                valid,
                unique,
                backs,
                tuple(columns[:key_count]),
                tuple(attnames),
                partial,
                (table, unique, *signature),
                definition,
            )
        )
    cursor.execute(CONSTRAINTS, [oids])
    state.constraints = [Constraint(*row) for row in cursor.fetchall()]
    cursor.execute(TRIGGERS, [oids])
    state.triggers = [Trigger(*row) for row in cursor.fetchall()]
    cursor.execute(SEQUENCES, [namespace])
    state.sequences = [name for (name,) in cursor.fetchall()]
    cursor.execute("SELECT relname FROM pg_class WHERE relnamespace = %s", [namespace])
    state.relations = {name for (name,) in cursor.fetchall()}
    _read_history(cursor, state)
    _read_journal(cursor, state)
    state.code_with_prosumer = _code_with_prosumer(cursor, namespace)
    return state


def _code_with_prosumer(cursor, namespace):
    """Views and functions that say prosumer: listed for a person, never changed by the repair."""
    cursor.execute(catalog.CODE_VIEWS, {"ns": namespace})
    found = [f"{kind} {name}" for name, kind in cursor.fetchall()]
    cursor.execute(catalog.CODE_FUNCTIONS, {"ns": namespace})
    return found + [f"function {row[1]}" for row in cursor.fetchall()]


def _read_history(cursor, state):
    cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [MIGRATIONS_TABLE])
    state.migrations_table = cursor.fetchone()[0]
    if state.migrations_table:
        cursor.execute(f"SELECT app, name FROM {MIGRATIONS_TABLE}")
        state.applied = set(cursor.fetchall())


def _read_journal(cursor, state):
    cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [JOURNAL_TABLE])
    state.journal_table = cursor.fetchone()[0]
    if not state.journal_table:
        return
    cursor.execute(
        f"SELECT EXISTS (SELECT 1 FROM {JOURNAL_TABLE} WHERE kind = 'rename'), "
        f"EXISTS (SELECT 1 FROM {JOURNAL_TABLE} WHERE kind = 'table_identity')"
    )
    state.renamed_by_migration, state.identities_recorded = cursor.fetchone()
    cursor.execute(
        f"SELECT table_name, details FROM {JOURNAL_TABLE} WHERE kind = 'foreign_key' ORDER BY step, id"
    )
    for table, details in cursor.fetchall():
        details = details or {}
        column = details.get("new_column")
        if column and details.get("on_delete"):
            state.recorded_rules[(table.strip('"'), column)] = details
