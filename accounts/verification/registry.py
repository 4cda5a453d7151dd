"""The checks, registered by a decorator that says what each one is.

A check is a plain function of a ``Context`` that returns an ``Outcome``. The
decorator gives its name, title and severity, whether it reads rows (those
are skipped by ``--fast`` and by the admin's button, whose request must stay
short), and whether it runs only on request (the exact row counts of
``--count``: no check the report needs reads every row of every table). The
report runs them in the order their modules are imported by
``accounts.verification.checks``.

A suite may register a precondition (``@precondition(suite)``): it looks at the
database first and returns the checks that apply to it, or refuses. The
preflight (suite ``before_rename``, ``accounts.verification.preflight``) uses
it to run the report's own checks on a database already renamed by hand.
"""

from dataclasses import dataclass

from accounts.verification.results import AFTER_RENAME, BEFORE_RENAME, ERROR, WARNING

__all__ = ["AFTER_RENAME", "BEFORE_RENAME"]

_REGISTRY = {}
_PRECONDITIONS = {}


@dataclass(frozen=True)
class Check:
    name: str
    title: str
    severity: str
    reads_rows: bool
    suite: str
    function: object
    on_request: bool = False

    def __call__(self, ctx):
        return self.function(ctx)


def check(name, title, severity=ERROR, reads_rows=False, suite=AFTER_RENAME, on_request=False):
    """Register the decorated function as the check ``name`` of ``suite``."""
    if severity not in (ERROR, WARNING):
        raise ValueError(f"severity of check {name!r} must be {ERROR!r} or {WARNING!r}, not {severity!r}")

    def register(function):
        key = (suite, name)
        if key in _REGISTRY and _REGISTRY[key].function is not function:
            raise ValueError(f"two checks are named {name!r} in suite {suite!r}")
        _REGISTRY[key] = Check(name, title, severity, reads_rows, suite, function, on_request)
        return function

    return register


def registered_checks(suite=AFTER_RENAME):
    """The checks of ``suite``, in report order."""
    import accounts.verification.checks  # noqa: F401 (importing the modules registers the checks)
    import accounts.verification.preflight  # noqa: F401

    return [registered for (key_suite, _), registered in _REGISTRY.items() if key_suite == suite]


def precondition(suite):
    """Register the decorated ``function(connection) -> checks``: it decides which checks of ``suite`` run."""

    def register(function):
        _PRECONDITIONS[suite] = function
        return function

    return register


def suite_precondition(suite):
    """The precondition of ``suite``, or None when it has none."""
    registered_checks(suite)  # imports the modules that register them
    return _PRECONDITIONS.get(suite)
