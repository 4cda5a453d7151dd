"""What the accounts migrations take from the settings, as the SQL statement that passes it on."""

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from enerlink.durations import duration_ms

# The PL/pgSQL of accounts 0003 reads its lock budget from this placeholder setting.
LOCK_BUDGET_SETTING = "enerlink.rename_lock_budget"


def lock_budget_statements():
    """The rename's first statements: its lock budget, in milliseconds, from ENERLINK_RENAME_LOCK_TIMEOUT.

    ``lock_timeout`` bounds any wait before the lock phase (which then sets it per lock);
    the placeholder setting is the budget the lock phase shares out (``.locks.sql``).
    ``manage.py migrate`` refuses an invalid value before it applies anything; any other
    way of loading the migration gets the same one-line message from here.
    """
    value = settings.ENERLINK_RENAME_LOCK_TIMEOUT
    try:
        milliseconds = duration_ms(value)
    except ValueError:
        raise ImproperlyConfigured(
            f"ENERLINK_RENAME_LOCK_TIMEOUT={value!r} is not a positive PostgreSQL duration: "
            "use a value such as '2s', '500ms' or '1min'"
        ) from None
    return [
        f"SET LOCAL lock_timeout = '{milliseconds}ms';  -- ENERLINK_RENAME_LOCK_TIMEOUT",
        f"SET LOCAL {LOCK_BUDGET_SETTING} = '{milliseconds}ms';",
    ]
