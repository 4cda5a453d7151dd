"""Smoke test of benchmarks/: the whole benchmark at 1,000 users, once. No timing is asserted."""

from benchmarks import rename
from enerlink.devtools import scratch

GUIDE_DOUBLED_COLUMNS = [
    "idrs_conversion.user_id",
    "market_trade.buyer_user_id",
    "market_trade.seller_user_id",
    "smart_meter.user_id",
    "transaction_log.user_id",
    "wallet.user_id",
]


def test_the_benchmark_runs_both_methods_and_writes_its_report(owner_role, tmp_path):
    output = tmp_path / "benchmarks.md"
    messages = []
    outcome = rename.run(sizes=[1000], repeat=1, output=output, log=messages.append)

    [record] = outcome["runs"]
    assert record["users"] == 1000 and record["repetition"] == 1

    # The guide's script ran, verbatim, and left what it leaves on a real legacy copy.
    guide = record["guide"]
    assert guide["seconds"] > 0 and guide["attempts"] >= 1
    assert guide["outcome"]["user_table"]
    assert guide["outcome"]["duplicate_key_columns"] == GUIDE_DOUBLED_COLUMNS
    assert guide["outcome"]["foreign_keys"] == 7 + len(GUIDE_DOUBLED_COLUMNS)
    assert all(change.endswith(": CASCADE") for change in guide["outcome"]["changed_on_delete"])
    assert guide["outcome"]["columns_still_prosumer"] == [
        "token_blacklist.prosumer_id",
    ]

    # Ours ran as migrate commands and left one key per column, rules kept.
    ours = record["ours"]
    assert ours["wall"] >= ours["command"] >= ours["sql"] > ours["rename_sql"] > 0
    assert len(ours["steps"]) == 2
    assert ours["outcome"] == {
        "user_table": True,
        "foreign_keys": 7,
        "duplicate_key_columns": [],
        "changed_on_delete": [],
        "columns_still_prosumer": [],
    }
    assert record["index_build"]["wall"] > 0

    # The probe ran through every phase; our rename made none of its statements fail.
    for probe in (record["baseline_probe"], guide["probe"], ours["probe"], record["index_build"]["probe"]):
        assert probe["statements"] > 0
        assert probe["max_wait"] > 0 and probe["samples"] > 0
    assert ours["probe"]["errors"] == {}
    assert record["index_build"]["probe"]["errors"] == {}

    # The report and the bare SQL it is compared with.
    report = record["report"]
    assert report["bare_sql"] > 0
    assert report["orphans"] == 0
    # The exact counts, on request only, from the report's own --count.
    assert report["count_inprocess"] > 0
    assert report["counted_rows"]["user"] == 1000 and report["counted_rows"]["transaction_log"] >= 5000
    assert report["available"]
    assert report["command_exit"] == 0 and report["inprocess_passed"] is True
    assert report["inprocess"] > 0 and report["command_wall"] > report["command"] > 0
    assert report["command_rss_mib"] > 0

    # Every figure made it into the summary, and the markdown says what was measured.
    assert all(outcome["summary"][key][1000] is not None for key in ("guide", "ours_wall", "probe_ours"))
    assert len(outcome["targets"]) == 9
    assert outcome["targets"][2][0] == "our rename's SQL time flat: at 1,000 users within 1.5x of 1,000"
    assert outcome["targets"][3][0] == "the rename's own RunSQL flat: at 1,000 users within 1.5x of 1,000"
    text = output.read_text()
    assert "## Results (min / median of 1 run(s) per size)" in text
    assert "| guide's script, wall time |" in text and "1,000 users" in text
    assert "## Targets" in text and "## Method" in text and "## Every run" in text
    assert text.endswith("<!-- repair:start --><!-- repair:end -->\n")

    # Another benchmark's section between the repair markers survives a re-render.
    output.write_text(text.replace("<!-- repair:end -->", "\n## Repair\n\nfigures\n<!-- repair:end -->"))
    rename.write({key: outcome[key] for key in outcome if key not in ("summary", "targets")}, output)
    assert output.read_text().endswith("<!-- repair:start -->\n## Repair\n\nfigures\n<!-- repair:end -->\n")

    # Nothing of the run is left on the server.
    with scratch.admin_connect() as conn:
        left = conn.execute(
            "SELECT datname FROM pg_database WHERE starts_with(datname, %s)", [outcome["run_id"]]
        ).fetchall()
    assert left == []
