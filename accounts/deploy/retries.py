"""Which failures of a migrate are worth another attempt of the whole rename, and how long to wait first.

The rename gives up its locks rather than keep a live application waiting (its lock
budget, ENERLINK_RENAME_LOCK_TIMEOUT): a long report query or a deadlock then fails
the rename's transaction, which changed nothing. ``manage.py migrate`` tries again,
ENERLINK_RENAME_LOCK_RETRIES times, as django-pg-migration-tools' ``migrate_with_timeouts``
does: after a wait that doubles each time (ENERLINK_RENAME_RETRY_WAIT first, at most
ten times that).
"""

from enerlink.commands import sqlstate

RETRYABLE_STATES = {
    "55P03": "lock not available",
    "40P01": "deadlock detected",
}
MAX_WAIT_FACTOR = 10


def retryable(error):
    return sqlstate(error) in RETRYABLE_STATES


def retry_wait_seconds(retry, first_wait_ms):
    """Seconds to wait before retry number ``retry`` (1, 2, ...)."""
    first = first_wait_ms / 1000
    return min(first * 2 ** (retry - 1), first * MAX_WAIT_FACTOR)
