"""Physical standbys replay the rename's locks: a warning, with what that does to queries there.

The rename's ACCESS EXCLUSIVE locks are written to the WAL and taken again by
every hot standby when it replays them. A query on a standby that reads one of
the tables conflicts with that replay: the standby waits up to its
``max_standby_streaming_delay`` (replay, hence every read there, falls behind
meanwhile), then cancels the query ("canceling statement due to conflict with
recovery"); with -1 it waits for as long as the query runs. The lock itself
lasts milliseconds on the primary.
"""

from accounts.verification.registry import BEFORE_RENAME, check
from accounts.verification.results import WARNING, doubtful, passed

STANDBYS = """
SELECT r.pid, coalesce(r.application_name, ''), coalesce(host(r.client_addr), 'local socket'),
       coalesce(r.state, 'state hidden from this role'), r.replay_lag
  FROM pg_stat_replication r
 WHERE NOT EXISTS (SELECT 1 FROM pg_replication_slots s
                    WHERE s.active_pid = r.pid AND s.slot_type = 'logical')
 ORDER BY r.pid
"""

IDLE_PHYSICAL_SLOTS = "SELECT slot_name FROM pg_replication_slots WHERE slot_type = 'physical' AND NOT active"


@check(
    "P110",
    "standbys",
    "physical standbys (the lock is replayed there)",
    severity=WARNING,
    suite=BEFORE_RENAME,
)
def check_standbys(ctx):
    standbys = [
        f"standby pid {pid}: application {application!r} from {address}, {state}"
        + (f", replay lag {lag}" if lag is not None else "")
        for pid, application, address, state, lag in ctx.rows(STANDBYS)
    ]
    standbys += [
        f"physical slot {name} is inactive: its standby replays the rename when it reconnects"
        for (name,) in ctx.rows(IDLE_PHYSICAL_SLOTS)
    ]
    if not standbys:
        return passed("no physical standby streams from this server")
    delay = ctx.value("SELECT current_setting('max_standby_streaming_delay')")
    return doubtful(
        f"{len(standbys)} physical standby(s): they replay the rename's ACCESS EXCLUSIVE locks; queries "
        f"there on the tables are cancelled after max_standby_streaming_delay ({delay} here), replay lags "
        "meanwhile",
        standbys
        + [
            f"max_standby_streaming_delay is {delay} on this server; each standby uses its own: "
            "SHOW max_standby_streaming_delay there (-1: replay waits as long as the query runs)",
            "run the rename when no long report reads these tables on a standby; the lock lasts "
            "milliseconds on this server, but a standby query that conflicts with it is cancelled with "
            '"canceling statement due to conflict with recovery" (or, idle in a transaction, its session '
            "is ended)",
        ],
    )
