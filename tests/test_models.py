"""The HEAD models work against the renamed schema through the ORM."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import ProtectedError
from model_bakery import baker

from accounts.models import User
from energy.models import (
    EnergySettlement,
    IdrsConversion,
    MarketTrade,
    SmartMeter,
    TelemetryAggregate,
    TokenBlacklist,
    TransactionLog,
    Wallet,
)

pytestmark = pytest.mark.django_db


def make_user(**kwargs):
    return baker.make(User, password_hash="$2b$10$hash", **kwargs)


def test_ledger_rows_protect_their_user_and_blacklist_rows_cascade():
    user = make_user(user_id="u-1", email="one@example.org")
    wallet = baker.make(Wallet, user=user, wallet_address="0x1")
    baker.make(
        TransactionLog,
        user=user,
        related_settlement=None,
        amount_primary=Decimal("1.5"),
        currency_primary="ETK",
    )
    with pytest.raises(ProtectedError):
        user.delete()
    TransactionLog.objects.all().delete()
    token = baker.make(
        TokenBlacklist,
        user=user,
        blacklist_type="TOKEN",
        expires_at=datetime.datetime(2030, 1, 1, tzinfo=datetime.UTC),
    )
    wallet.delete()
    user.delete()
    assert not TokenBlacklist.objects.filter(pk=token.pk).exists()


def test_database_rules_match_the_models_on_delete():
    """The database itself refuses to orphan a ledger row, even behind the ORM's back."""
    user = make_user(user_id="u-2", email="two@example.org")
    baker.make(Wallet, user=user, wallet_address="0x2")
    with pytest.raises(Exception, match="violates foreign key constraint"), connection.cursor() as cursor:
        cursor.execute("""DELETE FROM "user" WHERE user_id = 'u-2'""")


def test_legacy_column_types_round_trip():
    user = make_user(user_id="u-3", email="three@example.org")
    assert user.created_at is not None  # the model's default (the real column has none)
    user.refresh_from_db()
    assert user.created_at.tzinfo == datetime.UTC
    seller = make_user(user_id="u-4", email="four@example.org")
    buyer_wallet = baker.make(Wallet, user=user, wallet_address="0xb")
    seller_wallet = baker.make(Wallet, user=seller, wallet_address="0xs")
    amount = Decimal("12.345678901234567890123")
    trade = MarketTrade.objects.create(
        buyer_order_id="o1",
        seller_order_id="o2",
        buyer_user=user,
        seller_user=seller,
        buyer_wallet=buyer_wallet,
        seller_wallet=seller_wallet,
        traded_etk_amount=amount,
        price_idrs_per_etk=Decimal(1500),
        total_idrs_value=amount * 1500,
    )
    trade.refresh_from_db()
    assert trade.traded_etk_amount == amount  # numeric without precision keeps every digit
    with connection.cursor() as cursor:
        cursor.execute("SELECT created_at::text FROM \"user\" WHERE user_id = 'u-3'")
        stored = cursor.fetchone()[0]
    assert "+" not in stored  # timestamp without time zone, stored as naive UTC


def test_enums_hold():
    user = make_user(user_id="u-5", email="five@example.org")
    token = TokenBlacklist.objects.create(
        user=user,
        blacklist_type=TokenBlacklist.BlacklistType.USER,
        ip_address="203.0.113.9",
        expires_at=datetime.datetime(2030, 1, 1, tzinfo=datetime.UTC),
    )
    token.refresh_from_db()
    assert (token.reason, token.is_active, token.ip_address) == ("LOGOUT", True, "203.0.113.9")
    with pytest.raises(Exception, match="invalid input value for enum"):
        TokenBlacklist.objects.create(user=user, blacklist_type="SIDEWAYS", expires_at=token.expires_at)


def test_every_not_null_column_without_a_database_default_is_filled_by_the_model():
    """The real tables have no default for most timestamps and statuses: the ORM must supply them."""
    user = make_user(user_id="u-6", email="six@example.org")
    wallet = Wallet.objects.create(user=user, wallet_address="0x6")
    meter = SmartMeter.objects.create(user=user, meter_id="METER_6")
    settlement = EnergySettlement.objects.create(
        meter=meter,
        period_start_time=datetime.datetime(2024, 6, 1, tzinfo=datetime.UTC),
        period_end_time=datetime.datetime(2024, 6, 1, 0, 5, tzinfo=datetime.UTC),
        net_wh_from_grid=Decimal(-1250),
        settlement_trigger="PERIODIC",
    )
    TransactionLog.objects.create(
        user=user,
        related_settlement=settlement,
        transaction_type="MINT",
        amount_primary=1,
        currency_primary="ETK",
    )
    IdrsConversion.objects.create(user=user, wallet=wallet, conversion_type="ON_RAMP", idrs_amount=1)
    aggregate = TelemetryAggregate.objects.create(
        meter_id="METER_6", hour_start=datetime.datetime(2024, 6, 1, tzinfo=datetime.UTC)
    )
    assert (wallet.import_method, wallet.is_active, settlement.status) == ("GENERATED", True, "PENDING")
    assert TelemetryAggregate.objects.get(pk=aggregate.pk).data_points_count == 0
