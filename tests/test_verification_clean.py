"""Healthy databases pass: a live one after normal activity, rewritten tables, a restored dump, another app.

"Verify after every deploy" must stay green on a database that lives: users and
their rows deleted, expired tokens purged, new rows written, tables vacuumed
full, the whole database dumped and restored elsewhere, another app's table
referencing "user". Only what may really be wrong is a warning.
"""

import json
import subprocess

from enerlink.devtools import scratch
from tests.verification_support import client_program, execute, problems, verify

# Warnings of the legacy fixture itself: its hand-made view (works) and SQL function (broken, unused).
# The fixture's hand-made function and view that name prosumer, and the upstream's two trigger
# functions that update "WALLETS" (broken before the rename, docs/adoption.md).
FIXTURE_WARNINGS = {"broken_code", "prosumer_in_code", "broken_before_rename"}


def warnings(report):
    return {check["name"] for check in report["checks"] if check["status"] == "warn"}


def assert_passes(database, *args, warned=FIXTURE_WARNINGS):
    code, report, checks, _ = verify(database, *args)
    assert code == 0, json.dumps(report, indent=1)
    assert warnings(report) == warned, json.dumps(report, indent=1)
    return checks


def test_a_live_database_after_normal_activity_passes(renamed_db):
    """As the application does it, as the owner role: new rows, a user erased with their rows, a purge."""
    execute(
        renamed_db,
        [
            'INSERT INTO "user" (user_id, email, password_hash, created_at, updated_at) '
            "VALUES ('p-carol', 'c@example.org', 'x', now(), now())",
            "INSERT INTO wallet (wallet_address, user_id, created_at, import_method, is_active) "
            "VALUES ('0xc4r01', 'p-carol', now(), 'GENERATED', true)",
            "INSERT INTO transaction_log (user_id, transaction_type, amount_primary, currency_primary, "
            "transaction_timestamp) VALUES ('p-carol', 'DEPOSIT', 1, 'ETK', now())",
            "INSERT INTO token_blacklist (blacklist_type, user_id, token_hash, expires_at) "
            "VALUES ('TOKEN', 'p-alice', 'old', now() - interval '1 day')",
            # The expired-token purge.
            "DELETE FROM token_blacklist WHERE expires_at < now()",
            # A GDPR erasure of Bob: his ledger rows first (NO ACTION keys), his tokens go by CASCADE.
            "DELETE FROM market_trade WHERE buyer_user_id = 'p-bob' OR seller_user_id = 'p-bob'",
            "DELETE FROM idrs_conversion WHERE user_id = 'p-bob'",
            "DELETE FROM wallet WHERE user_id = 'p-bob'",
            "DELETE FROM \"user\" WHERE user_id = 'p-bob'",
            "ANALYZE",
        ],
        superuser=False,
    )
    checks = assert_passes(renamed_db)
    assert "token_blacklist: same table and data file as at the rename" in problems(checks["table_identity"])


def test_tables_rewritten_since_the_rename_pass_and_an_emptied_one_warns(renamed_db):
    execute(
        renamed_db,
        [
            "VACUUM FULL wallet",
            'VACUUM FULL "user"',
            "CLUSTER transaction_log USING idx_transactionlog_user_id",
        ],
    )
    checks = assert_passes(renamed_db)
    identity = problems(checks["table_identity"])
    assert "wallet: rewritten since the rename (VACUUM FULL, CLUSTER or ALTER TABLE ... TYPE)" in identity
    assert '"user": rewritten since the rename' in identity
    assert "transaction_log: rewritten since the rename" in identity

    execute(renamed_db, ["TRUNCATE idrs_conversion"])
    code, report, checks, _ = verify(renamed_db)
    assert code == 0
    assert checks["table_identity"]["status"] == "warn"
    assert "idrs_conversion: rewritten since the rename and now empty" in problems(checks["table_identity"])


def test_a_dump_restored_into_a_new_database_passes(renamed_db, scratch_db, tmp_path):
    dump = tmp_path / "enerlink.dump"
    subprocess.run(
        [client_program("pg_dump"), "--format=custom", f"--file={dump}", renamed_db.superuser_url],
        check=True,
        capture_output=True,
    )
    restored = scratch_db()
    subprocess.run(
        [
            client_program("pg_restore"),
            "--no-owner",
            "--no-privileges",
            f"--role={scratch.OWNER_ROLE}",
            "--exit-on-error",
            f"--dbname={restored.superuser_url}",
            str(dump),
        ],
        check=True,
        capture_output=True,
    )
    checks = assert_passes(restored)
    identity = problems(checks["table_identity"])
    assert "every table has a new OID: this database was restored from a dump" in identity
    assert "wallet: a new table with rows, as a restore makes it" in identity
    # The exact counts the note points to, on request.
    checks = assert_passes(restored, "--count")
    assert checks["row_counts"]["status"] == "pass"
    assert "wallet: 2 rows" in problems(checks["row_counts"])


def test_a_dump_restored_without_its_data_warns(renamed_db, scratch_db, tmp_path):
    dump = tmp_path / "schema.dump"
    with renamed_db.connect() as conn:
        conn.execute("ANALYZE")  # a journal estimate would be -1 (never analysed) otherwise: nothing to miss
    subprocess.run(
        [client_program("pg_dump"), "--format=custom", f"--file={dump}", renamed_db.superuser_url],
        check=True,
        capture_output=True,
    )
    restored = scratch_db()
    common = [
        "--no-owner",
        "--no-privileges",
        f"--role={scratch.OWNER_ROLE}",
        f"--dbname={restored.superuser_url}",
    ]
    subprocess.run([client_program("pg_restore"), *common, "--schema-only", str(dump)], check=True)
    tables = ["django_migrations", "user_rename_journal"]  # the records, without the ledger's rows
    subprocess.run(
        [client_program("pg_restore"), *common, "--data-only", *(f"--table={t}" for t in tables), str(dump)],
        check=True,
    )
    code, report, checks, _ = verify(restored)
    assert code == 0
    assert checks["table_identity"]["status"] == "warn"
    assert "wallet: a new table (new OID) since the rename, and empty" in problems(checks["table_identity"])


def test_another_apps_table_referencing_user_is_named_as_a_warning(renamed_db):
    execute(
        renamed_db,
        [
            "CREATE TABLE loyalty_points (id serial PRIMARY KEY, "
            'member_id varchar NOT NULL REFERENCES "user"(user_id) ON DELETE CASCADE, points integer)',
            "INSERT INTO loyalty_points (member_id, points) VALUES ('p-alice', 10)",
        ],
        superuser=False,
    )
    checks = assert_passes(renamed_db, warned=FIXTURE_WARNINGS | {"other_keys_to_user"})
    assert (
        'loyalty_points.member_id (loyalty_points_member_id_fkey, ON DELETE CASCADE) references "user" but '
        "no "
        "model knows that column" in problems(checks["other_keys_to_user"])
    )
    assert checks["foreign_keys"]["status"] == "pass"


def test_another_apps_key_that_is_not_enforced_says_so(renamed_db):
    execute(
        renamed_db,
        [
            'CREATE TABLE loyalty_points (member_id varchar REFERENCES "user"(user_id))',
            "ALTER TABLE loyalty_points DISABLE TRIGGER ALL",
        ],
    )
    code, report, checks, _ = verify(renamed_db)
    assert code == 0
    assert "its triggers do not fire: rows whose user does not exist can go in" in problems(
        checks["other_keys_to_user"]
    )


def test_the_same_index_predicate_spelled_another_way_passes(renamed_db):
    execute(
        renamed_db,
        [
            "DROP INDEX idx_wallet_user_active",
            "CREATE INDEX idx_wallet_user_active ON wallet (user_id, is_active) WHERE is_active = true",
        ],
    )
    checks = assert_passes(renamed_db)
    assert "idx_wallet_user_active on wallet: as the model defines it" in problems(checks["indexes"])


def test_a_schema_created_by_the_migrations_and_renamed_passes(created_db):
    """No hand-made objects, the legacy column types as the initial migration creates them."""
    created_db.manage("migrate")
    checks = assert_passes(created_db, warned=set())
    assert "token_blacklist.user_id: character varying(255) NOT NULL" in problems(
        checks["referencing_columns"]
    )
