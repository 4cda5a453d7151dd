"""The migrate session: it gives up its locks when its client dies, names itself, shows the rename's notices.

A deploy process can be killed while its backend waits for a lock (a pod evicted, a
CI job cancelled). PostgreSQL notices a dead client only when it next talks to it, so
that backend would keep the locks it already holds, and every query on those tables
would wait (measured: 9.5 s, docs/reliability.md). ``client_connection_check_interval``
(PostgreSQL 14+, settable by any role) makes it look every second while a statement
runs, and end the session, releasing its locks, once the client is gone.
"""

from contextlib import contextmanager

from django.db.backends.signals import connection_created

CLIENT_CONNECTION_CHECK_INTERVAL = "1s"
APPLICATION_NAME = "manage.py migrate"
NOTICE_PREFIX = "enerlink "


def configure(connection, notice_handler):
    with connection.cursor() as cursor:
        if connection.pg_version >= 140000:
            cursor.execute(
                "SELECT set_config('client_connection_check_interval', %s, false)",
                [CLIENT_CONNECTION_CHECK_INTERVAL],
            )
        # Other sessions then see who holds the locks; an application_name set in DATABASE_URL wins.
        cursor.execute(
            "SELECT set_config('application_name', %s, false) WHERE current_setting('application_name') = ''",
            [APPLICATION_NAME],
        )
    if notice_handler is not None:
        connection.connection.add_notice_handler(notice_handler)


@contextmanager
def migrate_session(connection, on_notice=None):
    """Configure ``connection`` now and on every reconnection while the block runs.

    ``on_notice(text)`` gets each notice of the project's SQL (the rename's attempts).
    """

    def notice_handler(diag):
        text = diag.message_primary or ""
        if text.startswith(NOTICE_PREFIX):
            on_notice(text)

    handler = notice_handler if on_notice else None

    def on_connection_created(sender, connection, **kwargs):
        if connection.alias == alias:
            configure(connection, handler)

    alias = connection.alias
    connection_created.connect(on_connection_created, weak=False)
    try:
        if connection.connection is not None:
            configure(connection, handler)
        yield
    finally:
        connection_created.disconnect(on_connection_created)
        if handler is not None and connection.connection is not None and not connection.connection.closed:
            connection.connection.remove_notice_handler(handler)
