"""The verification report against the bare SQL it cannot avoid.

The report's only work that grows with the data is one anti-join per
foreign-key column, looking for orphans: it no longer counts rows (the rename
journals each table's identity instead, and ``table_identity`` compares it in
the catalog). Run directly with psycopg, those anti-joins are the floor; the
report is measured three ways: ``run_verification()`` in-process, and
``manage.py verify_user_migration --json`` (its own time, and its wall time
with Python and Django start-up), with the peak memory of that process. The
exact counts that ``--count`` adds on request are timed apart, in-process.
"""

import json
import time

import psycopg
from psycopg import sql

from benchmarks import commands
from benchmarks.guide import EXPECTED_COLUMNS

# The referencing columns are the guide module's list (it checks the same columns after each rename).
FOREIGN_KEY_COLUMNS = list(EXPECTED_COLUMNS)


def bare_sql_statements():
    return [
        sql.SQL(
            "SELECT count(*) FROM {table} t "
            'WHERE NOT EXISTS (SELECT 1 FROM "user" u WHERE u.user_id = t.{column})'
        ).format(table=sql.Identifier(table), column=sql.Identifier(column))
        for table, column in FOREIGN_KEY_COLUMNS
    ]


def bare_sql(url):
    """Seconds for the bare SQL (the orphan anti-joins), and the orphans found per column."""
    with psycopg.connect(url, autocommit=True) as conn:
        started = time.perf_counter()
        answers = [conn.execute(statement).fetchone()[0] for statement in bare_sql_statements()]
        return time.perf_counter() - started, answers


def verification_available(url):
    run = commands.run(url, "manage", "help", "verify_user_migration")
    return run.returncode == 0


def measure(url):
    """Bare SQL (after one warm-up run), then the report in-process and as a command, then --count."""
    bare_sql(url)  # warm-up: every method below finds the same pages in memory
    bare_seconds, answers = bare_sql(url)
    result = {
        "bare_sql": bare_seconds,
        "orphans": sum(answers),
        "available": verification_available(url),
    }
    if not result["available"]:
        return result
    inprocess = commands.run(url, "run_verification")
    command = commands.run(url, "manage", "verify_user_migration", "--json")
    counted = commands.run(url, "run_verification", "--count")
    try:
        report = json.loads(command.stdout)
    except ValueError:
        report = {}
    result.update(
        {
            "inprocess": inprocess.command,
            "inprocess_passed": inprocess.extra.get("passed"),
            "inprocess_error": inprocess.extra.get("error"),
            "command": command.command,
            "command_wall": command.wall,
            "command_exit": command.returncode,
            "command_rss_mib": command.max_rss_kib / 1024,
            "outcome": report.get("outcome"),
            "failed_checks": [
                f"{check.get('name')}: {check.get('summary')}"
                for check in report.get("checks", [])
                if check.get("status") == "fail"
            ],
            "count_inprocess": counted.command,
            "counted_rows": counted.extra.get("counted_rows"),
        }
    )
    if command.returncode == 2 or not report:
        result["command_stderr"] = command.stderr[-2000:]
    return result
