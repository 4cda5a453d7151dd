"""Plain psycopg connections to the database behind a Django alias.

Long-running jobs (the data builder, the benchmarks) manage their own
transactions and must not share Django's connection state.
"""

import psycopg
from django.db import connections


def connect(alias="default", **kwargs):
    params = connections[alias].get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    params.update(kwargs)
    return psycopg.connect(**params)
