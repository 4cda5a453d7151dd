"""The legacy ledger tables, created on an empty database or adopted as they are.

The database side is the DDL the NestJS/TypeORM backend produced: hash-named
constraints, NOT DEFERRABLE foreign keys that are ON DELETE NO ACTION except
token_blacklist's CASCADE, PostgreSQL enums, no index on most FK columns, and
the ``set_timestamp_smart_meters`` trigger. Existing tables are left untouched.
"""

from pathlib import Path

import django.db.models.deletion
import django.db.models.functions.datetime
from django.db import migrations, models

import enerlink.fields

# What this migration runs, readable beside it (manage.py sqlmigrate energy 0001 prints it).
SQL = Path(__file__).with_suffix(".sql").read_text()


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("accounts", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                # Irreversible on purpose: reversing would drop the production tables.
                migrations.RunSQL([SQL]),
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
