"""The checks, registered by a decorator that says what each one is.

A check is a plain function of a ``Context`` that returns an ``Outcome``. The
decorator gives its stable ID, name, title and severity, whether it reads rows
(those are skipped by ``--fast`` and by the admin's button, whose request must
stay short), and whether it runs only on request (the exact row counts of
``--count``: no check the report needs reads every row of every table).

An ID, like Django's ``auth.E001``, never changes once released and is what
scripts, tests and stored runs rely on: ``R`` and three digits for the report
(suite ``after_rename``), ``P`` for the preflight. The IDs also give the order
the checks run and are shown in, explicitly and whatever the order of imports:
they are numbered in tens, so that a check can be put between two others.

A suite may register a precondition (``@precondition(suite)``): it looks at the
database first and returns the checks that apply to it, or refuses. The
preflight (suite ``before_rename``, ``accounts.verification.preflight``) uses
it to run the report's own checks on a database already renamed by hand.
"""

import re
from dataclasses import dataclass

from accounts.verification.results import AFTER_RENAME, BEFORE_RENAME, ERROR, WARNING

__all__ = ["AFTER_RENAME", "BEFORE_RENAME"]

_REGISTRY = {}
_PRECONDITIONS = {}
ID_PREFIXES = {AFTER_RENAME: "R", BEFORE_RENAME: "P"}


@dataclass(frozen=True)
class Check:
    id: str
    name: str
    title: str
    severity: str
    reads_rows: bool
    suite: str
    function: object
    on_request: bool = False

    def __call__(self, ctx):
        return self.function(ctx)


def check(check_id, name, title, severity=ERROR, reads_rows=False, suite=AFTER_RENAME, on_request=False):
    """Register the decorated function as the check ``check_id`` (``name``) of ``suite``."""
    if severity not in (ERROR, WARNING):
        raise ValueError(f"severity of check {name!r} must be {ERROR!r} or {WARNING!r}, not {severity!r}")
    prefix = ID_PREFIXES.get(suite, "[A-Z]")
    if not re.fullmatch(rf"{prefix}\d{{3}}", check_id):
        raise ValueError(f"check {name!r} of suite {suite!r} needs an ID like {prefix}010, not {check_id!r}")

    def register(function):
        for (key_suite, key_id), other in _REGISTRY.items():
            clash = key_id == check_id or other.name == name
            if key_suite == suite and clash and other.function is not function:
                raise ValueError(
                    f"two checks of suite {suite!r} have the ID {check_id!r} or the name {name!r}"
                )
        _REGISTRY[(suite, check_id)] = Check(
            check_id, name, title, severity, reads_rows, suite, function, on_request
        )
        return function

    return register


def registered_checks(suite=AFTER_RENAME):
    """The checks of ``suite``, in the order of their IDs."""
    import accounts.verification.checks  # noqa: F401 (importing the modules registers the checks)
    import accounts.verification.preflight  # noqa: F401

    return sorted(
        (registered for (key_suite, _), registered in _REGISTRY.items() if key_suite == suite),
        key=lambda registered: registered.id,
    )


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
