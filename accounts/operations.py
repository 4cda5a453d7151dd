"""What the accounts migrations take from the settings, as the SQL statement that passes it on."""

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from enerlink.durations import duration_ms

# The PL/pgSQL of accounts 0003 reads its lock budget from this placeholder setting.
LOCK_BUDGET_SETTING = "enerlink.rename_lock_budget"


def lock_budget_statement():
    """``SET LOCAL`` of the rename's lock budget, in milliseconds, from ENERLINK_RENAME_LOCK_TIMEOUT.

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
    return f"SET LOCAL {LOCK_BUDGET_SETTING} = '{milliseconds}ms';  -- ENERLINK_RENAME_LOCK_TIMEOUT"
