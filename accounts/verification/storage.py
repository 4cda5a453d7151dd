"""Keep each report as a VerificationRun in the database it verified, so staff can read every deploy's."""

import getpass
import socket

from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, transaction

from accounts.models import VerificationRun
from accounts.verification.results import FAIL, WARN
from enerlink.commands import first_line


class NotStored(Exception):
    """The report ran but could not be saved (a read-only connection, a role that may not write)."""


def describe_starter(source="manage.py verify_user_migration"):
    """Who or what started a run, for the stored record."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no login name and no passwd entry (some containers)
        user = "unknown"
    return f"{source} ({user}@{socket.gethostname()})"


def store_report(report, started_by, using=DEFAULT_DB_ALIAS):
    """Save the report as a VerificationRun; None when the database has no such table yet.

    Raises NotStored, with the reason, when the database refuses the write: a replica or a
    ``default_transaction_read_only`` connection still gets its report, just not stored.
    """
    connection = connections[using]
    if VerificationRun._meta.db_table not in connection.introspection.table_names():
        return None
    try:
        with transaction.atomic(using=using):
            return VerificationRun.objects.using(using).create(
                started_at=report.started_at,
                finished_at=report.finished_at,
                outcome=report.outcome,
                fast=report.fast,
                errors=report.count(FAIL),
                warnings=report.count(WARN),
                checks=report.as_dict()["checks"],
                database_name=report.database,
                server_version=report.server_version,
                host=report.host,
                started_by=started_by,
            )
    except DatabaseError as error:
        reason = first_line(error, "refused")
        raise NotStored(f"the run was not stored: {reason}") from error
