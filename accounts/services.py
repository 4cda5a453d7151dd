"""Run the verification report and keep it: the one service the command and the admin both call."""

from dataclasses import dataclass

from django.db import DEFAULT_DB_ALIAS

from accounts import verification


@dataclass
class VerificationResult:
    report: object
    run: object = None
    not_stored: str = ""


def verify_and_store(
    *,
    started_by,
    using=DEFAULT_DB_ALIAS,
    fast=False,
    store=True,
    statement_timeout=None,
    progress=None,
    suite=verification.AFTER_RENAME,
    options=None,
    count=False,
):
    """Run the report against ``using`` and store it as a VerificationRun unless ``store`` is off.

    ``count`` adds the exact row counts, which only run on request.

    Raises ``verification.NotMigrated`` or ``verification.CannotVerify`` when there is nothing to
    verify. A database that refuses the write (a replica, a read-only role) still gets its report:
    ``not_stored`` then says why it was not kept. ``suite`` picks the checks: the report
    (after_rename) or the preflight (before_rename), whose runs are never stored.
    """
    report = verification.run_verification(
        using,
        fast=fast,
        progress=progress,
        statement_timeout=statement_timeout,
        suite=suite,
        options=options,
        count=count,
    )
    result = VerificationResult(report)
    if store and suite == verification.AFTER_RENAME:
        try:
            result.run = verification.store_report(report, started_by, using)
        except verification.NotStored as error:
            result.not_stored = str(error)
    return result
