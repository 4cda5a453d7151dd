"""The post-deploy verification of the prosumer -> user rename.

The guide's "verification" is a handful of queries a person reads by eye: they
cannot see a second foreign key on a column, an ON DELETE rule turned into
CASCADE, orphans let in while triggers were off, an INVALID index or a forgotten
column. Each check (``checks/``, one module each) looks for one such failure in
the catalog, or, for the few that must, in the data, and says what it found in
plain words. What the database *should* look like comes from the models
(``expectations``) and from the journal the rename wrote (``context``), never
from a list of names kept here by hand. Every query aggregates inside
PostgreSQL, so memory stays flat however many rows the tables hold.

``accounts.services.verify_and_store`` is what the command and the admin call.
"""

from accounts.verification.formatting import format_detail, mask_email
from accounts.verification.registry import AFTER_RENAME, BEFORE_RENAME, check, registered_checks
from accounts.verification.results import (
    ERROR,
    FAIL,
    FAILED,
    PASS,
    PASSED,
    SKIPPED,
    WARN,
    WARNING,
    CheckResult,
    Outcome,
    VerificationReport,
)
from accounts.verification.runner import CannotVerify, NotMigrated, run_verification
from accounts.verification.storage import NotStored, describe_starter, store_report

__all__ = [
    "AFTER_RENAME",
    "BEFORE_RENAME",
    "ERROR",
    "FAIL",
    "FAILED",
    "PASS",
    "PASSED",
    "SKIPPED",
    "WARN",
    "WARNING",
    "CannotVerify",
    "CheckResult",
    "NotMigrated",
    "NotStored",
    "Outcome",
    "VerificationReport",
    "check",
    "describe_starter",
    "format_detail",
    "mask_email",
    "registered_checks",
    "run_verification",
    "store_report",
]
