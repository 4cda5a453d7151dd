"""The legacy ledger tables, created on an empty database or adopted as they are.

The database side is the DDL the old backend's own TypeORM migrations leave
(docs/reference/legacy-schema.md): hash-named constraints, sequences still named
after the old plural tables, NOT DEFERRABLE foreign keys that are ON DELETE NO
ACTION except token_blacklist's CASCADE, PostgreSQL enums, no index on most FK
columns, the trigger functions, and telemetry_aggregate. Existing tables are
left untouched: their columns are compared with what the models need, and a
table that lacks one is refused before anything changes.
"""

import uuid
from pathlib import Path

import django.db.models.deletion
import django.db.models.functions.datetime
import django.utils.timezone
from django.db import migrations, models

import enerlink.fields

# What this migration runs, readable beside it (manage.py sqlmigrate energy 0001 prints it): first
# accounts 0001's guard (read as a file: energy's migrations import no other app's code), which
# refuses, before anything changes, a table that lacks a column the models read.
HERE = Path(__file__)
GUARD_SQL = (HERE.resolve().parents[2] / "accounts" / "migrations" / "0001_initial.guard.sql").read_text()
SQL = HERE.with_suffix(".sql").read_text()


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("accounts", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                # Irreversible on purpose: reversing would drop the production tables.
                migrations.RunSQL([GUARD_SQL, SQL]),
            ],
            state_operations=[
                migrations.CreateModel(
                    name="SmartMeter",
                    fields=[
                        ("meter_id", models.CharField(primary_key=True, serialize=False)),
                        ("meter_blockchain_address", models.CharField(blank=True, null=True)),
                        ("location", models.CharField(blank=True, null=True)),
                        ("status", models.CharField(blank=True, null=True)),
                        (
                            "created_at",
                            enerlink.fields.LegacyTimestampField(default=django.utils.timezone.now),
                        ),
                        ("last_seen", enerlink.fields.LegacyTimestampField(blank=True, null=True)),
                        (
                            "updated_at",
                            enerlink.fields.LegacyTimestampField(default=django.utils.timezone.now),
                        ),
                        ("settlement_interval_minutes", models.IntegerField(blank=True, null=True)),
                        ("mqtt_topic_realtime", models.CharField(blank=True, null=True)),
                        ("mqtt_topic_settlement", models.CharField(blank=True, null=True)),
                        ("firmware_version", models.CharField(blank=True, null=True)),
                        ("last_settlement_at", enerlink.fields.LegacyTimestampField(blank=True, null=True)),
                        ("device_configuration", models.CharField(blank=True, null=True)),
                        ("last_heartbeat_at", enerlink.fields.LegacyTimestampField(blank=True, null=True)),
                        ("device_model", models.CharField(blank=True, null=True)),
                        ("device_version", models.CharField(blank=True, null=True)),
                        ("capabilities", models.CharField(blank=True, null=True)),
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
                    options={"db_table": "smart_meter"},
                ),
                migrations.CreateModel(
                    name="EnergySettlement",
                    fields=[
                        ("settlement_id", models.AutoField(primary_key=True, serialize=False)),
                        ("period_start_time", enerlink.fields.LegacyTimestampField()),
                        ("period_end_time", enerlink.fields.LegacyTimestampField()),
                        (
                            "net_wh_from_grid",
                            enerlink.fields.UnboundedDecimalField(
                                db_comment="Net energy from grid in Watt-hours (Wh)"
                            ),
                        ),
                        ("etk_amount_credited", enerlink.fields.UnboundedDecimalField(blank=True, null=True)),
                        (
                            "raw_export_wh",
                            enerlink.fields.UnboundedDecimalField(
                                blank=True, null=True, db_comment="Raw export energy in Watt-hours (Wh)"
                            ),
                        ),
                        (
                            "raw_import_wh",
                            enerlink.fields.UnboundedDecimalField(
                                blank=True, null=True, db_comment="Raw import energy in Watt-hours (Wh)"
                            ),
                        ),
                        ("blockchain_tx_hash", models.CharField(blank=True, null=True)),
                        ("status", models.CharField(default="PENDING")),
                        (
                            "created_at_backend",
                            enerlink.fields.LegacyTimestampField(default=django.utils.timezone.now),
                        ),
                        (
                            "confirmed_at_on_chain",
                            enerlink.fields.LegacyTimestampField(blank=True, null=True),
                        ),
                        ("settlement_trigger", models.CharField()),
                        ("validation_status", models.CharField(blank=True, null=True)),
                        ("settlement_data_source", models.CharField(blank=True, null=True)),
                        ("detailed_energy_breakdown", models.CharField(blank=True, null=True)),
                        ("mqtt_message_id", models.CharField(blank=True, null=True)),
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
                    options={"db_table": "energy_settlement"},
                ),
                migrations.CreateModel(
                    name="TransactionLog",
                    fields=[
                        ("log_id", models.AutoField(primary_key=True, serialize=False)),
                        ("related_order_id", models.CharField(blank=True, null=True)),
                        ("transaction_type", models.CharField()),
                        ("description", models.CharField(blank=True, null=True)),
                        ("amount_primary", enerlink.fields.UnboundedDecimalField()),
                        ("currency_primary", models.CharField()),
                        ("amount_secondary", enerlink.fields.UnboundedDecimalField(blank=True, null=True)),
                        ("currency_secondary", models.CharField(blank=True, null=True)),
                        ("blockchain_tx_hash", models.CharField(blank=True, null=True)),
                        (
                            "transaction_timestamp",
                            enerlink.fields.LegacyTimestampField(default=django.utils.timezone.now),
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
                            "related_settlement",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                db_column="related_settlement_id",
                                db_index=False,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="transaction_logs",
                                to="energy.energysettlement",
                            ),
                        ),
                    ],
                    options={"db_table": "transaction_log"},
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
                            enerlink.fields.LegacyTimestampField(default=django.utils.timezone.now),
                        ),
                        ("import_method", models.CharField(default="GENERATED")),
                        ("is_active", models.BooleanField(default=True)),
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
                    options={"db_table": "wallet"},
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
                        ("gas_fee_wei", enerlink.fields.UnboundedDecimalField(blank=True, null=True)),
                        ("blockchain_tx_hash", models.CharField(blank=True, null=True)),
                        (
                            "trade_timestamp",
                            enerlink.fields.LegacyTimestampField(default=django.utils.timezone.now),
                        ),
                        (
                            "created_at",
                            enerlink.fields.LegacyTimestampField(default=django.utils.timezone.now),
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
                    options={"db_table": "market_trade"},
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
                        ("ip_address", models.GenericIPAddressField(blank=True, null=True)),
                        ("user_agent", models.TextField(blank=True, null=True)),
                        ("expires_at", models.DateTimeField()),
                        ("is_active", models.BooleanField(db_default=True, default=True)),
                        ("created_by", models.CharField(blank=True, max_length=255, null=True)),
                        ("notes", models.TextField(blank=True, null=True)),
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
                        ("blockchain_tx_hash", models.CharField(blank=True, null=True)),
                        ("status", models.CharField(default="PENDING")),
                        ("simulation_note", models.CharField(blank=True, null=True)),
                        (
                            "created_at",
                            enerlink.fields.LegacyTimestampField(default=django.utils.timezone.now),
                        ),
                        ("confirmed_at", enerlink.fields.LegacyTimestampField(blank=True, null=True)),
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
                    options={"db_table": "idrs_conversion"},
                ),
                migrations.CreateModel(
                    name="TelemetryAggregate",
                    fields=[
                        (
                            "pk",
                            models.CompositePrimaryKey(
                                "id",
                                "hour_start",
                                blank=True,
                                editable=False,
                                primary_key=True,
                                serialize=False,
                            ),
                        ),
                        (
                            "id",
                            models.UUIDField(
                                default=uuid.uuid4, db_default=models.Func(function="uuid_generate_v4")
                            ),
                        ),
                        ("meter_id", models.CharField(max_length=50, db_column="meterId")),
                        ("hour_start", models.DateTimeField(db_column="hourStart")),
                        (
                            "data_points_count",
                            models.IntegerField(default=0, db_default=0, db_column="dataPointsCount"),
                        ),
                        (
                            "battery_voltage_avg",
                            models.DecimalField(
                                max_digits=10,
                                decimal_places=5,
                                null=True,
                                blank=True,
                                db_column="batteryVoltageAvg",
                            ),
                        ),
                        (
                            "battery_voltage_min",
                            models.DecimalField(
                                max_digits=10,
                                decimal_places=5,
                                null=True,
                                blank=True,
                                db_column="batteryVoltageMin",
                            ),
                        ),
                        (
                            "battery_voltage_max",
                            models.DecimalField(
                                max_digits=10,
                                decimal_places=5,
                                null=True,
                                blank=True,
                                db_column="batteryVoltageMax",
                            ),
                        ),
                        (
                            "battery_soc_avg",
                            models.DecimalField(
                                max_digits=10,
                                decimal_places=5,
                                null=True,
                                blank=True,
                                db_column="batterySocAvg",
                            ),
                        ),
                        (
                            "battery_soc_min",
                            models.DecimalField(
                                max_digits=10,
                                decimal_places=5,
                                null=True,
                                blank=True,
                                db_column="batterySocMin",
                            ),
                        ),
                        (
                            "battery_soc_max",
                            models.DecimalField(
                                max_digits=10,
                                decimal_places=5,
                                null=True,
                                blank=True,
                                db_column="batterySocMax",
                            ),
                        ),
                        (
                            "battery_charge_rate_avg",
                            models.DecimalField(
                                max_digits=10,
                                decimal_places=5,
                                null=True,
                                blank=True,
                                db_column="batteryChargeRateAvg",
                            ),
                        ),
                        (
                            "export_power_avg",
                            models.DecimalField(
                                max_digits=15,
                                decimal_places=5,
                                null=True,
                                blank=True,
                                db_column="exportPowerAvg",
                            ),
                        ),
                        (
                            "export_power_max",
                            models.DecimalField(
                                max_digits=15,
                                decimal_places=5,
                                null=True,
                                blank=True,
                                db_column="exportPowerMax",
                            ),
                        ),
                        (
                            "export_energy_total",
                            models.DecimalField(
                                max_digits=15,
                                decimal_places=5,
                                null=True,
                                blank=True,
                                db_column="exportEnergyTotal",
                            ),
                        ),
                        (
                            "import_power_avg",
                            models.DecimalField(
                                max_digits=15,
                                decimal_places=5,
                                null=True,
                                blank=True,
                                db_column="importPowerAvg",
                            ),
                        ),
                        (
                            "import_power_max",
                            models.DecimalField(
                                max_digits=15,
                                decimal_places=5,
                                null=True,
                                blank=True,
                                db_column="importPowerMax",
                            ),
                        ),
                        (
                            "import_energy_total",
                            models.DecimalField(
                                max_digits=15,
                                decimal_places=5,
                                null=True,
                                blank=True,
                                db_column="importEnergyTotal",
                            ),
                        ),
                        (
                            "load_smart_power_avg",
                            models.DecimalField(
                                max_digits=15,
                                decimal_places=5,
                                null=True,
                                blank=True,
                                db_column="loadSmartPowerAvg",
                            ),
                        ),
                        (
                            "load_smart_power_max",
                            models.DecimalField(
                                max_digits=15,
                                decimal_places=5,
                                null=True,
                                blank=True,
                                db_column="loadSmartPowerMax",
                            ),
                        ),
                        (
                            "load_smart_energy_total",
                            models.DecimalField(
                                max_digits=15,
                                decimal_places=5,
                                null=True,
                                blank=True,
                                db_column="loadSmartEnergyTotal",
                            ),
                        ),
                        (
                            "load_home_power_avg",
                            models.DecimalField(
                                max_digits=15,
                                decimal_places=5,
                                null=True,
                                blank=True,
                                db_column="loadHomePowerAvg",
                            ),
                        ),
                        (
                            "load_home_power_max",
                            models.DecimalField(
                                max_digits=15,
                                decimal_places=5,
                                null=True,
                                blank=True,
                                db_column="loadHomePowerMax",
                            ),
                        ),
                        (
                            "load_home_energy_total",
                            models.DecimalField(
                                max_digits=15,
                                decimal_places=5,
                                null=True,
                                blank=True,
                                db_column="loadHomeEnergyTotal",
                            ),
                        ),
                        (
                            "solar_input_power_avg",
                            models.DecimalField(
                                max_digits=15,
                                decimal_places=5,
                                null=True,
                                blank=True,
                                db_column="solarInputPowerAvg",
                            ),
                        ),
                        (
                            "solar_input_power_max",
                            models.DecimalField(
                                max_digits=15,
                                decimal_places=5,
                                null=True,
                                blank=True,
                                db_column="solarInputPowerMax",
                            ),
                        ),
                        (
                            "solar_input_energy_total",
                            models.DecimalField(
                                max_digits=15,
                                decimal_places=5,
                                null=True,
                                blank=True,
                                db_column="solarInputEnergyTotal",
                            ),
                        ),
                        (
                            "solar_output_power_avg",
                            models.DecimalField(
                                max_digits=15,
                                decimal_places=5,
                                null=True,
                                blank=True,
                                db_column="solarOutputPowerAvg",
                            ),
                        ),
                        (
                            "solar_output_power_max",
                            models.DecimalField(
                                max_digits=15,
                                decimal_places=5,
                                null=True,
                                blank=True,
                                db_column="solarOutputPowerMax",
                            ),
                        ),
                        (
                            "solar_output_energy_total",
                            models.DecimalField(
                                max_digits=15,
                                decimal_places=5,
                                null=True,
                                blank=True,
                                db_column="solarOutputEnergyTotal",
                            ),
                        ),
                        (
                            "net_solar_power_avg",
                            models.DecimalField(
                                max_digits=15,
                                decimal_places=5,
                                null=True,
                                blank=True,
                                db_column="netSolarPowerAvg",
                            ),
                        ),
                        (
                            "net_solar_energy_total",
                            models.DecimalField(
                                max_digits=15,
                                decimal_places=5,
                                null=True,
                                blank=True,
                                db_column="netSolarEnergyTotal",
                            ),
                        ),
                        (
                            "net_grid_power_avg",
                            models.DecimalField(
                                max_digits=15,
                                decimal_places=5,
                                null=True,
                                blank=True,
                                db_column="netGridPowerAvg",
                            ),
                        ),
                        (
                            "net_grid_energy_total",
                            models.DecimalField(
                                max_digits=15,
                                decimal_places=5,
                                null=True,
                                blank=True,
                                db_column="netGridEnergyTotal",
                            ),
                        ),
                        (
                            "wifi_rssi_avg",
                            models.IntegerField(null=True, blank=True, db_column="wifiRssiAvg"),
                        ),
                        (
                            "mqtt_disconnections",
                            models.IntegerField(null=True, blank=True, db_column="mqttDisconnections"),
                        ),
                        (
                            "free_heap_avg",
                            models.BigIntegerField(null=True, blank=True, db_column="freeHeapAvg"),
                        ),
                        (
                            "created_at",
                            models.DateTimeField(
                                default=django.utils.timezone.now,
                                db_default=django.db.models.functions.datetime.Now(),
                                db_column="createdAt",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "telemetry_aggregate",
                        "indexes": [
                            models.Index(
                                fields=["meter_id", "hour_start"], name="IDX_6f42afcdb47cb7077f4074198d"
                            ),
                            models.Index(fields=["hour_start"], name="IDX_f10a714a7c920cc61aab041d99"),
                        ],
                    },
                ),
            ],
        ),
    ]
