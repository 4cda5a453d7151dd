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
  `INSERT INTO transaction_log VALUES (1, NULL, DEFAULT, $1, ..., now())` (positional, so
  it works before and after the column rename; its key check reads the user table). "Max
  wait" is the slowest single statement; "failed" counts statements that raised. The
  baseline is 3 s of the probe on an idle clone. Because a statement on this shared
  2-core machine can also be slow for want of a CPU, a second connection samples
  `pg_stat_activity` about every 2 ms and keeps the longest stretch in which the probe's
  backend had `wait_event_type = 'Lock'`: the lock wait as the server saw it (to within
  one sample).
* **The report**: the bare SQL is what the report cannot avoid, run with psycopg as the
  owner: one `NOT EXISTS` anti-join per foreign-key column (8), the orphans check, which
  is the only check that reads rows (the report no longer counts them: `table_identity`
  compares each table's OID and data file with the rename's journal, in the catalog). It
  runs once to warm the cache, then timed; then `run_verification(using="default",
  fast=False)` in a fresh process, and `manage.py verify_user_migration --json`, whose
  peak RSS comes from `wait4()`; then `run_verification(count=True)` (the exact counts of
  `--count`, on request only). All run after our rename and index build, on the same
  clone, while nothing else runs on it.
* Cells are min / median over the repetitions (one value when there was one run). The
  machine is shared with other jobs, so single runs are noisy; the load average is recorded.
"""


def _targets(outcome):
    lines = ["## Targets", "", "| target | status | measured |", "|---|---|---|"]
    lines += [f"| {target} | **{status}** | {evidence} |" for target, status, evidence in outcome["targets"]]
    return lines


def _describe(result):
    return (
        f"{result['foreign_keys']} keys to the user table; two keys on "
        f"{', '.join(result['duplicate_key_columns']) or 'no column'}; keys whose ON DELETE differs "
        "from the legacy rule: "
        f"{', '.join(result['changed_on_delete']) or 'none'}; still named prosumer: "
        f"{', '.join(result['columns_still_prosumer']) or 'none'}"
    )


def _guide_leftovers(outcome):
    """Each method's result, once per distinct result (every run is inspected)."""
    lines = ["## What each method left in the database", ""]
    for method, label in (("guide", "The guide's script"), ("ours", "Our migrations")):
        seen = {}
        for r in outcome["runs"]:
            seen.setdefault(_describe(r[method]["outcome"]), set()).add(r["users"])
        for description, sizes in seen.items():
            where = ", ".join(f"{size:,}" for size in sorted(sizes))
            lines.append(f"* {label} (runs at {where} users): {description}.")
    aborted = [failure for r in outcome["runs"] for failure in r["guide"]["failures"]]
    if aborted:
        lines.append(
            f"* The server aborted the guide's script {len(aborted)} time(s) ({aborted[0]}); "
            "it changed nothing then (one transaction) and was re-run on the same clone."
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
        lines += ["Checks it reported as failed:", ""]
        lines += [f"* {check}" for check in failed]
    return lines


def _median(outcome, key, size):
    entry = outcome["summary"][key].get(size)
    return entry[1] if entry else None


def _reading(outcome):
    """What the figures say, in sentences built from the medians."""
    sizes = outcome["sizes"]
    small, large = min(sizes), max(sizes)

    def m(key, size=large):
        return _median(outcome, key, size)

    lines = ["## Reading the figures", ""]
    if m("guide") is not None and m("probe_guide") is not None:
        lines.append(
            f"* The guide's script holds its locks for its whole run: at {large:,} users the probe's "
            f"slowest statement waited {fmt('ms', m('probe_guide'))} of its {fmt('s', m('guide'))} "
            "(median), i.e. every read of `wallet` and every insert into `transaction_log` stops for "
            "as long as the script runs, and the time grows with the rows (foreign keys re-validated, "
            "indexes built inside the transaction)."
        )
    if None not in (m("ours_sql", small), m("ours_sql"), m("guide")):
        lines.append(
            f"* Our rename's SQL takes {fmt('s', m('ours_sql', small))} at {small:,} users and "
            f"{fmt('s', m('ours_sql'))} at {large:,} ({m('ours_sql') / m('ours_sql', small):.2f}x): it reads "
            "and changes only the catalog. The snapshot it journals before taking any exclusive lock "
            "(accounts/migrations/0003_rename_prosumer_to_user.forward.sql, step 3) is each table's OID, "
            "data file and the planner's row estimate, not a `count(*)`, so its cost does not grow with "
            "the rows, and neither does the probe's wait. At "
            f"{large:,} users the guide's script takes {fmt('s', m('guide'))}, "
            f"{m('guide') / m('ours_sql'):,.0f}x our rename's SQL time."
        )
    if m("ours_rename_sql", small) is not None and m("ours_rename_sql") is not None:
        lines.append(
            "* Of that SQL time, the rename's own statements (accounts 0003's RunSQL: the snapshot, the "
            f"locks and every rename) take {fmt('s', m('ours_rename_sql', small))} at {small:,} users and "
            f"{fmt('s', m('ours_rename_sql'))} at {large:,}; the rest is Django's migration recorder and "
            "loader, the same at every size. On this shared machine a statement can also wait for a CPU: "
            "the load average of each run is in the last table."
        )
    if m("report_count") is not None and m("report_inprocess") is not None:
        lines.append(
            f"* The exact counts the rename used to take are on request now: `verify_user_migration "
            f"--count` takes {fmt('s', m('report_count'))} in-process at {large:,} users against "
            f"{fmt('s', m('report_inprocess'))} without it; they prove how many rows there are, "
            "not that none was lost at the rename (`table_identity` proves that)."
        )
    if m("ours_wall") is not None and m("ours_command") is not None:
        shares = ", ".join(
            f"{1 - m('ours_command', size) / m('ours_wall', size):.0%} at {size:,}"
            for size in sizes
            if m("ours_wall", size)
        )
        lines.append(
            f"* Starting Python and Django costs about {fmt('s', (m('ours_wall') - m('ours_command')) / 2)} "
            "per manage.py command here (the difference between the wall and start-up-excluded rows): "
            f"that share of our wall time is {shares} users. The rest of the start-up-excluded time "
            "beyond the SQL is Django's migration loader and model-state rendering."
        )
    if m("index_wall") is not None:
        lines.append(
            f"* The index build takes {fmt('s', m('index_wall'))} at {large:,} users, but concurrently: "
            f"the probe's slowest statement meanwhile took {fmt('ms', m('probe_index'))} (median)."
        )
    cpu_waits = [
        (r["users"], r["repetition"], r["loadavg"][0], probe["max_wait"])
        for r in outcome["runs"]
        for probe in [
            (r.get("index_build") or {}).get("probe") or {},
            (r.get("ours") or {}).get("probe") or {},
        ]
        if (probe.get("max_wait") or 0) >= 0.100 and (probe.get("max_lock_wait") or 0) < 0.005
    ]
    if cpu_waits:
        lines.append(
            "* A probe statement that took 100 ms or more while the server saw it wait for no lock waited "
            "for a CPU: "
            + "; ".join(
                f"{fmt('ms', wait)} at {users:,} users, run {run} (load average {load:.1f})"
                for users, run, load, wait in cpu_waits
            )
            + ". The machine's two cores are shared with other jobs."
        )
    if m("report_ratio", small) is not None and m("report_ratio") is not None:
        lines.append(
            f"* The report costs {fmt('x', m('report_ratio', small))} its bare SQL at {small:,} users, where "
            "its fixed work (catalog checks, the journal, the migrations table) is most of it, and "
            f"{fmt('x', m('report_ratio'))} at {large:,}, where the row scans dominate; its peak memory "
            f"does not grow with the rows ({fmt('MiB', m('report_rss', small))} at {small:,}, "
            f"{fmt('MiB', m('report_rss'))} at {large:,}). The target is judged at the largest size."
        )
    aborted = sum(len(r["guide"]["failures"]) for r in outcome["runs"])
    probe_deadlocks = sum(
        count
        for r in outcome["runs"]
        for kind, count in (r["guide"]["probe"].get("errors") or {}).items()
        if "40P01" in kind
    )
    lines.append(
        f"* Deadlocks with the probe during the guide's script: {probe_deadlocks} probe insert(s) and "
        f"{aborted} run(s) of the script itself were aborted by PostgreSQL over {len(outcome['runs'])} runs. "
        "The script locks prosumer first and the referencing tables after it; an insert into "
        "`transaction_log` that arrives in between holds that table and then needs prosumer for its key "
        "check, and when the script reaches `transaction_log` one of the two is aborted (whichever's "
        "deadlock_timeout expires while the cycle exists). Most of the time the probe is instead queued "
        "behind the script's lock on `wallet` and merely waits. Our rename never holds a lock while it "
        "waits past 0.8 x deadlock_timeout: in a lock cycle with any transaction (an insert, a delete "
        "from the user table) it lets go first and tries again, so the application never gets the "
        "deadlock error (docs/rename.md, Locks)."
    )
    return lines


def _every_run(outcome):
    keys = [
        "guide",
        "ours_wall",
        "ours_command",
        "ours_sql",
        "ours_rename_sql",
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
        "report_count",
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


REPAIR_START, REPAIR_END = "<!-- repair:start -->", "<!-- repair:end -->"


def repair_section(previous):
    """The text between the repair markers of the previous report (another benchmark writes it), or ""."""
    if REPAIR_START not in previous or REPAIR_END not in previous:
        return ""
    return previous.split(REPAIR_START, 1)[1].split(REPAIR_END, 1)[0]


def render(outcome, previous=""):
    """The report; the repair section of ``previous`` (the file it replaces) is kept as it was."""
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
    lines += [""] + _targets(outcome) + [""] + _reading(outcome) + [""] + _guide_leftovers(outcome)
    lines += ["", METHOD] + _every_run(outcome)
    return "\n".join(lines) + f"\n\n{REPAIR_START}{repair_section(previous)}{REPAIR_END}\n"
