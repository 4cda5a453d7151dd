"""``manage.py upgrade_older_shape``: bring a legacy database of the older shape to the real one.

Without options it says what it would change and changes nothing; ``--apply`` runs
``accounts/older_shape/upgrade.sql`` in one transaction. Run it before ``migrate``
on a copy that the adoption refused as the older shape (docs/adoption.md). Exit 0
done (or nothing to do), 1 refused or stopped (nothing changed), 2 cannot run.
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS

from accounts import catalog, older_shape
from enerlink.commands import EXIT_CANNOT_RUN, OneLineErrors
from enerlink.durations import invalid_duration


class Command(OneLineErrors, BaseCommand):
    outcomes = {catalog.NoUserTable: EXIT_CANNOT_RUN, catalog.AmbiguousUserTable: EXIT_CANNOT_RUN}
    help = (
        "Bring a legacy database of the older shape (kWh columns, trade_orders_cache) to the real one: "
        "print what would change; --apply runs it in one transaction. Exit 0 done, 1 refused, 2 cannot run."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--apply", action="store_true", help="Make the changes (default: only list them)."
        )
        parser.add_argument(
            "--lock-timeout",
            default=None,
            help="How long to wait for each lock (default: ENERLINK_RENAME_LOCK_TIMEOUT, "
            f"{settings.ENERLINK_RENAME_LOCK_TIMEOUT}).",
        )
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS, help="Database alias (default: default).")

    def handle(self, *args, apply, lock_timeout, database, **options):
        timeout = str(lock_timeout or settings.ENERLINK_RENAME_LOCK_TIMEOUT).strip()
        if invalid_duration(timeout):
            raise CommandError(
                f"--lock-timeout {timeout!r} is not a positive PostgreSQL duration (e.g. 2s, 500ms)",
                returncode=EXIT_CANNOT_RUN,
            )
        if not apply:
            pending = older_shape.pending_changes(database)
            if not pending:
                self.stdout.write("upgrade_older_shape: no older-shape table or column left: nothing to do.")
                return
            self.stdout.write("upgrade_older_shape would, in one transaction, in this order:")
            for line in pending:
                self.stdout.write(f"  - {line}")
            self.stdout.write("To run it: python manage.py upgrade_older_shape --apply")
            return
        done = older_shape.upgrade(database, timeout)
        self.stdout.write(f"upgrade_older_shape: {done}. Next: python manage.py migrate")

    def doing(self):
        return "while upgrading the older shape", "Nothing was changed (one transaction)."
