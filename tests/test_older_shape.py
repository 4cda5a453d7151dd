"""The older shape of the legacy database: refused with every column it lacks, then brought to the real one.

tests/fixtures/older_shape_database.sql is a copy as legacy-schema.md first described it (kWh
columns, trade_orders_cache, system_config, fewer columns). The adoption refuses it before
anything changes, the preflight says so in the same words, and ``manage.py upgrade_older_shape``
is the explicit step that brings it to the real shape (docs/adoption.md, "The older shape"),
after which the runbook is the same as on the real one.
"""

import json

import pytest

from enerlink.devtools import scratch
from tests.conftest import OLDER_SHAPE_FIXTURE
from tests.test_legacy_schema import KEY_RULES_AFTER_RENAME

# The ledger's rows as they were, by key: what the upgrade must keep (the kWh values included).
ROWS = {
    "prosumer": "SELECT prosumer_id, email, password_hash, name, created_at, updated_at FROM prosumer",
    "wallet": "SELECT wallet_address, prosumer_id, wallet_name, created_at FROM wallet",
    "energy_settlement": "SELECT settlement_id, meter_id, {net}::text, status FROM energy_settlement",
    "transaction_log": "SELECT log_id, prosumer_id, related_order_id, amount_primary FROM transaction_log",
    "market_trade": "SELECT trade_id, buyer_prosumer_id, seller_prosumer_id FROM market_trade",
    "idrs_conversion": "SELECT conversion_id, prosumer_id, idrs_amount::text FROM idrs_conversion",
    "token_blacklist": "SELECT blacklist_id, prosumer_id, token_hash FROM token_blacklist",
    "retired": "SELECT order_id, prosumer_id FROM {schema}trade_orders_cache",
    "config": "SELECT config_key, config_value FROM {schema}system_config",
}


@pytest.fixture
def older_db(scratch_db):
    database = scratch_db()
    database.run_sql_file(OLDER_SHAPE_FIXTURE)
    return database


def rows(database, net, schema):
    with database.connect() as conn:
        return {
            name: sorted(conn.execute(query.format(net=net, schema=schema)).fetchall())
            for name, query in ROWS.items()
        }


def one_line(result):
    return result.stderr.strip().splitlines()[-1]


def test_the_older_shape_is_refused_before_anything_changes_and_the_preflight_says_the_same(older_db):
    before = scratch.schema_dump(older_db)
    preflight = older_db.manage("verify_user_migration", "--preflight", "--json", check=False)
    migrate = older_db.manage("migrate", check=False)
    assert migrate.returncode == 1 and "Traceback" not in migrate.stderr
    line = one_line(migrate)
    assert line.startswith(
        "CommandError: cannot adopt this database: table energy_settlement lacks net_wh_from_grid, "
        "raw_export_wh, raw_import_wh, confirmed_at_on_chain, settlement_trigger, validation_status, "
        "settlement_data_source, detailed_energy_breakdown, mqtt_message_id; table idrs_conversion lacks "
        "blockchain_tx_hash, simulation_note, confirmed_at; "
    )
    assert (
        "table token_blacklist lacks ip_address, user_agent, created_by, notes; table transaction_log "
        in (line)
    )
    assert (
        "This is the older shape (kWh columns, trade_orders_cache)" in line and "Nothing was changed" in line
    )
    assert scratch.schema_dump(older_db) == before  # not even django_migrations

    assert preflight.returncode == 1, preflight.stdout
    checks = {check["name"]: check for check in json.loads(preflight.stdout)["checks"]}
    assert checks["adoption"]["status"] == "fail"
    assert line == "CommandError: " + checks["adoption"]["summary"]


def test_upgrade_older_shape_then_the_runbook_runs_as_on_the_real_one(older_db):
    before = rows(older_db, "net_kwh_from_grid", "")
    plan = older_db.manage("upgrade_older_shape")
    assert "rename energy_settlement.net_kwh_from_grid to net_wh_from_grid (values unchanged)" in plan.stdout
    assert "move trade_orders_cache, rows and all, to schema enerlink_retired" in plan.stdout
    assert "To run it: python manage.py upgrade_older_shape --apply" in plan.stdout

    applied = older_db.manage("upgrade_older_shape", "--apply")
    assert applied.stdout.startswith("upgrade_older_shape: ") and "catalog change(s)" in applied.stdout
    assert rows(older_db, "net_wh_from_grid", "enerlink_retired.") == before
    again = older_db.manage("upgrade_older_shape", "--apply")
    assert "already the real shape: nothing to change" in again.stdout
    assert "nothing to do" in older_db.manage("upgrade_older_shape").stdout
    with older_db.connect() as conn:
        assert conn.execute("SELECT DISTINCT settlement_trigger FROM energy_settlement").fetchall() == [
            ("LEGACY",)
        ]
        # The keys to and from the retired table went with it, as the upstream's DROP ... CASCADE took them.
        keys = conn.execute(
            "SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND confrelid = 'prosumer'::regclass"
        ).fetchone()
        assert keys == (7,)

    assert older_db.manage("verify_user_migration", "--preflight", check=False).returncode == 0
    before_rename = scratch.schema_dump(older_db)
    older_db.manage("migrate")
    verified = older_db.manage("verify_user_migration", "--json", check=False)
    assert verified.returncode == 0, verified.stdout
    with older_db.connect() as conn:
        rules = dict(
            conn.execute(
                "SELECT conrelid::regclass::text || '.' || (SELECT attname FROM pg_attribute "
                "WHERE attrelid = conrelid AND attnum = conkey[1]), confdeltype FROM pg_constraint "
                "WHERE contype = 'f' AND confrelid = '\"user\"'::regclass"
            ).fetchall()
        )
    assert rules == KEY_RULES_AFTER_RENAME
    older_db.manage("migrate", "accounts", "0001")
    after_reverse = scratch.schema_dump(older_db)
    # The reverse restores every name; Django's own tables and the journal's stay, as on the real one.
    assert set(before_rename.splitlines()) <= set(after_reverse.splitlines())
    assert rows(older_db, "net_wh_from_grid", "enerlink_retired.") == before


def test_upgrade_older_shape_refuses_a_renamed_database_in_one_line(renamed_db):
    result = renamed_db.manage("upgrade_older_shape", "--apply", check=False)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "there is no table prosumer" in one_line(result) and "Nothing was changed" in one_line(result)
