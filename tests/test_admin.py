"""The staff admin: secrets hidden, ledgers read-only, changelists cheap, runs started by permission."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.contrib.auth.models import User as Staff
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from model_bakery import baker

from accounts.models import User, VerificationRun
from energy.models import EnergySettlement, IdrsConversion, MarketTrade, SmartMeter, TransactionLog, Wallet

pytestmark = pytest.mark.django_db

PASSWORD_HASH = "$2b$10$never-shown-anywhere"
PRIVATE_KEY = "enc:v1:never-shown-either"
LEDGERS = [TransactionLog, MarketTrade, IdrsConversion, EnergySettlement]


@pytest.fixture
def alice():
    user = baker.make(User, user_id="u-alice", email="alice@example.org", password_hash=PASSWORD_HASH)
    baker.make(Wallet, user=user, wallet_address="0xa11ce", encrypted_private_key=PRIVATE_KEY)
    baker.make(SmartMeter, user=user, meter_id="METER_A")
    baker.make(User, user_id="u-bob", email="bob@example.org", password_hash=PASSWORD_HASH)
    return user


def logs(user, count):
    for _ in range(count):
        baker.make(
            TransactionLog,
            user=user,
            related_settlement=None,
            amount_primary=Decimal(1),
            currency_primary="ETK",
        )


def changelist_rows(response, first_column):
    return response.content.decode().count(f'class="field-{first_column}"')


@pytest.mark.parametrize("term", ["u-alice", "alice@example.org"])
def test_platform_users_are_found_by_id_and_by_email(admin_client, alice, term):
    response = admin_client.get(reverse("admin:accounts_user_changelist"), {"q": term})
    page = response.content.decode()
    assert response.status_code == 200
    assert "u-alice" in page and "u-bob" not in page


def test_a_user_page_shows_wallets_and_meters_but_never_the_secrets(admin_client, alice):
    response = admin_client.get(reverse("admin:accounts_user_change", args=["u-alice"]))
    page = response.content.decode()
    assert response.status_code == 200
    assert "0xa11ce" in page and "METER_A" in page
    assert PASSWORD_HASH not in page and "password_hash" not in page
    assert PRIVATE_KEY not in page and "encrypted_private_key" not in page
    wallet_page = admin_client.get(reverse("admin:energy_wallet_change", args=["0xa11ce"])).content.decode()
    assert PRIVATE_KEY not in wallet_page and "encrypted_private_key" not in wallet_page


def test_platform_users_cannot_be_added_or_deleted_from_the_admin(admin_client, alice):
    assert admin_client.get(reverse("admin:accounts_user_add")).status_code == 403
    assert (
        admin_client.post(
            reverse("admin:accounts_user_delete", args=["u-alice"]), {"post": "yes"}
        ).status_code
        == 403
    )
    assert User.objects.filter(pk="u-alice").exists()


@pytest.fixture
def ledger_rows(alice):
    wallet, meter = Wallet.objects.get(), SmartMeter.objects.get()
    logs(alice, 1)
    baker.make(EnergySettlement, meter=meter, net_wh_from_grid=1000)
    baker.make(MarketTrade, buyer_user=alice, seller_user=alice, buyer_wallet=wallet, seller_wallet=wallet)
    baker.make(IdrsConversion, user=alice, wallet=wallet, conversion_type="ON_RAMP")
    return {model: model.objects.get() for model in LEDGERS}


@pytest.mark.parametrize("model", LEDGERS, ids=lambda model: model.__name__)
def test_ledgers_are_read_only(admin_client, ledger_rows, model):
    prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}"
    row = ledger_rows[model]
    assert admin_client.get(reverse(f"{prefix}_changelist")).status_code == 200
    assert admin_client.get(reverse(f"{prefix}_add")).status_code == 403
    change = admin_client.get(reverse(f"{prefix}_change", args=[row.pk]))
    assert change.status_code == 200
    assert 'name="_save"' not in change.content.decode()
    edit = admin_client.post(reverse(f"{prefix}_change", args=[row.pk]), {})
    assert edit.status_code == 403
    delete = admin_client.post(reverse(f"{prefix}_delete", args=[row.pk]), {"post": "yes"})
    assert delete.status_code == 403
    assert model.objects.filter(pk=row.pk).exists()


def test_changelists_skip_the_full_count_and_join_users_in_one_query(admin_client, alice, monkeypatch):
    monkeypatch.setattr("enerlink.paginators.EXACT_COUNT_BELOW", 0)
    url = reverse("admin:energy_transactionlog_changelist")

    def measure(rows):
        logs(alice, rows)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE transaction_log")
        with CaptureQueriesContext(connection) as queries:
            response = admin_client.get(url)
        assert response.status_code == 200
        return [query["sql"] for query in queries.captured_queries]

    few, many = measure(3), measure(30)
    assert len(few) == len(many), "the number of queries must not grow with the rows on the page"
    counts = [sql for sql in many if "COUNT(" in sql.upper() and '"transaction_log"' in sql]
    assert counts == [], counts
    assert any("reltuples" in sql for sql in many)
    # The estimate numbers the pages; a search keeps an exact count.
    searched = admin_client.get(url, {"q": "u-alice"})
    assert changelist_rows(searched, "log_id") == 33


@pytest.fixture
def staff(client):
    def login(*permissions):
        member = Staff.objects.create_user("operator", password="x", is_staff=True)
        member.user_permissions.add(*Permission.objects.filter(codename__in=permissions))
        client.force_login(member)
        return client

    return login


def test_staff_with_the_permission_start_a_run_and_read_its_checks(staff, alice):
    client = staff("view_verificationrun", "run_verification")
    changelist = client.get(reverse("admin:accounts_verificationrun_changelist")).content.decode()
    assert 'id="run-verification"' in changelist
    response = client.post(reverse("admin:accounts_verificationrun_run"))
    run = VerificationRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:accounts_verificationrun_change", args=[run.pk])
    assert run.started_by == "admin: operator"
    assert run.outcome == "passed", run.checks
    # The button runs the catalog checks only: those that read rows are left to the command.
    skipped = {check["name"] for check in run.checks if check["status"] == "skipped"}
    assert run.fast and skipped == {"orphans", "row_counts"}
    detail = client.get(response["Location"]).content.decode()
    assert 'id="verification-checks"' in detail
    for check in run.checks:
        assert f'class="check-{check["name"]}"' in detail
    assert "a***@example.org" in detail and "alice@example.org" not in detail
    listed = client.get(reverse("admin:accounts_verificationrun_changelist"), {"outcome__exact": "failed"})
    assert "admin: operator" not in listed.content.decode()
    passed = client.get(reverse("admin:accounts_verificationrun_changelist"), {"outcome__exact": "passed"})
    assert "admin: operator" in passed.content.decode()


def test_staff_without_the_permission_cannot_start_a_run(staff, alice):
    client = staff("view_verificationrun")
    changelist = client.get(reverse("admin:accounts_verificationrun_changelist")).content.decode()
    assert 'id="run-verification"' not in changelist
    assert client.post(reverse("admin:accounts_verificationrun_run")).status_code == 403
    assert client.get(reverse("admin:accounts_verificationrun_run")).status_code == 405
    assert not VerificationRun.objects.exists()


def test_large_table_filters_never_scan_for_distinct_values():
    """A list filter on a column without choices reads its distinct values: a full scan per page."""
    from django.contrib import admin as django_admin

    from enerlink.admin_base import LargeTableAdmin

    for model, model_admin in django_admin.site._registry.items():
        if not isinstance(model_admin, LargeTableAdmin):
            continue
        for name in model_admin.list_filter:
            field = model._meta.get_field(name)
            assert field.get_internal_type() == "BooleanField" or field.choices, (model.__name__, name)


@pytest.fixture
def slow_check():
    """A check registered for this test only, whose query runs longer than the admin allows."""
    from accounts.verification import registry
    from accounts.verification.results import passed

    @registry.check("T010", "slow_probe", "a query that sleeps", suite="test_slow")
    def slow_probe(ctx):
        ctx.value("SELECT pg_sleep(5)")
        return passed("slept")

    yield "test_slow"
    registry._REGISTRY.pop(("test_slow", "T010"))


def test_a_check_that_outruns_the_statement_timeout_is_skipped_not_waited_for(alice, slow_check):
    import time

    from accounts import verification

    started = time.monotonic()
    report = verification.run_verification(statement_timeout="200ms", suite=slow_check)
    elapsed = time.monotonic() - started
    [check] = report.checks
    assert check.status == verification.SKIPPED
    assert check.summary.startswith("not finished within statement_timeout 200ms")
    assert elapsed < 4, "the 5 s query must have been cancelled"
    # The connection is usable afterwards (the savepoint was rolled back, the timeout was local).
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        assert cursor.fetchone()[0] == "0"
