"""squawk on the SQL of every migration of the project's apps.

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
            "the rename bounds its waits for locks with one budget (ENERLINK_RENAME_LOCK_TIMEOUT, 2s: "
            "SET LOCAL lock_timeout, then a lock_timeout per lock out of what is left); apart from those "
            "waits it only reads and renames catalog objects, which takes milliseconds whatever the size of "
            "the tables (it reads no row of them), so there is no long statement for a statement_timeout "
            "to cut short."
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


def migration_sql(app, name):
    """The SQL Django runs for one migration, exactly as ``manage.py sqlmigrate`` prints it."""
    out = io.StringIO()
    call_command("sqlmigrate", app, name, stdout=out, no_color=True)
    return out.getvalue()


def lint_migration(app, name):
    """squawk on one migration's SQL; return (exit status, report, {ignored rule: reason})."""
    ignored = IGNORED.get((app, name), {})
    status, report = lint_sql(migration_sql(app, name), f"{app}/migrations/{name}.sql", ignored)
    return status, report, ignored


def project_migrations(app_labels):
    """(app, name) of every migration on disk of ``app_labels``, in name order."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    return sorted(key for key in loader.disk_migrations if key[0] in app_labels)
