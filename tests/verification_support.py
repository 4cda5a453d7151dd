"""Running verify_user_migration as a team runs it, and following the fixes it gives."""

import json
import os
import shlex
import shutil
from pathlib import Path

import pytest

from enerlink.devtools import scratch

SUPERUSER_PREFIX = "as a superuser: "


def verify(database, *args, env=None):
    """Run the command with --json; return (exit code, report dict, checks by name, stderr)."""
    result = database.manage("verify_user_migration", "--json", *args, check=False, env=env)
    assert "Traceback" not in result.stderr, result.stderr
    report = json.loads(result.stdout)
    return result.returncode, report, {check["name"]: check for check in report["checks"]}, result.stderr


def verify_in_process(database, django_db_blocker, *args):
    """What ``verify(database, "--no-store", *args)`` returns, computed in this process (the same service).

    For tests about what the checks find, not about the command: no Python start, no Django set-up.
    """
    from accounts import services, verification
    from tests.inprocess import django_alias

    options = {"allow_logical_replication": "--allow-logical-replication" in args}
    suite = verification.BEFORE_RENAME if "--preflight" in args else verification.AFTER_RENAME
    with django_alias(database, django_db_blocker) as alias:
        result = services.verify_and_store(
            started_by="tests",
            using=alias,
            fast="--fast" in args,
            count="--count" in args,
            store=False,
            suite=suite,
            options=options,
        )
    report = json.loads(json.dumps(result.report.as_dict(), default=str))
    code = 0 if result.report.passed else 1
    return code, report, {check["name"]: check for check in report["checks"]}, ""


def problems(check):
    return "\n".join(str(detail) for detail in check["details"])


def execute(database, statements, superuser=True):
    """Run SQL statements one by one (autocommit: CONCURRENTLY allowed)."""
    with database.connect(superuser=superuser) as conn:
        for statement in statements:
            conn.execute(statement)


def all_fixes(report):
    return [fix for check in report["checks"] for fix in check.get("fixes", [])]


def follow_fixes(database, report):
    """Do what the report says, in its order: manage.py as the owner, SQL as the owner unless marked."""
    done = []
    for fix in all_fixes(report):
        if fix.startswith("manage.py "):
            database.manage(*shlex.split(fix)[1:])
        elif fix.startswith(SUPERUSER_PREFIX):
            execute(database, [fix.removeprefix(SUPERUSER_PREFIX)], superuser=True)
        else:
            execute(database, [fix], superuser=False)
        done.append(fix)
    return done


def server_major():
    with scratch.admin_connect() as conn:
        return int(conn.execute("SHOW server_version_num").fetchone()[0]) // 10000


def client_program(name):
    """pg_dump / pg_restore of the server's major version: the embedded server's own, or the system's."""
    if not os.environ.get("DATABASE_URL"):
        from enerlink import embedded

        return embedded.bin_path(name)
    major = server_major()
    candidate = Path(f"/usr/lib/postgresql/{major}/bin/{name}")
    if candidate.exists():
        return str(candidate)
    found = shutil.which(name)
    if found is None:
        pytest.fail(
            f"{name} for PostgreSQL {major} is not installed: apt-get install postgresql-client-{major}"
        )
    return found
