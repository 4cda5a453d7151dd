"""Smoke test of benchmarks/repair.py at 1,000 users, once: it runs and writes its section. No timing."""

from benchmarks import repair
from enerlink.devtools import scratch


def test_the_repair_benchmark_writes_its_section_and_keeps_the_rest(owner_role, tmp_path):
    output = tmp_path / "benchmarks.md"
    output.write_text(f"# Benchmarks\n\nkept before\n\n{repair.START}\nstale\n{repair.END}\n\nkept after\n")
    outcome = repair.run(users=1000, output=output, baseline_seconds=0.5, log=lambda message: None)

    records = {record["variant"]: record for record in outcome["records"]}
    assert set(records) == {"hash", "conventional"}
    for record in records.values():
        assert record["verify_exit"] == 0 and record["migrate_exit"] == 0
        assert record["probe"]["statements"] > 0 and record["probe"]["errors"] == {}
        assert all(step["attempts"] >= 1 for step in record["steps"])
    # Where the guide replaced the keys, the right ones are validated over the rows; elsewhere nothing scans
    # but the two index builds.
    assert records["conventional"]["scanning_steps"] == records["hash"]["scanning_steps"] + 6

    text = output.read_text()
    assert text.startswith("# Benchmarks\n\nkept before\n\n<!-- repair:start -->\n## Repairing")
    assert text.endswith("<!-- repair:end -->\n\nkept after\n")
    assert "stale" not in text
    assert (
        "| probe max wait during the repair |" in text and "Target: the probe waits less than 100 ms" in text
    )

    # Nothing of the run is left on the server.
    with scratch.admin_connect() as conn:
        left = conn.execute("SELECT datname FROM pg_database WHERE datname LIKE 'enerlink_bench_%repair%'")
        assert left.fetchall() == []


def test_the_section_is_appended_when_the_markers_are_missing(tmp_path):
    output = tmp_path / "benchmarks.md"
    output.write_text("# Benchmarks\n")
    repair.write_section(output, f"{repair.START}\nnew\n{repair.END}")
    assert output.read_text() == f"# Benchmarks\n\n{repair.START}\nnew\n{repair.END}\n"
