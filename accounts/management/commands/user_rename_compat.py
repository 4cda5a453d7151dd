"""``manage.py user_rename_compat install | status | remove``: the compatibility schema for a rolling deploy.

Thin over ``accounts.compat`` (docs/compat.md). Every failure is one line on
stderr, and nothing was changed.

Exit status (the project's table, enerlink/commands.py):
  0  install: installed, healed or already current; remove: removed, or nothing to remove;
     status: installed and current
  1  install / remove: a lock could not be had within the lock timeout (the line names who holds it):
     run it again; status: not installed, or installed but not current (run install)
  2  could not run: bad input, a schema that is not ours, no user table, missing privileges,
     objects that are not ours in the schema or built on its views, a session whose search_path holds
     the schema, no connection; status: also a lock it could not have within the lock timeout
"""

import json

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS

from accounts import compat
from enerlink.commands import EXIT_CANNOT_RUN, EXIT_STOPPED, OneLineErrors

ACTIONS = ("install", "status", "remove")


class Command(OneLineErrors, BaseCommand):
    outcomes = {compat.Busy: EXIT_STOPPED, compat.CompatError: EXIT_CANNOT_RUN}
    help = (
        "Install, inspect or remove the compatibility schema: views under the legacy names (prosumer, "
        "prosumer_id, ...) over the real tables, for old instances during a rolling deploy. "
        "Exit 0 done, 1 busy (retry), not installed or not current (status), 2 could not run."
    )

    def add_arguments(self, parser):
        # Checked here rather than by argparse, whose errors take two lines (usage and message).
        parser.add_argument("action", nargs="?", help="install, status or remove")
        parser.add_argument(
            "--schema", help="Schema name (default: setting ENERLINK_COMPAT_SCHEMA, enerlink_prosumer)."
        )
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS, help="Database alias (default: default).")
        parser.add_argument(
            "--lock-timeout",
            help="How long each lock may wait, e.g. 500ms (default: setting ENERLINK_RENAME_LOCK_TIMEOUT).",
        )
        parser.add_argument(
            "--application-name",
            action="append",
            dest="application_names",
            help="application_name of the old instances, for status and remove (repeatable; default: setting "
            "ENERLINK_COMPAT_APPLICATION_NAMES, enerlink-old-backend).",
        )
        parser.add_argument("--json", action="store_true", dest="as_json", help="status: one JSON object.")

    def handle(self, *args, action, schema, database, lock_timeout, application_names, as_json, **options):
        if action is None:
            raise CommandError("no action given: use install, status or remove", returncode=EXIT_CANNOT_RUN)
        if action not in ACTIONS:
            raise CommandError(
                f"unknown action {action!r}: use install, status or remove", returncode=EXIT_CANNOT_RUN
            )
        if action == "install":
            self.stdout.write(compat.install(schema, using=database, lock_timeout=lock_timeout).describe())
        elif action == "remove":
            result = compat.remove(
                schema, using=database, lock_timeout=lock_timeout, application_names=application_names
            )
            self.stdout.write(result.describe())
        else:
            try:
                found = compat.status(
                    schema, using=database, application_names=application_names, lock_timeout=lock_timeout
                )
            except compat.Busy as error:
                # status keeps exit 1 for its answer: a lock it could not have means it could not run.
                raise CommandError(str(error), returncode=EXIT_CANNOT_RUN) from None
            self.show_status(found, as_json)

    def show_status(self, found, as_json):
        if as_json:
            self.stdout.write(json.dumps(found.as_dict(), indent=2))
        else:
            self.stdout.write(describe_status(found))
        if not found.installed:
            raise CommandError(
                f"compatibility schema {found.schema} is not installed", returncode=EXIT_STOPPED
            )
        if not found.ours:
            raise CommandError(
                f"schema {found.schema} exists but was not created by user_rename_compat",
                returncode=EXIT_CANNOT_RUN,
            )
        if not found.current:
            raise CommandError(
                f"compatibility schema {found.schema} is not current ({len(found.problems)} problem(s)): "
                f'run "manage.py user_rename_compat install --schema {found.schema}" to heal it',
                returncode=EXIT_STOPPED,
            )


def describe_status(found):
    if not found.installed:
        return f"compatibility schema {found.schema}: not installed"
    if not found.ours:
        return f"schema {found.schema}: exists, owned by {found.owner}, not created by user_rename_compat"
    state = "current" if found.current else "NOT current"
    lines = [
        f"compatibility schema {found.schema}: installed, {state}, owned by {found.owner}; "
        f"old instances connect with search_path={found.schema},public"
    ]
    lines += [f"  {view.describe()}" for view in found.views]
    lines += [
        f"  {name}: not created by user_rename_compat (remove refuses while it is there)"
        for name in found.foreign_objects
    ]
    if found.sessions:
        lines.append(
            f"{len(found.sessions)} session(s) seem to use it (PostgreSQL shows no session's search_path; "
            "see docs/compat.md):"
        )
        lines += [f"  {session.describe()}" for session in found.sessions]
    else:
        lines.append(
            "no session seems to use it now (by application_name, locks on its views or last statement)"
        )
    return "\n".join(lines)
