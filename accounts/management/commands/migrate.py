"""``migrate``, with the rename's own refusals shown as one clear error instead of a traceback.

The rename SQL raises errors whose message starts with ``enerlink rename:``
(a lock it could not get, a database already renamed by hand, ...). Each
says what was found and what to do, and the transaction is rolled back, so
nothing changed: a traceback would only hide that message.
"""

from django.core.management.base import CommandError
from django.core.management.commands.migrate import Command as DjangoMigrateCommand
from django.db import DatabaseError

# Every refusal of the rename SQL (accounts/migrations/0003_*.sql) starts with this.
MESSAGE_PREFIX = "enerlink rename: "


def rename_refusal(error):
    """The PostgreSQL diagnostic of a refusal raised by the rename SQL, or None."""
    cause = error
    while cause is not None:
        diag = getattr(cause, "diag", None)
        primary = getattr(diag, "message_primary", None) or ""
        if primary.startswith(MESSAGE_PREFIX):
            return diag
        cause = cause.__cause__ or cause.__context__
    return None


class Command(DjangoMigrateCommand):
    def handle(self, *args, **options):
        try:
            return super().handle(*args, **options)
        except DatabaseError as error:
            diag = rename_refusal(error)
            if diag is None:
                raise
            message = diag.message_primary.removeprefix(MESSAGE_PREFIX)
            if diag.message_hint:
                message += f"\n{diag.message_hint}"
            raise CommandError(message) from error
