"""Run a manage.py command (or the report in-process) in a fresh process, and measure it.

Each command runs as ``python -m benchmarks.child``, which is manage.py plus a
stopwatch: it writes how long Django's start-up and the command itself took.
The wall time seen from here includes the interpreter and Django start-up; the
peak resident memory comes from ``wait4`` on that one process.
"""

import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
TIMING_FILE_VARIABLE = "ENERLINK_BENCH_TIMING_FILE"


@dataclass
class CommandRun:
    args: tuple
    returncode: int
    stdout: str
    stderr: str
    wall: float  # seconds, process start to exit
    setup: float | None  # seconds of django.setup()
    command: float | None  # seconds of the command itself, start-up excluded
    max_rss_kib: int
    extra: dict


def run(database_url, *args):
    """``args`` is ``manage <manage.py arguments>`` or ``run_verification [--fast]``."""
    with tempfile.TemporaryDirectory(prefix="enerlink-bench-") as tmp:
        timing_file = Path(tmp) / "timing.json"
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "PYTHONWARNINGS": "ignore",
            TIMING_FILE_VARIABLE: str(timing_file),
        }
        with open(Path(tmp) / "out", "w+") as out, open(Path(tmp) / "err", "w+") as err:
            started = time.perf_counter()
            process = subprocess.Popen(
                [sys.executable, "-m", "benchmarks.child", *args],
                cwd=PROJECT_ROOT,
                env=env,
                stdout=out,
                stderr=err,
            )
            _pid, status, usage = os.wait4(process.pid, 0)
            wall = time.perf_counter() - started
            process.returncode = os.waitstatus_to_exitcode(status)
            out.seek(0)
            err.seek(0)
            stdout, stderr = out.read(), err.read()
        timing = json.loads(timing_file.read_text()) if timing_file.exists() else {}
    return CommandRun(
        args=args,
        returncode=process.returncode,
        stdout=stdout,
        stderr=stderr,
        wall=wall,
        setup=timing.pop("setup", None),
        command=timing.pop("command", None),
        max_rss_kib=usage.ru_maxrss,
        extra=timing,
    )
