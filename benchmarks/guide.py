"""The guide's method: its all-in-one script, verbatim, run as a superuser (it needs one).

``benchmarks/guide_all_in_one.sql`` runs unchanged on the builder's database:
its ``DROP CONSTRAINT IF EXISTS`` / ``DROP INDEX IF EXISTS`` name objects the
legacy copy does not have, so they drop nothing and each ``ADD CONSTRAINT``
adds a second key beside the ORM-named one, validated over the whole table
while the table is locked; then six indexes are built under the same locks.

The script locks ``prosumer`` first and the referencing tables one by one after
it, the reverse of the order in which an INSERT into a referencing table takes
them. Against live writes it can therefore deadlock; PostgreSQL then aborts it
(or the writer). A run the server aborted changed nothing (one transaction),
so it is retried on the same database and counted.
"""

import time
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

SCRIPT = Path(__file__).resolve().parent / "guide_all_in_one.sql"
RETRIED = (psycopg.errors.DeadlockDetected, psycopg.errors.LockNotAvailable)
MAX_ATTEMPTS = 5

# What a referencing column must look like after the rename (name, ON DELETE of the legacy copy).
EXPECTED_COLUMNS = {
    ("wallet", "user_id"): "NO ACTION",
    ("smart_meter", "user_id"): "NO ACTION",
    ("transaction_log", "user_id"): "NO ACTION",
    ("market_trade", "buyer_user_id"): "NO ACTION",
    ("market_trade", "seller_user_id"): "NO ACTION",
    ("idrs_conversion", "user_id"): "NO ACTION",
    ("token_blacklist", "user_id"): "CASCADE",
}

FOREIGN_KEYS_TO_USERS = """
SELECT c.conrelid::regclass::text, a.attname,
       CASE c.confdeltype WHEN 'c' THEN 'CASCADE' WHEN 'a' THEN 'NO ACTION' ELSE c.confdeltype::text END
  FROM pg_constraint c
  JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
 WHERE c.contype = 'f'
   AND c.confrelid = coalesce(to_regclass('"user"'), to_regclass('prosumer'))
 ORDER BY 1, 2
"""


@dataclass
class GuideRun:
    seconds: float  # the successful attempt, client-side
    attempts: int
    failures: list = field(default_factory=list)  # messages of the attempts the server aborted


def run(superuser_url):
    """Run the script until it commits (at most MAX_ATTEMPTS); return the timing."""
    script = SCRIPT.read_text()
    failures = []
    for attempt in range(1, MAX_ATTEMPTS + 1):
        with psycopg.connect(superuser_url, autocommit=True) as conn:
            started = time.perf_counter()
            try:
                conn.execute(script)
            except RETRIED as error:
                failures.append(f"{type(error).__name__}: {str(error).splitlines()[0]}")
                continue
            return GuideRun(seconds=time.perf_counter() - started, attempts=attempt, failures=failures)
    raise RuntimeError(f"the guide's script failed {MAX_ATTEMPTS} times: {failures}")


def outcome(url):
    """What a method left: foreign keys per referencing column, their rules, names still saying prosumer."""
    with psycopg.connect(url, autocommit=True) as conn:
        keys = conn.execute(FOREIGN_KEYS_TO_USERS).fetchall()
        prosumer_columns = [
            f"{table}.{column}"
            for table, column in conn.execute(
                "SELECT c.relname, a.attname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
                "WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r' AND a.attnum > 0 "
                "AND NOT a.attisdropped AND a.attname LIKE '%%prosumer%%' ORDER BY 1, 2"
            ).fetchall()
        ]
        tables = [row[0] for row in conn.execute("SELECT to_regclass('\"user\"')::text").fetchall()]
    per_column = {}
    for table, column, rule in keys:
        per_column.setdefault(f"{table}.{column}", []).append(rule)
    changed_rules = sorted(
        f"{name}: {rule}"
        for name, rules in per_column.items()
        for rule in rules
        if (tuple(name.split(".")) in EXPECTED_COLUMNS and rule != EXPECTED_COLUMNS[tuple(name.split("."))])
    )
    return {
        "user_table": tables[0] is not None,
        "foreign_keys": len(keys),
        "duplicate_key_columns": sorted(name for name, rules in per_column.items() if len(rules) > 1),
        "changed_on_delete": changed_rules,
        "columns_still_prosumer": prosumer_columns,
    }
