"""Lint the SQL of every migration of the project's apps with squawk.

For each migration of ``accounts`` and ``energy`` (or of the apps named on the
command line), the SQL that Django runs, as ``manage.py sqlmigrate app name``
prints it, goes through squawk (https://squawkhq.com, PyPI ``squawk-cli``)
with the settings of ``.squawk.toml``. Squawk's report is printed and the
command exits 1 when any migration has a violation (or SQL squawk cannot
parse). ``make migration-lint`` runs it; docs/quality.md explains the gate.

SQL inside ``DO`` blocks and PL/pgSQL functions (the rename of accounts 0003)
is a string to squawk: the tests of the rename check what it does.

A rule is ignored for one migration only, in ``IGNORED`` below, with its reason.
"""

import io
import re
import subprocess
import sys
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db.migrations.loader import MigrationLoader

PROJECT_APPS = ("accounts", "energy")

# (app, migration) -> {squawk rule: why it does not apply to that migration}.
IGNORED = {
    ("accounts", "0002_renamejournalentry"): {
        "prefer-bigint-over-int": (
            "user_rename_journal holds one row per object the rename touches (tens of rows); "
            "its integer columns are that row's id and step number and cannot outgrow 32 bits."
        ),
    },
    ("accounts", "0003_rename_prosumer_to_user"): {
        "require-statement-timeout": (
            "the rename bounds its waits for locks with SET LOCAL lock_timeout "
            "(ENERLINK_RENAME_LOCK_TIMEOUT, 2s); under ACCESS EXCLUSIVE it only renames catalog objects, "
            "which takes milliseconds. Its only statements that take time are the row counts of the "
            "snapshot, under ACCESS SHARE, which blocks neither reads nor writes: a statement_timeout "
            "would only make the rename fail on large tables."
        ),
    },
    ("accounts", "0004_verificationrun"): {
        "prefer-bigint-over-int": (
            "user_verification_run gets one row per verification run (a few per deploy); its integer "
            "columns are that row's id and counts of failed checks, which cannot outgrow 32 bits."
        ),
        "require-lock-timeout": (
            "the index is built on the table this same migration creates, in the same transaction: "
            "no other session can hold or wait for a lock on it."
        ),
        "require-statement-timeout": "the index is built on the empty table this same migration creates.",
    },
    ("energy", "0003_user_indexes_concurrently"): {
        "require-statement-timeout": (
            "CREATE INDEX CONCURRENTLY blocks neither reads nor writes and takes as long as the table is "
            "large; a statement_timeout would abort the build and leave an INVALID index behind (which is "
            "why django-pg-migration-tools sets lock_timeout to 0 around it, too)."
        ),
    },
}

# squawk colours its report and links rule names (OSC 8) even when piped.
ANSI_ESCAPES = re.compile(r"\x1b\[[0-9;]*m|\x1b\]8;;[^\x1b]*\x1b\\")


def squawk_executable():
    """squawk installed beside this Python (the virtualenv's bin/), else on PATH."""
    beside = Path(sys.executable).with_name("squawk")
    return str(beside) if beside.exists() else "squawk"


def lint_sql(sql, label, ignore=()):
    """Run squawk on ``sql``, named ``label`` in its report; return (exit status, report without colours)."""
    command = [
        squawk_executable(),
        "--config",
        str(Path(settings.BASE_DIR) / ".squawk.toml"),
        "--stdin-filepath",
        label,
    ]
    if ignore:
        command += ["--exclude", ",".join(sorted(ignore))]
    result = subprocess.run(command, input=sql, capture_output=True, text=True, check=False)  # noqa: S603
    return result.returncode, ANSI_ESCAPES.sub("", result.stdout + result.stderr).strip()


def project_migrations(app_labels):
    """(app, name) of every migration on disk of ``app_labels``, in name order."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    return sorted(key for key in loader.disk_migrations if key[0] in app_labels)


class Command(BaseCommand):
    help = "Lint the SQL of every migration (manage.py sqlmigrate) of the project's apps with squawk."

    def add_arguments(self, parser):
        parser.add_argument(
            "app_labels", nargs="*", default=list(PROJECT_APPS), help="default: accounts energy"
        )

    def handle(self, *args, app_labels, **options):
        failed = []
        for app, name in project_migrations(app_labels):
            sql = io.StringIO()
            call_command("sqlmigrate", app, name, stdout=sql, no_color=True)
            ignored = IGNORED.get((app, name), {})
            status, report = lint_sql(sql.getvalue(), f"{app}/migrations/{name}.sql", ignored)
            if status == 0:
                suffix = f" (ignored: {', '.join(sorted(ignored))})" if ignored else ""
                self.stdout.write(f"ok   {app} {name}{suffix}")
            else:
                failed.append(f"{app} {name}")
                self.stdout.write(
                    f"FAIL {app} {name}: squawk on `manage.py sqlmigrate {app} {name}`\n{report}\n"
                )
        if failed:
            raise CommandError(
                f"squawk found problems in {len(failed)} migration(s): {', '.join(failed)}. Make the "
                "migration safe, or ignore the rule for that migration in IGNORED of "
                "energy/management/commands/lint_migrations.py with the reason (and in docs/quality.md)."
            )
