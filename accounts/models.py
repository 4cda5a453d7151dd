"""The platform's users, as the legacy NestJS backend stored them.

These are the people who trade energy, not the staff who sign in to the
admin (those are ``django.contrib.auth`` users).
"""

from django.db import models
from django.db.models.functions import Now

from enerlink.fields import LegacyTimestampField


class Prosumer(models.Model):
    prosumer_id = models.CharField(primary_key=True, db_column="prosumer_id")
    email = models.CharField(unique=True)
    password_hash = models.CharField(help_text="bcrypt hash; never shown.")
    name = models.CharField(null=True, blank=True)
    created_at = LegacyTimestampField(db_default=Now())
    updated_at = LegacyTimestampField(db_default=Now())
    primary_wallet_address = models.CharField(null=True, blank=True)

    class Meta:
        db_table = "prosumer"

    def __str__(self):
        return self.email
