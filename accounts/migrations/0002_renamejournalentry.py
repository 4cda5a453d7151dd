"""The journal the rename writes before it changes anything, so it can be undone exactly.

Reversed, this migration deletes its own row of django_migrations in the transaction
that drops the table (Django would delete it only after that transaction commits, so a
kill in between would leave the journal dropped but still recorded):
``manage.py sqlmigrate accounts 0002 --backwards`` shows it.
"""

import django.db.models.functions.datetime
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="RenameJournalEntry",
            fields=[
                (
                    "id",
                    models.AutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID"),
                ),
                (
                    "step",
                    models.IntegerField(
                        help_text="Order of application; 0 for the snapshot taken before any lock."
                    ),
                ),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("table_identity", "Table Identity"),
                            ("foreign_key", "Foreign Key"),
                            ("rename", "Rename"),
                            ("comment", "Comment"),
                            ("repair", "Repair"),
                            ("index_build", "Index Build"),
                        ]
                    ),
                ),
                ("object_type", models.CharField()),
                ("table_name", models.CharField(blank=True, null=True)),
                ("old_name", models.CharField()),
                ("new_name", models.CharField()),
                ("old_value", models.TextField(blank=True, null=True)),
                ("new_value", models.TextField(blank=True, null=True)),
                ("details", models.JSONField(blank=True, null=True)),
                ("recorded_at", models.DateTimeField(db_default=django.db.models.functions.datetime.Now())),
            ],
            options={
                "db_table": "user_rename_journal",
                "ordering": ["step", "id"],
                "verbose_name_plural": "rename journal entries",
            },
        ),
        migrations.RunSQL(
            sql=migrations.RunSQL.noop,
            reverse_sql="DELETE FROM django_migrations WHERE app = 'accounts' AND name = '0002_renamejournalentry';",
        ),
    ]
