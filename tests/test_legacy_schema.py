"""The initial migrations create, or adopt unchanged, the legacy schema of legacy-schema.md."""

import pytest

from enerlink.devtools import scratch

# legacy-schema.md, column by column: (type as format_type prints it, NOT NULL, default).
V = "character varying"
TS = "timestamp without time zone"
EXPECTED_COLUMNS = {
    "prosumer": [
        ("prosumer_id", V, True, None),
        ("email", V, True, None),
        ("password_hash", V, True, None),
        ("name", V, False, None),
        ("created_at", TS, True, "now()"),
        ("updated_at", TS, True, "now()"),
        ("primary_wallet_address", V, False, None),
    ],
    "wallet": [
        ("wallet_address", V, True, None),
        ("prosumer_id", V, True, None),
        ("wallet_name", V, False, None),
        ("encrypted_private_key", V, False, None),
        ("created_at", TS, True, "now()"),
        ("import_method", V, True, "'GENERATED'::character varying"),
        ("is_active", "boolean", True, "true"),
        ("last_used_at", TS, False, None),
    ],
    "smart_meter": [
        ("meter_id", V, True, None),
        ("prosumer_id", V, True, None),
        ("meter_blockchain_address", V, False, None),
        ("location", V, False, None),
        ("status", V, False, None),
        ("created_at", TS, True, "now()"),
        ("last_seen", TS, False, None),
        ("updated_at", TS, True, "now()"),
        ("settlement_interval_minutes", "integer", False, None),
        ("firmware_version", V, False, None),
    ],
    "energy_settlement": [
        ("settlement_id", "integer", True, "nextval('energy_settlement_settlement_id_seq'::regclass)"),
        ("meter_id", V, True, None),
        ("period_start_time", TS, True, None),
        ("period_end_time", TS, True, None),
        ("net_kwh_from_grid", "numeric", True, None),
        ("etk_amount_credited", "numeric", False, None),
        ("blockchain_tx_hash", V, False, None),
        ("status", V, True, "'PENDING'::character varying"),
        ("created_at_backend", TS, True, "now()"),
    ],
    "trade_orders_cache": [
        ("order_id", V, True, None),
        ("prosumer_id", V, True, None),
        ("wallet_address", V, True, None),
        ("order_type", V, True, None),
        ("pair", V, True, "'ETK/IDRS'::character varying"),
        ("amount_etk", "numeric", True, None),
        ("price_idrs_per_etk", "numeric", True, None),
        ("status_on_chain", V, True, "'OPEN'::character varying"),
        ("created_at_on_chain", TS, True, "now()"),
        ("updated_at_cache", TS, True, "now()"),
    ],
    "transaction_log": [
        ("log_id", "integer", True, "nextval('transaction_log_log_id_seq'::regclass)"),
        ("prosumer_id", V, True, None),
        ("related_order_id", V, False, None),
        ("related_settlement_id", "integer", False, None),
        ("transaction_type", V, True, None),
        ("description", V, False, None),
        ("amount_primary", "numeric", True, None),
        ("currency_primary", V, True, None),
        ("blockchain_tx_hash", V, False, None),
        ("transaction_timestamp", TS, True, "now()"),
    ],
    "market_trade": [
        ("trade_id", "integer", True, "nextval('market_trade_trade_id_seq'::regclass)"),
        ("buyer_order_id", V, True, None),
        ("seller_order_id", V, True, None),
        ("buyer_prosumer_id", V, True, None),
        ("seller_prosumer_id", V, True, None),
        ("buyer_wallet_address", V, True, None),
        ("seller_wallet_address", V, True, None),
        ("traded_etk_amount", "numeric", True, None),
        ("price_idrs_per_etk", "numeric", True, None),
        ("total_idrs_value", "numeric", True, None),
        ("trade_timestamp", TS, True, "now()"),
        ("created_at", TS, True, "now()"),
    ],
    "idrs_conversion": [
        ("conversion_id", "integer", True, "nextval('idrs_conversion_conversion_id_seq'::regclass)"),
        ("prosumer_id", V, True, None),
        ("wallet_address", V, True, None),
        ("conversion_type", V, True, None),
        ("idr_amount", "numeric", False, None),
        ("idrs_amount", "numeric", True, None),
        ("exchange_rate", "numeric", False, None),
        ("status", V, True, "'PENDING'::character varying"),
        ("created_at", TS, True, "now()"),
    ],
    "token_blacklist": [
        ("blacklist_id", "integer", True, "nextval('token_blacklist_blacklist_id_seq'::regclass)"),
        ("blacklist_type", "token_blacklist_blacklist_type_enum", True, None),
        ("prosumer_id", "character varying(255)", True, None),
        ("token_hash", "character varying(255)", False, None),
        ("reason", "token_blacklist_reason_enum", True, "'LOGOUT'::token_blacklist_reason_enum"),
        ("expires_at", "timestamp with time zone", True, None),
        ("is_active", "boolean", True, "true"),
        ("created_at", TS, True, "now()"),
    ],
    "system_config": [
        ("config_key", V, True, None),
        ("config_value", V, True, None),
        ("updated_by", V, False, None),
    ],
}

EXPECTED_PRIMARY_KEYS = {
    "prosumer": "prosumer_id",
    "wallet": "wallet_address",
    "smart_meter": "meter_id",
    "energy_settlement": "settlement_id",
    "trade_orders_cache": "order_id",
    "transaction_log": "log_id",
    "market_trade": "trade_id",
    "idrs_conversion": "conversion_id",
    "token_blacklist": "blacklist_id",
    "system_config": "config_key",
}

# (table, column) -> (referenced table, referenced column, ON DELETE rule as confdeltype)
EXPECTED_FOREIGN_KEYS = {
    ("wallet", "prosumer_id"): ("prosumer", "prosumer_id", "a"),
    ("smart_meter", "prosumer_id"): ("prosumer", "prosumer_id", "a"),
    ("energy_settlement", "meter_id"): ("smart_meter", "meter_id", "a"),
    ("trade_orders_cache", "prosumer_id"): ("prosumer", "prosumer_id", "a"),
    ("trade_orders_cache", "wallet_address"): ("wallet", "wallet_address", "a"),
    ("transaction_log", "prosumer_id"): ("prosumer", "prosumer_id", "a"),
    ("transaction_log", "related_order_id"): ("trade_orders_cache", "order_id", "a"),
    ("transaction_log", "related_settlement_id"): ("energy_settlement", "settlement_id", "a"),
    ("market_trade", "buyer_prosumer_id"): ("prosumer", "prosumer_id", "a"),
    ("market_trade", "seller_prosumer_id"): ("prosumer", "prosumer_id", "a"),
    ("market_trade", "buyer_wallet_address"): ("wallet", "wallet_address", "a"),
    ("market_trade", "seller_wallet_address"): ("wallet", "wallet_address", "a"),
    ("idrs_conversion", "prosumer_id"): ("prosumer", "prosumer_id", "a"),
    ("idrs_conversion", "wallet_address"): ("wallet", "wallet_address", "a"),
    ("token_blacklist", "prosumer_id"): ("prosumer", "prosumer_id", "c"),
}


def columns(conn, table):
    return conn.execute(
        """
        SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
               pg_get_expr(d.adbin, d.adrelid)
          FROM pg_attribute a
          LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
         WHERE a.attrelid = %s::regclass AND a.attnum > 0 AND NOT a.attisdropped
         ORDER BY a.attnum
        """,
        [table],
    ).fetchall()


def foreign_keys(conn):
    rows = conn.execute(
        """
        SELECT c.conrelid::regclass::text, a.attname, c.confrelid::regclass::text, fa.attname,
               c.confdeltype, c.condeferrable, c.convalidated
          FROM pg_constraint c
          JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
          JOIN pg_attribute fa ON fa.attrelid = c.confrelid AND fa.attnum = c.confkey[1]
         WHERE c.contype = 'f' AND c.connamespace = 'public'::regnamespace
        """
    ).fetchall()
    return rows


def assert_legacy_schema(conn):
    for table, expected in EXPECTED_COLUMNS.items():
        assert columns(conn, table) == expected, table
        pk = conn.execute(
            """
            SELECT a.attname FROM pg_constraint c
              JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey)
             WHERE c.conrelid = %s::regclass AND c.contype = 'p'
            """,
            [table],
        ).fetchall()
        assert pk == [(EXPECTED_PRIMARY_KEYS[table],)], table
    fks = foreign_keys(conn)
    assert len(fks) == len(EXPECTED_FOREIGN_KEYS), "exactly one FK per referencing column"
    for table, column, ref_table, ref_column, on_delete, deferrable, validated in fks:
        assert EXPECTED_FOREIGN_KEYS[(table, column)] == (ref_table, ref_column, on_delete)
        assert not deferrable and validated
    unique_email = conn.execute(
        "SELECT count(*) FROM pg_constraint WHERE conrelid = 'prosumer'::regclass AND contype = 'u'"
    ).fetchone()
    assert unique_email == (1,)
    check = conn.execute(
        "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'idrs_conversion'::regclass "
        "AND contype = 'c'"
    ).fetchone()[0]
    assert "ON_RAMP" in check and "OFF_RAMP" in check
    triggers = conn.execute(
        "SELECT tgrelid::regclass::text, tgname FROM pg_trigger WHERE NOT tgisinternal ORDER BY 2"
    ).fetchall()
    assert triggers == [
        ("prosumer", "set_timestamp_prosumers"),
        ("smart_meter", "set_timestamp_smart_meters"),
    ]


def test_initial_migrations_create_the_legacy_schema(scratch_db):
    database = scratch_db()
    database.manage("migrate", "accounts", "0001")
    database.manage("migrate", "energy", "0001")
    with database.connect() as conn:
        assert_legacy_schema(conn)
        # The ORM created no index on the FK columns; only token_blacklist's two @Index ones.
        indexes = conn.execute(
            "SELECT indexrelid::regclass::text FROM pg_index WHERE NOT indisprimary AND NOT indisunique "
            "AND indrelid IN (SELECT oid FROM pg_class WHERE relname = ANY(%s))",
            [list(EXPECTED_COLUMNS)],
        ).fetchall()
        assert sorted(indexes) == [
            ('"IDX_1a320f4470d1b5517ee5553b66"',),
            ('"IDX_fc93690d4ba3c359bfaaa99a7a"',),
        ]
        # The trigger works: updated_at moves on UPDATE.
        conn.execute(
            "INSERT INTO prosumer (prosumer_id, email, password_hash, updated_at) "
            "VALUES ('p1', 'a@example.org', 'x', '2000-01-01')"
        )
        conn.execute("UPDATE prosumer SET name = 'A' WHERE prosumer_id = 'p1'")
        assert conn.execute("SELECT updated_at > '2001-01-01' FROM prosumer").fetchone() == (True,)


def test_the_fixture_follows_legacy_schema_md(legacy_db):
    with legacy_db.connect() as conn:
        assert_legacy_schema(conn)


def test_adoption_leaves_a_legacy_database_untouched(legacy_db):
    before_schema = scratch.schema_dump(legacy_db)
    before_rows = scratch.table_fingerprints(legacy_db, scratch.LEGACY_TABLES)
    legacy_db.manage("migrate", "accounts", "0001")
    legacy_db.manage("migrate", "energy", "0001")
    before_lines = set(before_schema.splitlines())
    after_lines = scratch.schema_dump(legacy_db).splitlines()
    # Adoption adds Django's own tables and touches nothing of the legacy schema.
    assert before_lines <= set(after_lines)
    added = [line for line in after_lines if line not in before_lines]
    assert [line for line in added if any(table in line for table in scratch.LEGACY_TABLES)] == []
    assert any("django_migrations" in line for line in added)
    assert scratch.table_fingerprints(legacy_db, scratch.LEGACY_TABLES) == before_rows


def test_adoption_refuses_a_table_that_is_not_the_legacy_one(scratch_db):
    database = scratch_db()
    with database.connect() as conn:
        conn.execute("CREATE TABLE prosumer (prosumer_id varchar PRIMARY KEY, email varchar)")
    result = database.manage("migrate", "accounts", "0001", check=False)
    assert result.returncode != 0
    assert "table prosumer exists but lacks column(s) {created_at,name,password_hash" in result.stderr
    with database.connect() as conn:
        assert conn.execute(
            "SELECT to_regclass('django_migrations') IS NULL OR NOT EXISTS "
            "(SELECT 1 FROM django_migrations WHERE app = 'accounts')"
        ).fetchone() == (True,)


@pytest.mark.parametrize("users", [7, 120])
def test_data_builder_counts_and_foreign_keys(scratch_db, users):
    database = scratch_db()
    database.manage("migrate", "accounts", "0001")
    database.manage("migrate", "energy", "0001")
    schema_before = scratch.schema_dump(database)
    database.manage("build_legacy_data", "--users", str(users), "--batch-size", "50")
    # The keys dropped for the load are back, with the same names and definitions, validated.
    assert scratch.schema_dump(database) == schema_before
    per_user = {
        "prosumer": 1,
        "wallet": 2,
        "smart_meter": 1,
        "energy_settlement": 2,
        "trade_orders_cache": 1,
        "transaction_log": 5,
        "market_trade": 1,
        "idrs_conversion": 2,
        "token_blacklist": 1,
    }
    with database.connect() as conn:
        for table, n in per_user.items():
            assert conn.execute(f"SELECT count(*) FROM {table}").fetchone() == (n * users,), table
        # Every FK was checked on insert; re-validate the links the rename cares about.
        for table, column in [
            ("wallet", "prosumer_id"),
            ("market_trade", "seller_prosumer_id"),
            ("transaction_log", "related_settlement_id"),
        ]:
            target, target_column, _ = EXPECTED_FOREIGN_KEYS[(table, column)]
            orphans = conn.execute(
                f"SELECT count(*) FROM {table} t WHERE t.{column} IS NOT NULL AND NOT EXISTS "
                f"(SELECT 1 FROM {target} r WHERE r.{target_column} = t.{column})"
            ).fetchone()
            assert orphans == (0,)
        # Sequences moved past the explicit keys: an ORM insert gets a fresh key.
        conn.execute(
            "INSERT INTO transaction_log (prosumer_id, transaction_type, amount_primary, currency_primary) "
            "VALUES ('usr_1', 'TEST', 1, 'ETK')"
        )
        assert_legacy_schema(conn)
    again = database.manage("build_legacy_data", "--users", "1", check=False)
    assert again.returncode == 1 and "already holds rows" in again.stderr


def test_data_builder_refuses_a_renamed_database(scratch_db):
    database = scratch_db()
    database.manage("migrate")
    result = database.manage("build_legacy_data", "--users", "1", check=False)
    assert result.returncode == 1
    assert 'it was already renamed to "user"' in result.stderr
