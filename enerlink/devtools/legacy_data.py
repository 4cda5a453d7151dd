"""A realistic legacy data set, generated inside PostgreSQL.

The rename and its verification must be measured against production-sized
tables. Rows are produced by ``generate_series`` in batches of users, never
one by one from Python, so a million users (16 million rows) take about a
minute, and every foreign key is satisfied as the legacy backend would have.
The columns are those of the real schema (docs/reference/legacy-schema.md),
which has no default for most timestamps: every NOT NULL column is written.

Per user: 2 wallets, 1 smart meter, 2 settlements,
5 transaction logs, 1 market trade, 2 IDRS conversions, 1 blacklist entry.
"""

from dataclasses import dataclass

ROWS_PER_USER = {
    "prosumer": 1,
    "wallet": 2,
    "smart_meter": 1,
    "energy_settlement": 2,
    "transaction_log": 5,
    "market_trade": 1,
    "idrs_conversion": 2,
    "token_blacklist": 1,
}

# Each statement receives the batch as %(first)s..%(last)s (1-based user numbers).
# Serial keys are derived from the user number so that related rows can name them.
BATCH_STATEMENTS = [
    (
        "prosumer",
        """
        INSERT INTO prosumer (prosumer_id, email, password_hash, name, created_at, updated_at,
                              primary_wallet_address)
        SELECT 'usr_' || i, 'user' || i || '@example.org',
               '$2b$10$' || md5(i::text) || 'abcdefghijklmnopqrstu',
               'User ' || i, ts, ts, '0x' || lpad(to_hex(i * 2), 40, '0')
          FROM generate_series(%(first)s::bigint, %(last)s::bigint) AS i,
               LATERAL (SELECT timestamp '2024-01-01' + i * interval '1 second' AS ts) t
        """,
    ),
    (
        "wallet",
        """
        INSERT INTO wallet (wallet_address, prosumer_id, wallet_name, encrypted_private_key, created_at,
                            import_method, is_active, last_used_at)
        SELECT '0x' || lpad(to_hex(i * 2 + k), 40, '0'), 'usr_' || i,
               CASE k WHEN 0 THEN 'Primary' ELSE 'Savings' END,
               'enc:v1:' || md5('key' || i || k), timestamp '2024-01-01' + i * interval '1 second',
               CASE k WHEN 0 THEN 'GENERATED' ELSE 'IMPORTED_PRIVATE_KEY' END, k = 0, NULL
          FROM generate_series(%(first)s::bigint, %(last)s::bigint) AS i, generate_series(0, 1) AS k
        """,
    ),
    (
        "smart_meter",
        """
        INSERT INTO smart_meter (meter_id, prosumer_id, meter_blockchain_address, location, status,
                                 settlement_interval_minutes, firmware_version, created_at, updated_at,
                                 mqtt_topic_realtime, device_model)
        SELECT 'METER_' || i, 'usr_' || i, '0x' || lpad(to_hex(i), 40, 'f'), 'Site ' || (i %% 97),
               CASE WHEN i %% 10 = 0 THEN 'OFFLINE' ELSE 'ACTIVE' END, 5, '1.' || (i %% 4) || '.0', ts, ts,
               'enerlink/meters/METER_' || i || '/sensors', 'ESP32'
          FROM generate_series(%(first)s::bigint, %(last)s::bigint) AS i,
               LATERAL (SELECT timestamp '2024-01-01' + i * interval '1 second' AS ts) t
        """,
    ),
    (
        "energy_settlement",
        """
        INSERT INTO energy_settlement (settlement_id, meter_id, period_start_time, period_end_time,
                                       net_wh_from_grid, etk_amount_credited, blockchain_tx_hash, status,
                                       created_at_backend, settlement_trigger)
        SELECT i * 2 + k - 1, 'METER_' || i,
               timestamp '2024-06-01' + k * interval '5 minutes',
               timestamp '2024-06-01' + (k + 1) * interval '5 minutes',
               round(((i * 7 + k * 13) %% 1000) * 10.0 - 5000, 1), round(((i + k) %% 500) / 100.0, 3),
               '0x' || md5('settle' || i || k), CASE k WHEN 0 THEN 'CONFIRMED' ELSE 'PENDING' END,
               timestamp '2024-06-01' + (k + 1) * interval '5 minutes' + interval '10 seconds', 'PERIODIC'
          FROM generate_series(%(first)s::bigint, %(last)s::bigint) AS i, generate_series(0, 1) AS k
        """,
    ),
    (
        "transaction_log",
        """
        INSERT INTO transaction_log (log_id, prosumer_id, related_order_id, related_settlement_id,
                                     transaction_type, description, amount_primary, currency_primary,
                                     blockchain_tx_hash, transaction_timestamp)
        SELECT i * 5 + k - 4, 'usr_' || i,
               CASE WHEN k = 0 THEN 'ORD_' || i END,  -- an order id of the chain's book: no key
               CASE WHEN k IN (1, 2) THEN i * 2 + k - 2 END,
               (ARRAY['ORDER_PLACED', 'ENERGY_SETTLEMENT_MINT', 'ENERGY_SETTLEMENT_BURN',
                      'TOKEN_TRANSFER', 'IDRS_CONVERSION'])[k + 1],
               'Generated entry ' || k, ((i + k) %% 1000) + 0.5,
               CASE WHEN k = 4 THEN 'IDRS' ELSE 'ETK' END, '0x' || md5('tx' || i || k),
               timestamp '2024-06-01' + (i * 5 + k) * interval '1 second'
          FROM generate_series(%(first)s::bigint, %(last)s::bigint) AS i, generate_series(0, 4) AS k
        """,
    ),
    (
        "market_trade",
        """
        INSERT INTO market_trade (trade_id, buyer_order_id, seller_order_id, buyer_prosumer_id,
                                  seller_prosumer_id, buyer_wallet_address, seller_wallet_address,
                                  traded_etk_amount, price_idrs_per_etk, total_idrs_value, trade_timestamp,
                                  created_at)
        SELECT i, 'ORD_' || i, 'ORD_' || s, 'usr_' || i, 'usr_' || s,
               '0x' || lpad(to_hex(i * 2), 40, '0'), '0x' || lpad(to_hex(s * 2), 40, '0'),
               (i %% 20) + 1, 1500, ((i %% 20) + 1) * 1500, timestamp '2024-06-02' + i * interval '1 second',
               timestamp '2024-06-02' + i * interval '1 second'
          FROM generate_series(%(first)s::bigint, %(last)s::bigint) AS i,
               LATERAL (SELECT %(first)s::bigint + (i - %(first)s::bigint + 1) %% %(size)s::bigint
                          AS s) seller
        """,
    ),
    (
        "idrs_conversion",
        """
        INSERT INTO idrs_conversion (conversion_id, prosumer_id, wallet_address, conversion_type, idr_amount,
                                     idrs_amount, exchange_rate, status, created_at)
        SELECT i * 2 + k - 1, 'usr_' || i, '0x' || lpad(to_hex(i * 2), 40, '0'),
               CASE k WHEN 0 THEN 'ON_RAMP' ELSE 'OFF_RAMP' END, 10000 * (k + 1), 10000 * (k + 1), 1,
               'COMPLETED', timestamp '2024-06-03' + i * interval '1 second'
          FROM generate_series(%(first)s::bigint, %(last)s::bigint) AS i, generate_series(0, 1) AS k
        """,
    ),
    (
        "token_blacklist",
        """
        INSERT INTO token_blacklist (blacklist_id, blacklist_type, prosumer_id, token_hash, reason,
                                     expires_at, is_active)
        SELECT i, 'TOKEN', 'usr_' || i, md5('token' || i), 'LOGOUT',
               timestamptz '2030-01-01 00:00:00+00', i %% 3 <> 0
          FROM generate_series(%(first)s::bigint, %(last)s::bigint) AS i
        """,
    ),
]

# Serial columns whose sequences must move past the explicit keys inserted above.
SERIAL_KEYS = [
    ("energy_settlement", "settlement_id"),
    ("transaction_log", "log_id"),
    ("market_trade", "trade_id"),
    ("idrs_conversion", "conversion_id"),
    ("token_blacklist", "blacklist_id"),
]


class LegacySchemaMissing(Exception):
    """The target database does not hold the legacy (pre-rename) schema."""


class DatabaseNotEmpty(Exception):
    """The builder refuses to mix its rows with existing ones."""


@dataclass(frozen=True)
class BuildResult:
    users: int
    rows: dict


def check_target(cursor):
    cursor.execute("SELECT to_regclass('prosumer') IS NOT NULL, to_regclass('\"user\"') IS NOT NULL")
    has_prosumer, has_user = cursor.fetchone()
    if not has_prosumer:
        where = 'it was already renamed to "user"' if has_user else "there is no table prosumer"
        raise LegacySchemaMissing(
            f"The data builder writes the legacy schema, but {where}. Build into a database at migration "
            "0001 (manage.py migrate accounts 0001 && manage.py migrate energy 0001 on an empty database) "
            "or an adopted legacy copy."
        )
    cursor.execute("SELECT EXISTS (SELECT 1 FROM prosumer)")
    if cursor.fetchone()[0]:
        raise DatabaseNotEmpty(
            "Table prosumer already holds rows; the builder only fills an empty legacy database. "
            "Use a fresh database (or --reset on the demo)."
        )


FOREIGN_KEYS_OF_LEGACY_TABLES = """
SELECT c.conrelid::regclass::text, quote_ident(c.conname), pg_get_constraintdef(c.oid)
  FROM pg_constraint c
 WHERE c.contype = 'f' AND c.conrelid = ANY (%s::regclass[])
 ORDER BY c.conrelid::regclass::text, c.conname
"""


def build(connection, users, batch_size=50_000, on_batch=None):
    """Insert ``users`` users and their related rows in one transaction.

    Checking 15 foreign keys row by row costs more than generating the rows, so,
    as pg_restore does, the keys are dropped for the load and added back with the
    same names and definitions at the end, where PostgreSQL validates each one in
    a single pass. It is one transaction: an interrupted build leaves the empty
    database as it was, keys included. ``on_batch(done_users)`` reports progress.
    """
    if users < 1:
        raise ValueError("users must be at least 1")
    with connection.transaction(), connection.cursor() as cursor:
        check_target(cursor)
        cursor.execute(FOREIGN_KEYS_OF_LEGACY_TABLES, [list(ROWS_PER_USER)])
        foreign_keys = cursor.fetchall()
        for table, name, _definition in foreign_keys:
            cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {name}")
        for first in range(1, users + 1, batch_size):
            last = min(first + batch_size - 1, users)
            params = {"first": first, "last": last, "size": last - first + 1}
            for _table, statement in BATCH_STATEMENTS:
                cursor.execute(statement, params)
            if on_batch:
                on_batch(last)
        for table, name, definition in foreign_keys:
            cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}")
    with connection.cursor() as cursor:
        for table, column in SERIAL_KEYS:
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'), "
                f"(SELECT coalesce(max({column}), 0) + 1 FROM {table}), false)"
            )
        for table in ROWS_PER_USER:
            cursor.execute(f"ANALYZE {table}")
    return BuildResult(users=users, rows={table: n * users for table, n in ROWS_PER_USER.items()})
