"""The names after the rename are those the upstream backend gave them in its own rename.

The upstream (p2p-energy-trading/backend) renamed prosumer to user in commit cc1f6ec
("fix: change prosumer term to user"). Its entities there name the tables and columns
that the new backend reads; the ones below are written down from those entity files
(src/models/*/*.entity.ts at cc1f6ec), not derived from this project's code, and the
renamed database must have exactly those names, so that the upstream's new code runs on it.
"""

# Table -> columns, as the entities at cc1f6ec name them (@Entity and each @Column's name).
UPSTREAM_ENTITIES = {
    "user": {
        "user_id",
        "email",
        "password_hash",
        "name",
        "created_at",
        "updated_at",
        "primary_wallet_address",
    },
    "wallet": {
        "wallet_address",
        "user_id",
        "wallet_name",
        "encrypted_private_key",
        "created_at",
        "import_method",
        "is_active",
        "last_used_at",
    },
    "smart_meter": {
        "meter_id",
        "user_id",
        "meter_blockchain_address",
        "location",
        "status",
        "created_at",
        "last_seen",
        "updated_at",
        "mqtt_topic_realtime",
        "mqtt_topic_settlement",
        "settlement_interval_minutes",
        "firmware_version",
        "last_settlement_at",
        "device_configuration",
        "last_heartbeat_at",
        "device_model",
        "device_version",
        "capabilities",
    },
    "transaction_log": {
        "log_id",
        "user_id",
        "related_order_id",
        "related_settlement_id",
        "transaction_type",
        "description",
        "amount_primary",
        "currency_primary",
        "amount_secondary",
        "currency_secondary",
        "blockchain_tx_hash",
        "transaction_timestamp",
    },
    "market_trade": {
        "trade_id",
        "buyer_order_id",
        "seller_order_id",
        "buyer_user_id",
        "seller_user_id",
        "buyer_wallet_address",
        "seller_wallet_address",
        "traded_etk_amount",
        "price_idrs_per_etk",
        "total_idrs_value",
        "blockchain_tx_hash",
        "trade_timestamp",
        "gas_fee_wei",
        "created_at",
    },
    "idrs_conversion": {
        "conversion_id",
        "user_id",
        "wallet_address",
        "conversion_type",
        "idr_amount",
        "idrs_amount",
        "exchange_rate",
        "blockchain_tx_hash",
        "status",
        "simulation_note",
        "created_at",
        "confirmed_at",
    },
}
# The upstream's rename migration (1761992645605) renames token_blacklist.prosumer_id to user_id too.
TOKEN_BLACKLIST_USER_COLUMN = "user_id"

COLUMNS = """
SELECT a.attname FROM pg_attribute a
 WHERE a.attrelid = to_regclass(%s) AND a.attnum > 0 AND NOT a.attisdropped
"""


def test_the_renamed_schema_has_the_upstreams_table_and_column_names(renamed_db):
    with renamed_db.connect() as conn:
        for table, columns in UPSTREAM_ENTITIES.items():
            found = {name for (name,) in conn.execute(COLUMNS, [f'"{table}"'])}
            assert found == columns, table
        blacklist = {name for (name,) in conn.execute(COLUMNS, ["token_blacklist"])}
        assert TOKEN_BLACKLIST_USER_COLUMN in blacklist and "prosumer_id" not in blacklist
