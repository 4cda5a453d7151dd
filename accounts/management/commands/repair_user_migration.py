"""``manage.py repair_user_migration``: repair a database the guide's script (or a hand rename) renamed.

Without options it prints the plan and changes nothing; ``--apply`` runs it.
Exit status: 0 done (or nothing to do), 1 the repair is blocked or a step could
not finish, 2 it cannot run here (wrong database, not renamed yet, no
privileges, no connection), each time with one line saying what to do.
"""

import json

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS

from accounts import repair
from accounts.repair import render
from enerlink.commands import EXIT_CANNOT_RUN, EXIT_STOPPED, OneLineErrors
from enerlink.durations import invalid_duration


class Command(OneLineErrors, BaseCommand):
    outcomes = {
        repair.CannotRepair: EXIT_CANNOT_RUN,
        repair.RepairBlocked: EXIT_STOPPED,
        repair.StepFailed: EXIT_STOPPED,
    }
    help = (
        "Repair a database renamed by the guide's script or by hand: print the plan (SQL, locks, scans); "
        "--apply runs it. Exit 0 done, 1 blocked or a step failed, 2 cannot run here."
    )

    def add_arguments(self, parser):
        parser.add_argument("--apply", action="store_true", help="Run the plan (default: only print it).")
        parser.add_argument("--json", action="store_true", dest="as_json", help="Print the plan as JSON.")
        parser.add_argument(
            "--lock-timeout",
            default=None,
            help="How long each step may wait for each lock (default: ENERLINK_RENAME_LOCK_TIMEOUT, "
            f"{settings.ENERLINK_RENAME_LOCK_TIMEOUT}).",
        )
        parser.add_argument(
            "--undo-sql",
            action="store_true",
            help="Print the SQL that undoes each step the repair recorded, newest first; change nothing.",
        )
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS, help="Database alias (default: default).")

    def handle(self, *args, apply, as_json, lock_timeout, undo_sql, database, **options):
        timeout = lock_timeout or settings.ENERLINK_RENAME_LOCK_TIMEOUT
        if invalid_duration(timeout):
            raise CommandError(
                f"--lock-timeout {timeout!r} is not a positive PostgreSQL duration (e.g. 2s, 500ms)",
                returncode=EXIT_CANNOT_RUN,
            )
        policy = repair.LockPolicy.from_settings(timeout)
        try:
            if undo_sql:
                self.stdout.write(render.undo_text(repair.recorded_steps(database)))
                return
            if not apply:
                plan = repair.plan_repair(database)
                self.show(plan, policy, as_json)
                if plan.blockers:
                    raise CommandError(repair.apply.blocked_message(plan), returncode=EXIT_STOPPED)
                if not plan.empty and not as_json:
                    self.stdout.write("\nTo run it: python manage.py repair_user_migration --apply")
                return
            planned = []
            plan, result = repair.run_repair(
                database,
                policy,
                progress=None if as_json else self.progress,
                on_retry=None if as_json else self.retrying,
                before=planned.append
                if as_json
                else (lambda plan: self.show(plan, policy, False, applying=True)),
            )
        except (repair.RepairBlocked, repair.StepFailed):
            if as_json and planned:  # the plan it stopped in, for a script to read
                self.show(planned[0], policy, as_json)
            raise
        if as_json:
            applied = [vars(step) for step in result.steps]
            self.stdout.write(
                json.dumps({**plan.as_dict(), "lock_timeout": policy.timeout, "applied": applied}, indent=2)
            )
        elif plan.empty:
            self.stdout.write("Nothing was changed.")
        else:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Repaired: {len(result.steps)} step(s) applied in {result.seconds:.2f} s and recorded "
                    "in user_rename_journal. Now run: python manage.py migrate, then python manage.py "
                    "verify_user_migration."
                )
            )

    def show(self, plan, policy, as_json, applying=False):
        if as_json:
            self.stdout.write(json.dumps({**plan.as_dict(), "lock_timeout": policy.timeout}, indent=2))
        else:
            self.stdout.write(render.plan_text(plan, policy, applying=applying))
            if applying and not plan.blockers and plan.steps:
                self.stdout.write("\nApplying")

    def progress(self, step, outcome):
        retried = f", {outcome.attempts} attempts" if outcome.attempts > 1 else ""
        self.stdout.write(f"  step {step.number} done in {outcome.seconds:.3f} s{retried}: {step.title}")

    def retrying(self, step, attempt, holders):
        self.stdout.write(
            f"  step {step.number}: a lock wait ran out (attempt {attempt}), held by {holders}; trying again"
        )
