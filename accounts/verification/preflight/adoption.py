"""The legacy tables can be adopted: the same guard ``migrate`` runs first, with its words.

accounts 0001 (and energy 0001) start with ``0001_initial.guard.sql``, which refuses a
table that lacks a column the models read, naming every missing column at once, and
says what to do (the older shape of the database has a step of its own:
docs/adoption.md). The preflight runs that same SQL in a savepoint and reports its
refusal as ``migrate`` would print it, so a team learns it before the deploy.
"""

from django.db import DatabaseError, transaction

from accounts.deploy.guard import GUARD_SQL
from accounts.verification.registry import BEFORE_RENAME, check
from accounts.verification.results import failed, passed
from enerlink.commands import describe_database_error, refusal


@check(
    "P020",
    "adoption",
    "the tables hold every column the models read (migrate's own guard)",
    suite=BEFORE_RENAME,
)
def check_adoption(ctx):
    try:
        with transaction.atomic(using=ctx.connection.alias):
            ctx.cursor.execute(GUARD_SQL)
    except DatabaseError as error:
        if refusal(error) is None:
            raise
        line, _code = describe_database_error(error)
        return failed(line, ["migrate refuses it in the same words, before it changes anything"])
    return passed("every legacy table has the columns the models read: migrate adopts them as they are")
