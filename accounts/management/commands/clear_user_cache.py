"""``manage.py clear_user_cache``: remove this application's stale cache keys after the rename.

Only keys of this application (``CACHE_KEY_PREFIX``, versions other than
``CACHE_VERSION``) and keys matching ``ENERLINK_LEGACY_CACHE_PATTERNS`` in the
Redis database of ``CACHE_URL``: never FLUSHDB or FLUSHALL (``accounts.user_cache``).
One line says what was removed; a failure is one line too, and running it again
finishes the job.
"""

from django.core.management.base import BaseCommand

from accounts import user_cache
from enerlink.commands import EXIT_CANNOT_RUN, OneLineErrors


class Command(OneLineErrors, BaseCommand):
    connects = False  # it works on the cache of CACHE_URL, not on a database
    outcomes = {user_cache.UnsafePattern: EXIT_CANNOT_RUN, user_cache.CacheUnreachable: EXIT_CANNOT_RUN}
    help = (
        "Remove this application's stale cache keys after the rename: Django's keys of other CACHE_VERSIONs "
        "and the old backend's keys (ENERLINK_LEGACY_CACHE_PATTERNS), by SCAN + UNLINK. Never FLUSHALL."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--pattern",
            action="append",
            dest="patterns",
            help="Glob pattern of old keys to remove (repeatable); replaces ENERLINK_LEGACY_CACHE_PATTERNS.",
        )
        parser.add_argument(
            "--include-current",
            action="store_true",
            help="Remove this application's keys of the current CACHE_VERSION too (when it was not bumped).",
        )
        parser.add_argument("--dry-run", action="store_true", help="Count the keys; remove nothing.")

    def handle(self, *args, patterns, include_current, dry_run, **options):
        try:
            sweep = user_cache.clear_user_cache(
                patterns=patterns, include_current=include_current, dry_run=dry_run
            )
        except user_cache.NotRedis as error:
            self.stdout.write(str(error))
            return
        self.stdout.write(sweep.describe())
