"""The legacy ``prosumer`` table, created on an empty database or adopted as it is.

The database side is the DDL the NestJS/TypeORM backend produced (hash-named
constraints, ``timestamp`` columns, the ``set_timestamp_prosumers`` trigger);
the state side is the model. An existing legacy table is left untouched.
"""

import django.db.models.functions.datetime
import enerlink.fields
from enerlink.legacy_sql import (
    ENSURE_TIMESTAMP_FUNCTION,
    REFUSE_RENAMED_DATABASE,
    create_unless_present,
)
from django.db import migrations, models


PROSUMER_COLUMNS = [
    "prosumer_id",
    "email",
    "password_hash",
    "name",
    "created_at",
    "updated_at",
    "primary_wallet_address",
]

CREATE_PROSUMER = (
    """
CREATE TABLE prosumer (
    prosumer_id varchar NOT NULL,
    email varchar NOT NULL,
    password_hash varchar NOT NULL,
    name varchar,
    created_at timestamp NOT NULL DEFAULT now(),
    updated_at timestamp NOT NULL DEFAULT now(),
    primary_wallet_address varchar,
    CONSTRAINT "UQ_67c9d0febbffb0f6eff2ebae084" UNIQUE (email),
    CONSTRAINT "PK_3ae412f5b4dcb9072bc6fe6815d" PRIMARY KEY (prosumer_id)
);
"""
    + ENSURE_TIMESTAMP_FUNCTION
    + """
CREATE TRIGGER set_timestamp_prosumers BEFORE UPDATE ON prosumer
    FOR EACH ROW EXECUTE FUNCTION trigger_set_timestamp();
"""
)


class Migration(migrations.Migration):
    initial = True

    dependencies = []

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(REFUSE_RENAMED_DATABASE, reverse_sql=migrations.RunSQL.noop),
                migrations.RunSQL(
                    create_unless_present("prosumer", PROSUMER_COLUMNS, CREATE_PROSUMER),
                    # Irreversible on purpose: reversing would drop the production table.
                ),
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
                        ("email", models.CharField(unique=True)),
                        (
                            "password_hash",
                            models.CharField(help_text="bcrypt hash; never shown."),
                        ),
                        ("name", models.CharField(blank=True, null=True)),
                        (
                            "created_at",
                            enerlink.fields.LegacyTimestampField(
                                db_default=django.db.models.functions.datetime.Now()
                            ),
                        ),
                        (
                            "updated_at",
                            enerlink.fields.LegacyTimestampField(
                                db_default=django.db.models.functions.datetime.Now()
                            ),
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
