"""The rename migrations are applied and none of the project's migrations is pending.

The fix depends on what is missing. Pending migrations: ``manage.py migrate``
applies them. The rename not recorded although table "user" is there (a
database renamed by other means): migrate would refuse to rename it again, so
once the other checks pass the step is recorded with ``--fake`` after the
journal table exists, and migrate then applies what follows it.
"""

from django.db.migrations.recorder import MigrationRecorder

from accounts.facts import ADOPTION_MIGRATIONS, JOURNAL_MIGRATION, RENAME_MIGRATIONS
from accounts.verification.registry import check
from accounts.verification.results import failed, passed


def record_rename_fixes(applied):
    """How to record a rename done by other means, or None when the database was never adopted."""
    if any(migration not in applied for migration in ADOPTION_MIGRATIONS):
        return None
    fixes = [] if JOURNAL_MIGRATION in applied else ["manage.py migrate accounts 0002"]
    return [*fixes, "manage.py migrate accounts 0003 --fake", "manage.py migrate"]


@check("R150", "migrations", "migrations applied")
def check_migrations(ctx):
    recorder = MigrationRecorder(ctx.connection)
    applied = set(recorder.applied_migrations()) if recorder.has_table() else set()
    unrecorded = [
        f"{app}.{name} is not recorded as applied"
        for app, name in RENAME_MIGRATIONS
        if (app, name) not in applied
    ]
    pending = [f"{app}.{name} is pending" for app, name in ctx.pending_migrations]
    if RENAME_MIGRATIONS[0] not in applied:
        fixes = record_rename_fixes(applied)
        how = (
            "repair what the other checks name, then record the rename (see fixes)"
            if fixes
            else "the legacy schema was never adopted (accounts.0001, energy.0001): see docs/adoption.md"
        )
        return failed(
            f'table "user" is there but the rename is not recorded: renamed by other means; {how}',
            unrecorded + pending,
            fixes or [],
        )
    if unrecorded or pending:
        return failed(
            f"{len(unrecorded + pending)} migration problem(s): manage.py migrate applies them",
            unrecorded + pending,
            ["manage.py migrate"],
        )
    return passed(
        "rename migrations applied, nothing pending", [f"{app}.{name}" for app, name in RENAME_MIGRATIONS]
    )
