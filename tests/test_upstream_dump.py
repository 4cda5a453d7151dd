"""The done-when of the real database: the upstream's own schema dump, with rows, as its non-superuser owner.

docs/reference/upstream-schema-before-rename.sql is loaded as it is (but for the owner it names),
rows are written the way the old backend wrote them, and the runbook's core runs on it:
preflight, migrate, verify, every row unchanged, seven keys with their rules, and
``migrate accounts 0001`` giving back the schema exactly (the journal's table goes too).
"""

from enerlink.devtools import scratch
from tests.test_legacy_schema import KEY_RULES_AFTER_RENAME, load_reference

ROWS = """
INSERT INTO prosumer (prosumer_id, email, password_hash, name, created_at, updated_at)
SELECT 'u' || i, 'u' || i || '@example.org', '$2b$10$hash' || i, 'User ' || i, now(), now()
  FROM generate_series(1, 50) AS i;
INSERT INTO wallet (wallet_address, prosumer_id, created_at, import_method, is_active)
SELECT '0x' || i, 'u' || i, now(), 'GENERATED', true FROM generate_series(1, 50) AS i;
INSERT INTO smart_meter (meter_id, prosumer_id, created_at, updated_at)
SELECT 'M' || i, 'u' || i, now(), now() FROM generate_series(1, 50) AS i;
INSERT INTO energy_settlement (meter_id, period_start_time, period_end_time, net_wh_from_grid, status,
                               created_at_backend, settlement_trigger)
SELECT 'M' || i, now(), now(), i * 10, 'PENDING', now(), 'PERIODIC' FROM generate_series(1, 50) AS i;
INSERT INTO transaction_log (prosumer_id, related_settlement_id, transaction_type, amount_primary,
                             currency_primary, transaction_timestamp)
SELECT 'u' || i, i, 'ENERGY_SETTLEMENT_MINT', i, 'ETK', now() FROM generate_series(1, 50) AS i;
INSERT INTO token_blacklist (blacklist_type, prosumer_id, token_hash, expires_at)
SELECT 'TOKEN', 'u' || i, md5(i::text), now() + interval '1 day' FROM generate_series(1, 50) AS i;
INSERT INTO telemetry_aggregate ("meterId", "hourStart")
SELECT 'M' || i, now() FROM generate_series(1, 50) AS i;
-- Trades and conversions: their trigger functions are broken upstream (they update "WALLETS"),
-- so these rows were written before that; the owner turns the two triggers off for the load.
ALTER TABLE market_trade DISABLE TRIGGER trg_update_wallet_last_used_trades;
ALTER TABLE idrs_conversion DISABLE TRIGGER trg_update_wallet_last_used_conversions;
INSERT INTO market_trade (traded_etk_amount, price_idrs_per_etk, total_idrs_value, buyer_order_id,
                          seller_order_id, buyer_prosumer_id, seller_prosumer_id, buyer_wallet_address,
                          seller_wallet_address, trade_timestamp, created_at)
SELECT 1, 1500, 1500, 'ob' || i, 'os' || i, 'u' || i, 'u' || (51 - i), '0x' || i, '0x' || (51 - i),
       now(), now()
  FROM generate_series(1, 50) AS i;
INSERT INTO idrs_conversion (idrs_amount, prosumer_id, wallet_address, conversion_type, status, created_at)
SELECT 10000, 'u' || i, '0x' || i, 'ON_RAMP', 'COMPLETED', now() FROM generate_series(1, 50) AS i;
ALTER TABLE market_trade ENABLE TRIGGER trg_update_wallet_last_used_trades;
ALTER TABLE idrs_conversion ENABLE TRIGGER trg_update_wallet_last_used_conversions;
"""
TABLES = [*scratch.LEGACY_TABLES, "migrations"]
RULES = """
SELECT c.conrelid::regclass::text || '.' || a.attname, c.confdeltype
  FROM pg_constraint c JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
 WHERE c.contype = 'f' AND c.confrelid = '"user"'::regclass
"""


def test_the_upstream_dump_with_rows_is_adopted_renamed_verified_and_given_back(scratch_db):
    database = scratch_db()
    load_reference(database)
    with database.connect() as conn:
        conn.execute(ROWS)
        assert conn.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user").fetchone() == (
            False,
        )
    before_rows = scratch.table_fingerprints(database, TABLES)

    assert database.manage("verify_user_migration", "--preflight", check=False).returncode == 0
    scratch.migrate_to_legacy(database)  # adopted, with Django's own tables, as the runbook's step 3
    before_rename = scratch.schema_dump(database)
    database.manage("migrate")
    verified = database.manage("verify_user_migration", check=False)
    assert verified.returncode == 0, verified.stdout
    with database.connect() as conn:
        assert dict(conn.execute(RULES).fetchall()) == KEY_RULES_AFTER_RENAME
    renamed = ["user" if table == "prosumer" else table for table in TABLES]
    assert list(scratch.table_fingerprints(database, renamed).values()) == list(before_rows.values())

    database.manage("migrate", "accounts", "0001")
    assert scratch.schema_dump(database) == before_rename
    assert scratch.table_fingerprints(database, TABLES) == before_rows
