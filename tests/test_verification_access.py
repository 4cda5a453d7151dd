"""A role that may not read a table, a connection that may not write: one line or an unstored report.

Neither may end in a traceback. A table the role cannot read stops the report
(exit 2) with one line that names the table and the role to use; following it
(running as the owner) passes. A read-only connection (a replica, or
``default_transaction_read_only``) gets the whole report, and is told the run
was not stored.
"""

import json

import pytest
from psycopg import sql

from enerlink.devtools import scratch
from tests.verification_support import verify


@pytest.fixture
def reader(renamed_db, login_role):
    """A LOGIN role that may read every table of the renamed database but write none."""
    role = login_role("enerlink_reader", granted_in=renamed_db)
    with renamed_db.connect(superuser=True) as conn:
        conn.execute(
            sql.SQL("GRANT SELECT ON ALL TABLES IN SCHEMA public TO {}").format(sql.Identifier(role))
        )
    return role


def run_as(database, role, *args, **env):
    return database.manage(
        "verify_user_migration",
        *args,
        check=False,
        env={"DATABASE_URL": scratch.server_url(database.name, role), **env},
    )


def test_a_role_that_cannot_read_a_table_exits_2_with_one_line_naming_it(renamed_db, reader):
    with renamed_db.connect(superuser=True) as conn:
        conn.execute(sql.SQL("REVOKE SELECT ON wallet FROM {}").format(sql.Identifier(reader)))
    result = run_as(renamed_db, reader)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "permission denied for table wallet" in lines[0]
    assert lines[0].endswith(
        "run the report as a role that may read every table of the rename (the tables' owner, as manage.py "
        "migrate does)"
    )
    # The advice: the owner runs it, and it passes.
    assert renamed_db.manage("verify_user_migration", check=False).returncode == 0


def test_a_role_that_may_not_write_gets_the_report_unstored(renamed_db, reader):
    result = run_as(renamed_db, reader)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert "The run was not stored: permission denied for table user_verification_run." in result.stdout


@pytest.mark.parametrize("as_json", [False, True])
def test_a_read_only_connection_gets_the_report_unstored(renamed_db, as_json):
    """default_transaction_read_only, as on a replica: every check reads only; the write is refused."""
    args = ["--json"] if as_json else []
    result = renamed_db.manage(
        "verify_user_migration",
        *args,
        check=False,
        env={"PGOPTIONS": "-c default_transaction_read_only=on"},
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    if as_json:
        report = json.loads(result.stdout)
        assert report["run_id"] is None
        assert (
            report["not_stored"] == "the run was not stored: cannot execute INSERT in a read-only transaction"
        )
        assert report["outcome"] == "passed"
    else:
        assert "The run was not stored: cannot execute INSERT in a read-only transaction." in result.stdout
    with renamed_db.connect() as conn:
        assert conn.execute("SELECT count(*) FROM user_verification_run").fetchone() == (0,)


def test_count_gives_exact_counts_and_names_a_table_far_below_the_renames_estimate(ready_db):
    with ready_db.connect() as conn:
        conn.execute("ANALYZE")  # the rename journals the planner's estimates
    ready_db.manage("migrate")
    code, report, checks, _ = verify(ready_db, "--count", "--no-store")
    assert code == 0 and report["counted"] is True
    counts = checks["row_counts"]
    assert counts["status"] == "pass"
    assert "transaction_log: 2 rows (about 2 estimated at the rename)" in "\n".join(counts["details"])
    with ready_db.connect() as conn:
        conn.execute("DELETE FROM transaction_log")
    code, report, checks, _ = verify(ready_db, "--count", "--fast", "--no-store")
    assert code == 0  # a warning: a purge looks the same
    assert checks["row_counts"]["status"] == "warn"
    assert checks["orphans"]["status"] == "skipped"
    assert "transaction_log: 0 rows, the planner estimated about 2 at the rename" in "\n".join(
        checks["row_counts"]["details"]
    )
