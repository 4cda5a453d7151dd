"""Bounded lock waits: every step of the repair waits at most lock_timeout for each lock, a few times.

This is the one place the repair decides how long it may queue for a lock (the
rename has its own, ``ENERLINK_RENAME_LOCK_TIMEOUT``, whose value it shares; the
two are meant to become one lock budget). A step that waits longer gives up,
which costs nothing: a transactional step is rolled back whole, and a
CONCURRENTLY step's leftover (an INVALID index) is dropped before the next
attempt. After a pause that doubles each time, it tries again; after the last
attempt it stops, naming the sessions that held the lock.

Why bound the wait at all: a statement queued for ACCESS EXCLUSIVE blocks every
statement queued behind it, so an unbounded wait behind one long transaction
would stall the application for as long as that transaction lasts.
"""

import random
import time
from dataclasses import dataclass

import psycopg

RETRYABLE = (psycopg.errors.LockNotAvailable, psycopg.errors.DeadlockDetected)

# Sessions of other roles show no state or start time to a role that is not a superuser: said as such.
SESSION = """format('pid %%s (%%s%%s)', a.pid, concat_ws(', ', {mode}, 'user ' || a.usename),
                  CASE WHEN a.state IS NULL THEN ''
                       ELSE format(', application %%L, %%s since %%s', a.application_name, a.state,
                                   to_char(coalesce(a.xact_start, a.backend_start), 'HH24:MI:SS')) END)"""

HOLDERS = f"""
SELECT string_agg(DISTINCT {SESSION.format(mode="l.mode")}, '; ')
  FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
 WHERE l.relation = ANY (%s::regclass[]) AND l.granted AND l.pid <> pg_backend_pid()
"""

# A concurrent build or drop also waits for every transaction older than itself.
OLD_TRANSACTIONS = f"""
SELECT string_agg({SESSION.format(mode="NULL")}, '; ' ORDER BY a.xact_start)
  FROM pg_stat_activity a
 WHERE a.datname = current_database() AND a.xact_start IS NOT NULL AND a.pid <> pg_backend_pid()
"""

HIDDEN = (
    "a transaction this role cannot see (sessions of other roles are hidden from it; a superuser lists "
    "them with SELECT pid, usename, xact_start FROM pg_stat_activity WHERE xact_start IS NOT NULL)"
)


@dataclass(frozen=True)
class LockPolicy:
    timeout: str = "2s"  # PostgreSQL's lock_timeout syntax
    attempts: int = 4
    backoff: float = 0.5  # seconds before the second attempt, doubled before each next one

    def pause(self, attempt):
        return self.backoff * 2 ** (attempt - 1) * random.uniform(0.8, 1.2)  # noqa: S311 (jitter, not secrets)

    def set_local(self):
        """The statement each transactional step starts with."""
        return f"SET LOCAL lock_timeout = '{self.timeout}'"


class LockWaitExceeded(Exception):
    """Every attempt ran out of lock_timeout; the message names who held the lock."""


def describe_holders(conn, relations, concurrent):
    try:
        holders = None
        if relations:
            holders = conn.execute(HOLDERS, [list(relations)]).fetchone()[0]
        if concurrent and not holders:
            holders = conn.execute(OLD_TRANSACTIONS, []).fetchone()[0] or HIDDEN
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
            time.sleep(policy.pause(attempt))
    raise AssertionError("unreachable")  # pragma: no cover
