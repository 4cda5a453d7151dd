"""Summaries of the runs: min / median per size, the targets, the console table and docs/benchmarks.md."""

import statistics
from dataclasses import dataclass

from rich.table import Table

LOCK_WAIT_TARGET = 0.100  # seconds
SPEEDUP_TARGET = 50
REPORT_RATIO_TARGET = 2.0
MEMORY_FLAT_TOLERANCE = 0.20  # peak RSS at the largest size within 20 % of the smallest size's
WAIT_FLAT_FACTOR, WAIT_FLAT_NOISE = 2.0, 0.020  # largest size's median <= 2 x smallest's + 20 ms
SQL_FLAT_FACTOR = 1.5  # our rename's SQL time at the largest size <= 1.5 x the smallest size's


def _get(record, *path):
    value = record
    for key in path:
        if not isinstance(value, dict) or value.get(key) is None:
            return None
        value = value[key]
    return value


def _ratio(numerator, denominator):
    return numerator / denominator if numerator is not None and denominator else None


@dataclass(frozen=True)
class Metric:
    key: str
    label: str
    unit: str  # "s", "ms", "x", "MiB", "n"
    extract: object


METRICS = [
    Metric("guide", "guide's script, wall time", "s", lambda r: _get(r, "guide", "seconds")),
    Metric(
        "ours_wall",
        "ours: migrate accounts 0003 + energy 0002, wall (2 x manage.py)",
        "s",
        lambda r: _get(r, "ours", "wall"),
    ),
    Metric(
        "ours_command",
        "ours: the same, Python/Django start-up excluded",
        "s",
        lambda r: _get(r, "ours", "command"),
    ),
    Metric("ours_sql", "ours: the same, time in SQL statements only", "s", lambda r: _get(r, "ours", "sql")),
    Metric(
        "ours_rename_sql",
        "of which the rename's own SQL (accounts 0003's RunSQL)",
        "s",
        lambda r: _get(r, "ours", "rename_sql"),
    ),
    Metric(
        "speedup_wall",
        "ratio guide / ours (wall)",
        "x",
        lambda r: _ratio(_get(r, "guide", "seconds"), _get(r, "ours", "wall")),
    ),
    Metric(
        "speedup_command",
        "ratio guide / ours (start-up excluded)",
        "x",
        lambda r: _ratio(_get(r, "guide", "seconds"), _get(r, "ours", "command")),
    ),
    Metric(
        "speedup_sql",
        "ratio guide / ours (SQL only: the database work of each)",
        "x",
        lambda r: _ratio(_get(r, "guide", "seconds"), _get(r, "ours", "sql")),
    ),
    Metric(
        "probe_baseline",
        "probe max wait, nothing running (baseline)",
        "ms",
        lambda r: _get(r, "baseline_probe", "max_wait"),
    ),
    Metric(
        "probe_guide",
        "probe max wait during the guide's script",
        "ms",
        lambda r: _get(r, "guide", "probe", "max_wait"),
    ),
    Metric(
        "probe_guide_lock",
        "of which waiting for a lock (seen by the server, sampled)",
        "ms",
        lambda r: _get(r, "guide", "probe", "max_lock_wait"),
    ),
    Metric(
        "probe_guide_errors",
        "probe statements failed during the guide's script",
        "n",
        lambda r: sum((_get(r, "guide", "probe", "errors") or {}).values()),
    ),
    Metric(
        "guide_aborted",
        "guide's script attempts aborted (deadlock with the probe)",
        "n",
        lambda r: len(_get(r, "guide", "failures") or []),
    ),
    Metric(
        "probe_ours", "probe max wait during our rename", "ms", lambda r: _get(r, "ours", "probe", "max_wait")
    ),
    Metric(
        "probe_ours_lock",
        "of which waiting for a lock (seen by the server, sampled)",
        "ms",
        lambda r: _get(r, "ours", "probe", "max_lock_wait"),
    ),
    Metric(
        "probe_ours_errors",
        "probe statements failed during our rename",
        "n",
        lambda r: sum((_get(r, "ours", "probe", "errors") or {}).values()),
    ),
    Metric(
        "index_wall",
        "index build (migrate: energy 0003, concurrently), wall",
        "s",
        lambda r: _get(r, "index_build", "wall"),
    ),
    Metric(
        "index_sql", "index build, time in SQL statements only", "s", lambda r: _get(r, "index_build", "sql")
    ),
    Metric(
        "probe_index",
        "probe max wait during the index build",
        "ms",
        lambda r: _get(r, "index_build", "probe", "max_wait"),
    ),
    Metric(
        "probe_index_lock",
        "of which waiting for a lock (seen by the server, sampled)",
        "ms",
        lambda r: _get(r, "index_build", "probe", "max_lock_wait"),
    ),
    Metric(
        "bare_sql",
        "bare SQL: the orphan anti-joins (the report's only row reads)",
        "s",
        lambda r: _get(r, "report", "bare_sql"),
    ),
    Metric(
        "report_inprocess",
        "report: run_verification() in-process",
        "s",
        lambda r: _get(r, "report", "inprocess"),
    ),
    Metric(
        "report_ratio",
        "report / bare SQL (in-process)",
        "x",
        lambda r: _ratio(_get(r, "report", "inprocess"), _get(r, "report", "bare_sql")),
    ),
    Metric(
        "report_command_ratio",
        "report / bare SQL (verify_user_migration --json, start-up excluded)",
        "x",
        lambda r: _ratio(_get(r, "report", "command"), _get(r, "report", "bare_sql")),
    ),
    Metric(
        "report_wall",
        "verify_user_migration --json, wall incl. start-up",
        "s",
        lambda r: _get(r, "report", "command_wall"),
    ),
    Metric(
        "report_rss", "verify_user_migration peak RSS", "MiB", lambda r: _get(r, "report", "command_rss_mib")
    ),
    Metric(
        "report_count",
        "report with --count (exact counts on request), in-process",
        "s",
        lambda r: _get(r, "report", "count_inprocess"),
    ),
]


def summarize(runs, sizes):
    """{metric key: {size: (min, median, values)}}."""
    summary = {}
    for metric in METRICS:
        summary[metric.key] = {}
        for size in sizes:
            values = [metric.extract(r) for r in runs if r["users"] == size]
            values = [v for v in values if v is not None]
            summary[metric.key][size] = (min(values), statistics.median(values), values) if values else None
    return summary


def fmt(unit, value):
    if value is None:
        return "-"
    if unit == "ms":
        return f"{value * 1000:,.1f} ms"
    if unit == "s":
        return f"{value:,.3f} s" if value < 10 else f"{value:,.1f} s"
    if unit == "x":
        return f"{value:,.1f}x"
    if unit == "MiB":
        return f"{value:,.0f} MiB"
    return f"{value:g}"


def cell(metric, entry):
    if entry is None:
        return "-"
    low, median, values = entry
    if len(values) == 1:
        return fmt(metric.unit, median)
    return f"{fmt(metric.unit, low)} / {fmt(metric.unit, median)}"


def _status(ok):
    return "not measured" if ok is None else ("met" if ok else "NOT met")


def targets(summary, runs, sizes):
    """[(target, status, evidence)]."""
    smallest, largest = min(sizes), max(sizes)

    def median(key, size):
        entry = summary[key].get(size)
        return entry[1] if entry else None

    def worst(extract):
        values = [extract(r) for r in runs]
        values = [v for v in values if v is not None]
        return max(values) if values else None

    rows = []
    for field_, seen in (("max_wait", "probe max wait"), ("max_lock_wait", "lock wait seen by the server")):
        per_size = {
            size: worst(lambda r, s=size, f=field_: _get(r, "ours", "probe", f) if r["users"] == s else None)
            for size in sizes
        }
        key = "probe_ours" if field_ == "max_wait" else "probe_ours_lock"
        first, last = median(key, smallest), median(key, largest)
        flat = first is not None and last is not None and last <= WAIT_FLAT_FACTOR * first + WAIT_FLAT_NOISE
        measured = None not in per_size.values()
        rows.append(
            (
                f"{seen} during our rename < 100 ms at every size, and flat",
                _status(
                    measured and flat and max(per_size.values()) < LOCK_WAIT_TARGET if measured else None
                ),
                "worst run per size: "
                + ", ".join(f"{size:,}: {fmt('ms', v)}" for size, v in per_size.items())
                + f"; median {fmt('ms', first)} at {smallest:,} -> {fmt('ms', last)} at {largest:,}"
                + ("" if not measured else " (flat)" if flat else " (grows)"),
            )
        )
    for key, label in (("ours_sql", "our rename's SQL time"), ("ours_rename_sql", "the rename's own RunSQL")):
        first, last = median(key, smallest), median(key, largest)
        rows.append(
            (
                f"{label} flat: at {largest:,} users within {SQL_FLAT_FACTOR:g}x of {smallest:,}",
                _status(None if first is None or last is None else last <= SQL_FLAT_FACTOR * first),
                f"median {fmt('s', first)} at {smallest:,} -> {fmt('s', last)} at {largest:,} "
                f"({fmt('x', _ratio(last, first))})",
            )
        )
    for key, label in (
        ("speedup_wall", "wall time, Python/Django start-up included"),
        ("speedup_command", "start-up excluded: the migrate commands' own time"),
        ("speedup_sql", "SQL only: the database work of each"),
    ):
        value = median(key, largest)
        rows.append(
            (
                f"ours >= {SPEEDUP_TARGET}x faster than the guide at {largest:,} users ({label})",
                _status(None if value is None else value >= SPEEDUP_TARGET),
                f"median {fmt('x', value)}",
            )
        )
    index_worst = worst(lambda r: _get(r, "index_build", "probe", "max_wait"))
    index_lock = worst(lambda r: _get(r, "index_build", "probe", "max_lock_wait"))
    rows.append(
        (
            "probe max wait during the index build < 100 ms",
            _status(None if index_worst is None else index_worst < LOCK_WAIT_TARGET),
            f"worst run: {fmt('ms', index_worst)}; lock wait seen by the server: {fmt('ms', index_lock)}",
        )
    )
    ratio, command_ratio = median("report_ratio", largest), median("report_command_ratio", largest)
    rss_first, rss_last = median("report_rss", smallest), median("report_rss", largest)
    memory_flat = (
        None if rss_first is None or rss_last is None else rss_last <= rss_first * (1 + MEMORY_FLAT_TOLERANCE)
    )
    report_ok = (
        None
        if ratio is None or memory_flat is None
        else (ratio <= REPORT_RATIO_TARGET and (command_ratio or 0) <= REPORT_RATIO_TARGET and memory_flat)
    )
    rows.append(
        (
            f"report <= {REPORT_RATIO_TARGET:g}x the bare SQL at {largest:,} users, memory flat",
            _status(report_ok),
            f"median in-process {fmt('x', ratio)}, command {fmt('x', command_ratio)}; peak RSS "
            f"{fmt('MiB', rss_first)} at {smallest:,} -> {fmt('MiB', rss_last)} at {largest:,}",
        )
    )
    return rows


def console_table(results):
    sizes = results["sizes"]
    table = Table(title=f"min / median of {results['repeat']} run(s)")
    table.add_column("measure")
    for size in sizes:
        table.add_column(f"{size:,} users", justify="right")
    for metric in METRICS:
        table.add_row(metric.label, *(cell(metric, results["summary"][metric.key][size]) for size in sizes))
    targets_table = Table(title="targets")
    for column in ("target", "status", "evidence"):
        targets_table.add_column(column)
    for row in results["targets"]:
        targets_table.add_row(*row)
    return table, targets_table
