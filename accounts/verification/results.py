"""What a check returns and what a report holds.

A check returns one ``Outcome``: passed or not, a one-line summary, and the
details behind it. The runner turns it into a ``CheckResult`` by adding what the
registry knows (name, title, severity) and how long it took: a failed check of
severity error fails the report, one of severity warning only warns.
"""

from dataclasses import asdict, dataclass, field

ERROR = "error"
WARNING = "warning"

PASS = "pass"  # noqa: S105 (a check status, not a password)
FAIL = "fail"
WARN = "warn"
SKIPPED = "skipped"

PASSED = "passed"
FAILED = "failed"

# The two suites: the report after the rename, the preflight before it.
AFTER_RENAME = "after_rename"
BEFORE_RENAME = "before_rename"

# How a status and an outcome look, in the admin (CSS) and in the terminal (rich takes the same colours).
STATUS_COLOURS = {PASS: "#1a7f37", FAIL: "#cf222e", WARN: "#9a6700", SKIPPED: "#57606a"}
OUTCOME_COLOURS = {PASSED: STATUS_COLOURS[PASS], FAILED: STATUS_COLOURS[FAIL]}


@dataclass(frozen=True)
class Outcome:
    """What one check found.

    ``doubtful`` marks a finding that may be fine (a database renamed by other
    means has no snapshot to compare with): it is reported as a warning even by
    a check of severity error, so that the report does not cry wolf.

    ``fixes`` are the actions that repair what the check found, in the order to
    take them: a ``manage.py`` command, or one SQL statement to run as the owner of
    the tables (``as a superuser: `` in front when only a superuser may run it).
    Each one is followed in a test, which then sees the report pass.
    """

    passed: bool
    summary: str
    details: list = field(default_factory=list)
    doubtful: bool = False
    fixes: list = field(default_factory=list)


def passed(summary, details=()):
    return Outcome(True, summary, list(details))


def failed(summary, details=(), fixes=()):
    return Outcome(False, summary, list(details), fixes=list(fixes))


def doubtful(summary, details=(), fixes=()):
    return Outcome(False, summary, list(details), doubtful=True, fixes=list(fixes))


@dataclass
class CheckResult:
    id: str
    name: str
    title: str
    severity: str
    status: str
    summary: str
    details: list = field(default_factory=list)
    seconds: float = 0.0
    fixes: list = field(default_factory=list)

    @property
    def passed(self):
        return self.status in (PASS, SKIPPED)

    @property
    def skipped(self):
        return self.status == SKIPPED

    def as_dict(self):
        return {**asdict(self), "passed": self.passed, "skipped": self.skipped}


@dataclass
class VerificationReport:
    database: str
    server_version: str
    host: str
    started_at: object
    finished_at: object = None
    fast: bool = False
    counted: bool = False
    checks: list = field(default_factory=list)
    suite: str = AFTER_RENAME

    @property
    def passed(self):
        return not any(check.status == FAIL for check in self.checks)

    @property
    def outcome(self):
        return PASSED if self.passed else FAILED

    def count(self, status):
        return sum(1 for check in self.checks if check.status == status)

    @property
    def seconds(self):
        return (self.finished_at - self.started_at).total_seconds() if self.finished_at else None

    def as_dict(self):
        return {
            "outcome": self.outcome,
            "suite": self.suite,
            "database": self.database,
            "server_version": self.server_version,
            "host": self.host,
            "started_at": self.started_at.isoformat(),
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "fast": self.fast,
            "counted": self.counted,
            "checks": [check.as_dict() for check in self.checks],
        }
