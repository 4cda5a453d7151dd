"""One description of the sessions holding a lock, and one lock policy, for every command.

The rename's SQL describes the holders of its locks itself (it runs inside PostgreSQL and imports
nothing): the same words as the commands' (enerlink.sessions), proven here on a real lock.
"""

import re

from enerlink.devtools import scratch
from enerlink.lock_policy import LockPolicy
from enerlink.sessions import describe_holders
from tests.faults import open_transaction

LOCKS_SQL = scratch.PROJECT_ROOT / "accounts" / "migrations" / "0003_rename_prosumer_to_user.locks.sql"


def holders_function():
    """The rename's own pg_temp.enerlink_holders, as its .locks.sql file defines it."""
    found = re.search(
        r"CREATE OR REPLACE FUNCTION pg_temp\.enerlink_holders.*?\$holders\$;", LOCKS_SQL.read_text(), re.S
    )
    assert found, "no enerlink_holders in the rename's lock SQL"
    return found.group(0)


def test_the_rename_and_the_commands_describe_a_lock_holder_in_the_same_words(ready_db):
    holder = open_transaction(ready_db, "SELECT count(*) FROM wallet", application="nightly-report")
    try:
        with ready_db.connect() as conn:
            conn.execute(holders_function())
            in_sql = conn.execute("SELECT pg_temp.enerlink_holders('wallet')").fetchone()[0]
            in_python = describe_holders(conn, ["wallet"])
            pid = holder.info.backend_pid
            assert in_python == in_sql
            assert in_python.startswith(f"pid {pid} (AccessShareLock on wallet, user {ready_db.owner}, ")
            assert "application 'nightly-report', idle in transaction since " in in_python
            assert (
                describe_holders(conn, ["wallet"], ["AccessExclusiveLock"])
                == "a transaction that ended meanwhile"
            )
    finally:
        holder.rollback()
        holder.close()
    with ready_db.connect() as conn:
        conn.execute(holders_function())
        assert (
            conn.execute("SELECT pg_temp.enerlink_holders('wallet')").fetchone()[0]
            == describe_holders(conn, ["wallet"])
            == "a transaction that ended meanwhile"
        )


def test_the_lock_policy_doubles_its_pause_up_to_ten_times_the_first():
    policy = LockPolicy(timeout="2s", retries=6, first_wait_ms=500)
    assert policy.attempts == 7
    assert [policy.wait_seconds(attempt) for attempt in range(1, 7)] == [0.5, 1, 2, 4, 5, 5]
    assert policy.set_local() == "SET LOCAL lock_timeout = '2s'"
