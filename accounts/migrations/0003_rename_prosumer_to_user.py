"""Rename prosumer to user: the whole database change as one RunSQL, the model rename as state.

The SQL sits beside this file (``.locks.sql``, ``.forward.sql``, ``.reverse.sql``;
``manage.py sqlmigrate accounts 0003`` prints it). It reads the real constraint and
index names from the catalog, changes only metadata, keeps every ON DELETE rule, and
journals what it changes so that ``manage.py migrate accounts 0001`` restores it
exactly. It runs in this migration's single transaction: a failure or an
interruption changes nothing. Its locks are taken within one budget,
ENERLINK_RENAME_LOCK_TIMEOUT (``.locks.sql``; docs/rename.md).
"""

from pathlib import Path

from django.db import migrations, models

from accounts.operations import lock_budget_statements

HERE = Path(__file__)
LOCKS_SQL = HERE.with_suffix(".locks.sql").read_text()
FORWARD_SQL = HERE.with_suffix(".forward.sql").read_text()
REVERSE_SQL = HERE.with_suffix(".reverse.sql").read_text()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_renamejournalentry"),
        # Every table that references prosumer must exist before the rename looks for them.
        ("energy", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    sql=[*lock_budget_statements(), LOCKS_SQL, FORWARD_SQL],
                    reverse_sql=[*lock_budget_statements(), LOCKS_SQL, REVERSE_SQL],
                ),
            ],
            state_operations=[
                migrations.RenameModel(old_name="Prosumer", new_name="User"),
                migrations.RenameField(model_name="user", old_name="prosumer_id", new_name="user_id"),
                migrations.AlterField(
                    model_name="user",
                    name="user_id",
                    field=models.CharField(
                        db_column="user_id",
                        db_comment="Unique identifier for user",
                        primary_key=True,
                        serialize=False,
                    ),
                ),
                migrations.AlterModelTable(name="user", table="user"),
                migrations.AlterModelTableComment(
                    name="user", table_comment="User accounts table (formerly prosumer)"
                ),
                migrations.AlterModelOptions(name="user", options={"verbose_name": "platform user"}),
            ],
        ),
    ]
