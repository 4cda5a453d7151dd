"""One lock policy for the commands that lock the live tables: the rename, the repair, the compat schema.

A statement queued for a lock the application's sessions also need blocks every one
of them queued behind it, so none of these commands waits long: each lock wait is
bounded (``ENERLINK_RENAME_LOCK_TIMEOUT``; the rename spends it as one budget for its
whole lock phase, accounts/migrations/0003_*.locks.sql), and a wait that runs out
changes nothing. The command then tries again, ``ENERLINK_RENAME_LOCK_RETRIES`` times,
after a pause that doubles each time (``ENERLINK_RENAME_RETRY_WAIT`` first, at most ten
times that), as django-pg-migration-tools' ``migrate_with_timeouts`` does. After the
last attempt it stops, naming the sessions that held the lock (enerlink.sessions).
"""

from dataclasses import dataclass

from django.conf import settings

from enerlink.commands import sqlstate
from enerlink.durations import setting_count, setting_ms

RETRYABLE_STATES = {
    "55P03": "lock not available",
    "40P01": "deadlock detected",
}
MAX_WAIT_FACTOR = 10


def retryable(error):
    """Whether ``error`` (psycopg's, or Django's wrapping one) is a lock wait that ran out, or a deadlock."""
    return sqlstate(error) in RETRYABLE_STATES


@dataclass(frozen=True)
class LockPolicy:
    timeout: str  # PostgreSQL's lock_timeout syntax, e.g. "2s"
    retries: int = 3  # attempts after the first
    first_wait_ms: int = 3000  # before the second attempt; doubled before each next one

    @classmethod
    def from_settings(cls, timeout=None):
        """The project's policy; ``timeout`` (a command's --lock-timeout) replaces the setting's."""
        return cls(
            timeout=str(timeout or settings.ENERLINK_RENAME_LOCK_TIMEOUT).strip(),
            retries=setting_count("ENERLINK_RENAME_LOCK_RETRIES"),
            first_wait_ms=setting_ms("ENERLINK_RENAME_RETRY_WAIT"),
        )

    @property
    def attempts(self):
        return self.retries + 1

    def wait_seconds(self, attempt):
        """Seconds to wait after attempt number ``attempt`` (1, 2, ...) before the next one."""
        first = self.first_wait_ms / 1000
        return min(first * 2 ** (attempt - 1), first * MAX_WAIT_FACTOR)

    def set_local(self):
        """The statement a transaction starts with, so that each of its lock waits is bounded."""
        return f"SET LOCAL lock_timeout = '{self.timeout}'"
