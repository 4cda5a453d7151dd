"""verify_user_migration against real databases: a clean rename, each way a rename goes wrong, the guide's.

Each damaged state is made the way it happens in the field (a key re-added by hand,
an index build that failed, rows deleted) on a copy of a legacy database renamed by
the real migration, then the command is run as the team runs it.
"""

import json

import pytest

from enerlink.devtools import scratch

GUIDE_SCRIPT = scratch.PROJECT_ROOT / "benchmarks" / "guide_all_in_one.sql"


def verify(database, *args, env=None):
    """Run the command with --json; return (exit code, report dict, checks by name, stderr)."""
    result = database.manage("verify_user_migration", "--json", *args, check=False, env=env)
    assert "Traceback" not in result.stderr, result.stderr
    report = json.loads(result.stdout)
    return result.returncode, report, {check["name"]: check for check in report["checks"]}, result.stderr


def problems(check):
    return "\n".join(str(detail) for detail in check["details"])


def test_a_clean_rename_passes_and_is_stored(renamed_db):
    code, report, checks, _ = verify(renamed_db)
    assert code == 0, json.dumps(report, indent=1)
    assert report["outcome"] == "passed"
    failing_errors = [
        c["name"] for c in report["checks"] if c["severity"] == "error" and c["status"] != "pass"
    ]
    assert failing_errors == []
    assert len(checks) == 11
    # The fixture's hand-made view and function name prosumer: listed, as a warning only.
    assert checks["prosumer_in_code"]["status"] == "warn"
    assert "view prosumer_wallet_summary" in problems(checks["prosumer_in_code"])
    assert "function prosumer_trade_volume(character varying)" in problems(checks["prosumer_in_code"])
    # Rules compared with the snapshot the migration recorded, counts too.
    assert "token_blacklist.user_id: token_blacklist_user_id_fkey ON DELETE CASCADE" in problems(
        checks["foreign_keys"]
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
    assert stored[0][1:5] == ("passed", 0, 1, renamed_db.name)
    assert stored[0][5].startswith("manage.py verify_user_migration (")
    assert stored[0][6] == 11


def test_the_readable_report_names_every_check(renamed_db):
    result = renamed_db.manage("verify_user_migration", "--no-store")
    for name in [
        "user_table",
        "foreign_keys",
        "orphans",
        "indexes",
        "table_identity",
        "comments",
        "migrations",
    ]:
        assert name in result.stdout
    assert "PASSED: 0 failed, 1 warning(s)" in result.stdout
    with renamed_db.connect() as conn:
        assert conn.execute("SELECT count(*) FROM user_verification_run").fetchone() == (0,)


def test_fast_skips_the_checks_that_read_every_row(renamed_db):
    code, report, checks, _ = verify(renamed_db, "--fast")
    assert code == 0
    assert report["fast"] is True
    assert {name for name, check in checks.items() if check["status"] == "skipped"} == {"orphans"}


def test_not_migrated_yet_says_so_and_exits_1(adopted_db):
    result = adopted_db.manage("verify_user_migration", check=False)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert (
        f"not migrated: table prosumer still present in database {adopted_db.name!r}, run manage.py migrate"
        in result.stderr
    )
    code, report, _, _ = verify(adopted_db)
    assert (code, report["outcome"]) == (1, "not_migrated")


def test_a_wrong_database_exits_2_with_one_line(scratch_db):
    database = scratch_db()
    result = database.manage("verify_user_migration", check=False)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f'CommandError: wrong database: {database.name!r} has neither table "user" nor prosumer; '
        "check DATABASE_URL or --database"
    ]


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


# (what was done to the renamed database, as superuser, check that must fail, words it must say)
DAMAGE = {
    "orphan behind a NOT VALID key": (
        [
            "ALTER TABLE wallet DROP CONSTRAINT wallet_user_id_fkey",
            "INSERT INTO wallet (wallet_address, user_id) VALUES ('0xghost', 'p-ghost')",
            "ALTER TABLE wallet ADD CONSTRAINT wallet_user_id_fkey FOREIGN KEY (user_id) "
            'REFERENCES "user" NOT VALID',
        ],
        {
            "orphans": "wallet.user_id: 1 orphan row(s)",
            "foreign_keys": "wallet_user_id_fkey on wallet.user_id is NOT VALID",
        },
    ),
    "duplicate key": (
        ['ALTER TABLE wallet ADD CONSTRAINT fk_wallet_user FOREIGN KEY (user_id) REFERENCES "user"(user_id)'],
        {"foreign_keys": "column wallet.user_id has 2 foreign keys: fk_wallet_user, wallet_user_id_fkey"},
    ),
    "CASCADE rule": (
        [
            "ALTER TABLE transaction_log DROP CONSTRAINT transaction_log_user_id_fkey",
            "ALTER TABLE transaction_log ADD CONSTRAINT transaction_log_user_id_fkey FOREIGN KEY (user_id) "
            'REFERENCES "user"(user_id) ON DELETE CASCADE',
        ],
        {
            "foreign_keys": "transaction_log_user_id_fkey on transaction_log.user_id is ON DELETE CASCADE; "
            "the rule recorded before the rename was NO ACTION"
        },
    ),
    "missing index": (
        ["DROP INDEX idx_smartmeter_user_id", "DROP INDEX idx_smartmeter_user_status"],
        {
            "indexes": "smart_meter.user_id has no valid index that leads with it\n"
            "index idx_smartmeter_user_id on smart_meter is missing\n"
            "index idx_smartmeter_user_status on smart_meter is missing"
        },
    ),
    "INVALID index": (
        [
            "INSERT INTO wallet (wallet_address, user_id) VALUES ('0xa11ce2', 'p-alice')",
            "CREATE UNIQUE INDEX CONCURRENTLY idx_wallet_one_per_user ON wallet (user_id)",
        ],
        {"indexes": "index idx_wallet_one_per_user on wallet is INVALID"},
    ),
    "leftover prosumer column": (
        ["ALTER TABLE smart_meter ADD COLUMN prosumer_note varchar"],
        {"prosumer_names": "column smart_meter.prosumer_note"},
    ),
    "leftover prosumer table": (
        ["CREATE TABLE prosumer (prosumer_id varchar PRIMARY KEY)"],
        {"user_table": 'table prosumer still exists beside "user"', "prosumer_names": "table prosumer"},
    ),
    "column missing from the user table": (
        ['ALTER TABLE "user" DROP COLUMN primary_wallet_address'],
        {"user_table": 'column "user".primary_wallet_address is missing'},
    ),
    "column of another type": (
        ['ALTER TABLE "user" ALTER COLUMN name TYPE text'],
        {"user_table": 'column "user".name is text, the model says character varying'},
    ),
    "table gone": (
        ["DROP TABLE token_blacklist"],
        {"table_identity": "table token_blacklist is gone"},
    ),
    "comment removed": (
        ["COMMENT ON COLUMN wallet.user_id IS NULL"],
        {
            "comments": "column wallet.user_id: comment is None, "
            "expected 'Reference to user who owns this wallet'"
        },
    ),
    "a key that no model knows": (
        ['ALTER TABLE system_config ADD COLUMN owner_id varchar REFERENCES "user"(user_id)'],
        {
            "foreign_keys": "system_config_owner_id_fkey on system_config.owner_id "
            'references "user" but no model'
        },
    ),
}


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_each_damage_is_named_and_exits_1(renamed_db, damage):
    statements, expected = DAMAGE[damage]
    with renamed_db.connect(superuser=True) as conn:
        for statement in statements:
            try:
                conn.execute(statement)
            except Exception:  # noqa: BLE001 (the failed concurrent build is the point: it leaves an INVALID index)
                assert "CONCURRENTLY" in statement
    code, report, checks, _ = verify(renamed_db)
    assert (code, report["outcome"]) == (1, "failed"), json.dumps(report, indent=1)
    for name, words in expected.items():
        assert checks[name]["status"] == "fail", (name, checks[name])
        for line in words.splitlines():
            assert line in problems(checks[name]), (name, problems(checks[name]))
    untouched = {"migrations", "relationship_sample"} - set(expected)
    assert all(checks[name]["status"] == "pass" for name in untouched)


def test_a_function_that_names_prosumer_is_a_warning_not_a_failure(renamed_db):
    with renamed_db.connect() as conn:
        conn.execute(
            "CREATE FUNCTION count_wallets(p varchar) RETURNS bigint LANGUAGE plpgsql AS "
            "$$ BEGIN RETURN (SELECT count(*) FROM wallet w WHERE w.prosumer_id = p); END $$"
        )
    code, report, checks, _ = verify(renamed_db)
    assert code == 0
    assert checks["prosumer_in_code"]["status"] == "warn"
    assert "function count_wallets(character varying)" in problems(checks["prosumer_in_code"])


def test_a_pending_migration_fails(renamed_db):
    renamed_db.manage("migrate", "energy", "0002")
    code, _, checks, _ = verify(renamed_db)
    assert code == 1
    assert "energy.0003_user_indexes_concurrently is pending" in problems(checks["migrations"])
    assert "index idx_wallet_user_id on wallet is missing" in problems(checks["indexes"])


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
    # The columns the guide forgot.
    assert "column trade_orders_cache.user_id is missing" in keys
    assert "column token_blacklist.user_id is missing" in keys
    names = problems(checks["prosumer_names"])
    assert "column trade_orders_cache.prosumer_id" in names
    assert "column token_blacklist.prosumer_id" in names
    indexes = problems(checks["indexes"])
    assert "trade_orders_cache.user_id: column missing, so no index" in indexes
    assert "index idx_wallet_user_active on wallet is missing" in indexes
    assert "index idx_tokenblacklist_user_id on token_blacklist is missing" in indexes
    assert checks["migrations"]["status"] == "fail"
    assert checks["table_identity"]["status"] == "warn"  # nothing recorded a snapshot


def test_rows_deleted_and_tables_rewritten_since_the_rename_are_not_a_loss(renamed_db):
    """Normal activity after a deploy (a purge, VACUUM FULL) passes; an emptied rewritten table warns."""
    with renamed_db.connect(superuser=True) as conn:
        conn.execute("DELETE FROM token_blacklist")
        conn.execute("VACUUM FULL wallet")
        conn.execute(
            "INSERT INTO \"user\" (user_id, email, password_hash) VALUES ('p-carol', 'c@example.org', 'x')"
        )
    code, report, checks, _ = verify(renamed_db)
    assert code == 0, json.dumps(report, indent=1)
    identity = checks["table_identity"]
    assert identity["status"] == "pass"
    assert "wallet: rewritten since the rename (VACUUM FULL, CLUSTER or ALTER TABLE ... TYPE)" in problems(
        identity
    )
    assert "token_blacklist: same table and data file as at the rename" in problems(identity)

    with renamed_db.connect(superuser=True) as conn:
        conn.execute("TRUNCATE idrs_conversion")
    code, report, checks, _ = verify(renamed_db)
    assert code == 0
    assert checks["table_identity"]["status"] == "warn"
    assert "idrs_conversion: rewritten since the rename and now empty" in problems(checks["table_identity"])
