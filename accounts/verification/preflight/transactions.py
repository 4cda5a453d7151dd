"""No transaction holds the tables for long: the rename would wait for it, then give up.

The rename takes ACCESS EXCLUSIVE locks, each waiting at most
``ENERLINK_RENAME_LOCK_TIMEOUT``. A session that holds any lock on one of the
tables and has been in its transaction longer than that, or sits idle in it,
makes ``migrate`` stop (changing nothing) naming it. Sessions of other roles
show no state or age unless the connecting role has ``pg_read_all_stats``: they
are listed as such. Autovacuum is left out: it gives way to the rename's locks.
Old snapshots elsewhere in the database do not block the
rename, but the concurrent index builds of ``energy.0003`` wait for them.
"""

from django.conf import settings

from accounts.verification.preflight.scope import oid_list, scope
from accounts.verification.registry import BEFORE_RENAME, check
from accounts.verification.results import doubtful, failed, passed

HOLDERS = """
SELECT a.pid, coalesce(a.application_name, ''), coalesce(a.usename, ''), a.state,
       extract(epoch FROM now() - a.xact_start)::bigint,
       coalesce(now() - a.xact_start > %(timeout)s::interval, false),
       string_agg(DISTINCT l.relation::regclass::text, ', '),
       string_agg(DISTINCT l.mode, ', ')
  FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
 WHERE l.locktype = 'relation' AND l.granted AND l.relation = ANY (%(tables)s::oid[])
   AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
   AND a.pid <> pg_backend_pid() AND a.backend_type IS DISTINCT FROM 'autovacuum worker'
 GROUP BY a.pid, a.application_name, a.usename, a.state, a.xact_start
 ORDER BY a.xact_start NULLS LAST, a.pid
"""

OLD_SNAPSHOTS = """
SELECT a.pid, coalesce(a.application_name, ''), coalesce(a.usename, ''), a.state,
       extract(epoch FROM now() - a.xact_start)::bigint
  FROM pg_stat_activity a
 WHERE a.datname = current_database() AND a.pid <> pg_backend_pid() AND a.backend_xmin IS NOT NULL
   AND now() - a.xact_start > %(timeout)s::interval AND NOT a.pid = ANY (%(listed)s::int[])
 ORDER BY a.xact_start
"""


def session(pid, application, user, state, seconds):
    return f"pid {pid} (application {application!r}, user {user}, {state}, transaction open {seconds} s)"


@check("P040", "blocking_transactions", "no long or idle transaction on the tables", suite=BEFORE_RENAME)
def check_blocking_transactions(ctx):
    timeout = settings.ENERLINK_RENAME_LOCK_TIMEOUT
    found = scope(ctx)
    holders = ctx.rows(HOLDERS, {"timeout": timeout, "tables": oid_list(found.table_oids)})
    blocking, hidden, brief = [], [], 0
    for pid, application, user, state, seconds, too_long, tables, modes in holders:
        if state is None:
            hidden.append(
                f"pid {pid} (application {application!r}, user {user}) holds {modes} on {tables}; its state "
                "and age are hidden from this role: grant it pg_read_all_stats, or ask the DBA"
            )
        elif state.startswith("idle in transaction") or too_long:
            blocking.append(
                f"{session(pid, application, user, state, seconds)} holds {modes} on {tables}: end that "
                f"transaction (or SELECT pg_terminate_backend({pid})) before the rename"
            )
        else:
            brief += 1
    listed = [row[0] for row in holders]
    snapshots = [
        f"{session(*row)} holds a snapshot: the concurrent index builds of energy 0003 wait for it to end"
        for row in ctx.rows(OLD_SNAPSHOTS, {"timeout": timeout, "listed": listed})
    ]
    details = (
        [f"{brief} session(s) hold short locks on the tables right now (ordinary traffic)"] if brief else []
    )
    if blocking:
        return failed(
            f"{len(blocking)} transaction(s) on the tables are idle or open longer than the rename's lock "
            f"timeout ({timeout}): the rename would wait for them, then stop",
            blocking + hidden + snapshots + details,
        )
    if hidden or snapshots:
        return doubtful(
            f"{len(hidden)} session(s) on the tables this role cannot see the age of, {len(snapshots)} old "
            "snapshot(s) in the database",
            hidden + snapshots + details,
        )
    return passed(
        f"no transaction on the tables is idle or older than the rename's lock timeout ({timeout})", details
    )
