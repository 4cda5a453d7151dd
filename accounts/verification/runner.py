"""Run the registered checks against one database and collect a report."""

import time

from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, transaction
from django.utils import timezone

from accounts import catalog
from accounts.expectations import user_model
from accounts.facts import rename_recorded
from accounts.verification.context import Context
from accounts.verification.registry import AFTER_RENAME, precondition, registered_checks, suite_precondition
from accounts.verification.results import ERROR, FAIL, PASS, SKIPPED, WARN, CheckResult, VerificationReport
from enerlink.commands import first_line


class NotMigrated(Exception):
    """The database still has its legacy table: there is nothing to verify yet."""


class CannotVerify(Exception):
    """The report could not run at all (no connection, the wrong database, a refused query)."""


def describe_server(connection):
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_database(), current_setting('server_version')")
        database, version = cursor.fetchone()
    settings_dict = connection.settings_dict
    host = settings_dict.get("HOST") or "local socket"
    if str(host).startswith("/"):
        host = f"socket {host}"
    return database, version, f"{host}:{settings_dict.get('PORT') or 5432}"


INSUFFICIENT_PRIVILEGE = "42501"


def ensure_connected(connection):
    """Connect, or refuse with the reason in one line."""
    try:
        connection.ensure_connection()
    except Exception as error:  # noqa: BLE001 (any driver error means: could not connect)
        raise CannotVerify(f"could not connect to the database: {first_line(error)}") from error


def ensure_verifiable(connection):
    """Refuse, with the reason, when there is nothing to verify or no database to verify it in."""
    ensure_connected(connection)
    user_table = connection.ops.quote_name(user_model()._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT to_regclass('prosumer') IS NOT NULL, to_regclass(%s) IS NOT NULL, current_database()",
            [user_table],
        )
        has_prosumer, has_user, database = cursor.fetchone()
        recorded = has_prosumer and not has_user and rename_recorded(cursor)
    if recorded:
        # "run migrate" would apply nothing here: the records say the rename is done.
        raise NotMigrated(
            f"not migrated: table prosumer is back in database {database!r} although accounts.0003 is "
            "recorded as applied, so the rename was undone by other means (the guide's rollback script?); "
            "see docs/verification.md"
        )
    if has_prosumer and not has_user:
        raise NotMigrated(
            f"not migrated: table prosumer still present in database {database!r}, run manage.py migrate"
        )
    if not has_user:
        raise CannotVerify(catalog.wrong_database(database))


@precondition(AFTER_RENAME)
def checks_after_rename(connection):
    ensure_verifiable(connection)
    return registered_checks(AFTER_RENAME)


def checks_to_run(suite, connection):
    """The suite's precondition decides; a suite without one runs all its checks once connected."""
    decide = suite_precondition(suite)
    if decide is not None:
        return decide(connection)
    ensure_connected(connection)
    return registered_checks(suite)


def outcome_status(registered, outcome):
    if outcome.passed:
        return PASS
    if outcome.doubtful or registered.severity != ERROR:
        return WARN
    return FAIL


def run_check(registered, ctx, statement_timeout):
    """One check, under ``statement_timeout`` when given: a check that runs out of time is skipped."""
    started = time.perf_counter()
    if statement_timeout is None:
        outcome = registered(ctx)
    else:
        try:
            with transaction.atomic(using=ctx.connection.alias):
                ctx.cursor.execute("SELECT set_config('statement_timeout', %s, true)", [statement_timeout])
                outcome = registered(ctx)
        except DatabaseError as error:
            if getattr(error.__cause__, "sqlstate", None) != "57014":  # query_canceled
                raise
            return CheckResult(
                registered.id,
                registered.name,
                registered.title,
                registered.severity,
                SKIPPED,
                f"not finished within statement_timeout {statement_timeout}: "
                "run manage.py verify_user_migration for the full report",
                seconds=time.perf_counter() - started,
            )
    return CheckResult(
        registered.id,
        registered.name,
        registered.title,
        registered.severity,
        outcome_status(registered, outcome),
        outcome.summary,
        outcome.details,
        seconds=time.perf_counter() - started,
        fixes=outcome.fixes,
    )


def cannot_read(registered, error):
    """The one line that says why a check could not read the database, and what to do."""
    reason = f"check {registered.name} could not read the database: {first_line(error)}"
    if getattr(error.__cause__, "sqlstate", None) == INSUFFICIENT_PRIVILEGE:
        reason += (
            "; run the report as a role that may read every table of the rename "
            "(the tables' owner, as manage.py migrate does)"
        )
    return CannotVerify(reason)


def skipped(registered, summary):
    return CheckResult(
        registered.id, registered.name, registered.title, registered.severity, SKIPPED, summary
    )


def run_verification(
    using=DEFAULT_DB_ALIAS,
    fast=False,
    progress=None,
    statement_timeout=None,
    suite=AFTER_RENAME,
    count=False,
    options=None,
):
    """Run every check of ``suite`` against the database behind ``using``; return a VerificationReport.

    ``progress(name, text)`` is called before each check and for each table a check that reads
    rows reads. ``fast`` skips the checks that read rows; ``count`` runs those that run only on
    request (the exact row counts), even with ``fast``. ``statement_timeout`` (a PostgreSQL
    interval, e.g. "5s") bounds each check's queries; a check that runs out of time is skipped.
    Raises NotMigrated or CannotVerify when there is nothing to verify. The suite's precondition
    says which checks apply; ``options`` (a dict) reaches the checks as ``ctx.options``.
    """
    connection = connections[using]
    checks = checks_to_run(suite, connection)
    database, version, host = describe_server(connection)
    report = VerificationReport(
        database, version, host, started_at=timezone.now(), fast=fast, counted=count, suite=suite
    )
    ctx = Context(connection, progress, options)
    try:
        for registered in checks:
            if registered.on_request and not count:
                report.checks.append(skipped(registered, "on request only: verify_user_migration --count"))
                continue
            if fast and registered.reads_rows and not registered.on_request:
                report.checks.append(skipped(registered, "skipped (--fast)"))
                continue
            ctx.current_check = registered.name
            if progress:
                progress(registered.name, registered.title)
            try:
                report.checks.append(run_check(registered, ctx, statement_timeout))
            except DatabaseError as error:
                raise cannot_read(registered, error) from error
    finally:
        ctx.close()
    report.finished_at = timezone.now()
    return report
