"""The older shape of the legacy database, brought to the real one by an explicit step.

The models mirror the database the upstream backend's own migrations leave before
its rename (docs/reference/legacy-schema.md). A copy older than those migrations
(kWh columns, trade_orders_cache and system_config, fewer columns) is refused by
the adoption with the exact columns it lacks; ``manage.py upgrade_older_shape``
brings it to the real shape first, doing what the upstream's migrations did
without their data loss (``upgrade.sql`` beside this file says how). It is a
step of its own, not part of ``migrate``, so that a team sees and chooses it.
"""

from pathlib import Path

from django.db import connections

from accounts import catalog
from enerlink.durations import duration_ms

UPGRADE_SQL = (Path(__file__).resolve().parent / "upgrade.sql").read_text()

PLAN_NOTICE = "enerlink older_shape plan: "
RESULT_NOTICE = "enerlink older_shape: "


def _run(alias, lock_timeout=None, plan=False):
    """Run ``upgrade.sql`` in one transaction; return the notices it raised."""
    notices = []
    with connections[alias].cursor() as cursor:
        catalog.require_user_table(cursor)
        raw = cursor.connection
        raw.add_notice_handler(lambda diag: notices.append(diag.message_primary))
        with raw.transaction():
            if plan:
                cursor.execute("SELECT set_config('enerlink.older_shape_plan', 'on', true)")
            else:
                cursor.execute(f"SET LOCAL lock_timeout = '{duration_ms(lock_timeout)}ms'")
            cursor.execute(UPGRADE_SQL)
    return notices


def pending_changes(alias):
    """Each change the step would make on ``alias``, in order: the same SQL in plan mode, changing nothing."""
    return [note.removeprefix(PLAN_NOTICE) for note in _run(alias, plan=True) if note.startswith(PLAN_NOTICE)]


def upgrade(alias, lock_timeout):
    """Make the changes, each lock waited for at most ``lock_timeout``; say what was done, in a phrase."""
    notices = _run(alias, lock_timeout)
    return next((note.removeprefix(RESULT_NOTICE) for note in notices if note.startswith(RESULT_NOTICE)), "")
