"""The benchmark's databases: one legacy template per size, cloned for every run.

Building a million users takes minutes, so each size is built once, with the
project's own data builder, into a template; every run works on a clone made
by ``CREATE DATABASE ... TEMPLATE``. The clones belong to the same
NOSUPERUSER role as in the tests, and so do their tables: the check below
refuses a clone where they do not.
"""

import time
import uuid

from psycopg import sql

from benchmarks import commands
from enerlink.devtools import scratch

PREFIX = "enerlink_bench_"
COMPLETE_MARK = "enerlink benchmark template: {users} users, complete"


def new_run_id():
    """A prefix of this run's databases, so that two runs (a test beside a benchmark) never meet."""
    return f"{PREFIX}{uuid.uuid4().hex[:6]}_"


class BenchDatabase:
    """A database of the benchmark, reached as the owner role or as the superuser."""

    def __init__(self, name, owner=scratch.OWNER_ROLE):
        self.name = name
        self.owner = owner

    @property
    def url(self):
        return scratch.server_url(self.name, user=self.owner)

    @property
    def superuser_url(self):
        return scratch.server_url(self.name)

    def manage(self, *args):
        """Run a manage.py command as the owner; fail loudly when it fails."""
        run = commands.run(self.url, "manage", *args)
        if run.returncode != 0:
            raise RuntimeError(
                f"manage.py {' '.join(args)} on {self.name} exited {run.returncode}\n"
                f"{run.stdout}\n{run.stderr}"
            )
        return run

    def drop(self):
        with scratch.admin_connect() as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(self.name)))


def server_facts():
    """Version and the settings that shape the timings."""
    with scratch.admin_connect() as conn:
        facts = {"server_version": conn.execute("SHOW server_version").fetchone()[0]}
        facts["server_version_num"] = int(conn.execute("SHOW server_version_num").fetchone()[0])
        for setting in (
            "shared_buffers",
            "maintenance_work_mem",
            "max_parallel_maintenance_workers",
            "deadlock_timeout",
        ):
            facts[setting] = conn.execute(sql.SQL("SHOW {}").format(sql.Identifier(setting))).fetchone()[0]
    return facts


def checkpoint():
    """Flush dirty buffers so that one phase does not pay for the writes of the previous one."""
    with scratch.admin_connect() as conn:
        conn.execute("CHECKPOINT")


def _comment(name):
    with scratch.admin_connect() as conn:
        row = conn.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s", [name]
        ).fetchone()
    return row[0] if row else None


def legacy_template(users, run_id, reuse=False, log=print):
    """The legacy database of ``users`` users, built with the project's data builder.

    With ``reuse``, the template has a fixed name, is kept, and is reused when a
    previous build completed. Returns (database, seconds spent building; 0 when reused).
    """
    scratch.ensure_owner_role()
    database = BenchDatabase(f"{PREFIX}template_{users}" if reuse else f"{run_id}template_{users}")
    mark = COMPLETE_MARK.format(users=users)
    if reuse and _comment(database.name) == mark:
        log(f"reusing template {database.name}")
        return database, 0.0
    database.drop()
    started = time.perf_counter()
    with scratch.admin_connect() as conn:
        conn.execute(
            sql.SQL("CREATE DATABASE {} OWNER {}").format(
                sql.Identifier(database.name), sql.Identifier(database.owner)
            )
        )
    for app, target in scratch.LEGACY_MIGRATIONS:
        database.manage("migrate", app, *([target] if target else []), "--verbosity", "0")
    database.manage("build_legacy_data", "--users", str(users), "--verbosity", "0")
    # A production table has been vacuumed: hint bits and visibility map set, statistics current.
    with scratch.admin_connect(database.name) as conn:
        conn.execute("VACUUM (ANALYZE)")
    with scratch.admin_connect() as conn:
        conn.execute(
            sql.SQL("COMMENT ON DATABASE {} IS {}").format(sql.Identifier(database.name), sql.Literal(mark))
        )
    return database, time.perf_counter() - started


def clone(template, name):
    """A copy of ``template`` owned by the owner role; checks that the owner role owns every table."""
    database = BenchDatabase(name, owner=template.owner)
    database.drop()
    facts = server_facts()
    strategy = sql.SQL(" STRATEGY FILE_COPY") if facts["server_version_num"] >= 150000 else sql.SQL("")
    with scratch.admin_connect() as conn:
        conn.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE {} OWNER {}").format(
                sql.Identifier(database.name), sql.Identifier(template.name), sql.Identifier(database.owner)
            )
            + strategy
        )
    with scratch.admin_connect(database.name) as conn:
        superuser = conn.execute(
            "SELECT rolsuper FROM pg_roles WHERE rolname = %s", [database.owner]
        ).fetchone()
        foreign = conn.execute(
            "SELECT string_agg(tablename || ' (' || tableowner || ')', ', ') FROM pg_tables "
            "WHERE schemaname = 'public' AND tableowner <> %s",
            [database.owner],
        ).fetchone()[0]
    if superuser != (False,) or foreign:
        database.drop()
        raise RuntimeError(
            f"clone {database.name}: the owner role {database.owner} must be a NOSUPERUSER role owning every "
            f"table (superuser: {superuser}; tables owned by others: {foreign})"
        )
    return database


def drop_run(run_id, log=print):
    """Drop every database of this run (kept templates have another prefix)."""
    with scratch.admin_connect() as conn:
        names = [
            row[0]
            for row in conn.execute(
                "SELECT datname FROM pg_database WHERE starts_with(datname, %s) ORDER BY 1", [run_id]
            ).fetchall()
        ]
    for name in names:
        BenchDatabase(name).drop()
        log(f"dropped {name}")
    return names
