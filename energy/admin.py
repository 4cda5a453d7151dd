"""The energy ledger in the staff admin.

List filters are only on booleans and fields with choices: a filter on any other
column makes Django read its distinct values (a full scan) on every page.

Wallets, meters and the token blacklist can be edited by staff with
the permission; the ledgers (settlements, transaction logs, trades,
conversions) are read-only. ``encrypted_private_key`` is never shown.
"""

from django.contrib import admin

from energy import models
from enerlink.admin_base import LargeTableAdmin, ReadOnlyAdmin


@admin.register(models.Wallet)
class WalletAdmin(LargeTableAdmin):
    list_display = ["wallet_address", "user", "wallet_name", "import_method", "is_active", "created_at"]
    list_select_related = ["user"]
    list_filter = ["is_active"]
    search_fields = ["wallet_address", "user"]
    raw_id_fields = ["user"]
    exclude = ["encrypted_private_key"]
    readonly_fields = ["created_at", "last_used_at"]


@admin.register(models.SmartMeter)
class SmartMeterAdmin(LargeTableAdmin):
    list_display = ["meter_id", "user", "status", "location", "firmware_version", "last_seen"]
    list_select_related = ["user"]
    search_fields = ["meter_id", "user"]
    raw_id_fields = ["user"]
    readonly_fields = ["created_at", "updated_at"]


@admin.register(models.TokenBlacklist)
class TokenBlacklistAdmin(LargeTableAdmin):
    list_display = ["blacklist_id", "user", "blacklist_type", "reason", "is_active", "expires_at"]
    list_select_related = ["user"]
    list_filter = ["blacklist_type", "reason", "is_active"]
    search_fields = ["user"]
    raw_id_fields = ["user"]


@admin.register(models.EnergySettlement)
class EnergySettlementAdmin(ReadOnlyAdmin):
    list_display = [
        "settlement_id",
        "meter",
        "period_start_time",
        "period_end_time",
        "net_wh_from_grid",
        "status",
    ]
    list_select_related = ["meter"]
    search_fields = ["meter"]


@admin.register(models.TransactionLog)
class TransactionLogAdmin(ReadOnlyAdmin):
    list_display = [
        "log_id",
        "user",
        "transaction_type",
        "amount_primary",
        "currency_primary",
        "transaction_timestamp",
    ]
    list_select_related = ["user"]
    search_fields = ["user"]


@admin.register(models.MarketTrade)
class MarketTradeAdmin(ReadOnlyAdmin):
    list_display = [
        "trade_id",
        "buyer_user",
        "seller_user",
        "traded_etk_amount",
        "total_idrs_value",
        "trade_timestamp",
    ]
    list_select_related = ["buyer_user", "seller_user"]
    search_fields = ["buyer_user", "seller_user"]


@admin.register(models.IdrsConversion)
class IdrsConversionAdmin(ReadOnlyAdmin):
    list_display = ["conversion_id", "user", "conversion_type", "idrs_amount", "status", "created_at"]
    list_select_related = ["user"]
    list_filter = ["conversion_type"]
    search_fields = ["user"]
