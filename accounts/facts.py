"""What the rename is, named once: its migrations, its journal, the names it gives keys.

Every part of the project that asks about the rename (the report, the preflight,
the repair, migrate's guard) takes these names from here instead of spelling them
again; the rename's own SQL (``accounts/migrations/0003_*.sql``) spells them in
SQL, and ``tests/test_migration_files.py`` holds the two to the same names.
"""

from django.db.migrations.recorder import MigrationRecorder

# The migration whose RunSQL renames prosumer to "user", and the state-only one of energy that follows it.
RENAME_MIGRATION = ("accounts", "0003_rename_prosumer_to_user")
RENAME_MIGRATIONS = (RENAME_MIGRATION, ("energy", "0002_rename_prosumer_fields"))
# The migration that creates the journal, and the journal's table (accounts.RenameJournalEntry).
JOURNAL_MIGRATION = ("accounts", "0002_renamejournalentry")
JOURNAL_TABLE = "user_rename_journal"
# The initial migrations that adopt (or create) the legacy tables.
ADOPTION_MIGRATIONS = (("accounts", "0001_initial"), ("energy", "0001_initial"))
MIGRATIONS_TABLE = MigrationRecorder.Migration._meta.db_table
# The SQL of each referential action, by its code in pg_constraint (confdeltype, confupdtype).
REFERENTIAL_ACTIONS = {"a": "NO ACTION", "r": "RESTRICT", "c": "CASCADE", "n": "SET NULL", "d": "SET DEFAULT"}
# PostgreSQL's limit on the length of a name (NAMEDATALEN - 1).
MAX_NAME_LENGTH = 63


def truncate(name):
    """A name as PostgreSQL would store it."""
    return name[:MAX_NAME_LENGTH]


def canonical_key_name(table, column):
    """The name the rename gives the foreign key on ``table.column`` (a renamed column): PostgreSQL's own."""
    return truncate(f"{table}_{column}_fkey")


def migration_recorded(cursor, migration):
    """Whether django_migrations records ``(app, name)``; False on a database that has no such table.

    Two statements: PostgreSQL resolves every table of a statement when it parses it, so a
    guard such as ``to_regclass(...) IS NOT NULL AND EXISTS (SELECT ... FROM django_migrations)``
    still fails on a database that was never adopted.
    """
    cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [MIGRATIONS_TABLE])
    if not cursor.fetchone()[0]:
        return False
    cursor.execute(
        f"SELECT EXISTS (SELECT 1 FROM {MIGRATIONS_TABLE} WHERE app = %s AND name = %s)", list(migration)
    )
    return cursor.fetchone()[0]


def rename_recorded(cursor):
    """Whether django_migrations says the rename (accounts 0003) was applied."""
    return migration_recorded(cursor, RENAME_MIGRATION)
