"""accounts.catalog finds the user table and its keys by what they are, before and after the rename."""

import psycopg
import pytest

from accounts import catalog

LEGACY_COLUMNS = {
    ("idrs_conversion", "prosumer_id"),
    ("market_trade", "buyer_prosumer_id"),
    ("market_trade", "seller_prosumer_id"),
    ("smart_meter", "prosumer_id"),
    ("token_blacklist", "prosumer_id"),
    ("transaction_log", "prosumer_id"),
    ("wallet", "prosumer_id"),
}


def test_before_the_rename_the_hash_named_keys_are_found(legacy_db):
    with legacy_db.connect() as conn, conn.cursor() as cursor:
        table = catalog.user_table(cursor)
        assert (table.name, table.key, table.renamed) == ("prosumer", "prosumer_id", False)
        keys = catalog.referencing_keys(cursor, table)
    assert {(key.table_name, key.column) for key in keys} == LEGACY_COLUMNS
    by_column = {(key.table_name, key.column): key for key in keys}
    assert by_column[("wallet", "prosumer_id")].name == "FK_62a1a16628b883318e6b443cf52"
    assert by_column[("token_blacklist", "prosumer_id")].on_delete == "c"
    assert all(key.on_delete == "a" for key in keys if key.table_name != "token_blacklist")
    assert all(key.validated and not key.deferrable for key in keys)


def test_after_the_rename_the_renamed_keys_are_found(renamed_db):
    with renamed_db.connect() as conn, conn.cursor() as cursor:
        table = catalog.user_table(cursor)
        assert (table.name, table.key, table.renamed) == ("user", "user_id", True)
        keys = catalog.referencing_keys(cursor, table)
    assert {(key.table_name, key.column) for key in keys} == {
        (table_name, catalog.renamed_column(column)) for table_name, column in LEGACY_COLUMNS
    }
    assert {catalog.legacy_column(key.column) for key in keys} == {column for _, column in LEGACY_COLUMNS}


def test_both_tables_at_once_is_ambiguous(renamed_db):
    with renamed_db.connect() as conn:
        conn.execute("CREATE TABLE prosumer (prosumer_id varchar PRIMARY KEY)")
        with conn.cursor() as cursor, pytest.raises(catalog.AmbiguousUserTable):
            catalog.user_table(cursor)


def test_a_database_without_users_has_no_user_table(scratch_db):
    with psycopg.connect(scratch_db().url) as conn, conn.cursor() as cursor:
        assert catalog.user_table(cursor) is None
