"""docs/benchmarks.md: the figures, the targets, and how they were measured."""

from benchmarks.results import METRICS, cell, fmt

METHOD = """\
## Method

* **Data.** For each size one legacy database is built with the project's data builder
  (`manage.py migrate` of accounts 0001, energy 0001 and Django's own apps, then
  `manage.py build_legacy_data --users N`: per user 2 wallets, 1 meter, 2 settlements,
  1 order, 5 transaction logs, 1 trade, 2 conversions, 1 blacklist row, so 16 rows per user),
  then `VACUUM (ANALYZE)` as a production table would have been. Every run works on a
  clone of it (`CREATE DATABASE ... TEMPLATE ... OWNER enerlink_owner STRATEGY FILE_COPY`);
  the benchmark checks that the clone's tables belong to that NOSUPERUSER role.
  A `CHECKPOINT` precedes each measured phase.
* **The guide's method** is `benchmarks/guide_all_in_one.sql`, verbatim, sent as one
  query by psycopg as a superuser (it sets `session_replication_role`, which needs one).
  It runs unchanged on the builder's database: its `DROP ... IF EXISTS` name objects
  that do not exist there (the keys have ORM hash names), so it adds a second key per
  column, validated over the whole table, and builds six indexes, all under
  `ACCESS EXCLUSIVE` locks. Its time is the client-side time of that one query.
* **Ours** is `manage.py migrate accounts 0003` then `manage.py migrate energy 0002`
  as the NOSUPERUSER owner (the rename, one transaction, catalog only), then
  `manage.py migrate` (energy 0003: the indexes, `CREATE INDEX CONCURRENTLY`), timed
  separately. Each command runs in a fresh process through `benchmarks/child.py`, which is
  manage.py's `execute_from_command_line` plus a stopwatch: "wall" includes starting Python
  and Django (about half a second per command here), "start-up excluded" is the command
  alone (Django's migration loader and state rendering included), and "SQL only" sums the
  time of the statements the command sent through Django's connection (an
  `execute_wrapper`), which is the database work the guide's time also measures.
* **The probe** (`benchmarks/probe.py`) is a thread with its own connection
  (autocommit, `prepare_threshold=None`: no server-side plan survives the rename) that
  loops, with a 5 ms pause, over `SELECT ... FROM wallet WHERE wallet_address = $1` and
  `INSERT INTO transaction_log VALUES (DEFAULT, $1, NULL, ..., DEFAULT)` (positional, so
  it works before and after the column rename; its key check reads the user table). "Max
  wait" is the slowest single statement; "failed" counts statements that raised. The
  baseline is 3 s of the probe on an idle clone. Because a statement on this shared
  2-core machine can also be slow for want of a CPU, a second connection samples
  `pg_stat_activity` about every 2 ms and keeps the longest stretch in which the probe's
  backend had `wait_event_type = 'Lock'`: the lock wait as the server saw it (to within
  one sample).
* **The report**: the bare SQL is what the report cannot avoid, run with psycopg as the
  owner: `count(*)` of `user` and the 7 referencing tables, and one
  `NOT EXISTS` anti-join per foreign-key column (8). It runs once to warm the cache, then
  timed; then `run_verification(using="default", fast=False)` in a fresh process, and
  `manage.py verify_user_migration --json`, whose peak RSS comes from `wait4()`.
  All three run after our rename and index build, on the same clone, while nothing else
  runs on it.
* Cells are min / median over the repetitions (one value when there was one run). The
  machine is shared with other jobs, so single runs are noisy; the load average is recorded.
"""


def _targets(outcome):
    lines = ["## Targets", "", "| target | status | measured |", "|---|---|---|"]
    lines += [f"| {target} | **{status}** | {evidence} |" for target, status, evidence in outcome["targets"]]
    return lines


def _guide_leftovers(outcome):
    lines = ["## What each method left in the database", ""]
    for users in outcome["sizes"]:
        runs = [r for r in outcome["runs"] if r["users"] == users]
        if not runs:
            continue
        guide, ours = runs[-1]["guide"]["outcome"], runs[-1]["ours"]["outcome"]
        aborted = [failure for r in runs for failure in r["guide"]["failures"]]
        lines.append(
            f"* {users:,} users. Guide: {guide['foreign_keys']} keys to the user table, two keys on "
            f"{', '.join(guide['duplicate_key_columns']) or 'no column'}; ON DELETE changed: "
            f"{', '.join(guide['changed_on_delete']) or 'none'}; still named prosumer: "
            f"{', '.join(guide['columns_still_prosumer']) or 'none'}"
            + (f"; aborted by the server {len(aborted)} time(s) ({aborted[0]}) and re-run" if aborted else "")
            + f". Ours: {ours['foreign_keys']} keys, duplicates: "
            f"{', '.join(ours['duplicate_key_columns']) or 'none'}, ON DELETE changed: "
            f"{', '.join(ours['changed_on_delete']) or 'none'}, still named prosumer: "
            f"{', '.join(ours['columns_still_prosumer']) or 'none'}."
        )
    errors = {}
    for r in outcome["runs"]:
        for phase in ("guide", "ours", "index_build"):
            for kind, count in ((r.get(phase) or {}).get("probe", {}).get("errors") or {}).items():
                errors[(phase, kind)] = errors.get((phase, kind), 0) + count
    if errors:
        lines += ["", "Probe statements that failed, all runs:", ""]
        lines += [f"* during {phase}: {kind} x {count}" for (phase, kind), count in sorted(errors.items())]
    reports = [r["report"] for r in outcome["runs"] if r.get("report")]
    if reports and not reports[-1]["available"]:
        lines += ["", "`verify_user_migration` was not available: only the bare SQL was measured."]
    failed = sorted({check for rep in reports for check in rep.get("failed_checks") or []})
    exits = sorted({rep.get("command_exit") for rep in reports if rep.get("available")})
    if exits:
        lines += ["", f"`verify_user_migration --json` exit codes: {', '.join(map(str, exits))}."]
    if failed:
        lines += [
            "Checks it reported as failed (the probe keeps inserting transaction_log rows during "
            "the migration, so the tables grow after the rename's snapshot):",
            "",
        ]
        lines += [f"* {check}" for check in failed]
    return lines


def _every_run(outcome):
    keys = [
        "guide",
        "ours_wall",
        "ours_command",
        "ours_sql",
        "index_wall",
        "probe_baseline",
        "probe_guide",
        "probe_ours",
        "probe_ours_lock",
        "probe_index",
        "probe_index_lock",
        "bare_sql",
        "report_inprocess",
        "report_wall",
        "report_rss",
    ]
    metrics = [m for m in METRICS if m.key in keys]
    lines = [
        "## Every run",
        "",
        "| users | run | load | " + " | ".join(m.key for m in metrics) + " |",
        "|---|---|---|" + "---|" * len(metrics),
    ]
    for r in outcome["runs"]:
        lines.append(
            f"| {r['users']:,} | {r['repetition']} | {r['loadavg'][0]:.1f} | "
            + " | ".join(fmt(m.unit, m.extract(r)) for m in metrics)
            + " |"
        )
    return lines


def render(outcome):
    facts, sizes = outcome["facts"], outcome["sizes"]
    lines = [
        "# Benchmarks: the rename and the report against the guide's method",
        "",
        f"Generated by `{outcome['command']}` (`make bench`) on {outcome['date']}, "
        f"in {outcome['duration'] / 60:.0f} min.",
        "",
        f"Machine: {facts['cores']} cores, {facts['memory_gib']:.0f} GiB, shared with other jobs "
        f"(load average {facts['loadavg_start'][0]:.1f} at the start, "
        f"{facts['loadavg_end'][0]:.1f} at the end). "
        f"PostgreSQL {facts['server_version']} ({facts['server']}): "
        f"shared_buffers {facts['shared_buffers']}, "
        f"maintenance_work_mem {facts['maintenance_work_mem']}, max_parallel_maintenance_workers "
        f"{facts['max_parallel_maintenance_workers']}, deadlock_timeout {facts['deadlock_timeout']}.",
        "",
        "Legacy template build (migrate to legacy + build_legacy_data + VACUUM ANALYZE, once per size): "
        + ", ".join(f"{users:,} users {fmt('s', seconds)}" for users, seconds in outcome["builds"].items())
        + ".",
        "",
        f"## Results (min / median of {outcome['repeat']} run(s) per size)",
        "",
        "| measure | " + " | ".join(f"{size:,} users" for size in sizes) + " |",
        "|---|" + "---:|" * len(sizes),
    ]
    for metric in METRICS:
        lines.append(
            f"| {metric.label} | "
            + " | ".join(cell(metric, outcome["summary"][metric.key][size]) for size in sizes)
            + " |"
        )
    lines += [""] + _targets(outcome) + [""] + _guide_leftovers(outcome) + ["", METHOD] + _every_run(outcome)
    return "\n".join(lines) + "\n"
