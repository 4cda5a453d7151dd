"""Checks, the repair's planner and other services called in this process, on a scratch database.

Most tests run ``manage.py`` as a team does, in a subprocess: that proves the command, and
costs a Python start and a Django set-up each time. What a test wants to know of one check
or of the planner, it asks here: the database is a Django alias of its own for the time of
the test, reached through the same settings as ``default``.
"""

import contextlib
import uuid

import dj_database_url
from django.db import connections


@contextlib.contextmanager
def django_alias(database, django_db_blocker):
    """A Django database alias for ``database`` (a ScratchDatabase), as its owner role, closed after."""
    alias = f"scratch_{uuid.uuid4().hex[:8]}"
    parsed = dj_database_url.parse(database.url)
    connections.settings[alias] = {
        **connections["default"].settings_dict,
        **{key: parsed[key] for key in ("NAME", "USER", "PASSWORD", "HOST", "PORT")},
        "OPTIONS": parsed.get("OPTIONS", {}),
    }
    wrapper = connections[alias]  # made now (no connection yet), so that it can always be deleted below
    try:
        with django_db_blocker.unblock():
            try:
                yield alias
            finally:
                wrapper.close()
    finally:
        del connections[alias]
        del connections.settings[alias]
