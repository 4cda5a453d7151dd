"""The platform's users (formerly prosumers), and the rename's journal.

These are the people who trade energy, not the staff who sign in to the
admin (those are ``django.contrib.auth`` users).
"""

from django.db import models
from django.db.models.functions import Now
from django.utils import timezone

from enerlink.fields import LegacyTimestampField


class User(models.Model):
    # The real table has no database defaults and no unique email (the old backend checked it in code):
    # the timestamps are set here, as TypeORM's @CreateDateColumn/@UpdateDateColumn set them in Node.
    user_id = models.CharField(primary_key=True, db_column="user_id", db_comment="Unique identifier for user")
    email = models.CharField()
    password_hash = models.CharField(help_text="bcrypt hash; never shown.")
    name = models.CharField(null=True, blank=True)
    created_at = LegacyTimestampField(default=timezone.now)
    updated_at = LegacyTimestampField(default=timezone.now)
    primary_wallet_address = models.CharField(null=True, blank=True)

    class Meta:
        db_table = "user"
        db_table_comment = "User accounts table (formerly prosumer)"
        verbose_name = "platform user"

    def __str__(self):
        return self.email


class RenameJournalEntry(models.Model):
    """One fact the rename recorded: a table's identity, a key's definition, a name changed, an index built.

    The forward migration writes these before and while it renames; the reverse
    replays the renames backwards to restore the original names exactly, and
    the verification report compares today's database with the snapshot. The
    repair of a database renamed by other means writes the same snapshot (with
    ``details.source`` = "repair") and one ``repair`` entry per step it ran.
    energy 0003 records each index it builds before it starts the build, so that
    the reverse drops exactly those, even after an interrupted run.
    """

    class Kind(models.TextChoices):
        TABLE_IDENTITY = "table_identity"
        FOREIGN_KEY = "foreign_key"
        RENAME = "rename"
        COMMENT = "comment"
        # A step of manage.py repair_user_migration, with the SQL that undoes it (accounts/repair/).
        REPAIR = "repair"
        INDEX_BUILD = "index_build"

    step = models.IntegerField(help_text="Order of application; 0 for the snapshot taken before any lock.")
    kind = models.CharField(choices=Kind.choices)
    object_type = models.CharField()
    table_name = models.CharField(null=True, blank=True)
    old_name = models.CharField()
    new_name = models.CharField()
    old_value = models.TextField(null=True, blank=True)
    new_value = models.TextField(null=True, blank=True)
    details = models.JSONField(null=True, blank=True)
    recorded_at = models.DateTimeField(db_default=Now())

    class Meta:
        db_table = "user_rename_journal"
        ordering = ["step", "id"]
        verbose_name_plural = "rename journal entries"

    def __str__(self):
        return f"{self.kind} {self.object_type} {self.old_name} -> {self.new_name}"


class VerificationRun(models.Model):
    """One run of ``verify_user_migration``, kept so staff can see every deploy's result."""

    class Outcome(models.TextChoices):
        PASSED = "passed"
        FAILED = "failed"

    started_at = models.DateTimeField(db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(choices=Outcome.choices)
    fast = models.BooleanField(
        default=False, help_text="The O(rows) checks (orphans, row counts) were skipped."
    )
    errors = models.PositiveIntegerField(default=0, help_text="Checks of severity error that failed.")
    warnings = models.PositiveIntegerField(default=0, help_text="Checks of severity warning that failed.")
    checks = models.JSONField(
        default=list, help_text="Per check: name, title, severity, status, summary, details."
    )
    database_name = models.CharField()
    server_version = models.CharField()
    host = models.CharField()
    started_by = models.CharField(
        help_text="Who or what started the run: the command and its OS user, or a staff user."
    )

    class Meta:
        db_table = "user_verification_run"
        ordering = ["-started_at"]
        get_latest_by = "started_at"
        permissions = [("run_verification", "Can start a verification run from the admin")]

    def __str__(self):
        return f"{self.started_at:%Y-%m-%d %H:%M:%S} {self.outcome}"

    @property
    def duration(self):
        if self.finished_at is None:
            return None
        return self.finished_at - self.started_at
