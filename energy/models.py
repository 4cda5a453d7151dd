"""The energy-trading ledger, mirroring the legacy TypeORM tables column for column.

Every foreign key to a platform user is ``PROTECT`` (the database rule is
``NO ACTION``): ledger rows must never vanish because a user was deleted. The
one exception, as in the database, is the token blacklist, which cascades.
No foreign key asks Django for an index: the legacy database had none, and
the named ones below (the guide's names) are built concurrently by a
migration of their own, after the rename.
"""

from django.db import models
from django.db.models.functions import Now

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
    created_at = LegacyTimestampField(db_default=Now())
    import_method = models.CharField(db_default="GENERATED", default="GENERATED")
    is_active = models.BooleanField(db_default=True, default=True)
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
    created_at = LegacyTimestampField(db_default=Now())
    last_seen = LegacyTimestampField(null=True, blank=True)
    updated_at = LegacyTimestampField(db_default=Now())
    settlement_interval_minutes = models.IntegerField(null=True, blank=True)
    firmware_version = models.CharField(null=True, blank=True)

    class Meta:
        db_table = "smart_meter"
        indexes = [
            models.Index(fields=["user"], name="idx_smartmeter_user_id"),
            models.Index(fields=["user", "status"], name="idx_smartmeter_user_status"),
        ]

    def __str__(self):
        return self.meter_id


class EnergySettlement(models.Model):
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
    net_kwh_from_grid = UnboundedDecimalField()
    etk_amount_credited = UnboundedDecimalField(null=True, blank=True)
    blockchain_tx_hash = models.CharField(null=True, blank=True)
    status = models.CharField(db_default="PENDING", default="PENDING")
    created_at_backend = LegacyTimestampField(db_default=Now())

    class Meta:
        db_table = "energy_settlement"

    def __str__(self):
        return f"settlement {self.settlement_id}"


class TradeOrder(models.Model):
    order_id = models.CharField(primary_key=True)
    user = models.ForeignKey(
        USER_MODEL,
        models.PROTECT,
        db_column="user_id",
        db_comment="Reference to user who placed this order",
        db_index=False,
        related_name="trade_orders",
    )
    wallet = models.ForeignKey(
        Wallet,
        models.PROTECT,
        db_column="wallet_address",
        db_index=False,
        related_name="trade_orders",
    )
    order_type = models.CharField()
    pair = models.CharField(db_default="ETK/IDRS", default="ETK/IDRS")
    amount_etk = UnboundedDecimalField()
    price_idrs_per_etk = UnboundedDecimalField()
    status_on_chain = models.CharField(db_default="OPEN", default="OPEN")
    created_at_on_chain = LegacyTimestampField(db_default=Now())
    updated_at_cache = LegacyTimestampField(db_default=Now())

    class Meta:
        db_table = "trade_orders_cache"
        indexes = [models.Index(fields=["user"], name="idx_tradeorders_user_id")]

    def __str__(self):
        return self.order_id


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
    related_order = models.ForeignKey(
        TradeOrder,
        models.PROTECT,
        db_column="related_order_id",
        db_index=False,
        null=True,
        blank=True,
        related_name="transaction_logs",
    )
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
    blockchain_tx_hash = models.CharField(null=True, blank=True)
    transaction_timestamp = LegacyTimestampField(db_default=Now())

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
    trade_timestamp = LegacyTimestampField(db_default=Now())
    created_at = LegacyTimestampField(db_default=Now())

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
    status = models.CharField(db_default="PENDING", default="PENDING")
    created_at = LegacyTimestampField(db_default=Now())

    class Meta:
        db_table = "idrs_conversion"
        indexes = [models.Index(fields=["user"], name="idx_idrsconversion_user_id")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(conversion_type__in=["ON_RAMP", "OFF_RAMP"]),
                name="CHK_f980e0899d916aa70b9afe26624",
            ),
        ]

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
    expires_at = models.DateTimeField()
    is_active = models.BooleanField(db_default=True, default=True)
    created_at = LegacyTimestampField(db_default=Now())

    class Meta:
        db_table = "token_blacklist"
        indexes = [
            models.Index(fields=["user"], name="idx_tokenblacklist_user_id"),
            models.Index(fields=["token_hash"], name="IDX_fc93690d4ba3c359bfaaa99a7a"),
        ]

    def __str__(self):
        return f"blacklist {self.blacklist_id}"


class SystemConfig(models.Model):
    """Platform settings; untouched by the rename."""

    config_key = models.CharField(primary_key=True)
    config_value = models.CharField()
    updated_by = models.CharField(null=True, blank=True)

    class Meta:
        db_table = "system_config"

    def __str__(self):
        return self.config_key
