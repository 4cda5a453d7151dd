"""Refusals migrate makes before it changes anything, each in one line with what to do.

* Another application's database (or one renamed by hand): accounts 0001 runs the
  same SQL first (``0001_initial.guard.sql`` beside it, so ``sqlmigrate`` shows it);
  migrate runs it before Django creates its ``django_migrations`` table, so that a
  refusal leaves the database as it was.
* A session whose search_path puts the compatibility schema first: ``prosumer`` (or
  ``"user"``) would then name one of its views, and the rename would try to rename
  the view.
* Going back past the rename when nothing journaled the names to restore (a rename
  recorded by the repair, or faked): the rename's reverse refuses that too, but only
  after Django has unapplied the migrations after it; this stops before any.
"""

from pathlib import Path

from django.core.management.base import CommandError

GUARD_SQL = (Path(__file__).resolve().parents[1] / "migrations" / "0001_initial.guard.sql").read_text()

ACCOUNTS_0001_APPLIED = """
SELECT to_regclass('django_migrations') IS NOT NULL
   AND EXISTS (SELECT 1 FROM django_migrations WHERE app = 'accounts' AND name = '0001_initial')
"""


def refuse_foreign_database(connection):
    """Raise the guard's refusal (a DatabaseError) unless accounts 0001 is applied or the database fits."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('django_migrations') IS NOT NULL")
        if cursor.fetchone()[0]:
            cursor.execute(
                "SELECT EXISTS (SELECT 1 FROM django_migrations "
                "WHERE app = 'accounts' AND name = '0001_initial')"
            )
            if cursor.fetchone()[0]:
                return
        cursor.execute(GUARD_SQL)


SHADOWED = """
SELECT name, n.nspname, current_setting('search_path')
  FROM (VALUES ('prosumer', to_regclass('prosumer')), ('"user"', to_regclass('"user"'))) AS t (name, oid)
  JOIN pg_class c ON c.oid = t.oid JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind NOT IN ('r', 'p')
"""

RENAME = ("accounts", "0003_rename_prosumer_to_user")

JOURNALED_RENAME = """
SELECT to_regclass('user_rename_journal') IS NOT NULL
   AND EXISTS (SELECT 1 FROM user_rename_journal WHERE kind = 'rename' AND object_type = 'table')
"""


def refuse_shadowed_tables(connection):
    with connection.cursor() as cursor:
        cursor.execute(SHADOWED)
        found = cursor.fetchone()
    if found:
        name, schema, search_path = found
        raise CommandError(
            f"{name} names a view in schema {schema} for this session (search_path = {search_path}), "
            "not the table: run migrate with the application's own search_path (unset PGOPTIONS, "
            "or the role's search_path setting); nothing was changed",
            returncode=2,
        )


def refuse_unjournaled_reverse(connection, plan):
    if not any(backwards and (m.app_label, m.name) == RENAME for m, backwards in plan):
        return
    with connection.cursor() as cursor:
        cursor.execute(JOURNALED_RENAME)
        if cursor.fetchone()[0]:
            return
    raise CommandError(
        "cannot go back past accounts.0003: nothing journaled the names it would restore (the rename was "
        "recorded by repair_user_migration or faked, not run by this migration); nothing was unapplied. "
        "See docs/adoption.md, 'Going back'",
        returncode=1,
    )
