"""Refuse another application's database (or one renamed by hand) before migrate creates anything in it.

accounts 0001 runs the same SQL first (``0001_initial.guard.sql`` beside it, so
``sqlmigrate`` shows it); migrate runs it before Django creates its
``django_migrations`` table, so that a refusal leaves the database as it was.
"""

from pathlib import Path

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
