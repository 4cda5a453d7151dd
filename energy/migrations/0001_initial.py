"""The legacy ledger tables, created on an empty database or adopted as they are.

The database side is the DDL the NestJS/TypeORM backend produced: hash-named
constraints, NOT DEFERRABLE foreign keys that are ON DELETE NO ACTION except
token_blacklist's CASCADE, PostgreSQL enums, no index on most FK columns, and
the ``set_timestamp_smart_meters`` trigger. Existing tables are left untouched.
"""

import django.db.models.deletion
import django.db.models.functions.datetime
import enerlink.fields
from enerlink.legacy_sql import ENSURE_TIMESTAMP_FUNCTION, create_unless_present
from django.db import migrations, models


LEGACY_TABLES = [
    (
        "system_config",
        ["config_key", "config_value", "updated_by"],
        """
        CREATE TABLE system_config (
            config_key varchar NOT NULL,
            config_value varchar NOT NULL,
            updated_by varchar,
            CONSTRAINT "PK_c54d4e3d5a246ef29601e48d751" PRIMARY KEY (config_key)
        );
        """,
    ),
    (
        "wallet",
        [
            "wallet_address",
            "prosumer_id",
            "wallet_name",
            "encrypted_private_key",
            "created_at",
            "import_method",
            "is_active",
            "last_used_at",
        ],
        """
        CREATE TABLE wallet (
            wallet_address varchar NOT NULL,
            prosumer_id varchar NOT NULL,
            wallet_name varchar,
            encrypted_private_key varchar,
            created_at timestamp NOT NULL DEFAULT now(),
            import_method varchar NOT NULL DEFAULT 'GENERATED',
            is_active boolean NOT NULL DEFAULT true,
            last_used_at timestamp,
            CONSTRAINT "PK_476a9a59985bc92d1d91db035d9" PRIMARY KEY (wallet_address),
            CONSTRAINT "FK_62a1a16628b883318e6b443cf52" FOREIGN KEY (prosumer_id) REFERENCES prosumer (prosumer_id)
        );
        """,
    ),
    (
        "smart_meter",
        [
            "meter_id",
            "prosumer_id",
            "meter_blockchain_address",
            "location",
            "status",
            "created_at",
            "last_seen",
            "updated_at",
            "settlement_interval_minutes",
            "firmware_version",
        ],
        """
        CREATE TABLE smart_meter (
            meter_id varchar NOT NULL,
            prosumer_id varchar NOT NULL,
            meter_blockchain_address varchar,
            location varchar,
            status varchar,
            created_at timestamp NOT NULL DEFAULT now(),
            last_seen timestamp,
            updated_at timestamp NOT NULL DEFAULT now(),
            settlement_interval_minutes integer,
            firmware_version varchar,
            CONSTRAINT "PK_ef23e2cef79c540785249cd4544" PRIMARY KEY (meter_id),
            CONSTRAINT "FK_86268e4e6aeb790533065c265c3" FOREIGN KEY (prosumer_id) REFERENCES prosumer (prosumer_id)
        );
        """
        + ENSURE_TIMESTAMP_FUNCTION
        + """
        CREATE TRIGGER set_timestamp_smart_meters BEFORE UPDATE ON smart_meter
            FOR EACH ROW EXECUTE FUNCTION trigger_set_timestamp();
        """,
    ),
    (
        "energy_settlement",
        [
            "settlement_id",
            "meter_id",
            "period_start_time",
            "period_end_time",
            "net_kwh_from_grid",
            "etk_amount_credited",
            "blockchain_tx_hash",
            "status",
            "created_at_backend",
        ],
        """
        CREATE TABLE energy_settlement (
            settlement_id serial NOT NULL,
            meter_id varchar NOT NULL,
            period_start_time timestamp NOT NULL,
            period_end_time timestamp NOT NULL,
            net_kwh_from_grid numeric NOT NULL,
            etk_amount_credited numeric,
            blockchain_tx_hash varchar,
            status varchar NOT NULL DEFAULT 'PENDING',
            created_at_backend timestamp NOT NULL DEFAULT now(),
            CONSTRAINT "PK_d28f403451eab2cc9461c8957ad" PRIMARY KEY (settlement_id),
            CONSTRAINT "FK_5df18b4a8c9941904226c315907" FOREIGN KEY (meter_id) REFERENCES smart_meter (meter_id)
        );
        """,
    ),
    (
        "trade_orders_cache",
        [
            "order_id",
            "prosumer_id",
            "wallet_address",
            "order_type",
            "pair",
            "amount_etk",
            "price_idrs_per_etk",
            "status_on_chain",
            "created_at_on_chain",
            "updated_at_cache",
        ],
        """
        CREATE TABLE trade_orders_cache (
            order_id varchar NOT NULL,
            prosumer_id varchar NOT NULL,
            wallet_address varchar NOT NULL,
            order_type varchar NOT NULL,
            pair varchar NOT NULL DEFAULT 'ETK/IDRS',
            amount_etk numeric NOT NULL,
            price_idrs_per_etk numeric NOT NULL,
            status_on_chain varchar NOT NULL DEFAULT 'OPEN',
            created_at_on_chain timestamp NOT NULL DEFAULT now(),
            updated_at_cache timestamp NOT NULL DEFAULT now(),
            CONSTRAINT "PK_e6377a342a2a931eb4fb13e6df3" PRIMARY KEY (order_id),
            CONSTRAINT "FK_ab6d00919aef6145c60332dabdd" FOREIGN KEY (prosumer_id) REFERENCES prosumer (prosumer_id),
            CONSTRAINT "FK_4465177ddf3dd62d0fec5dd48a9" FOREIGN KEY (wallet_address) REFERENCES wallet (wallet_address)
        );
        """,
    ),
    (
        "transaction_log",
        [
            "log_id",
            "prosumer_id",
            "related_order_id",
            "related_settlement_id",
            "transaction_type",
            "description",
            "amount_primary",
            "currency_primary",
            "blockchain_tx_hash",
            "transaction_timestamp",
        ],
        """
        CREATE TABLE transaction_log (
            log_id serial NOT NULL,
            prosumer_id varchar NOT NULL,
            related_order_id varchar,
            related_settlement_id integer,
            transaction_type varchar NOT NULL,
            description varchar,
            amount_primary numeric NOT NULL,
            currency_primary varchar NOT NULL,
            blockchain_tx_hash varchar,
            transaction_timestamp timestamp NOT NULL DEFAULT now(),
            CONSTRAINT "PK_37757de7935389be3b5f4ead2cd" PRIMARY KEY (log_id),
            CONSTRAINT "FK_c93030fd0ce2a500ff3b3e5e135" FOREIGN KEY (prosumer_id) REFERENCES prosumer (prosumer_id),
            CONSTRAINT "FK_33af66084149dc74c72f18a62c0" FOREIGN KEY (related_order_id)
                REFERENCES trade_orders_cache (order_id),
            CONSTRAINT "FK_b4e25f645f122a68602f748015f" FOREIGN KEY (related_settlement_id)
                REFERENCES energy_settlement (settlement_id)
        );
        """,
    ),
    (
        "market_trade",
        [
            "trade_id",
            "buyer_order_id",
            "seller_order_id",
            "buyer_prosumer_id",
            "seller_prosumer_id",
            "buyer_wallet_address",
            "seller_wallet_address",
            "traded_etk_amount",
            "price_idrs_per_etk",
            "total_idrs_value",
            "trade_timestamp",
            "created_at",
        ],
        """
        CREATE TABLE market_trade (
            trade_id serial NOT NULL,
            buyer_order_id varchar NOT NULL,
            seller_order_id varchar NOT NULL,
            buyer_prosumer_id varchar NOT NULL,
            seller_prosumer_id varchar NOT NULL,
            buyer_wallet_address varchar NOT NULL,
            seller_wallet_address varchar NOT NULL,
            traded_etk_amount numeric NOT NULL,
            price_idrs_per_etk numeric NOT NULL,
            total_idrs_value numeric NOT NULL,
            trade_timestamp timestamp NOT NULL DEFAULT now(),
            created_at timestamp NOT NULL DEFAULT now(),
            CONSTRAINT "PK_aa4b47c97292f0159fffdc06f1a" PRIMARY KEY (trade_id),
            CONSTRAINT "FK_3bd880c31d5404449e0dc6df193" FOREIGN KEY (buyer_prosumer_id) REFERENCES prosumer (prosumer_id),
            CONSTRAINT "FK_f8cc4d6a6ab01c37c844d84266b" FOREIGN KEY (seller_prosumer_id) REFERENCES prosumer (prosumer_id),
            CONSTRAINT "FK_dc929bc95682e0678049f43ddb5" FOREIGN KEY (buyer_wallet_address)
                REFERENCES wallet (wallet_address),
            CONSTRAINT "FK_b591cf3126b7921c204da704ccf" FOREIGN KEY (seller_wallet_address)
                REFERENCES wallet (wallet_address)
        );
        """,
    ),
    (
        "idrs_conversion",
        [
            "conversion_id",
            "prosumer_id",
            "wallet_address",
            "conversion_type",
            "idr_amount",
            "idrs_amount",
            "exchange_rate",
            "status",
            "created_at",
        ],
        """
        CREATE TABLE idrs_conversion (
            conversion_id serial NOT NULL,
            prosumer_id varchar NOT NULL,
            wallet_address varchar NOT NULL,
            conversion_type varchar NOT NULL,
            idr_amount numeric,
            idrs_amount numeric NOT NULL,
            exchange_rate numeric,
            status varchar NOT NULL DEFAULT 'PENDING',
            created_at timestamp NOT NULL DEFAULT now(),
            CONSTRAINT "CHK_f980e0899d916aa70b9afe26624" CHECK (conversion_type IN ('ON_RAMP', 'OFF_RAMP')),
            CONSTRAINT "PK_7622a9b91d317f137206461e8f8" PRIMARY KEY (conversion_id),
            CONSTRAINT "FK_15a7628a4469051961a261fea17" FOREIGN KEY (prosumer_id) REFERENCES prosumer (prosumer_id),
            CONSTRAINT "FK_5ac7111207f3ab65e6b77e145f8" FOREIGN KEY (wallet_address)
                REFERENCES wallet (wallet_address)
        );
        """,
    ),
    (
        "token_blacklist",
        [
            "blacklist_id",
            "blacklist_type",
            "prosumer_id",
            "token_hash",
            "reason",
            "expires_at",
            "is_active",
            "created_at",
        ],
        """
        IF to_regtype('token_blacklist_blacklist_type_enum') IS NULL THEN
            CREATE TYPE token_blacklist_blacklist_type_enum AS ENUM ('TOKEN', 'USER');
        END IF;
        IF to_regtype('token_blacklist_reason_enum') IS NULL THEN
            CREATE TYPE token_blacklist_reason_enum AS ENUM (
                'LOGOUT', 'LOGOUT_ALL_DEVICES', 'SECURITY_BREACH', 'ADMIN_ACTION', 'EXPIRED');
        END IF;
        CREATE TABLE token_blacklist (
            blacklist_id serial NOT NULL,
            blacklist_type token_blacklist_blacklist_type_enum NOT NULL,
            prosumer_id varchar(255) NOT NULL,
            token_hash varchar(255),
            reason token_blacklist_reason_enum NOT NULL DEFAULT 'LOGOUT',
            expires_at timestamptz NOT NULL,
            is_active boolean NOT NULL DEFAULT true,
            created_at timestamp NOT NULL DEFAULT now(),
            CONSTRAINT "PK_17b3902baa94df28557059b0ac8" PRIMARY KEY (blacklist_id),
            CONSTRAINT "FK_6ce14a152c155e564458ddbd58f" FOREIGN KEY (prosumer_id) REFERENCES prosumer (prosumer_id)
                ON DELETE CASCADE
        );
        CREATE INDEX "IDX_1a320f4470d1b5517ee5553b66" ON token_blacklist (prosumer_id);
        CREATE INDEX "IDX_fc93690d4ba3c359bfaaa99a7a" ON token_blacklist (token_hash);
        """,
    ),
]


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("accounts", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                # Irreversible on purpose: reversing would drop the production tables.
                migrations.RunSQL(create_unless_present(table, columns, create_sql))
                for table, columns, create_sql in LEGACY_TABLES
            ],
            state_operations=[
                migrations.CreateModel(
                    name="SystemConfig",
                    fields=[
                        ("config_key", models.CharField(primary_key=True, serialize=False)),
                        ("config_value", models.CharField()),
                        ("updated_by", models.CharField(blank=True, null=True)),
                    ],
                    options={
                        "db_table": "system_config",
                    },
                ),
                migrations.CreateModel(
                    name="SmartMeter",
                    fields=[
                        ("meter_id", models.CharField(primary_key=True, serialize=False)),
                        ("meter_blockchain_address", models.CharField(blank=True, null=True)),
                        ("location", models.CharField(blank=True, null=True)),
                        ("status", models.CharField(blank=True, null=True)),
                        (
                            "created_at",
                            enerlink.fields.LegacyTimestampField(
                                db_default=django.db.models.functions.datetime.Now()
                            ),
                        ),
                        ("last_seen", enerlink.fields.LegacyTimestampField(blank=True, null=True)),
                        (
                            "updated_at",
                            enerlink.fields.LegacyTimestampField(
                                db_default=django.db.models.functions.datetime.Now()
                            ),
                        ),
                        ("settlement_interval_minutes", models.IntegerField(blank=True, null=True)),
                        ("firmware_version", models.CharField(blank=True, null=True)),
                        (
                            "prosumer",
                            models.ForeignKey(
                                db_column="prosumer_id",
                                db_index=False,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="smart_meters",
                                to="accounts.prosumer",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "smart_meter",
                    },
                ),
                migrations.CreateModel(
                    name="EnergySettlement",
                    fields=[
                        ("settlement_id", models.AutoField(primary_key=True, serialize=False)),
                        ("period_start_time", enerlink.fields.LegacyTimestampField()),
                        ("period_end_time", enerlink.fields.LegacyTimestampField()),
                        ("net_kwh_from_grid", enerlink.fields.UnboundedDecimalField()),
                        ("etk_amount_credited", enerlink.fields.UnboundedDecimalField(blank=True, null=True)),
                        ("blockchain_tx_hash", models.CharField(blank=True, null=True)),
                        ("status", models.CharField(db_default="PENDING", default="PENDING")),
                        (
                            "created_at_backend",
                            enerlink.fields.LegacyTimestampField(
                                db_default=django.db.models.functions.datetime.Now()
                            ),
                        ),
                        (
                            "meter",
                            models.ForeignKey(
                                db_column="meter_id",
                                db_index=False,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="settlements",
                                to="energy.smartmeter",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "energy_settlement",
                    },
                ),
                migrations.CreateModel(
                    name="TradeOrder",
                    fields=[
                        ("order_id", models.CharField(primary_key=True, serialize=False)),
                        ("order_type", models.CharField()),
                        ("pair", models.CharField(db_default="ETK/IDRS", default="ETK/IDRS")),
                        ("amount_etk", enerlink.fields.UnboundedDecimalField()),
                        ("price_idrs_per_etk", enerlink.fields.UnboundedDecimalField()),
                        ("status_on_chain", models.CharField(db_default="OPEN", default="OPEN")),
                        (
                            "created_at_on_chain",
                            enerlink.fields.LegacyTimestampField(
                                db_default=django.db.models.functions.datetime.Now()
                            ),
                        ),
                        (
                            "updated_at_cache",
                            enerlink.fields.LegacyTimestampField(
                                db_default=django.db.models.functions.datetime.Now()
                            ),
                        ),
                        (
                            "prosumer",
                            models.ForeignKey(
                                db_column="prosumer_id",
                                db_index=False,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="trade_orders",
                                to="accounts.prosumer",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "trade_orders_cache",
                    },
                ),
                migrations.CreateModel(
                    name="TransactionLog",
                    fields=[
                        ("log_id", models.AutoField(primary_key=True, serialize=False)),
                        ("transaction_type", models.CharField()),
                        ("description", models.CharField(blank=True, null=True)),
                        ("amount_primary", enerlink.fields.UnboundedDecimalField()),
                        ("currency_primary", models.CharField()),
                        ("blockchain_tx_hash", models.CharField(blank=True, null=True)),
                        (
                            "transaction_timestamp",
                            enerlink.fields.LegacyTimestampField(
                                db_default=django.db.models.functions.datetime.Now()
                            ),
                        ),
                        (
                            "prosumer",
                            models.ForeignKey(
                                db_column="prosumer_id",
                                db_index=False,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="transaction_logs",
                                to="accounts.prosumer",
                            ),
                        ),
                        (
                            "related_order",
                            models.ForeignKey(
                                blank=True,
                                db_column="related_order_id",
                                db_index=False,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="transaction_logs",
                                to="energy.tradeorder",
                            ),
                        ),
                        (
                            "related_settlement",
                            models.ForeignKey(
                                blank=True,
                                db_column="related_settlement_id",
                                db_index=False,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="transaction_logs",
                                to="energy.energysettlement",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "transaction_log",
                    },
                ),
                migrations.CreateModel(
                    name="Wallet",
                    fields=[
                        ("wallet_address", models.CharField(primary_key=True, serialize=False)),
                        ("wallet_name", models.CharField(blank=True, null=True)),
                        (
                            "encrypted_private_key",
                            models.CharField(blank=True, help_text="Secret: never shown.", null=True),
                        ),
                        (
                            "created_at",
                            enerlink.fields.LegacyTimestampField(
                                db_default=django.db.models.functions.datetime.Now()
                            ),
                        ),
                        ("import_method", models.CharField(db_default="GENERATED", default="GENERATED")),
                        ("is_active", models.BooleanField(db_default=True, default=True)),
                        ("last_used_at", enerlink.fields.LegacyTimestampField(blank=True, null=True)),
                        (
                            "prosumer",
                            models.ForeignKey(
                                db_column="prosumer_id",
                                db_index=False,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="wallets",
                                to="accounts.prosumer",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "wallet",
                    },
                ),
                migrations.AddField(
                    model_name="tradeorder",
                    name="wallet",
                    field=models.ForeignKey(
                        db_column="wallet_address",
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="trade_orders",
                        to="energy.wallet",
                    ),
                ),
                migrations.CreateModel(
                    name="MarketTrade",
                    fields=[
                        ("trade_id", models.AutoField(primary_key=True, serialize=False)),
                        ("buyer_order_id", models.CharField()),
                        ("seller_order_id", models.CharField()),
                        ("traded_etk_amount", enerlink.fields.UnboundedDecimalField()),
                        ("price_idrs_per_etk", enerlink.fields.UnboundedDecimalField()),
                        ("total_idrs_value", enerlink.fields.UnboundedDecimalField()),
                        (
                            "trade_timestamp",
                            enerlink.fields.LegacyTimestampField(
                                db_default=django.db.models.functions.datetime.Now()
                            ),
                        ),
                        (
                            "created_at",
                            enerlink.fields.LegacyTimestampField(
                                db_default=django.db.models.functions.datetime.Now()
                            ),
                        ),
                        (
                            "buyer_prosumer",
                            models.ForeignKey(
                                db_column="buyer_prosumer_id",
                                db_index=False,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="buy_trades",
                                to="accounts.prosumer",
                            ),
                        ),
                        (
                            "seller_prosumer",
                            models.ForeignKey(
                                db_column="seller_prosumer_id",
                                db_index=False,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="sell_trades",
                                to="accounts.prosumer",
                            ),
                        ),
                        (
                            "buyer_wallet",
                            models.ForeignKey(
                                db_column="buyer_wallet_address",
                                db_index=False,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="buy_trades",
                                to="energy.wallet",
                            ),
                        ),
                        (
                            "seller_wallet",
                            models.ForeignKey(
                                db_column="seller_wallet_address",
                                db_index=False,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="sell_trades",
                                to="energy.wallet",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "market_trade",
                    },
                ),
                migrations.CreateModel(
                    name="TokenBlacklist",
                    fields=[
                        ("blacklist_id", models.AutoField(primary_key=True, serialize=False)),
                        (
                            "blacklist_type",
                            enerlink.fields.PostgresEnumField(
                                choices=[("TOKEN", "Token"), ("USER", "User")],
                                enum_type="token_blacklist_blacklist_type_enum",
                            ),
                        ),
                        ("token_hash", models.CharField(blank=True, max_length=255, null=True)),
                        (
                            "reason",
                            enerlink.fields.PostgresEnumField(
                                choices=[
                                    ("LOGOUT", "Logout"),
                                    ("LOGOUT_ALL_DEVICES", "Logout All Devices"),
                                    ("SECURITY_BREACH", "Security Breach"),
                                    ("ADMIN_ACTION", "Admin Action"),
                                    ("EXPIRED", "Expired"),
                                ],
                                db_default="LOGOUT",
                                default="LOGOUT",
                                enum_type="token_blacklist_reason_enum",
                            ),
                        ),
                        ("expires_at", models.DateTimeField()),
                        ("is_active", models.BooleanField(db_default=True, default=True)),
                        (
                            "created_at",
                            enerlink.fields.LegacyTimestampField(
                                db_default=django.db.models.functions.datetime.Now()
                            ),
                        ),
                        (
                            "prosumer",
                            models.ForeignKey(
                                db_column="prosumer_id",
                                db_index=False,
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="token_blacklist",
                                to="accounts.prosumer",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "token_blacklist",
                        "indexes": [
                            models.Index(fields=["prosumer"], name="IDX_1a320f4470d1b5517ee5553b66"),
                            models.Index(fields=["token_hash"], name="IDX_fc93690d4ba3c359bfaaa99a7a"),
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="IdrsConversion",
                    fields=[
                        ("conversion_id", models.AutoField(primary_key=True, serialize=False)),
                        (
                            "conversion_type",
                            models.CharField(choices=[("ON_RAMP", "On Ramp"), ("OFF_RAMP", "Off Ramp")]),
                        ),
                        ("idr_amount", enerlink.fields.UnboundedDecimalField(blank=True, null=True)),
                        ("idrs_amount", enerlink.fields.UnboundedDecimalField()),
                        ("exchange_rate", enerlink.fields.UnboundedDecimalField(blank=True, null=True)),
                        ("status", models.CharField(db_default="PENDING", default="PENDING")),
                        (
                            "created_at",
                            enerlink.fields.LegacyTimestampField(
                                db_default=django.db.models.functions.datetime.Now()
                            ),
                        ),
                        (
                            "prosumer",
                            models.ForeignKey(
                                db_column="prosumer_id",
                                db_index=False,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="idrs_conversions",
                                to="accounts.prosumer",
                            ),
                        ),
                        (
                            "wallet",
                            models.ForeignKey(
                                db_column="wallet_address",
                                db_index=False,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="idrs_conversions",
                                to="energy.wallet",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "idrs_conversion",
                        "constraints": [
                            models.CheckConstraint(
                                condition=models.Q(("conversion_type__in", ["ON_RAMP", "OFF_RAMP"])),
                                name="CHK_f980e0899d916aa70b9afe26624",
                            )
                        ],
                    },
                ),
            ],
        ),
    ]
