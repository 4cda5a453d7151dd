"""What every check needs: the connection, a cursor, and the rename's journal, read once."""

from dataclasses import dataclass
from functools import cached_property

from django.db.migrations.executor import MigrationExecutor

from accounts.catalog import legacy_column
from accounts.expectations import (
    LEGACY_KEY_DEFINITION,
    KeyDefinition,
    expected_foreign_keys,
    user_model,
)
from accounts.facts import JOURNAL_TABLE


@dataclass(frozen=True)
class TableIdentity:
    """A table as the rename saw it: its OID and data file, and the planner's row estimate."""

    name: str
    oid: int
    relfilenode: int
    reltuples: int
    source: str = (
        "rename"  # or "repair": manage.py repair_user_migration, on a database renamed by other means
    )


class Context:
    def __init__(self, connection, progress=None, options=None):
        self.connection = connection
        self.options = options or {}  # what the command was told (e.g. the preflight's acknowledgements)
        self.cursor = connection.cursor()
        self.user_table = user_model()._meta.db_table
        self._progress = progress
        self._types = {}
        self.memo = {}  # what several checks of one run need, computed once
        self.current_check = None
        # The schema of "user": the name checks look there, not in every schema of the database.
        # (None before the rename, when the preflight runs.)
        self.namespace = self.value(
            "SELECT (SELECT relnamespace FROM pg_class WHERE oid = to_regclass(%s))",
            [self.quote(self.user_table)],
        )

    def close(self):
        self.cursor.close()

    def progress(self, text):
        """Say what a long check is reading now (the command shows it on a terminal)."""
        if self._progress:
            self._progress(self.current_check, text)

    def rows(self, query, params=None):
        # No parameters: None, so that a % in the SQL (a LIKE pattern, a format()) is left alone.
        self.cursor.execute(query, params or None)
        return self.cursor.fetchall()

    def value(self, query, params=None):
        self.cursor.execute(query, params or None)
        return self.cursor.fetchone()[0]

    def quote(self, name):
        return self.connection.ops.quote_name(name)

    def canonical_type(self, type_sql):
        """``type_sql`` (a model's db_type, e.g. ``varchar(255)``) as format_type() prints it.

        PostgreSQL parses it: the type and modifier of ``SELECT NULL::<type>`` come back with the
        result, with no table or function created (so it works on a read-only connection too).
        """
        if type_sql not in self._types:
            self.cursor.execute(f"SELECT NULL::{type_sql}")
            result = self.cursor.cursor.pgresult
            self._types[type_sql] = self.value(
                "SELECT format_type(%s, %s)", [result.ftype(0), result.fmod(0)]
            )
        return self._types[type_sql]

    def column(self, table, column):
        """(type as format_type prints it, NOT NULL, type OID) of a column, or None when it does not exist."""
        rows = self.rows(
            "SELECT format_type(atttypid, atttypmod), attnotnull, atttypid FROM pg_attribute "
            "WHERE attrelid = to_regclass(%s) AND attname = %s AND NOT attisdropped AND attnum > 0",
            [self.quote(table), column],
        )
        return rows[0] if rows else None

    def column_exists(self, table, column):
        return self.value(
            "SELECT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass(%s) "
            "AND attname = %s AND NOT attisdropped AND attnum > 0)",
            [self.quote(table), column],
        )

    @cached_property
    def has_journal(self):
        return self.value("SELECT to_regclass(%s) IS NOT NULL", [JOURNAL_TABLE])

    @cached_property
    def recorded_keys(self):
        """(table, new column) -> the definition each key had when the rename ran (KeyDefinition)."""
        if not self.has_journal:
            return {}
        return {
            (table.strip('"'), column): KeyDefinition(
                on_delete, on_update, deferrable == "true", deferred == "true", validated == "true"
            )
            for table, column, on_delete, on_update, deferrable, deferred, validated in self.rows(
                f"SELECT table_name, details->>'new_column', details->>'on_delete', details->>'on_update', "
                f"details->>'deferrable', details->>'deferred', details->>'validated' FROM {JOURNAL_TABLE} "
                "WHERE kind = 'foreign_key'"
            )
        }

    def expected_key(self, expected):
        """What the key on ``expected`` (an ExpectedForeignKey) should be, and where that comes from."""
        recorded = self.recorded_keys.get((expected.table, expected.column))
        if recorded is not None:
            return recorded, "recorded before the rename"
        return LEGACY_KEY_DEFINITION._replace(on_delete=expected.model_rule), "of the legacy schema"

    @cached_property
    def renamed_names(self):
        """Old name -> new name of the tables and columns the rename renamed (prosumer -> user, ...).

        From the journal when there is one, and from the models' columns (whose legacy names
        say prosumer) either way, so that a database renamed by other means is covered too.
        """
        names = {"prosumer": self.user_table, "prosumer_id": "user_id"}
        names.update({legacy_column(key.column): key.column for key in expected_foreign_keys()})
        if self.has_journal:
            names.update(
                self.rows(
                    f"SELECT DISTINCT old_name, new_name FROM {JOURNAL_TABLE} WHERE kind = 'rename' "
                    "AND object_type IN ('table', 'column') AND old_name <> new_name"
                )
            )
        return names

    @cached_property
    def gone_names(self):
        """Old name -> new name, for the renamed names that no table, view or table column bears any more."""
        existing = {
            name
            for (name,) in self.rows(
                "SELECT c.relname FROM pg_class c WHERE c.relnamespace = %s AND c.relname = ANY (%s) "
                "UNION SELECT a.attname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
                "WHERE c.relnamespace = %s AND c.relkind IN ('r', 'p', 'f') AND a.attnum > 0 "
                "AND NOT a.attisdropped AND a.attname = ANY (%s)",
                [self.namespace, list(self.renamed_names), self.namespace, list(self.renamed_names)],
            )
        }
        return {old: new for old, new in self.renamed_names.items() if old not in existing}

    @cached_property
    def migration_plan(self):
        """The migrations ``manage.py migrate`` would apply now, in order."""
        executor = MigrationExecutor(self.connection)
        return [
            migration
            for migration, backwards in executor.migration_plan(executor.loader.graph.leaf_nodes())
            if not backwards
        ]

    @property
    def pending_migrations(self):
        """(app, name) of every migration ``manage.py migrate`` would apply now."""
        return [(migration.app_label, migration.name) for migration in self.migration_plan]

    @cached_property
    def pending_index_names(self):
        """The indexes that ``manage.py migrate`` would build now (AddIndex and its concurrent kin)."""
        return {
            operation.index.name
            for migration in self.migration_plan
            for operation in migration.operations
            if hasattr(operation, "index")
        }

    @cached_property
    def recorded_identities(self):
        """The tables' identities the rename recorded, under their names after the rename."""
        if not self.has_journal:
            return []
        return [
            TableIdentity(name, int(oid), int(relfilenode), int(reltuples), source)
            for name, oid, relfilenode, reltuples, source in self.rows(
                f"SELECT new_name, details->>'oid', details->>'relfilenode', details->>'reltuples', "
                f"coalesce(details->>'source', 'rename') FROM {JOURNAL_TABLE} WHERE kind = 'table_identity' "
                "ORDER BY new_name"
            )
        ]
