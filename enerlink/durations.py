"""PostgreSQL durations and counts as the project's settings give them, parsed once for every reader."""

import re

# A duration as lock_timeout and statement_timeout accept it: a number, and a unit (none: milliseconds).
DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(us|ms|s|min|h|d)?\s*$")
MILLISECONDS = {"us": 0.001, "ms": 1, None: 1, "s": 1000, "min": 60_000, "h": 3_600_000, "d": 86_400_000}


def duration_ms(value):
    """``value`` (``'2s'``, ``'500ms'``, ``'1min'``, ``1500``) in whole milliseconds, or ValueError."""
    match = DURATION.match(str(value))
    if match is None:
        raise ValueError(f"{value!r} is not a PostgreSQL duration")
    milliseconds = round(float(match.group(1)) * MILLISECONDS[match.group(2)])
    if milliseconds < 1:
        raise ValueError(f"{value!r} is shorter than a millisecond")
    return milliseconds


def whole_number(value):
    """``value`` as an int >= 0; ValueError if it is anything else."""
    text = str(value).strip()
    if not text.isdigit():
        raise ValueError(f"{value!r} is not a whole number")
    return int(text)


def setting_ms(name):
    """The duration setting ``name`` in milliseconds (settings_checks has refused invalid values)."""
    from django.conf import settings

    return duration_ms(getattr(settings, name))


def setting_count(name):
    from django.conf import settings

    return whole_number(getattr(settings, name))


def invalid_duration(value):
    """Whether ``value`` is not a positive PostgreSQL duration (for options given on a command line)."""
    try:
        duration_ms(value)
    except ValueError:
        return True
    return False
