"""Bounded lock waits: every step of the repair waits at most lock_timeout for each lock, a few times.

The policy (lock_timeout, attempts, pauses) is the project's one lock policy
(enerlink.lock_policy), which migrate and the compatibility schema follow too.
A step that waits longer gives up, which costs nothing: a transactional step is
rolled back whole, and a CONCURRENTLY step's leftover (an INVALID index) is
dropped before the next attempt. After the last attempt it stops, naming the
sessions that held the lock (enerlink.sessions).
"""

import time

import psycopg

from enerlink.lock_policy import LockPolicy
from enerlink.sessions import describe_holders as holders_of
from enerlink.sessions import describe_sessions

__all__ = ["LockPolicy", "LockWaitExceeded", "describe_holders", "run_bounded"]

RETRYABLE = (psycopg.errors.LockNotAvailable, psycopg.errors.DeadlockDetected)

# A concurrent build or drop also waits for every transaction older than itself.
OLD_TRANSACTIONS = """
SELECT coalesce(array_agg(a.pid ORDER BY a.xact_start), '{}')
  FROM pg_stat_activity a
 WHERE a.datname = current_database() AND a.xact_start IS NOT NULL AND a.pid <> pg_backend_pid()
"""

HIDDEN = (
    "a transaction this role cannot see (sessions of other roles are hidden from it; a superuser lists "
    "them with SELECT pid, usename, xact_start FROM pg_stat_activity WHERE xact_start IS NOT NULL)"
)


class LockWaitExceeded(Exception):
    """Every attempt ran out of lock_timeout; the message names who held the lock."""


def describe_holders(conn, relations, concurrent):
    try:
        holders = holders_of(conn, relations, gone=None) if relations else None
        if concurrent and not holders:
            pids = conn.execute(OLD_TRANSACTIONS).fetchone()[0]
            holders = describe_sessions(conn, pids, gone=HIDDEN) if pids else HIDDEN
        return holders or "a transaction that ended meanwhile"
    except psycopg.Error:
        return "sessions that could not be listed"


def run_bounded(
    conn, policy, statements, relations=(), concurrent=False, cleanup=(), inside=None, on_retry=None
):
    """Run ``statements`` with each lock wait bounded; return the number of attempts it took.

    A transactional run is one transaction starting with SET LOCAL lock_timeout, and
    ``inside(conn)`` runs in it after the statements (the journal entry, so that it commits
    with them). A ``concurrent`` run sets lock_timeout for the session around the statements
    and, before each new attempt, runs ``cleanup`` (dropping the INVALID leftover of the
    attempt that gave up). Raises LockWaitExceeded after the last attempt.
    """
    for attempt in range(1, policy.attempts + 1):
        try:
            if concurrent:
                conn.execute("SELECT set_config('lock_timeout', %s, false)", [policy.timeout])
                try:
                    for sql in [*(cleanup if attempt > 1 else ()), *statements]:
                        conn.execute(sql)
                finally:
                    if not conn.broken:
                        conn.execute("RESET lock_timeout")
            else:
                with conn.transaction():
                    conn.execute(policy.set_local())
                    for sql in statements:
                        conn.execute(sql)
                    if inside is not None:
                        inside(conn)
            return attempt
        except RETRYABLE as error:
            holders = describe_holders(conn, relations, concurrent)
            reason = "deadlock" if isinstance(error, psycopg.errors.DeadlockDetected) else "lock wait"
            if attempt == policy.attempts:
                raise LockWaitExceeded(
                    f"gave up after {attempt} attempts, each waiting at most lock_timeout {policy.timeout} "
                    f"(last: {reason}): the lock was held by {holders}"
                ) from error
            if on_retry is not None:
                on_retry(attempt, holders)
            time.sleep(policy.wait_seconds(attempt))
    raise AssertionError("unreachable")  # pragma: no cover
