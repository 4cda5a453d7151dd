"""The README's main job, ``manage.py demo``, end to end on the embedded PostgreSQL."""

import os
import subprocess
import sys
import uuid

from enerlink.devtools import scratch


def run_demo(*args, env):
    return subprocess.run(
        [sys.executable, str(scratch.PROJECT_ROOT / "manage.py"), "demo", *args],
        cwd=scratch.PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_the_demo_builds_renames_and_verifies_on_the_embedded_server():
    from enerlink import embedded

    name = f"enerlink_demo_{uuid.uuid4().hex[:8]}"
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    env.update(ENERLINK_DATABASE=name, PYTHONWARNINGS="ignore")
    try:
        result = run_demo("--users", "200", env=env)
        assert result.returncode == 0, result.stdout + result.stderr
        out = result.stdout
        assert "3. Legacy data: 200 users" in out
        assert "FK_62a1a16628b883318e6b443cf52" in out  # the legacy hash names, read from the catalog
        assert "4. Rename (accounts.0003, one transaction, catalog only):" in out
        assert "PASSED: 0 failed" in out
        assert "http://127.0.0.1:8000/admin/" in out
    finally:
        import psycopg
        from psycopg import sql

        with psycopg.connect(embedded.server_url("postgres"), autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def test_the_demo_refuses_to_reset_a_database_named_by_database_url():
    env = {**os.environ, "DATABASE_URL": scratch.server_url("postgres"), "PYTHONWARNINGS": "ignore"}
    result = run_demo("--users", "10", env=env)
    assert result.returncode == 1
    assert "only does that on the embedded PostgreSQL. Unset DATABASE_URL" in result.stderr
    assert "Traceback" not in result.stderr
