"""repair_user_migration on databases renamed the wrong way, as a team would have renamed them.

Each damaged database is made the way it happens in the field: the guide's
all-in-one script or its step-by-step sections run by a superuser (they need one),
or a hand rename, on a legacy copy. The repair then runs as the NOSUPERUSER role
that owns the tables, through manage.py, and the report must pass afterwards.
"""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlparse

from accounts.repair import APPLICATION_NAME
from enerlink.devtools import scratch

FIXTURES = Path(__file__).resolve().parent / "fixtures"
GUIDE_SCRIPT = scratch.PROJECT_ROOT / "benchmarks" / "guide_all_in_one.sql"
GUIDE_STEPS_1_TO_3 = FIXTURES / "guide_steps_1_to_3.sql"
CONVENTIONAL_NAMES = FIXTURES / "legacy_conventional_names.sql"

# The legacy rule of every key (tests/fixtures/legacy_database.sql), under the names after the rename.
LEGACY_RULES = {
    ("idrs_conversion", "user_id"): "a",
    ("market_trade", "buyer_user_id"): "a",
    ("market_trade", "seller_user_id"): "a",
    ("smart_meter", "user_id"): "a",
    ("token_blacklist", "user_id"): "c",
    ("transaction_log", "user_id"): "a",
    ("wallet", "user_id"): "a",
}
# The repair's own tables (new or not) and the TOAST table of the journal it creates.
BOOKKEEPING = ("user_rename_journal", "django_migrations", "pg_toast.")
RENAMED_TABLES = ["user" if table == "prosumer" else table for table in scratch.LEGACY_TABLES]

KEYS_TO_USER = """
SELECT t.relname, a.attname, c.conname, c.confdeltype, c.confupdtype, c.condeferrable, c.convalidated
  FROM pg_constraint c
  JOIN pg_class t ON t.oid = c.conrelid
  JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
 WHERE c.contype = 'f' AND c.confrelid = coalesce(to_regclass('"user"'), to_regclass('prosumer'))
 ORDER BY 1, 2, 3
"""


def repair(database, *args, env=None):
    result = database.manage("repair_user_migration", *args, check=False, env=env)
    assert "Traceback" not in result.stderr, result.stderr
    return result


def flat(text):
    """Text with its line wrapping undone, for phrases the plan may wrap."""
    return " ".join(text.split())


def one_line(result):
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def verify(database):
    result = database.manage("verify_user_migration", "--json", "--no-store", check=False)
    assert "Traceback" not in result.stderr, result.stderr
    report = json.loads(result.stdout)
    return result.returncode, {check["name"]: check for check in report["checks"]}


def run_guide_script(database):
    with database.connect(superuser=True) as conn:
        conn.execute(GUIDE_SCRIPT.read_text())


def run_guide_steps_1_to_3(database):
    """Each statement on its own, as psql runs a file: no transaction around them."""
    with database.connect(superuser=True) as conn:
        for statement in sqlparse.split(GUIDE_STEPS_1_TO_3.read_text()):
            if sqlparse.format(statement, strip_comments=True).strip():
                conn.execute(statement)


def keys_to_user(database):
    with database.connect(superuser=True) as conn:
        return conn.execute(KEYS_TO_USER).fetchall()


def schema(database):
    """pg_dump --schema-only, minus what differs between two copies of the same schema."""
    return "\n".join(line for line in scratch.schema_dump(database).splitlines() if "pg_attver" not in line)


def assert_repaired(database, before):
    """migrate goes on, the report passes, every key has its legacy rule, no row changed."""
    database.manage("migrate")
    code, checks = verify(database)
    assert code == 0, json.dumps(checks, indent=1)
    # What is left is what a clean rename of the same fixture leaves: its hand-made function that
    # names prosumer_id (broken, a warning: nothing calls it), its view, the upstream's two trigger
    # functions that were broken before any rename, and the on-request counts.
    not_passed = {name: check["status"] for name, check in checks.items() if check["status"] != "pass"}
    assert not_passed == {
        "broken_code": "warn",
        "prosumer_in_code": "warn",
        "broken_before_rename": "warn",
        "row_counts": "skipped",
    }
    assert checks["table_identity"]["summary"] == (
        "7 tables: no row lost since the repair recorded them (the rename before it, done by other means, "
        "recorded nothing to compare with)"
    )
    assert "wallet: same table and data file as at the repair" in "\n".join(
        checks["table_identity"]["details"]
    )
    keys = keys_to_user(database)
    assert {(table, column): rule for table, column, _, rule, *_ in keys} == LEGACY_RULES
    assert len(keys) == len(LEGACY_RULES), keys  # one key per column
    assert all(name == f"{table}_{column}_fkey" for table, column, name, *_ in keys)
    assert all(update == "a" and not deferrable and validated for *_, update, deferrable, validated in keys)
    assert scratch.table_fingerprints(database, RENAMED_TABLES) == {
        ("user" if table == "prosumer" else table): value for table, value in before.items()
    }


def renamed_by_migrate(scratch_db, template, *setup_files):
    """The reference: the same legacy database renamed by the project's own migrations."""
    reference = scratch_db(template=template)
    for path in setup_files:
        reference.run_sql_file(path)
    reference.manage("migrate")
    return reference


@pytest.mark.parametrize(
    "variant",
    [
        "hash names: the guide adds a second CASCADE key beside each legacy one",
        "conventional names: the guide replaces the legacy keys by CASCADE ones",
    ],
)
def test_the_guides_script_is_repaired_into_what_migrate_makes(variant, adopted_db, scratch_db, templates):
    setup = [CONVENTIONAL_NAMES] if variant.startswith("conventional") else []
    for path in setup:
        adopted_db.run_sql_file(path)
    before = scratch.table_fingerprints(adopted_db, scratch.LEGACY_TABLES)
    run_guide_script(adopted_db)
    damaged = schema(adopted_db)

    planned = repair(adopted_db, "--json")
    assert planned.returncode == 0, planned.stderr
    plan = json.loads(planned.stdout)
    findings = "\n".join(finding["text"] for finding in plan["findings"])
    assert "column token_blacklist.prosumer_id was not renamed" in findings
    if setup:
        assert (
            "wallet.user_id: key wallet_user_id_fkey (ON DELETE CASCADE, added by the guide's script)"
            in findings
        )
        assert "the models' rule: the legacy key was replaced by wallet_user_id_fkey" in findings
        assert (
            "index idx_transactionlog_user_id on transaction_log duplicates transaction_log_prosumer_id_idx"
            in (findings)
        )
        sql = [statement for step in plan["steps"] for statement in step["sql"]]
        assert any("ADD CONSTRAINT wallet_user_id_fkey_repair" in s and s.endswith("NOT VALID") for s in sql)
        assert "ALTER TABLE wallet VALIDATE CONSTRAINT wallet_user_id_fkey_repair" in sql
    else:
        assert (
            "wallet.user_id: 2 foreign keys: FK_62a1a16628b883318e6b443cf52 (ON DELETE NO ACTION, the legacy "
            "key), wallet_user_id_fkey (ON DELETE CASCADE, added by the guide's script)"
        ) in findings
        assert not any("VALIDATE" in s for step in plan["steps"] for s in step["sql"]), (
            "no key needs checking"
        )
    # Every step says what it locks and whether it scans; only concurrent builds and validations scan.
    for step in plan["steps"]:
        assert step["locks"] or step["phase"] == "journal"
        scanning = any("VALIDATE" in s or "CREATE INDEX CONCURRENTLY" in s for s in step["sql"])
        assert bool(step["scans"]) == scanning, step
    assert schema(adopted_db) == damaged, "the plan changes nothing"

    applied = repair(adopted_db, "--apply")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert "Repaired:" in applied.stdout and "Now run: python manage.py migrate" in applied.stdout
    assert_repaired(adopted_db, before)
    reference = renamed_by_migrate(scratch_db, templates.get("adopted"), *setup)
    assert schema(adopted_db) == schema(reference)

    again = repair(adopted_db)
    assert again.returncode == 0 and "Nothing to repair" in again.stdout


def test_the_guides_steps_stopped_after_step_3_are_repaired(adopted_db):
    before = scratch.table_fingerprints(adopted_db, scratch.LEGACY_TABLES)
    run_guide_steps_1_to_3(adopted_db)
    keys = keys_to_user(adopted_db)
    # Step 3.7 gives token_blacklist a second key.
    assert [name for table, _, name, *_ in keys if table == "token_blacklist"] == [
        "FK_1a320f4470d1b5517ee5553b66b",
        "token_blacklist_user_id_fkey",
    ]
    plan = repair(adopted_db)
    assert plan.returncode == 0
    assert "build idx_wallet_user_id on wallet, concurrently" in flat(plan.stdout)  # step 4 never ran
    assert repair(adopted_db, "--apply").returncode == 0
    assert_repaired(adopted_db, before)


def test_a_hand_rename_of_the_table_alone_is_repaired_into_what_migrate_makes(adopted_db, renamed_db):
    before = scratch.table_fingerprints(adopted_db, scratch.LEGACY_TABLES)
    with adopted_db.connect() as conn:
        conn.execute('ALTER TABLE prosumer RENAME TO "user"')
    plan = repair(adopted_db)
    assert 'column "user".prosumer_id was not renamed' in flat(plan.stdout)
    assert 'ALTER TABLE "user" RENAME COLUMN prosumer_id TO user_id;' in plan.stdout
    assert repair(adopted_db, "--apply").returncode == 0
    assert_repaired(adopted_db, before)
    assert schema(adopted_db) == schema(renamed_db)


def test_a_database_never_adopted_is_repaired_as_the_owner(legacy_db):
    before = scratch.table_fingerprints(legacy_db, scratch.LEGACY_TABLES)
    run_guide_script(legacy_db)
    plan = repair(legacy_db)
    assert "no django_migrations table: the project never adopted this database" in flat(plan.stdout)
    result = repair(legacy_db, "--apply")
    assert result.returncode == 0, result.stderr
    with legacy_db.connect() as conn:
        recorded = {row[0] for row in conn.execute("SELECT app || '.' || name FROM django_migrations")}
    assert recorded == {
        "accounts.0001_initial",
        "energy.0001_initial",
        "accounts.0002_renamejournalentry",
        "accounts.0003_rename_prosumer_to_user",
        "energy.0002_rename_prosumer_fields",
    }
    assert_repaired(legacy_db, before)  # migrate applies Django's own apps and what follows the rename


def test_going_back_past_a_repaired_rename_is_refused_before_anything_is_unapplied(adopted_db):
    """No journal of names to restore: migrate accounts 0001 must not first undo what follows the rename."""
    run_guide_script(adopted_db)
    assert repair(adopted_db, "--apply").returncode == 0
    adopted_db.manage("migrate")
    adopted_db.manage("verify_user_migration")  # stores a run in user_verification_run (accounts 0004)
    with adopted_db.connect() as conn:
        recorded = conn.execute("SELECT app, name FROM django_migrations ORDER BY 1, 2").fetchall()
    before = schema(adopted_db)
    result = adopted_db.manage("migrate", "accounts", "0001", check=False)
    assert result.returncode == 1
    assert one_line(result).startswith(
        "CommandError: cannot go back past accounts.0003: nothing journaled the names it would restore"
    )
    assert schema(adopted_db) == before
    with adopted_db.connect() as conn:
        assert conn.execute("SELECT app, name FROM django_migrations ORDER BY 1, 2").fetchall() == recorded
        assert conn.execute("SELECT count(*) FROM user_verification_run").fetchone() == (1,)


def test_orphan_rows_stop_it_before_it_changes_anything(adopted_db):
    run_guide_script(adopted_db)
    with adopted_db.connect(superuser=True) as conn:
        conn.execute("SET session_replication_role = 'replica'")  # what the guide does; triggers off
        conn.execute(
            "INSERT INTO wallet (wallet_address, user_id, created_at, import_method, is_active) "
            "VALUES ('0xghost', 'p-ghost', now(), 'GENERATED', true)"
        )
    damaged = schema(adopted_db)
    plan = repair(adopted_db)
    assert plan.returncode == 1
    assert "wallet.user_id: 1 row(s) whose user does not exist" in flat(plan.stdout)
    query = (
        'SELECT t.* FROM wallet t WHERE t.user_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "user" u '
        "WHERE u.user_id = t.user_id);"
    )
    assert query in plan.stdout
    with adopted_db.connect() as conn:
        rows = conn.execute(query.rstrip(";")).fetchall()
        assert len(rows) == 1 and "0xghost" in rows[0]
    result = repair(adopted_db, "--apply")
    assert result.returncode == 1
    assert one_line(result).startswith(
        "CommandError: the repair changed nothing: 1 problem(s) must be solved first: "
        "wallet.user_id: 1 row(s) whose user does not exist (the plan shows the query"
    )
    assert schema(adopted_db) == damaged
    with adopted_db.connect() as conn:
        assert conn.execute("SELECT to_regclass('user_rename_journal')").fetchone() == (None,)


def wait_for(predicate, what, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = predicate()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def repair_waiting(conn, statement_prefix):
    """The pid of the repair's backend once it waits for a lock in a statement starting with the prefix."""
    row = conn.execute(
        "SELECT pid FROM pg_stat_activity WHERE application_name = %s AND wait_event_type = 'Lock' "
        "AND query LIKE %s",
        [APPLICATION_NAME, statement_prefix + "%"],
    ).fetchone()
    return row and row[0]


def start_repair(database, *args):
    env = {**os.environ, "DATABASE_URL": database.url, "PYTHONWARNINGS": "ignore"}
    return subprocess.Popen(
        [sys.executable, str(scratch.PROJECT_ROOT / "manage.py"), "repair_user_migration", "--apply", *args],
        cwd=scratch.PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.parametrize("how", ["process killed while it waits for a lock", "session terminated mid-build"])
def test_a_repair_killed_half_way_is_finished_by_running_it_again(how, adopted_db):
    adopted_db.run_sql_file(CONVENTIONAL_NAMES)
    before = scratch.table_fingerprints(adopted_db, scratch.LEGACY_TABLES)
    run_guide_script(adopted_db)
    with adopted_db.connect(superuser=True) as holder, adopted_db.connect(superuser=True) as watcher:
        holder.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
        if how.startswith("process"):
            # Every step up to the key swap on wallet gets through; that one waits for ACCESS EXCLUSIVE.
            holder.execute("LOCK TABLE wallet IN ACCESS SHARE MODE")
            prefix = "LOCK TABLE wallet IN ACCESS EXCLUSIVE"
        else:
            # A transaction older than the build: CREATE INDEX CONCURRENTLY waits for it to end.
            holder.execute("SELECT 1")
            prefix = "CREATE INDEX CONCURRENTLY"
        process = start_repair(adopted_db, "--lock-timeout", "60s")
        try:
            pid = wait_for(lambda: repair_waiting(watcher, prefix), f"the repair to wait in {prefix}")
            if how.startswith("process"):
                process.send_signal(signal.SIGKILL)
            else:
                watcher.execute("SELECT pg_terminate_backend(%s)", [pid])
            out, err = process.communicate(timeout=60)
        finally:
            if process.poll() is None:
                process.kill()
        holder.execute("ROLLBACK")
    if how.startswith("session"):
        assert process.returncode == 1
        assert "failed: terminating connection due to administrator command" in err
        assert "An index it was building may be left INVALID: the next run drops it first." in err
    with adopted_db.connect() as conn:
        done = conn.execute("SELECT count(*) FROM user_rename_journal WHERE kind = 'repair'").fetchone()[0]
        invalid = conn.execute("SELECT count(*) FROM pg_index WHERE NOT indisvalid").fetchone()[0]
    assert done >= 5, "it stopped half way, after several steps"
    if how.startswith("session"):
        assert invalid == 1, "the build it was in left an INVALID index"
        plan = repair(adopted_db)
        assert "is INVALID (a failed concurrent build): dropped and built again" in flat(plan.stdout)
    again = repair(adopted_db, "--apply")
    assert again.returncode == 0, again.stdout + again.stderr
    assert_repaired(adopted_db, before)


def test_a_lock_it_cannot_get_stops_it_in_one_line_naming_the_holder(adopted_db):
    run_guide_script(adopted_db)
    with adopted_db.connect(superuser=True) as holder:
        holder.execute("BEGIN")
        holder.execute("LOCK TABLE wallet IN ACCESS SHARE MODE")
        holder_pid = holder.info.backend_pid
        started = time.monotonic()
        result = repair(
            adopted_db,
            "--apply",
            "--lock-timeout",
            "100ms",
            env={"ENERLINK_RENAME_LOCK_RETRIES": "3", "ENERLINK_RENAME_RETRY_WAIT": "50ms"},
        )
        elapsed = time.monotonic() - started
        holder.execute("ROLLBACK")
    assert result.returncode == 1
    line = one_line(result)
    # The first step that needs ACCESS EXCLUSIVE on wallet: its names on PostgreSQL 18 (NOT NULL
    # constraints have names there), the key swap before.
    assert (
        "(names on wallet: catalog only)" in line or "(drop wallet_user_id_fkey (ON DELETE CASCADE)" in line
    )
    assert "gave up after 4 attempts, each waiting at most lock_timeout 100ms" in line
    assert f"held by pid {holder_pid} (AccessShareLock" in line
    assert (
        "are done and recorded in user_rename_journal. Run the repair again once that session is gone."
        in line
    )
    assert result.stdout.count("a lock wait ran out") == 3  # three retries, said on stdout
    assert elapsed < 30, "a bounded wait, not a hang"
    keys = {name for table, _, name, *_ in keys_to_user(adopted_db) if table == "wallet"}
    assert keys == {"FK_62a1a16628b883318e6b443cf52", "wallet_user_id_fkey"}, "that step changed nothing"
    assert repair(adopted_db, "--apply").returncode == 0
    adopted_db.manage("migrate")
    assert verify(adopted_db)[0] == 0


# Damage done to a database renamed by migrate (by hand, by Django's stock operations, by a failed
# build), each with what the plan must say about it. The report misses the DEFERRABLE key.
DAMAGE = [
    (
        [
            "ALTER TABLE wallet DROP CONSTRAINT wallet_user_id_fkey",
            "ALTER TABLE wallet ADD CONSTRAINT wallet_user_id_6a9f0c1d_fk_user_user_id FOREIGN KEY (user_id) "
            'REFERENCES "user" (user_id) DEFERRABLE INITIALLY DEFERRED',
        ],
        "wallet_user_id_6a9f0c1d_fk_user_user_id (ON DELETE NO ACTION, DEFERRABLE INITIALLY DEFERRED, "
        "added by Django's migrations)",
    ),
    (
        [
            "ALTER TABLE smart_meter DROP CONSTRAINT smart_meter_user_id_fkey",
            'ALTER TABLE smart_meter ADD CONSTRAINT "FK_smart_meter_by_hand" FOREIGN KEY (user_id) '
            'REFERENCES "user" NOT VALID',
        ],
        "FK_smart_meter_by_hand is NOT VALID: existing rows were never checked",
    ),
    (
        ["ALTER TABLE market_trade DROP CONSTRAINT market_trade_seller_user_id_fkey"],
        'market_trade.seller_user_id: no foreign key to "user"',
    ),
    (
        [
            "ALTER TABLE transaction_log DROP CONSTRAINT transaction_log_user_id_fkey",
            "ALTER TABLE transaction_log ADD CONSTRAINT transaction_log_user_id_fkey FOREIGN KEY (user_id) "
            'REFERENCES "user" ON DELETE CASCADE',
        ],
        "the right rule is ON DELETE NO ACTION: the rule the rename recorded in the journal",
    ),
    (
        ["UPDATE pg_index SET indisvalid = false WHERE indexrelid = 'idx_wallet_user_id'::regclass"],
        "index idx_wallet_user_id on wallet is INVALID (a failed concurrent build): dropped and built again",
    ),
    (["DROP INDEX idx_smartmeter_user_status"], "index idx_smartmeter_user_status on smart_meter is missing"),
]


def test_damage_after_a_migrate_rename_is_repaired(renamed_db):
    before = scratch.table_fingerprints(renamed_db, RENAMED_TABLES)
    with renamed_db.connect(superuser=True) as conn:
        for statements, _ in DAMAGE:
            for statement in statements:
                conn.execute(statement)
    assert verify(renamed_db)[0] == 1
    plan = repair(renamed_db)
    for _, words in DAMAGE:
        assert words in flat(plan.stdout), plan.stdout
    assert repair(renamed_db, "--apply").returncode == 0
    assert verify(renamed_db)[0] == 0
    keys = keys_to_user(renamed_db)
    assert {(table, column): rule for table, column, _, rule, *_ in keys} == LEGACY_RULES
    assert all(name == f"{table}_{column}_fkey" for table, column, name, *_ in keys)
    assert all(update == "a" and not deferrable and validated for *_, update, deferrable, validated in keys)
    assert scratch.table_fingerprints(renamed_db, RENAMED_TABLES) == before


def test_the_legacy_rule_wins_over_the_models_where_the_legacy_key_survived(adopted_db):
    """A copy whose meters cascade: the guide adds a second key; the repair keeps the legacy RESTRICT one."""
    with adopted_db.connect() as conn:
        conn.execute('ALTER TABLE smart_meter DROP CONSTRAINT "FK_15c4c55f7a7ac1a93ae9a06a6c4"')
        conn.execute(
            'ALTER TABLE smart_meter ADD CONSTRAINT "FK_15c4c55f7a7ac1a93ae9a06a6c4" '
            "FOREIGN KEY (prosumer_id) REFERENCES prosumer (prosumer_id) ON DELETE RESTRICT"
        )
    run_guide_script(adopted_db)
    assert repair(adopted_db, "--apply").returncode == 0
    rules = {(table, column): rule for table, column, _, rule, *_ in keys_to_user(adopted_db)}
    assert rules[("smart_meter", "user_id")] == "r"
    adopted_db.manage("migrate")
    assert verify(adopted_db)[0] == 0  # the report compares with the rule the repair recorded


def test_each_step_takes_the_locks_its_plan_says(adopted_db):
    """Run the plan's steps by hand, one transaction each, and read pg_locks before each commit."""
    adopted_db.run_sql_file(CONVENTIONAL_NAMES)
    run_guide_script(adopted_db)
    plan = json.loads(repair(adopted_db, "--json").stdout)
    strength = ["ACCESS EXCLUSIVE", "SHARE ROW EXCLUSIVE", "SHARE UPDATE EXCLUSIVE", "ROW EXCLUSIVE"]
    pg_modes = {
        "AccessExclusiveLock": "ACCESS EXCLUSIVE",
        "ShareRowExclusiveLock": "SHARE ROW EXCLUSIVE",
        "ShareUpdateExclusiveLock": "SHARE UPDATE EXCLUSIVE",
        "RowExclusiveLock": "ROW EXCLUSIVE",
    }
    checked = 0
    with adopted_db.connect() as conn:
        for step in plan["steps"]:
            if not step["transaction"]:
                for statement in step["sql"]:
                    conn.execute(statement)
                continue
            # Relations by OID: a step may rename what it locks.
            claimed = {
                conn.execute("SELECT to_regclass(%s)::oid", [lock["relation"].split(" ")[-1]]).fetchone()[
                    0
                ]: (lock["mode"])
                for lock in step["locks"]
                if lock["mode"] != "ROW EXCLUSIVE"
            }
            with conn.transaction():
                for statement in step["sql"]:
                    conn.execute(statement)
                held = {}
                for oid, relation, mode in conn.execute(
                    "SELECT relation, relation::regclass::text, mode FROM pg_locks "
                    "WHERE pid = pg_backend_pid() AND locktype = 'relation' AND mode = ANY (%s)",
                    [list(pg_modes)],
                ):
                    mode = pg_modes[mode]
                    if mode == "ROW EXCLUSIVE" or relation.startswith(BOOKKEEPING):
                        continue
                    if oid not in held or strength.index(mode) < strength.index(held[oid]):
                        held[oid] = mode
            assert held == claimed, step["title"]
            checked += 1
    assert checked >= 20


def test_the_undo_sql_brings_back_the_guides_schema(adopted_db):
    run_guide_script(adopted_db)
    damaged = schema(adopted_db)
    assert repair(adopted_db, "--apply").returncode == 0
    undo = repair(adopted_db, "--undo-sql")
    assert undo.returncode == 0
    assert "DELETE FROM django_migrations WHERE app = 'energy' AND name = '0002_rename_prosumer_fields';" in (
        undo.stdout
    )
    with adopted_db.connect() as conn:
        for statement in sqlparse.split(undo.stdout):
            if sqlparse.format(statement, strip_comments=True).strip():
                conn.execute(statement)
    assert schema(adopted_db) == damaged


def test_a_database_renamed_by_migrate_has_nothing_to_repair(renamed_db):
    result = repair(renamed_db)
    assert result.returncode == 0
    assert "Nothing to repair: the database is what the rename makes of it." in result.stdout
    assert "view prosumer_wallet_summary names prosumer in its name or text: review it" in result.stdout
    assert repair(renamed_db, "--apply").stdout.rstrip().endswith("Nothing was changed.")


def test_bad_input_is_one_line(adopted_db, renamed_db, scratch_db, login_role):
    not_renamed = repair(adopted_db)
    assert not_renamed.returncode == 2
    assert one_line(not_renamed) == (
        f"CommandError: nothing to repair: table prosumer in database {adopted_db.name!r} was never "
        "renamed; run manage.py migrate, which renames it (the repair is for databases renamed by the "
        "guide or by hand)"
    )
    unreachable = "postgresql://nobody@127.0.0.1:9/nowhere?connect_timeout=2"
    no_connection = repair(adopted_db, env={"DATABASE_URL": unreachable})
    assert no_connection.returncode == 2
    assert one_line(no_connection).startswith("CommandError: could not connect to the database:")
    bad_timeout = repair(adopted_db, "--lock-timeout", "soon")
    assert bad_timeout.returncode == 2
    assert one_line(bad_timeout) == (
        "CommandError: --lock-timeout 'soon' is not a positive PostgreSQL duration (e.g. 2s, 500ms)"
    )

    empty = scratch_db()
    no_table = repair(empty, "--apply")
    assert no_table.returncode == 2
    assert one_line(no_table) == (
        f'CommandError: wrong database: {empty.name!r} has neither table prosumer nor "user"; '
        "check DATABASE_URL or --database"
    )

    stranger = login_role("enerlink_repair_stranger")
    url = scratch.server_url(renamed_db.name, user=stranger)
    no_privileges = repair(renamed_db, "--apply", env={"DATABASE_URL": url})
    assert no_privileges.returncode == 2
    line = one_line(no_privileges)
    assert line.startswith(f"CommandError: role {stranger} does not own 7 table(s) of the repair")
    assert line.endswith(f"owner: {scratch.OWNER_ROLE}): run it as the role that owns the tables")

    with renamed_db.connect() as conn:
        conn.execute("CREATE TABLE prosumer (prosumer_id varchar PRIMARY KEY)")
    both = repair(renamed_db)
    assert both.returncode == 2
    assert 'both tables prosumer and "user" exist' in one_line(both)


def rename_sql_map(name):
    """A jsonb map of the rename's forward SQL (``canonical`` or ``comments``), as Python."""
    text = (scratch.PROJECT_ROOT / "accounts/migrations/0003_rename_prosumer_to_user.forward.sql").read_text()
    start = text.index(f"{name} constant jsonb := '") + len(f"{name} constant jsonb := '")
    return json.loads(text[start : text.index("';", start)])


def test_the_repair_names_indexes_and_sets_comments_as_the_rename_does():
    from accounts.repair import expected

    canonical = {f"{column.table}.{column.column}": column.index_name for column in expected.key_columns()}
    assert canonical == rename_sql_map("canonical")
    # The rename comments the columns it renames (the ledger's other comments were there before it).
    comments = {
        f"{table}.{column}": comment
        for (table, column), comment in expected.comments().items()
        if column and (table == "user" or f"{table}.{column}" in canonical)
    }
    assert comments == rename_sql_map("comments")
