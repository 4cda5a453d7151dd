#!/usr/bin/env python
"""Django's command-line utility for the enerlink project."""

import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "enerlink.settings")
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        execute_from_command_line(sys.argv)
    except ImproperlyConfigured as error:
        # A configuration mistake (a missing DATABASE_URL, the development SECRET_KEY with DEBUG
        # off) is one line that says what to set, not a traceback; exit 2, "could not run", as for
        # every command (enerlink/commands.py).
        print(f"enerlink: {error}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
