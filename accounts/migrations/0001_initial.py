"""The legacy ``prosumer`` table, created on an empty database or adopted as it is.

The database side is ``0001_initial.sql`` beside this file: the DDL the old
backend's own TypeORM migrations leave (hash-named constraints, ``timestamp``
columns without defaults, no unique email, the ``set_timestamp_prosumers``
trigger), run only where the table is missing.
The state side is the model. An existing legacy table is left untouched.
"""

from pathlib import Path

import django.utils.timezone
from django.db import migrations, models

import enerlink.fields

# What this migration runs, readable beside it (manage.py sqlmigrate accounts 0001 prints it):
# first the guard that refuses a database which is not EnerLink's (manage.py migrate also runs
# it before it creates anything), then the adoption or creation of the table.
GUARD_SQL = Path(__file__).with_suffix(".guard.sql").read_text()
SQL = Path(__file__).with_suffix(".sql").read_text()


class Migration(migrations.Migration):
    initial = True

    dependencies = []

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                # Irreversible on purpose: reversing would drop the production table.
                migrations.RunSQL([GUARD_SQL, SQL]),
            ],
            state_operations=[
                migrations.CreateModel(
                    name="Prosumer",
                    fields=[
                        (
                            "prosumer_id",
                            models.CharField(
                                db_column="prosumer_id",
                                primary_key=True,
                                serialize=False,
                            ),
                        ),
                        ("email", models.CharField()),
                        (
                            "password_hash",
                            models.CharField(help_text="bcrypt hash; never shown."),
                        ),
                        ("name", models.CharField(blank=True, null=True)),
                        (
                            "created_at",
                            enerlink.fields.LegacyTimestampField(default=django.utils.timezone.now),
                        ),
                        (
                            "updated_at",
                            enerlink.fields.LegacyTimestampField(default=django.utils.timezone.now),
                        ),
                        (
                            "primary_wallet_address",
                            models.CharField(blank=True, null=True),
                        ),
                    ],
                    options={
                        "db_table": "prosumer",
                    },
                ),
            ],
        ),
    ]
