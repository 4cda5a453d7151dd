"""Throw-away PostgreSQL databases, shared by the tests and the benchmarks.

The rename is tested and measured the way a team runs it: ``manage.py
migrate`` in a subprocess against a database of its own, as a role that owns
the tables and is not a superuser, then the catalog is read with psycopg.
``DATABASE_URL`` names the server; without it the embedded PostgreSQL 18 of
the project is used. A database built once can serve as the template of many
(``CREATE DATABASE ... TEMPLATE``, a file copy), which is how the suite avoids
rebuilding the same legacy database for every test.
"""

import os
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

PROJECT_ROOT = Path(__file__).resolve().parents[2]
OWNER_ROLE = "enerlink_owner"

HOW_TO_START = (
    "PostgreSQL is not reachable at {url!r}: {error}. Start it "
    "(on this machine: pg_ctlcluster --skip-systemctl-redirect 15 main start), or unset DATABASE_URL "
    "to use the embedded PostgreSQL 18 that the project starts by itself."
)


def server_url(database="postgres", user=None):
    """URL of the test server, pointed at ``database`` (and ``user`` if given)."""
    url = os.environ.get("DATABASE_URL")
    if not url:
        from enerlink import embedded

        url = embedded.server_url(database)
    parts = urlsplit(url)
    netloc = parts.netloc
    if user is not None:
        hostport = netloc.rsplit("@", 1)[-1]
        netloc = f"{user}@{hostport}"
    return urlunsplit((parts.scheme, netloc, "/" + database, parts.query, parts.fragment))


def admin_connect(database="postgres"):
    url = server_url(database)
    try:
        return psycopg.connect(url, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as error:
        raise RuntimeError(HOW_TO_START.format(url=url, error=str(error).strip())) from error


def ensure_owner_role():
    """A LOGIN role that is not a superuser, like the managed-PostgreSQL application role."""
    with admin_connect() as conn:
        exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [OWNER_ROLE]).fetchone()
        if not exists:
            conn.execute(
                sql.SQL("CREATE ROLE {} LOGIN NOSUPERUSER NOCREATEROLE").format(sql.Identifier(OWNER_ROLE))
            )
            conn.execute(sql.SQL("ALTER ROLE {} CREATEDB").format(sql.Identifier(OWNER_ROLE)))
    return OWNER_ROLE


def run_manage(*args, env=None, base_env=None, timeout=600):
    """``manage.py args`` in a subprocess, as a team runs it; ``env`` on top of ``base_env`` (os.environ)."""
    full_env = {**(os.environ if base_env is None else base_env), "PYTHONWARNINGS": "ignore", **(env or {})}
    return subprocess.run(
        [sys.executable, str(PROJECT_ROOT / "manage.py"), *args],
        cwd=PROJECT_ROOT,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


class ScratchDatabase:
    """One throw-away database, owned by ``owner`` (the non-superuser role by default)."""

    def __init__(self, owner=OWNER_ROLE, template=None, prefix="enerlink_t_"):
        """A new empty database, or a file-level copy of ``template`` (a ScratchDatabase nobody uses)."""
        self.name = f"{prefix}{uuid.uuid4().hex[:12]}"
        self.owner = owner
        statement = sql.SQL("CREATE DATABASE {} OWNER {}").format(
            sql.Identifier(self.name), sql.Identifier(owner)
        )
        if template is not None:
            statement += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template.name))
        with admin_connect() as conn:
            conn.execute(statement)

    @property
    def url(self):
        return server_url(self.name, user=self.owner)

    @property
    def superuser_url(self):
        return server_url(self.name)

    def connect(self, superuser=False, **kwargs):
        return psycopg.connect(self.superuser_url if superuser else self.url, autocommit=True, **kwargs)

    def run_sql_file(self, path):
        with self.connect() as conn:
            conn.execute(Path(path).read_text())

    def manage(self, *args, check=True, env=None, timeout=600):
        """Run ``manage.py`` against this database; return the CompletedProcess."""
        result = run_manage(*args, env={"DATABASE_URL": self.url, **(env or {})}, timeout=timeout)
        if check and result.returncode != 0:
            raise AssertionError(
                f"manage.py {' '.join(args)} exited {result.returncode}\n"
                f"--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"
            )
        return result

    def drop(self):
        with admin_connect() as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(self.name)))


# The legacy schema, plus Django's own tables, so that later dumps differ only by the rename.
LEGACY_MIGRATIONS = [
    ("accounts", "0001"),
    ("energy", "0001"),
    ("contenttypes", None),
    ("auth", None),
    ("admin", None),
    ("sessions", None),
]


def migrate_to_legacy(database):
    for app, target in LEGACY_MIGRATIONS:
        database.manage("migrate", app, *([target] if target else []))


LEGACY_TABLES = [
    "prosumer",
    "wallet",
    "smart_meter",
    "energy_settlement",
    "transaction_log",
    "market_trade",
    "idrs_conversion",
    "token_blacklist",
    "telemetry_aggregate",
]


def schema_dump(database):
    """``pg_dump --schema-only`` of the database, minus lines that differ on every run."""
    from enerlink import embedded

    result = subprocess.run(
        [
            embedded.bin_path("pg_dump"),
            "--schema-only",
            "--no-owner",
            "--no-privileges",
            database.superuser_url,
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return "\n".join(
        line
        for line in result.stdout.splitlines()
        if not line.startswith(("\\restrict", "\\unrestrict", "-- Dumped"))
    )


def table_fingerprints(database, tables):
    """Row count and an order-independent content checksum per table."""
    fingerprints = {}
    with database.connect(superuser=True) as conn:
        for table in tables:
            count, checksum = conn.execute(
                sql.SQL(
                    "SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM {} t"
                ).format(sql.Identifier(table))
            ).fetchone()
            fingerprints[table] = (count, checksum)
    return fingerprints
