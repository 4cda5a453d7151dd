"""The HEAD models work against the renamed schema through the ORM."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import ProtectedError
from model_bakery import baker

from accounts.models import User
from energy.models import IdrsConversion, MarketTrade, TokenBlacklist, TransactionLog, Wallet

pytestmark = pytest.mark.django_db


def make_user(**kwargs):
    return baker.make(User, password_hash="$2b$10$hash", **kwargs)


def test_ledger_rows_protect_their_user_and_blacklist_rows_cascade():
    user = make_user(user_id="u-1", email="one@example.org")
    wallet = baker.make(Wallet, user=user, wallet_address="0x1")
    baker.make(
        TransactionLog,
        user=user,
        related_order=None,
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
    assert user.created_at is not None  # the database default now() filled it
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


def test_enum_and_check_constraints_hold():
    user = make_user(user_id="u-5", email="five@example.org")
    wallet = baker.make(Wallet, user=user, wallet_address="0x5")
    token = TokenBlacklist.objects.create(
        user=user,
        blacklist_type=TokenBlacklist.BlacklistType.USER,
        expires_at=datetime.datetime(2030, 1, 1, tzinfo=datetime.UTC),
    )
    token.refresh_from_db()
    assert token.reason == "LOGOUT"
    with pytest.raises(Exception, match="check constraint"):
        IdrsConversion.objects.create(user=user, wallet=wallet, conversion_type="SIDEWAYS", idrs_amount=1)
