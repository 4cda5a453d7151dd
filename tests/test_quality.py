"""The quality gates of docs/quality.md: squawk on the migrations, and django-extensions' commands.

The migration lint runs squawk for real: on SQL strings, on the project's own
migrations, and on a dangerous migration added to a copy of the project.
"""

import os
import shutil
import subprocess
import sys

from enerlink.devtools import scratch
from enerlink.devtools.squawk import IGNORED, lint_sql

DANGEROUS_MIGRATION = """
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("energy", "{previous}")]

    operations = [
        migrations.AddField("wallet", "nickname", models.BigIntegerField()),
        migrations.AddIndex("wallet", models.Index(fields=["wallet_name"], name="idx_wallet_name")),
    ]
"""


def test_lint_sql_fails_a_blocking_index_build():
    status, report = lint_sql('CREATE INDEX "idx_wallet_name" ON "wallet" ("wallet_name");\n', "probe.sql")
    assert status != 0
    assert "require-concurrent-index-creation" in report
    assert "\x1b" not in report, "the report is plain text"


def test_lint_sql_fails_a_required_column_without_default():
    status, report = lint_sql('ALTER TABLE "wallet" ADD COLUMN "nickname" bigint NOT NULL;\n', "probe.sql")
    assert status != 0
    assert "adding-required-field" in report


def add_column(definition):
    """An atomic migration's SQL as sqlmigrate prints it, with the timeouts squawk asks for."""
    return (
        "BEGIN;\nSET LOCAL lock_timeout = '2s';\nSET LOCAL statement_timeout = '5s';\n"
        f'ALTER TABLE "wallet" ADD COLUMN "nickname" {definition};\nCOMMIT;\n'
    )


def test_lint_sql_passes_safe_sql_and_honours_ignores():
    status, report = lint_sql(add_column("bigint NULL"), "safe.sql")
    assert status == 0, report
    status, report = lint_sql(add_column("bigint NOT NULL"), "required.sql")
    assert status != 0 and "adding-required-field" in report
    status, report = lint_sql(add_column("bigint NOT NULL"), "ignored.sql", ignore={"adding-required-field"})
    assert status == 0, report


def test_lint_sql_fails_sql_squawk_cannot_parse():
    status, report = lint_sql("SELECT (;\n", "broken.sql")
    assert status != 0
    assert "syntax-error" in report


def test_every_ignored_rule_has_a_reason():
    for migration, rules in IGNORED.items():
        for rule, reason in rules.items():
            assert rule and len(reason) > 40, (migration, rule)


def test_project_migrations_pass(scratch_db):
    result = scratch_db().manage("lint_migrations")
    for migration in ["accounts 0001_initial", "accounts 0003_rename_prosumer_to_user", "energy 0003_user"]:
        assert f"ok   {migration}" in result.stdout
    assert "FAIL" not in result.stdout


def test_a_dangerous_migration_fails_the_lint(scratch_db, tmp_path):
    """The whole path of `make migration-lint`: a new migration, sqlmigrate, squawk, the exit status."""
    project = tmp_path / "project"
    project.mkdir()
    for name in ["manage.py", ".squawk.toml"]:
        shutil.copy2(scratch.PROJECT_ROOT / name, project / name)
    for package in ["enerlink", "accounts", "energy"]:
        shutil.copytree(
            scratch.PROJECT_ROOT / package, project / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    migrations = project / "energy" / "migrations"
    previous = max(path.stem for path in migrations.glob("0*.py"))
    (migrations / "9999_dangerous.py").write_text(DANGEROUS_MIGRATION.format(previous=previous))

    result = subprocess.run(
        [sys.executable, "manage.py", "lint_migrations", "energy"],
        cwd=project,
        env={**os.environ, "DATABASE_URL": scratch_db().url, "PYTHONWARNINGS": "ignore"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "ok   energy 0001_initial" in result.stdout
    assert "FAIL energy 9999_dangerous" in result.stdout
    assert "adding-required-field" in result.stdout
    assert "require-concurrent-index-creation" in result.stdout
    assert "squawk found problems in 1 migration(s): energy 9999_dangerous" in result.stderr


def test_show_urls_lists_the_admin(scratch_db):
    result = scratch_db().manage("show_urls")
    assert "/admin/\tdjango.contrib.admin.sites.index\tadmin:index" in result.stdout


def test_shell_plus_imports_the_platform_user_as_user(scratch_db):
    result = scratch_db().manage(
        "shell_plus",
        "--quiet-load",
        "--command",
        "print(User._meta.db_table, AuthUser._meta.db_table, Wallet._meta.db_table)",
    )
    assert result.stdout.strip().splitlines()[-1] == "user auth_user wallet"
