"""``migrate``: Django's migrate, made safe to run blindly from a deploy (docs/rename.md, docs/adoption.md).

Around Django's command (the pieces are in ``accounts.deploy``):

1. The settings it reads are checked first; an invalid one stops it in one line.
2. A database that is not EnerLink's is refused before anything is created in it; so is a
   session whose search_path makes prosumer or "user" name a view (the compatibility
   schema), and a reverse of the rename that has no journal to restore names from,
   before anything is unapplied.
3. One migrate at a time per database: a second one (another deploy pod) waits for
   the first, says whom it waits for, and then has nothing left to do.
4. The session gives up its locks within a second if this process dies, and shows
   the rename's notices (each attempt of its lock phase, with the blocker).
5. When the rename's lock budget runs out (or a deadlock is detected), the whole
   rename is retried after a wait, ENERLINK_RENAME_LOCK_RETRIES times.
6. Every failure is one line and an exit code (``enerlink.commands``): 0 done or
   nothing to do, 1 stopped (the line says what to do; the migration that stopped
   changed nothing), 2 could not run (bad option or setting, no connection, not
   an EnerLink database).
"""

import time

from django.core.management.base import CommandError
from django.core.management.commands.migrate import Command as DjangoMigrateCommand
from django.db import DatabaseError, connections
from django.db.migrations.executor import MigrationExecutor

from accounts.deploy.guard import refuse_foreign_database, refuse_shadowed_tables, refuse_unjournaled_reverse
from accounts.deploy.lock import migrate_lock
from accounts.deploy.session import migrate_session
from enerlink.commands import OneLineErrors, describe_database_error, refusal, sqlstate
from enerlink.durations import setting_ms
from enerlink.lock_policy import RETRYABLE_STATES, LockPolicy, retryable


class Command(OneLineErrors, DjangoMigrateCommand):
    current = None  # (action, migration) while Django applies or unapplies one
    mid_line = False  # Django has written "  Applying x..." and waits to add " OK"
    noticed = False  # notices were shown since then

    def handle(self, *args, **options):
        if options["plan"] or options["check_unapplied"]:
            return super().handle(*args, **options)
        connection = connections[options["database"]]
        verbosity = options["verbosity"]
        with migrate_session(connection, on_notice=self.show_notice if verbosity else None):
            refuse_foreign_database(connection)
            refuse_shadowed_tables(connection)
            refuse_unjournaled_reverse(connection, self.plan(connection, options) or [])
            wait_ms = setting_ms("ENERLINK_MIGRATE_LOCK_WAIT")
            with migrate_lock(connection, wait_ms, self.stderr.write) as waited:
                if waited is not None and not self.pending(connection, options):
                    if verbosity:
                        self.stdout.write(
                            "No migrations to apply: the migrate this one waited for applied them meanwhile."
                        )
                    return None
                return self.handle_with_retries(*args, **options)

    def handle_with_retries(self, *args, **options):
        policy = LockPolicy.from_settings()
        retries = policy.retries
        for attempt in range(1, policy.attempts + 1):
            self.current = None
            try:
                return super().handle(*args, **options)
            except DatabaseError as error:
                line, code = describe_database_error(error, *self.doing())
                # Only a migration that was rolled back as a whole (the rename) is worth another attempt.
                if not retryable(error) or self.current is None or not self.current[1].atomic:
                    raise CommandError(line, returncode=code) from None
                if attempt > retries:
                    raise CommandError(
                        f"{line} (gave up after {attempt} attempt{'s' if attempt > 1 else ''}; "
                        f"ENERLINK_RENAME_LOCK_RETRIES={retries})",
                        returncode=code,
                    ) from None
                wait = policy.wait_seconds(attempt)
                self.stderr.write(
                    f"attempt {attempt} of {retries + 1} stopped ({RETRYABLE_STATES[sqlstate(error)]}): "
                    f"{self.first_sentence(error)}; nothing was changed, trying again in {wait:g} s"
                )
                time.sleep(wait)
        raise AssertionError("unreachable")  # pragma: no cover

    @staticmethod
    def first_sentence(error):
        found = refusal(error)
        line, _ = describe_database_error(error) if found is None else (found[0], None)
        return line.rstrip(".")

    def pending(self, connection, options):
        """Whether this run has anything to apply or unapply (False: another migrate did it meanwhile)."""
        plan = self.plan(connection, options)
        return plan is None or bool(plan)

    @staticmethod
    def plan(connection, options):
        """[(migration, backwards)] this run would go through, or None for a target Django will refuse."""
        executor = MigrationExecutor(connection)
        app_label, name = options["app_label"], options["migration_name"]
        try:
            if app_label and name:
                target = (
                    (app_label, None)
                    if name == "zero"
                    else (app_label, executor.loader.get_migration_by_prefix(app_label, name).name)
                )
                targets = [target]
            elif app_label:
                targets = [key for key in executor.loader.graph.leaf_nodes() if key[0] == app_label]
            else:
                targets = executor.loader.graph.leaf_nodes()
            return executor.migration_plan(targets)
        except Exception:  # noqa: BLE001 (a bad target: Django's own handling says what is wrong)
            return None

    def migration_progress_callback(self, action, migration=None, fake=False):
        if action in ("apply_start", "unapply_start"):
            self.current = (action, migration)
            self.mid_line, self.noticed = self.verbosity >= 1, False
        elif action in ("apply_success", "unapply_success"):
            if self.noticed:  # the notices ended Django's line: start it again for its " OK"
                verb = "Applying" if action == "apply_success" else "Unapplying"
                self.stdout.write(f"  {verb} {migration}...", ending="")
            self.current, self.mid_line = None, False
        super().migration_progress_callback(action, migration, fake)

    def show_notice(self, text):
        """A notice of the rename's SQL (an attempt of its lock phase, its result), on a line of its own."""
        if self.mid_line:
            self.stdout.write("")
            self.mid_line = False
        self.stdout.write(f"    {text}")
        self.noticed = True

    def doing(self):
        if self.current is None:
            return "", ""
        action, migration = self.current
        verb = "applying" if action == "apply_start" else "unapplying"
        if migration.atomic:
            consequence = "That migration was rolled back; the ones before it stay done."
        else:
            consequence = "What that migration finished is kept; running it again completes it."
        return f"while {verb} {migration.app_label}.{migration.name}", consequence
