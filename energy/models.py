"""The energy-trading ledger, mirroring the real TypeORM tables column for column.

The real tables are those the old backend's own migrations leave just before its
rename (docs/reference/legacy-schema.md): most timestamps and statuses have no
database default, so the models supply them, as TypeORM did in Node. Every
foreign key to a platform user is ``PROTECT`` (the database rule is ``NO
ACTION``): ledger rows must never vanish because a user was deleted. The one
exception, as in the database, is the token blacklist, which cascades. No
foreign key asks Django for an index: the legacy database had none, and the
named ones below (the guide's names) are built concurrently by a migration of
their own, after the rename.
"""

import uuid

from django.db import models
from django.db.models.functions import Now
from django.utils import timezone

from enerlink.fields import LegacyTimestampField, PostgresEnumField, UnboundedDecimalField

USER_MODEL = "accounts.User"


class Wallet(models.Model):
    wallet_address = models.CharField(primary_key=True)
    user = models.ForeignKey(
        USER_MODEL,
        models.PROTECT,
        db_column="user_id",
        db_comment="Reference to user who owns this wallet",
        db_index=False,
        db_constraint=True,
        related_name="wallets",
    )
    wallet_name = models.CharField(null=True, blank=True)
    encrypted_private_key = models.CharField(null=True, blank=True, help_text="Secret: never shown.")
    created_at = LegacyTimestampField(default=timezone.now)
    import_method = models.CharField(default="GENERATED")
    is_active = models.BooleanField(default=True)
    last_used_at = LegacyTimestampField(null=True, blank=True)

    class Meta:
        db_table = "wallet"
        indexes = [
            models.Index(fields=["user"], name="idx_wallet_user_id"),
            models.Index(
                fields=["user", "is_active"],
                name="idx_wallet_user_active",
                condition=models.Q(is_active=True),
            ),
        ]

    def __str__(self):
        return self.wallet_address


class SmartMeter(models.Model):
    meter_id = models.CharField(primary_key=True)
    user = models.ForeignKey(
        USER_MODEL,
        models.PROTECT,
        db_column="user_id",
        db_comment="Reference to user who owns this meter",
        db_index=False,
        related_name="smart_meters",
    )
    meter_blockchain_address = models.CharField(null=True, blank=True)
    location = models.CharField(null=True, blank=True)
    status = models.CharField(null=True, blank=True)
    created_at = LegacyTimestampField(default=timezone.now)
    last_seen = LegacyTimestampField(null=True, blank=True)
    updated_at = LegacyTimestampField(default=timezone.now)
    settlement_interval_minutes = models.IntegerField(null=True, blank=True)
    mqtt_topic_realtime = models.CharField(null=True, blank=True)
    mqtt_topic_settlement = models.CharField(null=True, blank=True)
    firmware_version = models.CharField(null=True, blank=True)
    last_settlement_at = LegacyTimestampField(null=True, blank=True)
    device_configuration = models.CharField(null=True, blank=True)
    last_heartbeat_at = LegacyTimestampField(null=True, blank=True)
    device_model = models.CharField(null=True, blank=True)
    device_version = models.CharField(null=True, blank=True)
    capabilities = models.CharField(null=True, blank=True)

    class Meta:
        db_table = "smart_meter"
        indexes = [
            models.Index(fields=["user"], name="idx_smartmeter_user_id"),
            models.Index(fields=["user", "status"], name="idx_smartmeter_user_status"),
        ]

    def __str__(self):
        return self.meter_id


class EnergySettlement(models.Model):
    # The *_wh columns hold what the backend wrote: the upstream renamed them from *_kwh without
    # converting the values (its migration 1761992645604 says so).
    settlement_id = models.AutoField(primary_key=True)
    meter = models.ForeignKey(
        SmartMeter,
        models.PROTECT,
        db_column="meter_id",
        db_index=False,
        related_name="settlements",
    )
    period_start_time = LegacyTimestampField()
    period_end_time = LegacyTimestampField()
    net_wh_from_grid = UnboundedDecimalField(db_comment="Net energy from grid in Watt-hours (Wh)")
    etk_amount_credited = UnboundedDecimalField(null=True, blank=True)
    raw_export_wh = UnboundedDecimalField(
        null=True, blank=True, db_comment="Raw export energy in Watt-hours (Wh)"
    )
    raw_import_wh = UnboundedDecimalField(
        null=True, blank=True, db_comment="Raw import energy in Watt-hours (Wh)"
    )
    blockchain_tx_hash = models.CharField(null=True, blank=True)
    status = models.CharField(default="PENDING")
    created_at_backend = LegacyTimestampField(default=timezone.now)
    confirmed_at_on_chain = LegacyTimestampField(null=True, blank=True)
    settlement_trigger = models.CharField()
    validation_status = models.CharField(null=True, blank=True)
    settlement_data_source = models.CharField(null=True, blank=True)
    detailed_energy_breakdown = models.CharField(null=True, blank=True)
    mqtt_message_id = models.CharField(null=True, blank=True)

    class Meta:
        db_table = "energy_settlement"

    def __str__(self):
        return f"settlement {self.settlement_id}"


class TransactionLog(models.Model):
    log_id = models.AutoField(primary_key=True)
    user = models.ForeignKey(
        USER_MODEL,
        models.PROTECT,
        db_column="user_id",
        db_comment="Reference to user associated with this transaction",
        db_index=False,
        related_name="transaction_logs",
    )
    # An order id of the blockchain's order book: no key (the upstream dropped trade_orders_cache).
    related_order_id = models.CharField(null=True, blank=True)
    related_settlement = models.ForeignKey(
        EnergySettlement,
        models.PROTECT,
        db_column="related_settlement_id",
        db_index=False,
        null=True,
        blank=True,
        related_name="transaction_logs",
    )
    transaction_type = models.CharField()
    description = models.CharField(null=True, blank=True)
    amount_primary = UnboundedDecimalField()
    currency_primary = models.CharField()
    amount_secondary = UnboundedDecimalField(null=True, blank=True)
    currency_secondary = models.CharField(null=True, blank=True)
    blockchain_tx_hash = models.CharField(null=True, blank=True)
    transaction_timestamp = LegacyTimestampField(default=timezone.now)

    class Meta:
        db_table = "transaction_log"
        indexes = [models.Index(fields=["user"], name="idx_transactionlog_user_id")]

    def __str__(self):
        return f"transaction {self.log_id}"


class MarketTrade(models.Model):
    trade_id = models.AutoField(primary_key=True)
    buyer_order_id = models.CharField()
    seller_order_id = models.CharField()
    buyer_user = models.ForeignKey(
        USER_MODEL,
        models.PROTECT,
        db_column="buyer_user_id",
        db_comment="User ID of the buyer",
        db_index=False,
        related_name="buy_trades",
    )
    seller_user = models.ForeignKey(
        USER_MODEL,
        models.PROTECT,
        db_column="seller_user_id",
        db_comment="User ID of the seller",
        db_index=False,
        related_name="sell_trades",
    )
    buyer_wallet = models.ForeignKey(
        Wallet,
        models.PROTECT,
        db_column="buyer_wallet_address",
        db_index=False,
        related_name="buy_trades",
    )
    seller_wallet = models.ForeignKey(
        Wallet,
        models.PROTECT,
        db_column="seller_wallet_address",
        db_index=False,
        related_name="sell_trades",
    )
    traded_etk_amount = UnboundedDecimalField()
    price_idrs_per_etk = UnboundedDecimalField()
    total_idrs_value = UnboundedDecimalField()
    gas_fee_wei = UnboundedDecimalField(null=True, blank=True)
    blockchain_tx_hash = models.CharField(null=True, blank=True)
    trade_timestamp = LegacyTimestampField(default=timezone.now)
    created_at = LegacyTimestampField(default=timezone.now)

    class Meta:
        db_table = "market_trade"
        indexes = [
            models.Index(fields=["buyer_user"], name="idx_markettrade_buyer_user"),
            models.Index(fields=["seller_user"], name="idx_markettrade_seller_user"),
        ]

    def __str__(self):
        return f"trade {self.trade_id}"


class IdrsConversion(models.Model):
    class ConversionType(models.TextChoices):
        ON_RAMP = "ON_RAMP"
        OFF_RAMP = "OFF_RAMP"

    conversion_id = models.AutoField(primary_key=True)
    user = models.ForeignKey(
        USER_MODEL,
        models.PROTECT,
        db_column="user_id",
        db_comment="Reference to user who performed this conversion",
        db_index=False,
        related_name="idrs_conversions",
    )
    wallet = models.ForeignKey(
        Wallet,
        models.PROTECT,
        db_column="wallet_address",
        db_index=False,
        related_name="idrs_conversions",
    )
    conversion_type = models.CharField(choices=ConversionType.choices)
    idr_amount = UnboundedDecimalField(null=True, blank=True)
    idrs_amount = UnboundedDecimalField()
    exchange_rate = UnboundedDecimalField(null=True, blank=True)
    blockchain_tx_hash = models.CharField(null=True, blank=True)
    status = models.CharField(default="PENDING")
    simulation_note = models.CharField(null=True, blank=True)
    created_at = LegacyTimestampField(default=timezone.now)
    confirmed_at = LegacyTimestampField(null=True, blank=True)

    class Meta:
        db_table = "idrs_conversion"
        indexes = [models.Index(fields=["user"], name="idx_idrsconversion_user_id")]

    def __str__(self):
        return f"conversion {self.conversion_id}"


class TokenBlacklist(models.Model):
    class BlacklistType(models.TextChoices):
        TOKEN = "TOKEN"  # noqa: S105 (a kind of blacklist entry, not a password)
        USER = "USER"

    class Reason(models.TextChoices):
        LOGOUT = "LOGOUT"
        LOGOUT_ALL_DEVICES = "LOGOUT_ALL_DEVICES"
        SECURITY_BREACH = "SECURITY_BREACH"
        ADMIN_ACTION = "ADMIN_ACTION"
        EXPIRED = "EXPIRED"

    blacklist_id = models.AutoField(primary_key=True)
    blacklist_type = PostgresEnumField(
        choices=BlacklistType.choices,
        enum_type="token_blacklist_blacklist_type_enum",
    )
    user = models.ForeignKey(
        USER_MODEL,
        models.CASCADE,
        db_column="user_id",
        db_comment="Reference to user whose token is blacklisted",
        db_index=False,
        related_name="token_blacklist",
    )
    token_hash = models.CharField(max_length=255, null=True, blank=True)
    reason = PostgresEnumField(
        choices=Reason.choices,
        enum_type="token_blacklist_reason_enum",
        db_default="LOGOUT",
        default="LOGOUT",
    )
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.TextField(null=True, blank=True)
    expires_at = models.DateTimeField()
    is_active = models.BooleanField(db_default=True, default=True)
    created_by = models.CharField(max_length=255, null=True, blank=True)
    notes = models.TextField(null=True, blank=True)
    created_at = LegacyTimestampField(db_default=Now())

    class Meta:
        db_table = "token_blacklist"
        # The real table also has TypeORM's indexes on blacklist_type, is_active and expires_at; the
        # report asks only for these two (the older shape of the database lacks the other three).
        indexes = [
            models.Index(fields=["user"], name="idx_tokenblacklist_user_id"),
            models.Index(fields=["token_hash"], name="IDX_fc93690d4ba3c359bfaaa99a7a"),
        ]

    def __str__(self):
        return f"blacklist {self.blacklist_id}"


class TelemetryAggregate(models.Model):
    """Hourly aggregates of a meter's telemetry (camelCase columns, as TypeORM named them).

    Part of the ledger, untouched by the rename: no column of it names a user.
    Its key is (id, hourStart), the shape TimescaleDB wants for a hypertable.
    """

    pk = models.CompositePrimaryKey("id", "hour_start")
    id = models.UUIDField(default=uuid.uuid4, db_default=models.Func(function="uuid_generate_v4"))
    meter_id = models.CharField(max_length=50, db_column="meterId")
    hour_start = models.DateTimeField(db_column="hourStart")
    data_points_count = models.IntegerField(default=0, db_default=0, db_column="dataPointsCount")
    battery_voltage_avg = models.DecimalField(
        max_digits=10, decimal_places=5, null=True, blank=True, db_column="batteryVoltageAvg"
    )
    battery_voltage_min = models.DecimalField(
        max_digits=10, decimal_places=5, null=True, blank=True, db_column="batteryVoltageMin"
    )
    battery_voltage_max = models.DecimalField(
        max_digits=10, decimal_places=5, null=True, blank=True, db_column="batteryVoltageMax"
    )
    battery_soc_avg = models.DecimalField(
        max_digits=10, decimal_places=5, null=True, blank=True, db_column="batterySocAvg"
    )
    battery_soc_min = models.DecimalField(
        max_digits=10, decimal_places=5, null=True, blank=True, db_column="batterySocMin"
    )
    battery_soc_max = models.DecimalField(
        max_digits=10, decimal_places=5, null=True, blank=True, db_column="batterySocMax"
    )
    battery_charge_rate_avg = models.DecimalField(
        max_digits=10, decimal_places=5, null=True, blank=True, db_column="batteryChargeRateAvg"
    )
    export_power_avg = models.DecimalField(
        max_digits=15, decimal_places=5, null=True, blank=True, db_column="exportPowerAvg"
    )
    export_power_max = models.DecimalField(
        max_digits=15, decimal_places=5, null=True, blank=True, db_column="exportPowerMax"
    )
    export_energy_total = models.DecimalField(
        max_digits=15, decimal_places=5, null=True, blank=True, db_column="exportEnergyTotal"
    )
    import_power_avg = models.DecimalField(
        max_digits=15, decimal_places=5, null=True, blank=True, db_column="importPowerAvg"
    )
    import_power_max = models.DecimalField(
        max_digits=15, decimal_places=5, null=True, blank=True, db_column="importPowerMax"
    )
    import_energy_total = models.DecimalField(
        max_digits=15, decimal_places=5, null=True, blank=True, db_column="importEnergyTotal"
    )
    load_smart_power_avg = models.DecimalField(
        max_digits=15, decimal_places=5, null=True, blank=True, db_column="loadSmartPowerAvg"
    )
    load_smart_power_max = models.DecimalField(
        max_digits=15, decimal_places=5, null=True, blank=True, db_column="loadSmartPowerMax"
    )
    load_smart_energy_total = models.DecimalField(
        max_digits=15, decimal_places=5, null=True, blank=True, db_column="loadSmartEnergyTotal"
    )
    load_home_power_avg = models.DecimalField(
        max_digits=15, decimal_places=5, null=True, blank=True, db_column="loadHomePowerAvg"
    )
    load_home_power_max = models.DecimalField(
        max_digits=15, decimal_places=5, null=True, blank=True, db_column="loadHomePowerMax"
    )
    load_home_energy_total = models.DecimalField(
        max_digits=15, decimal_places=5, null=True, blank=True, db_column="loadHomeEnergyTotal"
    )
    solar_input_power_avg = models.DecimalField(
        max_digits=15, decimal_places=5, null=True, blank=True, db_column="solarInputPowerAvg"
    )
    solar_input_power_max = models.DecimalField(
        max_digits=15, decimal_places=5, null=True, blank=True, db_column="solarInputPowerMax"
    )
    solar_input_energy_total = models.DecimalField(
        max_digits=15, decimal_places=5, null=True, blank=True, db_column="solarInputEnergyTotal"
    )
    solar_output_power_avg = models.DecimalField(
        max_digits=15, decimal_places=5, null=True, blank=True, db_column="solarOutputPowerAvg"
    )
    solar_output_power_max = models.DecimalField(
        max_digits=15, decimal_places=5, null=True, blank=True, db_column="solarOutputPowerMax"
    )
    solar_output_energy_total = models.DecimalField(
        max_digits=15, decimal_places=5, null=True, blank=True, db_column="solarOutputEnergyTotal"
    )
    net_solar_power_avg = models.DecimalField(
        max_digits=15, decimal_places=5, null=True, blank=True, db_column="netSolarPowerAvg"
    )
    net_solar_energy_total = models.DecimalField(
        max_digits=15, decimal_places=5, null=True, blank=True, db_column="netSolarEnergyTotal"
    )
    net_grid_power_avg = models.DecimalField(
        max_digits=15, decimal_places=5, null=True, blank=True, db_column="netGridPowerAvg"
    )
    net_grid_energy_total = models.DecimalField(
        max_digits=15, decimal_places=5, null=True, blank=True, db_column="netGridEnergyTotal"
    )
    wifi_rssi_avg = models.IntegerField(null=True, blank=True, db_column="wifiRssiAvg")
    mqtt_disconnections = models.IntegerField(null=True, blank=True, db_column="mqttDisconnections")
    free_heap_avg = models.BigIntegerField(null=True, blank=True, db_column="freeHeapAvg")
    created_at = models.DateTimeField(default=timezone.now, db_default=Now(), db_column="createdAt")

    class Meta:
        db_table = "telemetry_aggregate"
        indexes = [
            models.Index(fields=["meter_id", "hour_start"], name="IDX_6f42afcdb47cb7077f4074198d"),
            models.Index(fields=["hour_start"], name="IDX_f10a714a7c920cc61aab041d99"),
        ]

    def __str__(self):
        return f"{self.meter_id} {self.hour_start:%Y-%m-%d %H:00}"
