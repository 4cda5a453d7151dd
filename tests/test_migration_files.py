"""What a migration runs is readable beside it, and stays put.

A migration is history: once applied somewhere, what it does must not change when
project code changes. So each migration imports only Django, the standard library,
its own app's ``operations`` module and the model field types of ``enerlink.fields``
(which Django writes into migrations and which must stay importable anyway), and the
SQL it runs sits in ``.sql`` files next to it, which ``manage.py sqlmigrate`` prints.
"""

import ast
import json
import re
import sys

import pytest

from enerlink.devtools import scratch

APPS = ["accounts", "energy"]
ALLOWED_PROJECT_MODULES = {"enerlink.fields"}


def migration_files():
    return sorted(path for app in APPS for path in (scratch.PROJECT_ROOT / app / "migrations").glob("0*.py"))


def imported_modules(path):
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            yield node.module


@pytest.mark.parametrize("path", migration_files(), ids=lambda path: f"{path.parent.parent.name}/{path.stem}")
def test_a_migration_imports_no_project_code_but_its_own_operations(path):
    app = path.parent.parent.name
    allowed = ALLOWED_PROJECT_MODULES | {f"{app}.operations"}
    for module in imported_modules(path):
        top = module.split(".")[0]
        if top in sys.stdlib_module_names or top in ("django", "django_pg_migration_tools"):
            continue
        assert module in allowed, f"{app}/migrations/{path.name} imports {module}"


def test_the_check_catches_an_import_of_project_code(tmp_path):
    probe = tmp_path / "0099_probe.py"
    probe.write_text("from accounts.verification import run_verification\n")
    assert "accounts.verification" in set(imported_modules(probe))


def sql_files():
    return sorted(path for app in APPS for path in (scratch.PROJECT_ROOT / app / "migrations").glob("0*.sql"))


@pytest.mark.parametrize("path", sql_files(), ids=lambda path: f"{path.parent.parent.name}/{path.name}")
def test_sqlmigrate_prints_each_sql_file(created_db, path):
    app = path.parent.parent.name
    name = path.name.split(".")[0]
    args = ["sqlmigrate", app, name]
    if path.name.endswith(".reverse.sql"):
        args.append("--backwards")
    out = created_db.manage(*args).stdout
    assert path.read_text().strip() in out


def test_the_rename_is_named_once_and_its_sql_agrees():
    """accounts.facts names the rename; the models, the migrations and the rename's SQL say the same."""
    from django.db.migrations.loader import MigrationLoader

    from accounts import facts
    from accounts.models import RenameJournalEntry
    from energy import operations

    graph = MigrationLoader(None, ignore_no_migrations=True).graph
    for migration in (*facts.RENAME_MIGRATIONS, facts.JOURNAL_MIGRATION, *facts.ADOPTION_MIGRATIONS):
        assert migration in graph.nodes, migration
    assert RenameJournalEntry._meta.db_table == facts.JOURNAL_TABLE == operations.JOURNAL_TABLE
    sql = "\n".join(
        (scratch.PROJECT_ROOT / "accounts" / "migrations" / name).read_text()
        for name in ("0003_rename_prosumer_to_user.forward.sql", "0003_rename_prosumer_to_user.reverse.sql")
    )
    assert f"INSERT INTO {facts.JOURNAL_TABLE} " in sql
    # The key names the rename gives: left(table || '_' || column || '_fkey', 63), as canonical_key_name.
    assert "left(fk.tbl_name || '_' || new_column || '_fkey', 63)" in sql
    assert facts.canonical_key_name("wallet", "user_id") == "wallet_user_id_fkey"
    assert facts.canonical_key_name("t" * 60, "user_id") == ("t" * 60 + "_user_id_fkey")[:63]


def jsonb_constant(sql, name):
    """The value of ``<name> constant jsonb := '...'`` in a DO block of the rename's SQL."""
    found = re.search(rf"{name} constant jsonb := '(.*?)';", sql, re.DOTALL)
    assert found, f"no constant {name} in the rename's SQL"
    return json.loads(found.group(1))


def test_the_names_and_comments_the_rename_gives_are_the_ones_the_models_declare():
    """The forward SQL spells index names and comments (it imports no project code); the models own them."""
    from accounts.models import User

    sql = (
        scratch.PROJECT_ROOT / "accounts" / "migrations" / "0003_rename_prosumer_to_user.forward.sql"
    ).read_text()
    keys = [field for field in User._meta.related_objects if field.field.db_constraint]
    key_fields = {f"{key.related_model._meta.db_table}.{key.field.column}": key.field for key in keys}
    declared_indexes = {
        column: index.name
        for column, field in key_fields.items()
        for index in field.model._meta.indexes
        if index.fields == [field.name]
    }
    assert jsonb_constant(sql, "canonical") == declared_indexes
    declared_comments = {f"user.{User._meta.pk.column}": User._meta.pk.db_comment} | {
        column: field.db_comment for column, field in key_fields.items()
    }
    assert jsonb_constant(sql, "comments") == declared_comments
    assert f"'{User._meta.db_table_comment}'" in sql
