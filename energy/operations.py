"""Migration operations of the energy app."""

from django_pg_migration_tools.operations import SaferAddIndexConcurrently

# The journal accounts 0003 writes (accounts.RenameJournalEntry); named here, not imported,
# so that energy's migrations depend on no other app's code.
JOURNAL_TABLE = "user_rename_journal"


class AddIndexConcurrentlyUnlessRenamed(SaferAddIndexConcurrently):
    """Build a canonical index concurrently, unless the rename gave an existing one its name.

    Forward, this is django-pg-migration-tools' safer build: ``CREATE INDEX
    CONCURRENTLY IF NOT EXISTS``, after dropping an INVALID leftover of an
    interrupted build, so reads and writes go on meanwhile. Backward, it drops
    only what it built: an index that the legacy database already had (and the
    rename merely renamed, as its journal says) must survive so that the
    reverse rename can give it back its original name.
    """

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(
                f"SELECT to_regclass('{JOURNAL_TABLE}') IS NOT NULL AND EXISTS ("  # noqa: S608 (constant)
                f"SELECT 1 FROM {JOURNAL_TABLE} WHERE kind = 'rename' AND object_type = 'index' "
                "AND new_name = %s)",
                [self.index.name],
            )
            if cursor.fetchone()[0]:
                return
        super().database_backwards(app_label, schema_editor, from_state, to_state)
