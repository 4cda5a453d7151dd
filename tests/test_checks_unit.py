"""Each check of the report and of the preflight, and the repair's planner, called in this process.

The subprocess tests (test_verification*.py, test_preflight.py, test_repair.py) prove the commands
as a team runs them; these ask one check at a time, on a database in a known state, what it found:
by its stable ID and its structured result, never by the wording of a sentence.
"""

import psycopg
import pytest

from accounts import repair
from accounts.verification.context import Context
from accounts.verification.registry import AFTER_RENAME, BEFORE_RENAME, registered_checks
from accounts.verification.results import PASS, WARN
from accounts.verification.runner import outcome_status
from tests.inprocess import django_alias
from tests.test_benchmarks import GUIDE_DOUBLED_COLUMNS

# The checks' IDs are a contract (scripts, stored runs, the docs): changing one must break this test.
REPORT_IDS = {
    "R010": "user_table",
    "R020": "user_keys_and_defaults",
    "R030": "foreign_keys",
    "R040": "referencing_columns",
    "R050": "other_keys_to_user",
    "R060": "prosumer_names",
    "R070": "broken_code",
    "R080": "prosumer_in_code",
    "R090": "broken_before_rename",
    "R100": "compat_schema",
    "R110": "orphans",
    "R120": "indexes",
    "R130": "table_identity",
    "R140": "row_counts",
    "R150": "migrations",
    "R160": "comments",
    "R170": "relationship_sample",
}
PREFLIGHT_IDS = {
    "P010": "rename_state",
    "P020": "adoption",
    "P030": "role",
    "P040": "blocking_transactions",
    "P050": "referencing_keys",
    "P060": "invalid_indexes",
    "P070": "exposed_rows",
    "P080": "prosumer_code",
    "P090": "broken_before_rename",
    "P100": "logical_replication",
    "P110": "standbys",
}
# What warns on the test fixture, and the object each names: its hand-made function and view name
# prosumer (the team's own code: the function breaks, the view still works), and two trigger functions
# are broken upstream before any rename (issue 19).
WARNS_ON_THE_FIXTURE = {
    "R070": "prosumer_trade_volume",
    "R080": "prosumer_wallet_summary",
    "R090": "update_wallet_last_used_from_trades",
    "P080": "prosumer_trade_volume",
    "P090": "update_wallet_last_used_from_trades",
}


def test_each_check_has_its_stable_id_and_runs_in_the_order_of_its_id():
    for suite, ids in ((AFTER_RENAME, REPORT_IDS), (BEFORE_RENAME, PREFLIGHT_IDS)):
        checks = registered_checks(suite)
        assert {check.id: check.name for check in checks} == ids
        assert [check.id for check in checks] == sorted(ids)


def run_checks(alias, suite):
    from django.db import connections

    ctx = Context(connections[alias])
    try:
        return {registered.id: (registered, registered(ctx)) for registered in registered_checks(suite)}
    finally:
        ctx.close()


@pytest.fixture
def in_process(django_db_blocker):
    def enter(database):
        return django_alias(database, django_db_blocker)

    return enter


@pytest.mark.parametrize(
    ("state", "suite", "ids"),
    [("renamed_db", AFTER_RENAME, REPORT_IDS), ("ready_db", BEFORE_RENAME, PREFLIGHT_IDS)],
    ids=["report_after_migrate", "preflight_before_it"],
)
def test_every_check_passes_its_database_but_for_the_fixtures_own_warnings(
    request, in_process, state, suite, ids
):
    with in_process(request.getfixturevalue(state)) as alias:
        results = run_checks(alias, suite)
    statuses = {
        check_id: outcome_status(registered, outcome) for check_id, (registered, outcome) in results.items()
    }
    assert statuses == {check_id: WARN if check_id in WARNS_ON_THE_FIXTURE else PASS for check_id in ids}
    assert_warnings_name_their_objects(results)


def assert_warnings_name_their_objects(results):
    for check_id, word in WARNS_ON_THE_FIXTURE.items():
        if check_id in results:
            details = " ".join(map(str, results[check_id][1].details)).lower()
            assert word in details, (check_id, results[check_id][1])


def plan_for(database, in_process):
    with in_process(database) as alias:
        return repair.plan_repair(alias)


def test_the_planner_has_nothing_to_do_on_a_database_renamed_by_migrate(renamed_db, in_process):
    plan = plan_for(renamed_db, in_process)
    assert (plan.findings, plan.blockers, plan.steps) == ([], [], [])


def test_the_planner_on_the_guides_script_plans_every_phase_and_each_key_once(adopted_db, in_process):
    from tests.test_repair import run_guide_script

    run_guide_script(adopted_db)
    plan = plan_for(adopted_db, in_process)
    assert plan.blockers == []
    kinds = {(finding.kind, finding.where) for finding in plan.findings}
    assert ("column", "token_blacklist.user_id") in kinds  # the column the guide forgets
    doubled = set(GUIDE_DOUBLED_COLUMNS)  # the columns the guide's script gives a second key
    # Every key column is a finding; token_blacklist's legacy key is CASCADE already, so only the six
    # others have a key to drop (the guide's CASCADE one beside the legacy key).
    assert {where for kind, where in kinds if kind == "foreign_key"} == doubled | {"token_blacklist.user_id"}
    phases = [step.phase for step in plan.steps]
    assert phases == sorted(phases, key=repair.plan.PHASES.index)  # the plan's phase order, each once
    assert phases[:2] == ["journal", "snapshot"] and phases[-1] == "history"
    dropped = [step for step in plan.steps if step.phase == "keys"]
    assert len(dropped) == len(doubled)  # one step per doubled column: the guide's CASCADE key dropped
    assert all("ON DELETE CASCADE" in step.title for step in dropped)
    # Catalog-only steps take ACCESS EXCLUSIVE; index builds only SHARE UPDATE EXCLUSIVE, concurrently.
    for step in plan.steps:
        if step.phase == "build_indexes":
            assert step.concurrent and {mode for mode, _ in step.locks} == {"SHARE UPDATE EXCLUSIVE"}
        if step.phase in ("names", "keys"):
            assert not step.scans


def test_the_planner_blocks_on_orphans_it_cannot_validate_away(renamed_db, in_process):
    with renamed_db.connect(superuser=True) as conn:
        conn.execute("ALTER TABLE wallet DROP CONSTRAINT wallet_user_id_fkey")
        conn.execute("CREATE TEMP TABLE orphan AS SELECT * FROM wallet LIMIT 1")
        conn.execute("UPDATE orphan SET wallet_address = '0xorphan', user_id = 'nobody'")
        conn.execute("INSERT INTO wallet SELECT * FROM orphan")
    plan = plan_for(renamed_db, in_process)
    assert [(blocker.kind, blocker.where, blocker.count) for blocker in plan.blockers] == [
        ("orphans", "wallet.user_id", 1)
    ]


DYNAMIC_SQL_FUNCTIONS = [
    # Breaks: the SQL it runs with EXECUTE names the table the rename renames.
    "CREATE FUNCTION count_by_execute(p varchar) RETURNS bigint LANGUAGE plpgsql AS $$ DECLARE n bigint; "
    "BEGIN EXECUTE 'SELECT count(*) FROM prosumer WHERE prosumer_id = $1' INTO n USING p; RETURN n; END $$",
    # Works: only a message says prosumer.
    "CREATE FUNCTION count_with_notice(p varchar) RETURNS bigint LANGUAGE plpgsql AS $$ "
    "BEGIN RAISE NOTICE 'prosumer %', p; RETURN (SELECT count(*) FROM wallet); END $$",
]


def test_one_rule_judges_a_function_before_and_after_the_rename(ready_db, in_process):
    """EXECUTE '...prosumer...' breaks, a message that says prosumer does not: the preflight and the
    report say the same, and calling the functions after the rename proves it."""
    with ready_db.connect() as conn:
        for statement in DYNAMIC_SQL_FUNCTIONS:
            conn.execute(statement)
    with in_process(ready_db) as alias:
        before = run_checks(alias, BEFORE_RENAME)["P080"][1]
    breaking_before = {line.split(":")[0] for line in before.details if "will stop working" in line}
    assert "function count_by_execute(character varying)" in breaking_before
    assert "function count_with_notice(character varying)" not in breaking_before
    ready_db.manage("migrate")
    with in_process(ready_db) as alias:
        after = run_checks(alias, AFTER_RENAME)["R070"][1]
    broken_after = " ".join(after.details)
    assert "count_by_execute" in broken_after and "count_with_notice" not in broken_after
    assert not any("count_by_execute" in fix for fix in after.fixes)  # a string is not rewritten
    with ready_db.connect() as conn:
        assert conn.execute("SELECT count_with_notice('p-alice')").fetchone()[0] >= 1
        with pytest.raises(psycopg.errors.UndefinedTable):
            conn.execute("SELECT count_by_execute('p-alice')")
