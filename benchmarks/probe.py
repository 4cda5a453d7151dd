"""The lock window, measured from outside: an application that keeps reading and writing.

A thread with a connection of its own (autocommit, no prepared statements, so
no plan cached across the rename) loops over two small statements:

* a read of one wallet by primary key, which waits while ``wallet`` is locked;
* an insert into ``transaction_log`` with positional VALUES and DEFAULT, so the
  same text works before and after the column rename; its foreign-key check
  reads the user table, so it also waits while that table is locked.

It records the latency of every statement (the longest one is the longest any
request waited) and every statement that failed, by SQLSTATE. On a busy
machine a statement can also be slow because no CPU was free, so a second
connection samples ``pg_stat_activity`` every few milliseconds and records
the longest stretch the probe's backend spent waiting for a lock
(``wait_event_type = 'Lock'``): the lock window as the server saw it.
"""

import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

import psycopg

READ = "SELECT wallet_address, is_active FROM wallet WHERE wallet_address = %s"
WRITE = (
    "INSERT INTO transaction_log VALUES "
    "(1, NULL, DEFAULT, %s, NULL, NULL, 'PROBE', 'benchmark probe', 'ETK', NULL, NULL, now())"
)
PAUSE = 0.005  # seconds between two rounds
SAMPLE_EVERY = 0.002  # seconds between two looks at the probe's backend


def wallet_address(user, k=0):
    """The builder's wallet key of user number ``user`` (enerlink/devtools/legacy_data.py)."""
    return "0x" + format(user * 2 + k, "x").rjust(40, "0")


@dataclass
class ProbeResult:
    statements: int = 0
    max_wait: float = 0.0  # seconds, the slowest statement
    max_wait_statement: str = ""
    p99_wait: float = 0.0
    errors: Counter = field(default_factory=Counter)  # "SQLSTATE name" -> count
    seconds: float = 0.0  # how long the probe ran
    max_lock_wait: float = 0.0  # seconds, longest stretch seen waiting for a lock (sampled)
    samples: int = 0

    @property
    def error_count(self):
        return sum(self.errors.values())

    def as_dict(self):
        return {
            "statements": self.statements,
            "max_wait": self.max_wait,
            "max_wait_statement": self.max_wait_statement,
            "p99_wait": self.p99_wait,
            "errors": dict(self.errors),
            "seconds": self.seconds,
            "max_lock_wait": self.max_lock_wait,
            "samples": self.samples,
        }


class Probe:
    """``with Probe(url, users) as probe: ...``; then ``probe.result``."""

    def __init__(self, url, users, pause=PAUSE):
        self.url = url
        self.users = users
        self.pause = pause
        self.result = None
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._latencies = []
        self._errors = Counter()
        self._slowest = (0.0, "")
        self._failure = None
        self._pid = None
        self._lock_waits = [0.0, 0]  # longest stretch, samples
        self._thread = threading.Thread(target=self._run, name="enerlink-bench-probe", daemon=True)
        self._observer = threading.Thread(target=self._observe, name="enerlink-bench-observer", daemon=True)

    def _connect(self):
        conn = psycopg.connect(self.url, autocommit=True, prepare_threshold=None)
        conn.execute("SET application_name = 'enerlink-bench-probe'")
        self._pid = conn.info.backend_pid
        return conn

    def _observe(self):
        """Sample the probe backend's wait event; keep the longest run of 'Lock' samples."""
        waiting_since = None
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute("SET application_name = 'enerlink-bench-observer'")
            while not self._stop.is_set():
                row = conn.execute(
                    "SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", [self._pid]
                ).fetchone()
                now = time.perf_counter()
                self._lock_waits[1] += 1
                if row and row[0] == "Lock":
                    waiting_since = waiting_since or now
                    self._lock_waits[0] = max(self._lock_waits[0], now - waiting_since)
                else:
                    waiting_since = None
                time.sleep(SAMPLE_EVERY)

    def _statement(self, conn, label, query, params):
        started = time.perf_counter()
        try:
            conn.execute(query, params).fetchall() if label == "read" else conn.execute(query, params)
        except psycopg.Error as error:
            state = getattr(error, "sqlstate", None) or "connection"
            self._errors[f"{label}: {state} {type(error).__name__}"] += 1
            if conn.broken:
                raise
        finally:
            latency = time.perf_counter() - started
            self._latencies.append(latency)
            if latency > self._slowest[0]:
                self._slowest = (latency, label)

    def _run(self):
        rng = random.Random(self.users)
        conn = None
        try:
            while not self._stop.is_set():
                if conn is None or conn.closed or conn.broken:
                    conn = self._connect()
                user = rng.randint(1, self.users)
                try:
                    self._statement(conn, "read", READ, [wallet_address(user)])
                    self._statement(conn, "write", WRITE, [f"usr_{user}"])
                except psycopg.Error:  # the connection broke: count it, reconnect
                    conn = None
                    continue
                self._ready.set()
                time.sleep(self.pause)
        except Exception as error:  # reported by __exit__
            self._failure = error
            self._ready.set()
        finally:
            if conn is not None and not conn.closed:
                conn.close()

    def __enter__(self):
        self._started = time.perf_counter()
        self._thread.start()
        if not self._ready.wait(30):
            raise RuntimeError("the probe could not run one round in 30 s")
        if self._failure:
            raise self._failure
        self._observer.start()
        return self

    def __exit__(self, *exc_info):
        self._stop.set()
        self._thread.join()
        self._observer.join()
        latencies = sorted(self._latencies)
        self.result = ProbeResult(
            statements=len(latencies),
            max_wait=self._slowest[0],
            max_wait_statement=self._slowest[1],
            p99_wait=latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] if latencies else 0.0,
            errors=self._errors,
            seconds=time.perf_counter() - self._started,
            max_lock_wait=self._lock_waits[0],
            samples=self._lock_waits[1],
        )
        if self._failure and exc_info[0] is None:
            raise self._failure
        return False


def baseline(url, users, seconds=3.0):
    """The probe with nothing else running on the database."""
    with Probe(url, users) as probe:
        time.sleep(seconds)
    return probe.result
