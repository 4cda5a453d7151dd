"""System checks of the settings the rename and the report read, so a bad value stops before any work.

``manage.py migrate`` runs the system checks before it applies anything: an
invalid ``ENERLINK_RENAME_LOCK_TIMEOUT`` then fails with one line naming the
variable, instead of a database error half way through the migrations.
"""

import re

from django.conf import settings
from django.core import checks

# A PostgreSQL duration as lock_timeout and statement_timeout accept it: a number, and a unit.
DURATION = re.compile(r"^\s*(\d+(\.\d+)?)\s*(us|ms|s|min|h|d)?\s*$")

DURATION_SETTINGS = {
    "ENERLINK_RENAME_LOCK_TIMEOUT": "how long the rename may wait for its table locks",
    "ENERLINK_ADMIN_VERIFY_STATEMENT_TIMEOUT": "how long each query of the admin's verification may run",
}


def invalid_duration(value):
    match = DURATION.match(str(value))
    return match is None or float(match.group(1)) <= 0


@checks.register()
def check_durations(app_configs=None, **kwargs):
    errors = []
    for name, meaning in DURATION_SETTINGS.items():
        value = getattr(settings, name, None)
        if value is not None and invalid_duration(value):
            errors.append(
                checks.Error(
                    f"{name}={value!r} is not a positive PostgreSQL duration ({meaning}).",
                    hint=f"Set {name} to a value such as '2s', '500ms' or '1min'; nothing was changed.",
                    id="enerlink.E001",
                )
            )
    return errors
