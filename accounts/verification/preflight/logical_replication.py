"""No logical replication carries the tables, unless the team says it follows the procedure.

A logical-replication subscriber (an analytics copy, a CDC pipeline) applies
each change to the table and columns of the same *names*: after the rename the
first change to "user" or to a renamed column stops it ("relation does not
exist", "missing replicated column"). So publications that include the tables,
logical slots in this database (a slot without a publication, such as
wal2json's, streams every table) and subscriptions of this database to the
tables refuse the preflight, with the procedure that renames a subscriber at
the right point of the stream (docs/logical-replication.md). Run with
``--allow-logical-replication`` once each subscriber follows it: the finding
then stays as a warning.
"""

from accounts.verification.preflight.scope import oid_list, scope
from accounts.verification.registry import BEFORE_RENAME, check
from accounts.verification.results import doubtful, failed, passed

ALLOW_OPTION = "allow_logical_replication"
PROCEDURE = "docs/logical-replication.md"

PUBLICATIONS = """
SELECT t.pubname, string_agg(format('%%I.%%I', t.schemaname, t.tablename), ', ' ORDER BY t.tablename)
  FROM pg_publication_tables t
  JOIN pg_namespace n ON n.nspname = t.schemaname
  JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = t.tablename
 WHERE c.oid = ANY (%s::oid[])
 GROUP BY t.pubname ORDER BY t.pubname
"""

SLOTS = """
SELECT slot_name, plugin, active, active_pid
  FROM pg_replication_slots WHERE slot_type = 'logical' AND database = current_database() ORDER BY slot_name
"""

SUBSCRIPTIONS = """
SELECT s.subname, s.subenabled,
       string_agg(r.srrelid::regclass::text, ', ' ORDER BY r.srrelid::regclass::text)
  FROM pg_subscription s JOIN pg_subscription_rel r ON r.srsubid = s.oid
 WHERE s.subdbid = (SELECT oid FROM pg_database WHERE datname = current_database())
   AND r.srrelid = ANY (%s::oid[])
 GROUP BY s.subname, s.subenabled ORDER BY s.subname
"""


@check(
    "P100",
    "logical_replication",
    "no logical replication of the tables (or the procedure followed)",
    suite=BEFORE_RENAME,
)
def check_logical_replication(ctx):
    tables = oid_list(scope(ctx).table_oids)
    found = [
        f"publication {name} includes {included}: each subscriber stops at the first change after the rename"
        for name, included in ctx.rows(PUBLICATIONS, [tables])
    ]
    found += [
        f"logical slot {name} (plugin {plugin}, "
        + (f"streaming to pid {pid})" if active else "inactive: its consumer resumes later)")
        for name, plugin, active, pid in ctx.rows(SLOTS)
    ]
    found += [
        f"subscription {name} ({'enabled' if enabled else 'disabled'}) replicates {included} into this "
        "database: its publisher must be renamed with it"
        for name, enabled, included in ctx.rows(SUBSCRIPTIONS, [tables])
    ]
    if not found:
        return passed("no publication, logical slot or subscription involves the tables")
    procedure = [
        f"procedure ({PROCEDURE}): on each subscriber set disable_on_error, run the rename here, let the "
        "subscriber stop at the first change after it, rename the subscriber's tables, enable it again: "
        "nothing is lost"
    ]
    if ctx.options.get(ALLOW_OPTION):
        return doubtful(
            f"{len(found)} logical-replication object(s) carry the tables; --allow-logical-replication says "
            f"each subscriber follows {PROCEDURE}",
            found + procedure,
        )
    return failed(
        f"{len(found)} logical-replication object(s) carry the tables: a subscriber stops at the first "
        f"change after the rename; follow {PROCEDURE}, then run the preflight with "
        "--allow-logical-replication",
        found + procedure,
    )
