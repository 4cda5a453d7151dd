"""The old backend's own ORM through the compatibility schema, while the rename runs: no downtime.

The client in tests/old_backend is the old NestJS backend's data layer (TypeORM 0.3
and pg from npm, its entities with the legacy names, ``synchronize: false``). It
reaches the views of ``manage.py user_rename_compat`` by its connection alone
(``search_path=enerlink_prosumer,public`` in the startup packet). Here it runs its
normal work in a loop while ``manage.py migrate`` renames (and, in the second test,
while ``migrate accounts 0001`` renames back); then every row it wrote is looked
up in the real tables under today's names. Each test prints the old client's
failed operations and its longest stall during the migration (docs/adoption.md).
"""

import datetime
import json
import os
import re
import shutil
import signal
import subprocess
import threading
import time
import uuid
from dataclasses import dataclass

import pytest

from enerlink.devtools import scratch

OLD_BACKEND = scratch.PROJECT_ROOT / "tests" / "old_backend"
SCHEMA = "enerlink_prosumer"
SLOW_MS = 10
# The project's defaults: one lock budget per attempt (2s), never holding a lock while waiting past
# 0.8 x deadlock_timeout, so that the rename, never an old instance, yields when the two wait for each
# other; migrate then retries (docs/rename.md, "Locks"). Nothing is tuned for the test.
RENAME_ENV = {}
RENAMED_TABLES = ["user", "wallet", "smart_meter", "transaction_log", "market_trade", "token_blacklist"]
LEGACY_TABLES = ["prosumer", *RENAMED_TABLES[1:]]

# The real database's trigger functions on market_trade and idrs_conversion update "WALLETS", a table the
# upstream itself renamed wallet: there, every trade insert fails before anyone renames anything
# (docs/adoption.md, "Broken before the rename"). The old backend records trades only on a copy where a
# team fixed them, as this one does first: the functions then name wallet, which the rename keeps.
FIX_BROKEN_TRIGGERS = """
CREATE OR REPLACE FUNCTION update_wallet_last_used_from_trades() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE wallet SET last_used_at = CURRENT_TIMESTAMP
     WHERE wallet_address IN (NEW.buyer_wallet_address, NEW.seller_wallet_address);
    RETURN NEW;
END;
$$;
CREATE OR REPLACE FUNCTION update_wallet_last_used_from_orders() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE wallet SET last_used_at = CURRENT_TIMESTAMP WHERE wallet_address = NEW.wallet_address;
    RETURN NEW;
END;
$$;
"""


def fix_broken_triggers(database):
    with database.connect() as conn:
        conn.execute(FIX_BROKEN_TRIGGERS)


NEEDS_NODE = (
    "tests/test_compat_old_backend.py runs the old backend's TypeORM client and needs Node.js 20 and npm: "
    "install them (Debian: apt-get install nodejs npm; or https://nodejs.org/en/download), then run "
    "`make old-backend` (npm ci in tests/old_backend); `make test` does that by itself."
)


@pytest.fixture(scope="session")
def node():
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.fail(NEEDS_NODE, pytrace=False)
    version = subprocess.run([node, "--version"], capture_output=True, text=True, check=True).stdout.strip()
    if int(version.lstrip("v").split(".")[0]) < 20:
        pytest.fail(f"Node.js {version} is too old. {NEEDS_NODE}", pytrace=False)
    if not (OLD_BACKEND / "node_modules" / "typeorm" / "package.json").exists():
        pytest.fail(
            "tests/old_backend/node_modules is missing: run `make old-backend` (npm ci in tests/old_backend)",
            pytrace=False,
        )
    return node


def client_env(database, run_id, **extra):
    return {
        **os.environ,
        "DATABASE_URL": database.url,
        "COMPAT_SCHEMA": SCHEMA,
        "RUN_ID": run_id,
        **extra,
    }


def parse_time(text):
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


class OldClientLoop:
    """The old client's loop in the background; its JSON-lines events collected as they come."""

    def __init__(self, node, database):
        self.run_id = f"ob{uuid.uuid4().hex[:10]}"
        self.events = []
        self.process = subprocess.Popen(
            [node, "client.js", "--duration", "300", "--slow-ms", str(SLOW_MS), "--progress-ms", "200"],
            cwd=OLD_BACKEND,
            env=client_env(database, self.run_id),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.reader = threading.Thread(target=self.read, daemon=True)
        self.reader.start()

    def read(self):
        for line in self.process.stdout:
            self.events.append(json.loads(line))

    def ok(self):
        progress = [event for event in self.events if event["event"] == "progress"]
        return progress[-1]["ok"] if progress else 0

    def wait_for_ok(self, count, timeout=60):
        deadline = time.monotonic() + timeout
        while self.ok() < count:
            assert self.process.poll() is None, f"the old client stopped: {self.process.stderr.read()}"
            assert time.monotonic() < deadline, (
                f"the old client did only {self.ok()} operations in {timeout} s"
            )
            time.sleep(0.05)

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=60)
        self.reader.join(timeout=10)
        stderr = self.process.stderr.read()
        assert self.process.returncode == 0, stderr
        (summary,) = [event for event in self.events if event["event"] == "summary"]
        return summary

    def failures(self):
        return [event for event in self.events if event["event"] == "failure"]

    def longest_stall(self, started, finished):
        """The slowest operation that overlapped [started, finished] (ms), or None if none took SLOW_MS."""
        overlapping = [
            event["latency_ms"]
            for event in self.events
            if event["event"] == "slow"
            and parse_time(event["at"]) <= finished
            and parse_time(event["at"]) + datetime.timedelta(milliseconds=event["latency_ms"]) >= started
        ]
        return max(overlapping, default=None)


def run_once(node, database):
    """One iteration of the old client: (exit code, its events, its stderr)."""
    result = subprocess.run(
        [node, "client.js", "--once"],
        cwd=OLD_BACKEND,
        env=client_env(database, f"ob{uuid.uuid4().hex[:10]}"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    return result.returncode, [json.loads(line) for line in result.stdout.splitlines()], result.stderr


@dataclass
class Migration:
    """One ``manage.py migrate`` run beside the old client: its result and when it ran (UTC)."""

    result: subprocess.CompletedProcess
    started: datetime.datetime
    finished: datetime.datetime

    def assert_succeeded(self, loop):
        assert self.result.returncode == 0, (
            "migrate failed while the old client ran (docs/compat.md, 'The rename beside old instances'):\n"
            f"{self.result.stderr}\nold client failures: {json.dumps(loop.failures())}"
        )


def migrate_beside(loop, database, *args):
    """Run ``manage.py migrate *args`` while the loop runs, which goes on for a while after it."""
    loop.wait_for_ok(100)  # the old client is busy before the migration starts
    started = datetime.datetime.now(datetime.UTC)
    result = database.manage("migrate", *args, check=False, env=RENAME_ENV)
    migration = Migration(result, started, datetime.datetime.now(datetime.UTC))
    loop.wait_for_ok(loop.ok() + 200)  # ... and runs on after it
    return migration


def report(label, loop, summary, migration):
    """Print the figures of docs/adoption.md: failed operations, longest stall while migrate ran."""
    stall = loop.longest_stall(migration.started, migration.finished)
    outcome = "ok" if migration.result.returncode == 0 else f"FAILED (exit {migration.result.returncode})"
    print(
        f"{label}: migrate {outcome} in {(migration.finished - migration.started).total_seconds():.2f} s; "
        f"old client {summary['ok']} operations ok, {summary['failed']} failed; longest stall while "
        "migrate ran: "
        + (f"{stall:.0f} ms" if stall is not None else f"< {SLOW_MS} ms")
        + f" (slowest operation of the run: {summary['max_latency']['ms']:.0f} ms)"
    )


def assert_rows_in_real_tables(database, summary, user_table, key):
    """Every row the old client wrote is in the real tables, with its content; nothing else of its run is."""
    run_id = summary["run_id"]
    rows = summary["rows"]
    prefix = f"{run_id}-%"
    iterations = summary["iterations"]
    with database.connect(superuser=True) as conn:
        users = {
            user: (email, name, primary)
            for user, email, name, primary in conn.execute(
                f'SELECT {key}, email, name, primary_wallet_address FROM "{user_table}" WHERE {key} LIKE %s',
                [prefix],
            )
        }
        assert sorted(users) == sorted(rows["prosumer_ids"])
        for user, (email, name, primary) in users.items():
            assert email == f"{user}@old-backend.test"
            number = re.fullmatch(rf"{run_id}-p(\d+)", user)
            if number:
                assert name == f"Old backend {number.group(1)}" and primary == f"0x{run_id}w{number.group(1)}"
            else:
                assert user == f"{run_id}-cp" and name.startswith("Counterparty (iteration ")

        wallets = {
            address: (user, wallet_name, method, active)
            for address, user, wallet_name, method, active in conn.execute(
                f"SELECT wallet_address, {key}, wallet_name, import_method, is_active FROM wallet "
                "WHERE wallet_address LIKE %s",
                [f"0x{run_id}%"],
            )
        }
        assert sorted(wallets) == sorted(rows["wallet_addresses"])
        for address, (user, wallet_name, method, active) in wallets.items():
            assert (method, active) == ("GENERATED", True)
            number = re.fullmatch(rf"0x{run_id}w(\d+)", address)
            if number:
                assert user == f"{run_id}-p{number.group(1)}"
                assert wallet_name == f"Main (used {number.group(1)})" or (
                    int(number.group(1)) == iterations and wallet_name == "Main"  # stopped mid-iteration
                )
            else:
                assert user == f"{run_id}-cp"

        meters = dict(
            conn.execute(f"SELECT meter_id, {key} FROM smart_meter WHERE meter_id LIKE %s", [prefix])
        )
        assert sorted(meters) == sorted(rows["meter_ids"])
        assert not set(meters) & set(summary["deleted"]["meter_ids"])
        for meter, user in meters.items():
            number = re.fullmatch(rf"{run_id}-m(\d+)x?", meter).group(1)
            assert user == f"{run_id}-p{number}"

        logs = dict(conn.execute(f"SELECT log_id, {key} FROM transaction_log WHERE {key} LIKE %s", [prefix]))
        assert sorted(logs) == sorted(rows["log_ids"])

        buyer, seller = (
            ("buyer_user_id", "seller_user_id")
            if key == "user_id"
            else (
                "buyer_prosumer_id",
                "seller_prosumer_id",
            )
        )
        trades = {
            trade: (buyer_id, seller_id, value)
            for trade, buyer_id, seller_id, value in conn.execute(
                f"SELECT trade_id, {buyer}, {seller}, total_idrs_value FROM market_trade "
                "WHERE buyer_order_id LIKE %s",
                [prefix],
            )
        }
        assert sorted(trades) == sorted(rows["trade_ids"])
        for buyer_id, seller_id, value in trades.values():
            assert buyer_id in users and seller_id == f"{run_id}-cp" and value == 3750
    assert len(rows["prosumer_ids"]) > 1 and len(rows["trade_ids"]) > 0


NEW_BACKEND = """
from accounts.models import User
from energy.models import Wallet

user = User.objects.create(user_id="{user}", email="{user}@new-backend.test", password_hash="$2b$12$new")
wallet = Wallet.objects.create(wallet_address="0x{user}", user=user, wallet_name="New")
wallet.refresh_from_db()
read = Wallet.objects.select_related("user").get(wallet_address="0x{user}")
old = User.objects.filter(user_id__startswith="{run_id}-").count()
old_wallets = Wallet.objects.filter(user__user_id__startswith="{run_id}-").count()
created = User.objects.get(pk="{user}").created_at
print(read.user.email, read.import_method, read.is_active, created is not None)
print(old > 0 and old_wallets > 0)
"""


def test_the_old_backend_works_through_the_rename_and_fails_cleanly_once_compat_is_removed(ready_db, node):
    fix_broken_triggers(ready_db)
    installed = ready_db.manage("user_rename_compat", "install")
    assert "8 views (8 created)" in installed.stdout

    loop = OldClientLoop(node, ready_db)
    try:
        migration = migrate_beside(loop, ready_db)
        if migration.result.returncode == 0:
            # The new backend's ORM on the real tables, while the old client goes on through the views.
            user = f"new-{uuid.uuid4().hex[:8]}"
            new = ready_db.manage(
                "shell", "--no-imports", "-c", NEW_BACKEND.format(user=user, run_id=loop.run_id)
            )
            assert new.stdout.splitlines() == [f"{user}@new-backend.test GENERATED True True", "True"]
            loop.wait_for_ok(loop.ok() + 200)
    finally:
        summary = loop.stop()
    report("rename (migrate)", loop, summary, migration)
    migration.assert_succeeded(loop)
    assert summary["failed"] == 0, json.dumps(loop.failures(), indent=1)
    assert summary["stop_reason"] == "SIGTERM" and summary["ok"] > 500
    with ready_db.connect() as conn:
        assert conn.execute("SELECT to_regclass('prosumer'), to_regclass('\"user\"')::text").fetchone() == (
            None,
            '"user"',
        )
    assert_rows_in_real_tables(ready_db, summary, "user", "user_id")

    before = scratch.table_fingerprints(ready_db, RENAMED_TABLES)
    removed = ready_db.manage("user_rename_compat", "remove")
    assert removed.stdout.startswith(f"removed compatibility schema {SCHEMA} (8 views)")
    code, events, stderr = run_once(node, ready_db)
    assert code == 1
    assert stderr.strip() == 'create_prosumer failed: ERROR 42P01: relation "prosumer" does not exist'
    (failure,) = [event for event in events if event["event"] == "failure"]
    assert failure["error"]["code"] == "42P01" and failure["error"]["severity"] == "ERROR"
    assert scratch.table_fingerprints(ready_db, RENAMED_TABLES) == before


def test_the_old_backend_works_through_the_reverse_rename(renamed_db, node):
    fix_broken_triggers(renamed_db)
    renamed_db.manage("user_rename_compat", "install")
    loop = OldClientLoop(node, renamed_db)
    try:
        migration = migrate_beside(loop, renamed_db, "accounts", "0001")
    finally:
        summary = loop.stop()
    report("reverse (migrate accounts 0001)", loop, summary, migration)
    migration.assert_succeeded(loop)
    assert summary["failed"] == 0, json.dumps(loop.failures(), indent=1)
    with renamed_db.connect() as conn:
        assert conn.execute("SELECT to_regclass('prosumer')::text, to_regclass('\"user\"')").fetchone() == (
            "prosumer",
            None,
        )
    assert_rows_in_real_tables(renamed_db, summary, "prosumer", "prosumer_id")
    # The old client after the reverse, still through the views (which now read prosumer again).
    code, events, stderr = run_once(node, renamed_db)
    assert code == 0, stderr
    assert events[-1]["ok"] == 7 and events[-1]["failed"] == 0
    status = json.loads(renamed_db.manage("user_rename_compat", "status", "--json").stdout)
    assert status["current"]
