"""Before the rename, the report's own check of trigger functions that are broken whatever the rename does."""

from accounts.verification.checks.broken_before_rename import TITLE, check_broken_before_rename
from accounts.verification.registry import BEFORE_RENAME, check
from accounts.verification.results import WARNING

check("P090", "broken_before_rename", TITLE, severity=WARNING, suite=BEFORE_RENAME)(
    check_broken_before_rename
)
