"""Build the canonical indexes the database lacks, without blocking reads or writes.

Most legacy copies have no index on their FK columns. Each one is built with
``CREATE INDEX CONCURRENTLY IF NOT EXISTS`` outside any transaction (so this
migration is not atomic), after an INVALID leftover of an interrupted build is
dropped, and journaled first so that the way back drops exactly what was built
(``energy.operations``). An index the rename already gave its canonical name is
left alone.

Backward, the first thing this migration does is to delete its own row of
django_migrations: a reverse interrupted half way then reads as "not applied",
and either direction finishes the job (``migrate`` builds what is missing,
``migrate accounts 0001`` drops what is left), instead of a record that claims
indexes which are gone.
"""

from django.db import migrations, models

from energy.operations import AddIndexConcurrentlyUnlessRenamed

INDEXES = [
    ("wallet", models.Index(fields=["user"], name="idx_wallet_user_id")),
    (
        "wallet",
        models.Index(
            fields=["user", "is_active"], name="idx_wallet_user_active", condition=models.Q(is_active=True)
        ),
    ),
    ("smartmeter", models.Index(fields=["user"], name="idx_smartmeter_user_id")),
    ("smartmeter", models.Index(fields=["user", "status"], name="idx_smartmeter_user_status")),
    ("transactionlog", models.Index(fields=["user"], name="idx_transactionlog_user_id")),
    ("markettrade", models.Index(fields=["buyer_user"], name="idx_markettrade_buyer_user")),
    ("markettrade", models.Index(fields=["seller_user"], name="idx_markettrade_seller_user")),
    ("idrsconversion", models.Index(fields=["user"], name="idx_idrsconversion_user_id")),
    ("tokenblacklist", models.Index(fields=["user"], name="idx_tokenblacklist_user_id")),
]


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("energy", "0002_rename_prosumer_fields"),
    ]

    operations = [
        *(AddIndexConcurrentlyUnlessRenamed(model_name=model, index=index) for model, index in INDEXES),
        # Last forward, so first backward.
        migrations.RunSQL(
            sql=migrations.RunSQL.noop,
            reverse_sql="DELETE FROM django_migrations WHERE app = 'energy' AND name = '0003_user_indexes_concurrently';",
        ),
    ]
