"""One migrate at a time per database: a session-level advisory lock, taken by polling.

Two deploy pods may start ``manage.py migrate`` together. The second waits for the
first (at most ENERLINK_MIGRATE_LOCK_WAIT), says whom it waits for, and then finds
nothing to do. It polls ``pg_try_advisory_lock`` with sleeps in between rather than
blocking in ``pg_advisory_lock``: a session blocked inside a statement holds a
snapshot, the first pod's ``CREATE INDEX CONCURRENTLY`` (energy 0003) waits for
every older snapshot, and the two then deadlock until PostgreSQL fails one of them
after deadlock_timeout (measured: docs/reliability.md). Between two polls the
waiting session is idle, outside any transaction, and holds no snapshot.
"""

import time
from contextlib import contextmanager

from django.core.management.base import CommandError
from django.db import DatabaseError

from enerlink.sessions import describe_sessions

# pg_try_advisory_lock(int, int): 'ENLK' and 1 for migrate. pg_locks shows it as classid, objid, objsubid 2.
KEY = (0x454E4C4B, 1)
POLL_SECONDS = 0.5

HOLDERS = """
SELECT l.pid FROM pg_locks l
 WHERE l.locktype = 'advisory' AND l.granted AND l.classid = %s AND l.objid = %s AND l.objsubid = 2
   AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
 ORDER BY 1
"""


class StillRunning(CommandError):
    """Another migrate of the same database kept the lock longer than ENERLINK_MIGRATE_LOCK_WAIT."""


@contextmanager
def migrate_lock(connection, wait_ms, say, wait_setting="ENERLINK_MIGRATE_LOCK_WAIT"):
    """Hold the migrate lock of the database while the block runs.

    Yields None when the lock was free, else the description of the migrate it waited for.
    ``say`` gets one line each time the holder changes.
    """
    deadline = time.monotonic() + wait_ms / 1000
    waited_for, holders = None, None
    with connection.cursor() as cursor:
        while True:
            cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", KEY)
            if cursor.fetchone()[0]:
                break
            waited_for = waited_for or "another migrate, which has just finished"
            cursor.execute(HOLDERS, KEY)
            pids = [row[0] for row in cursor.fetchall()]
            described = describe_sessions(cursor, pids, gone=None) if pids else None
            if described is not None and pids != holders:
                holders, waited_for = pids, described
                say(
                    f"waiting for another migrate of this database to finish: {waited_for} "
                    f"(at most {wait_ms / 1000:g} s, {wait_setting})"
                )
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                pid = holders[0] if holders else "<pid>"
                raise StillRunning(
                    f"another migrate of this database is still running after {wait_ms / 1000:g} s "
                    f"({wait_setting}): {waited_for}. This one changed nothing: run it again once that one "
                    f"has finished, or end that one if it is stuck (SELECT pg_terminate_backend({pid}))."
                )
            time.sleep(min(POLL_SECONDS, remaining))
    try:
        yield waited_for
    finally:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", KEY)
        except DatabaseError:
            pass  # the connection is gone, and the server released the lock with the session
