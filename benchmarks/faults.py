"""The figures of docs/reliability.md: the rename's locks under faults, the old way and the new side by side.

    python -m benchmarks.faults [--runs 5]

``DATABASE_URL`` names the server (its user must be a superuser); without it the
embedded PostgreSQL 18 is used. Everything runs on copies of the production-style
fixture (tests/fixtures/legacy_database.sql), adopted and ready to rename, as the
owner role. The lock phases compared are run directly in a transaction that is
rolled back, so each variant meets exactly the same sessions:

* ``per-lock``: what the rename did before: ``lock_timeout`` per table, no retry inside;
* ``first-grant``: one budget, with the attempt's clock started at its first *grant*;
* ``budget``: what the rename does now (accounts/migrations/0003_*.locks.sql): the
  attempt's clock starts at its first *request*.

Prints one markdown table per measurement.
"""

import argparse
import os
import subprocess
import sys
import threading
import time
import uuid

import psycopg

from enerlink.devtools import scratch

LOCKS_SQL = (scratch.PROJECT_ROOT / "accounts/migrations/0003_rename_prosumer_to_user.locks.sql").read_text()
FIRST_GRANT_SQL = LOCKS_SQL.replace(
    "EXECUTE format('LOCK TABLE %s IN ACCESS EXCLUSIVE MODE', target);",
    "EXECUTE format('LOCK TABLE %s IN ACCESS EXCLUSIVE MODE', target);\n"
    "                IF taken = 0 THEN attempt_start := clock_timestamp(); END IF;",
)
ORDER = [
    "idrs_conversion",
    "market_trade",
    "smart_meter",
    "token_blacklist",
    "transaction_log",
    "wallet",
    "prosumer",
]
BUDGET_MS = 2000


def ready_database():
    scratch.ensure_owner_role()
    database = scratch.ScratchDatabase(prefix="enerlink_faults_")
    database.run_sql_file(scratch.PROJECT_ROOT / "tests/fixtures/legacy_database.sql")
    scratch.migrate_to_legacy(database)
    database.manage("migrate", "accounts", "0002")
    return database


def lock_phase(conn, variant):
    """Take the rename's locks as ``variant`` does, in a transaction; return (ok, attempts, error)."""
    notices = []

    def on_notice(diag):
        notices.append(diag.message_primary)

    conn.add_notice_handler(on_notice)
    try:
        with conn.transaction():
            if variant == "per-lock":
                conn.execute(f"SET LOCAL lock_timeout = '{BUDGET_MS}ms'")
                for table in ORDER:
                    conn.execute(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")
            else:
                conn.execute(f"SET LOCAL enerlink.rename_lock_budget = '{BUDGET_MS}ms'")
                conn.execute(LOCKS_SQL if variant == "budget" else FIRST_GRANT_SQL)
                conn.execute("SELECT pg_temp.enerlink_lock_tables(%s::regclass[])", [ORDER])
            raise Rollback
    except Rollback:
        return True, 1 + len(notices), None
    except psycopg.Error as error:
        return False, 1 + len(notices), type(error).__name__
    finally:
        conn.remove_notice_handler(on_notice)


class Rollback(Exception):
    pass


class Reader(threading.Thread):
    def __init__(self, database, table):
        super().__init__(daemon=True)
        self.database, self.table, self.stop, self.longest = database, table, threading.Event(), 0.0

    def run(self):
        with database_connect(self.database) as conn:
            while not self.stop.is_set():
                started = time.monotonic()
                conn.execute(f"SELECT count(*) FROM {self.table}")
                self.longest = max(self.longest, time.monotonic() - started)
                time.sleep(0.005)


def database_connect(database, superuser=False, autocommit=True):
    return psycopg.connect(database.superuser_url if superuser else database.url, autocommit=autocommit)


def hold(database, table, seconds, application):
    """A transaction that reads ``table`` and ends after ``seconds``, in a thread."""
    conn = database_connect(database, autocommit=False)
    conn.execute(f"SET application_name = '{application}'")
    conn.execute(f"SELECT count(*) FROM {table}")
    timer = threading.Timer(seconds, conn.rollback)
    timer.start()
    return conn, timer


def measure_stall(database, variant):
    """Two short readers the rename meets one after the other (transaction_log until 1.8 s, wallet until
    3.6 s), and a reader of idrs_conversion (locked first) that measures its longest wait."""
    reader = Reader(database, "idrs_conversion")
    reader.start()
    time.sleep(0.2)
    holders = [hold(database, "transaction_log", 1.8, "short-1"), hold(database, "wallet", 3.6, "short-2")]
    started = time.monotonic()
    with database_connect(database, autocommit=True) as conn:
        ok, attempts, error = lock_phase(conn, variant)
    seconds = time.monotonic() - started
    time.sleep(0.3)
    reader.stop.set()
    reader.join()
    for conn, timer in holders:
        timer.join()
        conn.close()
    return {"ok": ok, "attempts": attempts, "error": error, "seconds": seconds, "stall": reader.longest}


def measure_deadlock(database, variant, pattern):
    """One run of an application transaction in a lock cycle with the lock phase: did the application fail?"""
    tag = uuid.uuid4().hex[:8]
    with database_connect(database) as conn:
        conn.execute(
            "INSERT INTO prosumer (prosumer_id, email, password_hash, created_at, updated_at) "
            "VALUES (%s, %s, 'h', now(), now())",
            [tag, tag],
        )
        conn.execute(
            "INSERT INTO wallet (wallet_address, prosumer_id, created_at, import_method, is_active) "
            "VALUES (%s, %s, now(), 'GENERATED', true)",
            [f"0x{tag}", tag],
        )
        conn.execute(
            "INSERT INTO prosumer (prosumer_id, email, password_hash, created_at, updated_at) "
            "VALUES (%s, %s, 'h', now(), now())",
            [f"d{tag}", f"d{tag}"],
        )
    app = database_connect(database, autocommit=False)
    blocker = None
    if pattern == "old-client insert":
        app.execute(
            "INSERT INTO prosumer (prosumer_id, email, password_hash, created_at, updated_at) "
            "VALUES (%s, %s, 'h', now(), now())",
            [f"n{tag}", f"n{tag}"],
        )
        first, second = (
            "prosumer",
            (
                "INSERT INTO wallet (wallet_address, prosumer_id, created_at, import_method, is_active) "
                "VALUES (%s, %s, now(), 'GENERATED', true)",
                [f"0xn{tag}", f"n{tag}"],
            ),
        )
    elif pattern == "user delete":
        app.execute("UPDATE prosumer SET name = 'x' WHERE prosumer_id = %s", [f"d{tag}"])
        first, second = "prosumer", ("DELETE FROM prosumer WHERE prosumer_id = %s", [f"d{tag}"])
    else:
        blocker = database_connect(database, autocommit=False)
        blocker.execute("SELECT count(*) FROM idrs_conversion")
        app.execute(
            "INSERT INTO prosumer (prosumer_id, email, password_hash, created_at, updated_at) "
            "VALUES (%s, %s, 'h', now(), now())",
            [f"n{tag}", f"n{tag}"],
        )
        first = "idrs_conversion"
        second = (
            "INSERT INTO idrs_conversion (prosumer_id, wallet_address, conversion_type, idrs_amount, status, "
            "created_at) VALUES (%s, %s, 'ON_RAMP', 1, 'PENDING', now())",
            [tag, f"0x{tag}"],
        )
    result = {}
    rename = database_connect(database)
    rename_pid = rename.info.backend_pid

    def run_lock_phase():
        result["rename"] = lock_phase(rename, variant)

    thread = threading.Thread(target=run_lock_phase)
    thread.start()
    with database_connect(database, superuser=True) as watcher:
        wait_for(
            lambda: watcher.execute(
                "SELECT count(*) FROM pg_locks WHERE pid = %s AND NOT granted AND relation = to_regclass(%s)",
                [rename_pid, first],
            ).fetchone()[0]
        )
    if blocker is not None:
        threading.Timer(0.3, blocker.rollback).start()
    try:
        app.execute(*second)
        app.commit()
        app_error = None
    except psycopg.Error as error:
        app.rollback()
        app_error = type(error).__name__
    thread.join()
    for conn in (app, blocker, rename):
        if conn is not None:
            conn.close()
    return app_error, result["rename"]


def wait_for(condition, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.01)
    raise TimeoutError("the lock phase never waited")


KILLED_HOLDER = """
import psycopg, sys
conn = psycopg.connect(sys.argv[1])
conn.execute("SET client_connection_check_interval = '{interval}'")
conn.execute("LOCK TABLE idrs_conversion IN ACCESS EXCLUSIVE MODE")
print("locked", flush=True)
conn.execute("LOCK TABLE wallet IN ACCESS EXCLUSIVE MODE")
"""


def measure_kill(database, interval, give_up=10.0):
    """A process holding idrs_conversion and waiting for wallet is killed: how long until a reader gets
    idrs_conversion? The blocker of wallet ends after ``give_up`` s at the latest."""
    blocker, timer = hold(database, "wallet", give_up + 5, "long-report")
    holder = subprocess.Popen(
        [sys.executable, "-c", KILLED_HOLDER.format(interval=interval), database.url],
        stdout=subprocess.PIPE,
        text=True,
    )
    holder.stdout.readline()
    released = {}

    def read():
        with database_connect(database) as conn:
            conn.execute("SELECT count(*) FROM idrs_conversion")
        released["at"] = time.monotonic()

    reader = threading.Thread(target=read)
    reader.start()
    time.sleep(0.3)
    holder.kill()
    killed = time.monotonic()
    holder.wait()
    reader.join(timeout=give_up)
    if reader.is_alive():
        blocker.rollback()  # the dead backend's wait ends, it tries to answer, finds no client, exits
        reader.join()
    timer.cancel()
    blocker.close()
    return released["at"] - killed


def measure_advisory(database, polling):
    """A second migrate waiting for the migrate lock while the first builds an index concurrently."""
    first = database_connect(database)
    first.execute("SELECT pg_advisory_lock(1, 1)")
    outcome = {}

    def second():
        with database_connect(database) as conn:
            started = time.monotonic()
            try:
                if polling:
                    while not conn.execute("SELECT pg_try_advisory_lock(1, 1)").fetchone()[0]:
                        time.sleep(0.5)
                else:
                    conn.execute("SELECT pg_advisory_lock(1, 1)")
                outcome["second"] = f"got the lock after {time.monotonic() - started:.1f} s"
            except psycopg.Error as error:
                outcome["second"] = f"{type(error).__name__} after {time.monotonic() - started:.1f} s"

    thread = threading.Thread(target=second)
    thread.start()
    time.sleep(0.5)
    started = time.monotonic()
    name = f"faults_{uuid.uuid4().hex[:6]}"
    first.execute(f"CREATE INDEX CONCURRENTLY {name} ON wallet (created_at)")
    build = time.monotonic() - started
    first.execute(f"DROP INDEX {name}")
    first.execute("SELECT pg_advisory_unlock(1, 1)")
    thread.join()
    first.close()
    return build, outcome["second"]


def measure_pods(runs):
    staggers = [0.0, 0.3, 0.8, 1.5]
    rows = []
    for run in range(runs):
        stagger = staggers[run % len(staggers)]
        database = ready_database()
        try:
            env = {**os.environ, "DATABASE_URL": database.url, "PYTHONWARNINGS": "ignore"}
            command = [sys.executable, str(scratch.PROJECT_ROOT / "manage.py"), "migrate"]
            first = subprocess.Popen(
                command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
            )
            time.sleep(stagger)
            second = subprocess.Popen(
                command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
            )
            outputs = [pod.communicate() for pod in (first, second)]
            codes = [first.returncode, second.returncode]
            applied = sum("Applying accounts.0003" in out for out, _ in outputs)
            waited = sum("waiting for another migrate" in err for _, err in outputs)
            with database_connect(database) as conn:
                duplicates = conn.execute(
                    "SELECT count(*) FROM (SELECT 1 FROM django_migrations "
                    "GROUP BY app, name HAVING count(*) > 1) d"
                ).fetchone()[0]
            report = database.manage("verify_user_migration", "--no-store", check=False).returncode
            rows.append((stagger, codes, applied, waited, duplicates, report))
        finally:
            database.drop()
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    with scratch.admin_connect() as conn:
        version = conn.execute("SHOW server_version").fetchone()[0]
        deadlock_timeout = conn.execute("SHOW deadlock_timeout").fetchone()[0]
    print(f"PostgreSQL {version}, deadlock_timeout {deadlock_timeout}, budget {BUDGET_MS} ms, {runs} runs\n")
    database = ready_database()
    try:
        print("| lock phase | longest wait of a reader of idrs_conversion | lock phase | attempts |")
        print("|---|---|---|---|")
        for variant in ("per-lock", "budget"):
            for _ in range(runs):
                r = measure_stall(database, variant)
                outcome = "took its locks" if r["ok"] else f"gave up ({r['error']})"
                print(
                    f"| {variant} | {r['stall']:.2f} s | {outcome} after {r['seconds']:.2f} s "
                    f"| {r['attempts']} |"
                )
        print("\n| lock phase | pattern | application errors | lock phase outcomes |")
        print("|---|---|---|---|")
        for variant in ("per-lock", "first-grant", "budget"):
            for pattern in ("old-client insert", "user delete", "queued behind the first request"):
                errors, outcomes = [], []
                for _ in range(runs):
                    app_error, (ok, attempts, error) = measure_deadlock(database, variant, pattern)
                    errors.append(app_error)
                    outcomes.append(f"ok in {attempts}" if ok else error)
                failed = [e for e in errors if e]
                print(
                    f"| {variant} | {pattern} | {len(failed)} of {runs} {set(failed) or ''} "
                    f"| {', '.join(outcomes)} |"
                )
        print("\n| client_connection_check_interval | reader waits after kill -9 of the lock holder |")
        print("|---|---|")
        for interval in ("0", "1s"):
            for _ in range(runs):
                print(f"| {interval} | {measure_kill(database, interval):.2f} s |")
        print("\n| second migrate waits by | CREATE INDEX CONCURRENTLY of the first | the second |")
        print("|---|---|---|")
        for polling in (False, True):
            build, second = measure_advisory(database, polling)
            print(
                f"| {'polling pg_try_advisory_lock' if polling else 'pg_advisory_lock'} | {build:.2f} s "
                f"| {second} |"
            )
    finally:
        database.drop()
    print("\n| stagger | exit codes | applied the rename | waited | duplicate records | report exit |")
    print("|---|---|---|---|---|---|")
    for stagger, codes, applied, waited, duplicates, report in measure_pods(runs):
        print(f"| {stagger} s | {codes} | {applied} | {waited} | {duplicates} | {report} |")


if __name__ == "__main__":
    main()
