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

from accounts import facts

GUARD_SQL = (Path(__file__).resolve().parents[1] / "migrations" / "0001_initial.guard.sql").read_text()


def refuse_foreign_database(connection):
    """Raise the guard's refusal (a DatabaseError) unless accounts 0001 is applied or the database fits."""
    with connection.cursor() as cursor:
        if facts.migration_recorded(cursor, facts.ADOPTION_MIGRATIONS[0]):
            return
        cursor.execute(GUARD_SQL)


SHADOWED = """
SELECT name, n.nspname, current_setting('search_path')
  FROM (VALUES ('prosumer', to_regclass('prosumer')), ('"user"', to_regclass('"user"'))) AS t (name, oid)
  JOIN pg_class c ON c.oid = t.oid JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind NOT IN ('r', 'p')
"""

JOURNALED_RENAME = (
    f"SELECT EXISTS (SELECT 1 FROM {facts.JOURNAL_TABLE} WHERE kind = 'rename' AND object_type = 'table')"
)


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
    if not any(backwards and (m.app_label, m.name) == facts.RENAME_MIGRATION for m, backwards in plan):
        return
    with connection.cursor() as cursor:
        # Two statements: the journal's table is resolved when the query is parsed, even behind a guard.
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [facts.JOURNAL_TABLE])
        if cursor.fetchone()[0]:
            cursor.execute(JOURNALED_RENAME)
            if cursor.fetchone()[0]:
                return
    raise CommandError(
        "cannot go back past accounts.0003: nothing journaled the names it would restore (the rename was "
        "recorded by repair_user_migration or faked, not run by this migration); nothing was unapplied. "
        "See docs/adoption.md, 'Going back'",
        returncode=1,
    )
