"""Benchmarks: the rename and the report against the guide's method.

    python -m benchmarks.rename [--sizes 10000 100000 1000000] [--repeat 3] [--output docs/benchmarks.md]

``DATABASE_URL`` names the server (its user must be a superuser: the guide's
script needs one, and so do CREATE DATABASE ... TEMPLATE and CHECKPOINT);
without it the embedded PostgreSQL 18 is used. For each size one legacy
database is built with the project's data builder and kept as a template;
every repetition clones it twice: one clone for the guide's script, one for
our migrations and the report. A probe measures, from outside, how long any
read or write had to wait meanwhile. See docs/benchmarks.md for the method.
"""

import argparse
import json
import os
import sys
import time
from pathlib import Path

from rich.console import Console

from benchmarks import databases, guide, markdown, probe, report, results
from enerlink.devtools import scratch

DEFAULT_SIZES = [10_000, 100_000, 1_000_000]
DEFAULT_OUTPUT = Path("docs/benchmarks.md")


def _probe_dict(result):
    return result.as_dict()


def run_guide(template, name, users, log):
    database = databases.clone(template, name)
    try:
        databases.checkpoint()
        with probe.Probe(database.url, users) as watcher:
            run = guide.run(database.superuser_url)
        log(
            f"  guide's script: {run.seconds:.3f} s ({run.attempts} attempt(s)), "
            f"probe max wait {watcher.result.max_wait * 1000:.1f} ms, errors {dict(watcher.result.errors)}"
        )
        return {
            "seconds": run.seconds,
            "attempts": run.attempts,
            "failures": run.failures,
            "probe": _probe_dict(watcher.result),
            "outcome": guide.outcome(database.url),
        }
    finally:
        database.drop()


def run_ours(template, name, users, log):
    database = databases.clone(template, name)
    record = {}
    try:
        record["baseline_probe"] = _probe_dict(probe.baseline(database.url, users))
        databases.checkpoint()
        with probe.Probe(database.url, users) as watcher:
            steps = [
                database.manage("migrate", "accounts", "0003", "--verbosity", "0"),
                database.manage("migrate", "energy", "0002", "--verbosity", "0"),
            ]
        record["ours"] = {
            "wall": sum(step.wall for step in steps),
            "command": sum(step.command for step in steps),
            "sql": sum(step.extra["sql"] for step in steps),
            "rename_sql": sum(step.extra.get("rename_sql", 0.0) for step in steps),
            "statements": sum(step.extra.get("statements", 0) for step in steps),
            "steps": [
                {"wall": step.wall, "command": step.command, "sql": step.extra["sql"]} for step in steps
            ],
            "probe": _probe_dict(watcher.result),
            "outcome": guide.outcome(database.url),
        }
        log(
            f"  ours: {record['ours']['wall']:.3f} s wall, "
            f"{record['ours']['command']:.3f} s without start-up, "
            f"{record['ours']['sql']:.3f} s in SQL, "
            f"probe max wait {watcher.result.max_wait * 1000:.1f} ms, errors {dict(watcher.result.errors)}"
        )
        databases.checkpoint()
        with probe.Probe(database.url, users) as watcher:
            step = database.manage("migrate", "--verbosity", "0")
        record["index_build"] = {
            "wall": step.wall,
            "command": step.command,
            "sql": step.extra["sql"],
            "probe": _probe_dict(watcher.result),
        }
        log(f"  index build: {step.wall:.3f} s, probe max wait {watcher.result.max_wait * 1000:.1f} ms")
        databases.checkpoint()
        record["report"] = report.measure(database.url)
        measured = record["report"]
        log(
            f"  report: bare SQL {measured['bare_sql']:.3f} s, in-process {measured.get('inprocess')}, "
            f"command {measured.get('command')} ({measured.get('command_wall')} wall, exit "
            f"{measured.get('command_exit')}, {measured.get('command_rss_mib')} MiB), "
            f"--count in-process {measured.get('count_inprocess')}"
            if measured["available"]
            else f"  report: bare SQL {measured['bare_sql']:.3f} s; verify_user_migration is not available"
        )
        return record
    finally:
        database.drop()


def machine_facts():
    memory_kib = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal")
    )
    return {
        "cores": os.cpu_count(),
        "memory_gib": memory_kib / 1024 / 1024,
        "server": "DATABASE_URL"
        if os.environ.get("DATABASE_URL")
        else "embedded PostgreSQL (enerlink/embedded.py)",
        "loadavg_start": os.getloadavg(),
        **databases.server_facts(),
    }


def run(
    sizes=DEFAULT_SIZES,
    repeat=3,
    output=DEFAULT_OUTPUT,
    reuse_templates=False,
    log=print,
    command=None,
    raw_output=None,
):
    """Run every size ``repeat`` times; write ``output``; return the results."""
    sizes = sorted(sizes)
    run_id = databases.new_run_id()
    facts = machine_facts()
    started = time.time()
    runs, builds = [], {}
    try:
        for users in sizes:
            log(f"{users:,} users: building the legacy template")
            template, seconds = databases.legacy_template(users, run_id, reuse=reuse_templates, log=log)
            builds[users] = seconds
            log(f"  built in {seconds:.1f} s")
            for repetition in range(1, repeat + 1):
                log(f"{users:,} users, run {repetition}/{repeat}")
                record = {"users": users, "repetition": repetition, "loadavg": os.getloadavg()}
                prefix = f"{run_id}{users}_r{repetition}_"
                record["guide"] = run_guide(template, prefix + "guide", users, log)
                record.update(run_ours(template, prefix + "ours", users, log))
                runs.append(record)
            if not reuse_templates:
                template.drop()
    finally:
        databases.drop_run(run_id, log=lambda message: None)
    facts["loadavg_end"] = os.getloadavg()
    raw = {
        "run_id": run_id,
        "command": command
        or f"python -m benchmarks.rename --sizes {' '.join(map(str, sizes))} --repeat {repeat}",
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(started)),
        "duration": time.time() - started,
        "facts": facts,
        "sizes": sizes,
        "repeat": repeat,
        "builds": builds,
        "runs": runs,
    }
    if raw_output:
        Path(raw_output).write_text(json.dumps(raw, indent=1))
    return write(raw, output)


def write(raw, output):
    """Add the summary and the targets to the raw measurements; write the markdown report."""
    raw = {**raw, "builds": {int(users): seconds for users, seconds in raw["builds"].items()}}
    summary = results.summarize(raw["runs"], raw["sizes"])
    outcome = {**raw, "summary": summary, "targets": results.targets(summary, raw["runs"], raw["sizes"])}
    Path(output).parent.mkdir(parents=True, exist_ok=True)
    previous = Path(output).read_text() if Path(output).exists() else ""
    Path(output).write_text(markdown.render(outcome, previous))
    return outcome


def _shown_command(argv):
    """The command line for the report, without --raw (a local file)."""
    shown, skip = ["python -m benchmarks.rename"], False
    for argument in argv:
        if skip or argument == "--raw":
            skip = not skip
            continue
        shown.append(argument)
    return " ".join(shown)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.rename", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=DEFAULT_SIZES, help="numbers of users")
    parser.add_argument("--repeat", type=int, default=3, help="runs per size (default 3)")
    parser.add_argument(
        "--output", type=Path, default=DEFAULT_OUTPUT, help="markdown report (docs/benchmarks.md)"
    )
    parser.add_argument(
        "--reuse-templates",
        action="store_true",
        help="keep the legacy templates (enerlink_bench_template_N) and reuse complete ones",
    )
    parser.add_argument("--raw", type=Path, help="also write the raw measurements as JSON here")
    parser.add_argument("--render", type=Path, help="only re-render --output from a --raw JSON file")
    args = parser.parse_args(argv)
    if args.render:
        write(json.loads(args.render.read_text()), args.output)
        return
    if args.repeat < 1 or min(args.sizes) < 1:
        parser.error("--sizes and --repeat must be positive")
    scratch.admin_connect().close()  # fail fast, with the way out, when the server is down
    console = Console()
    outcome = run(
        args.sizes,
        args.repeat,
        args.output,
        args.reuse_templates,
        log=console.log,
        command=_shown_command(argv if argv is not None else sys.argv[1:]),
        raw_output=args.raw,
    )
    for table in results.console_table(outcome):
        console.print(table)
    console.print(f"written to {args.output}")


if __name__ == "__main__":
    main()
