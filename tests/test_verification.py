"""verify_user_migration against real databases: a clean rename, each way a rename goes wrong, the guide's.

Each damaged state is made the way it happens in the field (a key re-added by hand,
an index build that failed, rows deleted) on a copy of a legacy database renamed by
the real migration, then the command is run as the team runs it.
"""

import json

import psycopg

from enerlink.devtools import scratch
from tests.verification_support import problems, verify

GUIDE_SCRIPT = scratch.PROJECT_ROOT / "benchmarks" / "guide_all_in_one.sql"
CHECKS = [
    "user_table",
    "user_keys_and_defaults",
    "foreign_keys",
    "referencing_columns",
    "other_keys_to_user",
    "prosumer_names",
    "broken_code",
    "prosumer_in_code",
    "broken_before_rename",
    "compat_schema",
    "orphans",
    "indexes",
    "table_identity",
    "row_counts",
    "migrations",
    "comments",
    "relationship_sample",
]


def test_a_clean_rename_passes_and_is_stored(renamed_db):
    code, report, checks, _ = verify(renamed_db)
    assert code == 0, json.dumps(report, indent=1)
    assert report["outcome"] == "passed"
    assert [c["name"] for c in report["checks"]] == CHECKS
    not_passed = {c["name"]: c["status"] for c in report["checks"] if c["status"] != "pass"}
    # The fixture's hand-made view still works and only says prosumer; its SQL function names
    # buyer_prosumer_id and fails when called, but nothing in the database calls it: warnings.
    # The exact counts run only on request.
    assert not_passed == {
        "broken_code": "warn",
        "prosumer_in_code": "warn",
        "broken_before_rename": "warn",
        "row_counts": "skipped",
    }
    assert "view prosumer_wallet_summary: still works" in problems(checks["prosumer_in_code"])
    assert (
        'function prosumer_trade_volume(character varying) fails when called: column "buyer_prosumer_id" '
        "does not exist" in problems(checks["broken_code"])
    )
    # Keys compared, whole, with the snapshot the migration recorded.
    assert (
        "token_blacklist.user_id: token_blacklist_user_id_fkey ON UPDATE NO ACTION ON DELETE CASCADE "
        "NOT DEFERRABLE" in problems(checks["foreign_keys"])
    )
    assert "transaction_log: same table and data file as at the rename" in problems(checks["table_identity"])
    # The sample masks emails and never carries secrets.
    sample = checks["relationship_sample"]["details"]
    assert sample == [
        {"user_id": "p-alice", "email": "a***@example.org", "wallets": 1, "meters": 1},
        {"user_id": "p-bob", "email": "b***@example.org", "wallets": 1, "meters": 0},
    ]
    dumped = json.dumps(report)
    assert "$2b$" not in dumped and "enc:v1:" not in dumped and "alice@example.org" not in dumped
    with renamed_db.connect() as conn:
        stored = conn.execute(
            "SELECT id, outcome, errors, warnings, database_name, started_by, jsonb_array_length(checks) "
            "FROM user_verification_run"
        ).fetchall()
    assert len(stored) == 1 and stored[0][0] == report["run_id"]
    assert stored[0][1:5] == ("passed", 0, 3, renamed_db.name)
    assert stored[0][5].startswith("manage.py verify_user_migration (")
    assert stored[0][6] == len(CHECKS)


def test_the_readable_report_names_every_check(renamed_db):
    result = renamed_db.manage("verify_user_migration", "--no-store")
    for name in CHECKS:
        assert name in result.stdout
    assert "PASSED: 0 failed, 3 warning(s), 1 skipped" in result.stdout
    # The fix of the stale function is printed below the table, whole, ready to copy.
    assert (
        "-- R070 broken_code\nCREATE OR REPLACE FUNCTION public.prosumer_trade_volume(p_prosumer_id "
        in result.stdout
    )
    assert '     WHERE "buyer_user_id" = p_prosumer_id OR "seller_user_id" = p_prosumer_id\n' in result.stdout
    with renamed_db.connect() as conn:
        assert conn.execute("SELECT count(*) FROM user_verification_run").fetchone() == (0,)


def test_fast_skips_the_checks_that_read_every_row(renamed_db):
    code, report, checks, _ = verify(renamed_db, "--fast")
    assert code == 0
    assert report["fast"] is True
    assert {name for name, check in checks.items() if check["status"] == "skipped"} == {
        "orphans",
        "row_counts",
    }


def test_not_migrated_yet_says_so_exits_1_and_its_advice_works(adopted_db):
    result = adopted_db.manage("verify_user_migration", check=False)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert (
        f"not migrated: table prosumer still present in database {adopted_db.name!r}, run manage.py migrate"
        in result.stderr
    )
    code, report, _, _ = verify(adopted_db)
    assert (code, report["outcome"]) == (1, "not_migrated")
    adopted_db.manage("migrate")
    code, report, _, _ = verify(adopted_db)
    assert (code, report["outcome"]) == (0, "passed")


def test_a_rename_undone_by_other_means_is_not_told_to_run_migrate(renamed_db):
    """With accounts.0003 recorded, migrate would apply nothing: the report says what it sees instead."""
    renamed_db.manage("migrate", "accounts", "0002")
    renamed_db.manage("migrate", "accounts", "0003", "--fake")
    result = renamed_db.manage("verify_user_migration", check=False)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"CommandError: not migrated: table prosumer is back in database {renamed_db.name!r} although "
        "accounts.0003 is recorded as applied, so the rename was undone by other means (the guide's rollback "
        "script?); see docs/verification.md"
    ]


def test_a_wrong_database_exits_2_with_one_line_and_the_right_one_passes(scratch_db, renamed_db):
    database = scratch_db()
    result = database.manage("verify_user_migration", check=False)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f'CommandError: wrong database: {database.name!r} has neither table prosumer nor "user"; '
        "check DATABASE_URL or --database"
    ]
    result = database.manage("verify_user_migration", check=False, env={"DATABASE_URL": renamed_db.url})
    assert result.returncode == 0, result.stderr


def test_no_connection_exits_2_with_one_line(scratch_db):
    database = scratch_db()
    unreachable = "postgresql://nobody@127.0.0.1:9/nowhere?connect_timeout=2"
    result = database.manage("verify_user_migration", check=False, env={"DATABASE_URL": unreachable})
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("CommandError: could not connect to the database:"), (
        result.stderr
    )


def test_an_unknown_alias_exits_2(renamed_db):
    result = renamed_db.manage("verify_user_migration", "--database", "replica", check=False)
    assert result.returncode == 2
    assert "unknown database alias 'replica'" in result.stderr


def test_a_database_renamed_by_the_guides_script_reports_each_damage(adopted_db):
    with adopted_db.connect(superuser=True) as conn:
        conn.execute(GUIDE_SCRIPT.read_text())
    code, report, checks, _ = verify(adopted_db)
    assert (code, report["outcome"]) == (1, "failed")
    keys = problems(checks["foreign_keys"])
    # Guessed DROP CONSTRAINT names missed the ORM hashes: every re-added key is a second one.
    assert "column wallet.user_id has 2 foreign keys" in keys
    assert "column smart_meter.user_id has 2 foreign keys" in keys
    assert "column market_trade.buyer_user_id has 2 foreign keys" in keys
    # ... and the re-added ones are CASCADE, where the legacy rule was NO ACTION.
    assert (
        "on transaction_log.user_id is ON DELETE CASCADE; the rule of the legacy schema was NO ACTION" in keys
    )
    # The column the guide's all-in-one script forgot.
    assert "column token_blacklist.user_id is missing" in keys
    names = problems(checks["prosumer_names"])
    assert "column token_blacklist.prosumer_id" in names
    indexes = problems(checks["indexes"])
    assert "token_blacklist.user_id: column missing, so no index" in indexes
    assert "index idx_wallet_user_active on wallet is missing" in indexes
    assert "index idx_tokenblacklist_user_id on token_blacklist is missing" in indexes
    assert checks["migrations"]["status"] == "fail"
    assert checks["table_identity"]["status"] == "warn"  # nothing recorded a snapshot


def test_checks_that_run_out_of_statement_timeout_are_skipped_and_the_command_finishes_them(renamed_db):
    """The admin's button runs under a statement_timeout; a check that runs out of time says where to go."""
    script = (
        "import json\n"
        "from accounts import services\n"
        "result = services.verify_and_store(started_by='test', store=False, statement_timeout='300ms')\n"
        "print(json.dumps({c.name: [c.status, c.summary] for c in result.report.checks}))\n"
    )
    # A long transaction holds wallet: every check that reads or plans on it waits, and times out.
    with psycopg.connect(renamed_db.superuser_url) as holder:
        holder.execute("LOCK TABLE wallet IN ACCESS EXCLUSIVE MODE")
        result = renamed_db.manage("shell", "-c", script)
        holder.rollback()
    statuses = json.loads(result.stdout.strip().splitlines()[-1])
    timed_out = {name for name, (status, summary) in statuses.items() if summary.startswith("not finished")}
    assert {"orphans", "indexes", "relationship_sample"} <= timed_out, statuses
    assert all(statuses[name][0] == "skipped" for name in timed_out)
    assert statuses["orphans"][1] == (
        "not finished within statement_timeout 300ms: run manage.py verify_user_migration for the full report"
    )
    assert statuses["foreign_keys"][0] == "pass"
    # The advice: the command, without the timeout, finishes every check.
    code, report, checks, _ = verify(renamed_db)
    assert code == 0 and not any(c["summary"].startswith("not finished") for c in report["checks"])
