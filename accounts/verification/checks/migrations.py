"""The rename migrations are applied and none of the project's migrations is pending."""

from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.recorder import MigrationRecorder

from accounts.verification.registry import check
from accounts.verification.results import failed, passed

RENAME_MIGRATIONS = [("accounts", "0003_rename_prosumer_to_user"), ("energy", "0002_rename_prosumer_fields")]


@check("migrations", "migrations applied")
def check_migrations(ctx):
    recorder = MigrationRecorder(ctx.connection)
    applied = set(recorder.applied_migrations()) if recorder.has_table() else set()
    problems = [
        f"{app}.{name} is not recorded as applied"
        for app, name in RENAME_MIGRATIONS
        if (app, name) not in applied
    ]
    executor = MigrationExecutor(ctx.connection)
    problems += [
        f"{migration.app_label}.{migration.name} is pending"
        for migration, backwards in executor.migration_plan(executor.loader.graph.leaf_nodes())
        if not backwards
    ]
    if problems:
        return failed(f"{len(problems)} migration problem(s): run manage.py migrate", problems)
    return passed(
        "rename migrations applied, nothing pending", [f"{app}.{name}" for app, name in RENAME_MIGRATIONS]
    )
