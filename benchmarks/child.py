"""manage.py with a stopwatch (see benchmarks/commands.py).

``python -m benchmarks.child manage <args>`` runs Django's
``execute_from_command_line`` exactly as manage.py does;
``python -m benchmarks.child run_verification [--fast] [--count]`` calls the
report's Python entry point. Either way the seconds of ``django.setup()``, of the command,
and of the SQL statements it sent through Django's default connection are
written as JSON to the file named by ENERLINK_BENCH_TIMING_FILE.
"""

import json
import os
import sys
import time
import traceback


def run_verification(fast, count):
    from accounts.verification import run_verification

    report = run_verification(using="default", fast=fast, count=count)
    timing = {"passed": bool(report.passed)}
    if count:
        counts = next(check for check in report.checks if check.name == "row_counts")
        timing["counted_rows"] = {
            line.split(":", 1)[0]: int(line.split(":", 1)[1].split(" rows", 1)[0].replace(",", ""))
            for line in counts.details
            if " rows" in line
        }
    return timing


# The rename's own statements: accounts 0003's RunSQL (its lock function and its DO block).
RENAME_MARKERS = ("$rename$", "enerlink_lock")


def time_sql(timing):
    """Add the seconds spent in SQL statements sent through Django's default connection to ``timing``.

    ``sql`` is every statement (the migration recorder's and loader's included), ``rename_sql``
    the rename's own statements, and ``statements`` how many were sent.
    """
    from django.db import connections

    timing.update(sql=0.0, rename_sql=0.0, statements=0)

    def wrapper(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            seconds = time.perf_counter() - started
            timing["sql"] += seconds
            timing["statements"] += 1
            if any(marker in sql for marker in RENAME_MARKERS):
                timing["rename_sql"] += seconds

    connections["default"].execute_wrappers.append(wrapper)


def main(argv):
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "enerlink.settings")
    started = time.perf_counter()
    import django

    django.setup()
    ready = time.perf_counter()
    timing = {"setup": ready - started}
    time_sql(timing)
    code = 0
    try:
        if argv[0] == "run_verification":
            timing.update(run_verification(fast="--fast" in argv[1:], count="--count" in argv[1:]))
        else:
            from django.core.management import execute_from_command_line

            execute_from_command_line(["manage.py", *argv[1:]])
    except SystemExit as exit_:
        code = 0 if exit_.code is None else exit_.code if isinstance(exit_.code, int) else 1
    except Exception as error:
        timing["error"] = f"{type(error).__name__}: {error}"
        traceback.print_exc()
        code = 2
    timing["command"] = time.perf_counter() - ready
    path = os.environ.get("ENERLINK_BENCH_TIMING_FILE")
    if path:
        with open(path, "w") as file:
            json.dump(timing, file)
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
