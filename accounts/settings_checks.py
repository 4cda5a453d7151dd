"""The settings the rename and the report read, checked before any work (enerlink.durations parses them).

``manage.py migrate`` (and the other commands of the rename's path) call
``settings_problems()`` before they connect, so an invalid value such as
``ENERLINK_RENAME_LOCK_TIMEOUT=abc`` stops them in one line, before anything is
applied. The same problems are system checks, for ``manage.py check``.
"""

from django.conf import settings
from django.core import checks

from enerlink.durations import duration_ms, whole_number

DURATION_SETTINGS = {
    "ENERLINK_RENAME_LOCK_TIMEOUT": "the budget of one attempt of the rename's lock phase",
    "ENERLINK_RENAME_RETRY_WAIT": "the first pause before trying again after a lock wait ran out",
    "ENERLINK_MIGRATE_LOCK_WAIT": "how long a migrate waits for another migrate of the same database",
    "ENERLINK_INDEX_LOCK_TIMEOUT": "how long each wait of a concurrent index build may last",
    "ENERLINK_ADMIN_VERIFY_STATEMENT_TIMEOUT": "how long each query of the admin's verification may run",
}
COUNT_SETTINGS = {
    "ENERLINK_RENAME_LOCK_RETRIES": "how many times to try again after a lock wait ran out (lock policy)",
}


def settings_problems():
    """One sentence per invalid setting, naming it, its value and what it should look like."""
    problems = []
    for name, meaning in DURATION_SETTINGS.items():
        value = getattr(settings, name, None)
        try:
            duration_ms(value)
        except ValueError:
            problems.append(
                f"{name}={value!r} is not a positive PostgreSQL duration ({meaning}): "
                "use a value such as '2s', '500ms' or '1min'"
            )
    for name, meaning in COUNT_SETTINGS.items():
        value = getattr(settings, name, None)
        try:
            whole_number(value)
        except ValueError:
            problems.append(f"{name}={value!r} is not a whole number ({meaning}): use a value such as 3")
    return problems


@checks.register()
def check_settings(app_configs=None, **kwargs):
    return [
        checks.Error(problem, hint="Nothing was changed.", id="enerlink.E001")
        for problem in settings_problems()
    ]
