"""Helpers of the fault tests: manage.py in the background, and what its backend is waiting for."""

import os
import subprocess
import sys
import time

import psycopg

from enerlink.devtools import scratch

MIGRATE_APPLICATION = "manage.py migrate"  # accounts.deploy.session names the migrate session so


def start_manage(database, *args, env=None):
    """``manage.py`` against ``database`` as the owner role, in the background (a Popen with text pipes)."""
    full_env = {**os.environ, "DATABASE_URL": database.url, "PYTHONWARNINGS": "ignore", **(env or {})}
    return subprocess.Popen(
        [sys.executable, str(scratch.PROJECT_ROOT / "manage.py"), *args],
        cwd=scratch.PROJECT_ROOT,
        env=full_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def manage_at(url, *args, env=None):
    """``manage.py`` with DATABASE_URL ``url`` (which may be wrong on purpose); the CompletedProcess."""
    return scratch.run_manage(*args, env={"DATABASE_URL": url, **(env or {})}, timeout=120)


def open_transaction(database, statement, superuser=False, application="app"):
    """A session of ``application`` left in a transaction after ``statement``, holding its locks."""
    conn = database.connect(superuser=superuser)
    conn.autocommit = False
    conn.execute("SELECT set_config('application_name', %s, false)", [application])
    conn.execute(statement)
    return conn


def open_snapshot(database, application="app"):
    """A superuser's session of ``application`` left in a REPEATABLE READ transaction with its snapshot taken.

    It locks no table, so the rename goes by it, but ``CREATE INDEX CONCURRENTLY`` waits for it to end.
    """
    conn = database.connect(superuser=True)
    conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
    conn.autocommit = False
    conn.execute("SELECT set_config('application_name', %s, false)", [application])  # takes the snapshot
    return conn


def wait_until(condition, timeout=30, interval=0.02, what="the condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"{what} did not happen within {timeout} s")


def waiting_migrate(conn, table=None, lock_type="relation"):
    """The pid of a migrate backend waiting for a lock (on ``table``, when given), or None."""
    row = conn.execute(
        """
        SELECT l.pid FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
         WHERE NOT l.granted AND a.application_name = %s AND l.locktype = %s
           AND a.datname = current_database() AND (%s::text IS NULL OR l.relation = to_regclass(%s))
         LIMIT 1
        """,
        [MIGRATE_APPLICATION, lock_type, table, table],
    ).fetchone()
    return row[0] if row else None


def migrate_backend_blocked(conn):
    """The pid of a migrate backend that waits for another session, whatever the lock, or None."""
    row = conn.execute(
        "SELECT pid FROM pg_stat_activity WHERE application_name = %s AND datname = current_database() "
        "AND cardinality(pg_blocking_pids(pid)) > 0",
        [MIGRATE_APPLICATION],
    ).fetchone()
    return row[0] if row else None


def assert_one_line(stderr):
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in stderr, stderr
    return lines[0]


def applied(conn, app, name_prefix):
    return conn.execute(
        "SELECT count(*) FROM django_migrations WHERE app = %s AND name LIKE %s", [app, f"{name_prefix}%"]
    ).fetchone()[0]


def indexes(conn, pattern="idx_%"):
    """{index name: valid} of the public schema's indexes named like ``pattern``."""
    return dict(
        conn.execute(
            "SELECT c.relname, i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "WHERE c.relname LIKE %s AND c.relnamespace = 'public'::regnamespace",
            [pattern],
        ).fetchall()
    )
