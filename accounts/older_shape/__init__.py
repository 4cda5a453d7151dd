"""The older shape of the legacy database, brought to the real one by an explicit step.

The models mirror the database the upstream backend's own migrations leave before
its rename (docs/reference/legacy-schema.md). A copy older than those migrations
(kWh columns, trade_orders_cache and system_config, fewer columns) is refused by
the adoption with the exact columns it lacks; ``manage.py upgrade_older_shape``
brings it to the real shape first, doing what the upstream's migrations did
without their data loss (``upgrade.sql`` beside this file says how). It is a
step of its own, not part of ``migrate``, so that a team sees and chooses it.
"""

from dataclasses import dataclass
from pathlib import Path

from django.db import connections

from enerlink.durations import duration_ms

UPGRADE_SQL = (Path(__file__).resolve().parent / "upgrade.sql").read_text()

# Read-only: what the step would change (the same tests as upgrade.sql, as rows to print).
PENDING = """
SELECT 'rename energy_settlement.net_kwh_from_grid to net_wh_from_grid (values unchanged)'
 WHERE EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass('energy_settlement')
                  AND attname = 'net_kwh_from_grid' AND NOT attisdropped)
UNION ALL
SELECT format('move %s, rows and all, to schema enerlink_retired (the upstream dropped it)', t)
  FROM unnest(ARRAY['trade_orders_cache', 'system_config']) AS t
 WHERE to_regclass(quote_ident(t)) IS NOT NULL
   AND (SELECT relnamespace FROM pg_class WHERE oid = to_regclass(quote_ident(t)))
       = (SELECT relnamespace FROM pg_class WHERE oid = to_regclass('prosumer'))
"""


@dataclass(frozen=True)
class Outcome:
    changes: int
    message: str


def pending_changes(alias):
    """The step's main changes still to make on ``alias`` (empty: nothing of the older shape is left)."""
    with connections[alias].cursor() as cursor:
        cursor.execute(PENDING)
        return [line for (line,) in cursor.fetchall()]


def upgrade(alias, lock_timeout):
    """Run ``upgrade.sql`` in one transaction, each lock waited for at most ``lock_timeout``."""
    connection = connections[alias]
    notices = []
    with connection.cursor() as cursor:
        raw = cursor.connection
        raw.add_notice_handler(lambda diag: notices.append(diag.message_primary))
        with raw.transaction():
            cursor.execute(f"SET LOCAL lock_timeout = '{duration_ms(lock_timeout)}ms'")
            cursor.execute(UPGRADE_SQL)
    message = next((note for note in notices if note.startswith("enerlink older_shape: ")), "")
    return Outcome(changes=0 if "nothing to change" in message else 1, message=message.split(": ", 1)[-1])
