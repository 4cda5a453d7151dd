"""What every check needs: the connection, a cursor, and the rename's journal, read once."""

from dataclasses import dataclass
from functools import cached_property

from accounts.verification.expectations import user_model

JOURNAL_TABLE = "user_rename_journal"


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
    def __init__(self, connection, progress=None):
        self.connection = connection
        self.cursor = connection.cursor()
        self.user_table = user_model()._meta.db_table
        self._progress = progress
        self.current_check = None
        # The schema of "user": the name checks look there, not in every schema of the database.
        self.namespace = self.value(
            "SELECT relnamespace FROM pg_class WHERE oid = to_regclass(%s)", [self.quote(self.user_table)]
        )

    def close(self):
        self.cursor.close()

    def progress(self, text):
        """Say what a long check is reading now (the command shows it on a terminal)."""
        if self._progress:
            self._progress(self.current_check, text)

    def rows(self, query, params=None):
        self.cursor.execute(query, params or [])
        return self.cursor.fetchall()

    def value(self, query, params=None):
        self.cursor.execute(query, params or [])
        return self.cursor.fetchone()[0]

    def quote(self, name):
        return self.connection.ops.quote_name(name)

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
    def recorded_rules(self):
        """(table, new column) -> the ON DELETE rule each key had when the rename ran."""
        if not self.has_journal:
            return {}
        return {
            (table.strip('"'), column): rule
            for table, column, rule in self.rows(
                f"SELECT table_name, details->>'new_column', details->>'on_delete' FROM {JOURNAL_TABLE} "
                "WHERE kind = 'foreign_key'"
            )
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
