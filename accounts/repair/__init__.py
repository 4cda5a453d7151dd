"""Repair a database that the guide's script (or a hand rename) already renamed: plan, apply, record.

The guide's method leaves a second, CASCADE key beside each legacy one (or
replaces it), forgets two columns, builds duplicate indexes, and keeps no
journal (``docs/reference/legacy-schema.md`` lists its flaws). The
repair reads the catalog the way the rename does (``accounts.catalog``), plans
the steps that bring the database to what the rename would have made of it
(``plan``), shows them with the SQL, the locks and the scans, and runs them
with bounded lock waits (``apply``, ``locking``), recording each with the SQL
that undoes it (``journal``). ``manage.py repair_user_migration`` is the
command on top; docs/adoption.md shows its plan for the guide-renamed fixture.
"""

import psycopg
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections

from accounts.repair import expected, journal
from accounts.repair.apply import ApplyResult, RepairBlocked, StepFailed, apply_plan
from accounts.repair.locking import LockPolicy
from accounts.repair.plan import Plan, make_plan
from accounts.repair.state import CannotRepair, read_state
from enerlink.commands import first_line

APPLICATION_NAME = "enerlink repair"

__all__ = [
    "APPLICATION_NAME",
    "ApplyResult",
    "CannotRepair",
    "LockPolicy",
    "Plan",
    "RepairBlocked",
    "StepFailed",
    "plan_repair",
    "recorded_steps",
    "run_repair",
]


def _connect(using):
    from enerlink.db import connect

    try:
        return connect(using, autocommit=True, application_name=APPLICATION_NAME)
    except psycopg.OperationalError as error:
        reason = first_line(error, "refused")
        raise CannotRepair(f"could not connect to the database: {reason}") from error


def _plan(conn, using):
    try:
        with conn.cursor() as cursor:
            state = read_state(cursor, sorted({column.table for column in expected.key_columns()}))
            return make_plan(state, connections[using], cursor)
    except (psycopg.Error, DatabaseError) as error:
        reason = first_line(error)
        raise CannotRepair(f"could not read the database: {reason}") from error


def plan_repair(using=DEFAULT_DB_ALIAS):
    """The plan for the database behind ``using``; nothing is changed. Raises CannotRepair."""
    with _connect(using) as conn:
        return _plan(conn, using)


def run_repair(using=DEFAULT_DB_ALIAS, policy=None, progress=None, on_retry=None, before=None):
    """Plan, then apply: (plan, ApplyResult). Raises CannotRepair, RepairBlocked or StepFailed.

    ``before(plan)`` is called with the plan before any step runs.
    """
    with _connect(using) as conn:
        plan = _plan(conn, using)
        if before is not None:
            before(plan)
        return plan, apply_plan(
            conn, plan, policy or LockPolicy.from_settings(), progress=progress, on_retry=on_retry
        )


def recorded_steps(using=DEFAULT_DB_ALIAS):
    """The steps the repair recorded in the journal, newest first."""
    with _connect(using) as conn, conn.cursor() as cursor:
        return journal.recorded_steps(cursor)
