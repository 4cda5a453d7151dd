"""Views and functions after the rename: the report tells those that work from those that fail when called."""

import json

from tests.verification_support import execute, follow_fixes, problems

STALE_PLPGSQL = """
CREATE FUNCTION count_wallets(p varchar) RETURNS bigint LANGUAGE plpgsql AS $$
BEGIN
    RETURN (SELECT count(*) FROM wallet w WHERE w.prosumer_id = p);
END $$
"""

# Says prosumer only in a comment, a string, its own variable and its name: it works.
HARMLESS_PLPGSQL = """
CREATE FUNCTION prosumer_greeting(prosumer_id varchar) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    label text := 'prosumer';  -- the old word, in a string and a comment only
BEGIN
    RETURN label || ' ' || prosumer_id || ' has '
        || (SELECT count(*) FROM wallet WHERE user_id = prosumer_id);
END $$
"""


def call(database, statement):
    with database.connect() as conn:
        return conn.execute(statement).fetchone()[0]


def test_a_stale_plpgsql_function_nobody_calls_is_a_warning_and_its_fix_works(renamed_db, verify_here):
    execute(renamed_db, [STALE_PLPGSQL], superuser=False)
    code, report, checks, _ = verify_here(renamed_db)
    assert code == 0
    broken = checks["broken_code"]
    assert broken["status"] == "warn"
    assert (
        "function count_wallets(character varying) fails when called: names prosumer_id, which the rename "
        "renamed; nothing in the database calls it" in problems(broken)
    )
    # What the report says is what happens when it is called.
    try:
        call(renamed_db, "SELECT count_wallets('p-alice')")
    except Exception as error:  # noqa: BLE001
        assert "column w.prosumer_id does not exist" in str(error)
    else:
        raise AssertionError("the stale function ran")
    follow_fixes(renamed_db, report)
    assert call(renamed_db, "SELECT count_wallets('p-alice')") == 1
    code, report, checks, _ = verify_here(renamed_db)
    assert code == 0 and checks["broken_code"]["status"] == "pass", json.dumps(report, indent=1)


def test_a_function_that_only_says_prosumer_works_and_is_told_apart(renamed_db, verify_here):
    execute(renamed_db, [HARMLESS_PLPGSQL], superuser=False)
    assert call(renamed_db, "SELECT prosumer_greeting('p-alice')") == "prosumer p-alice has 1"
    code, report, checks, _ = verify_here(renamed_db)
    assert code == 0
    assert "function prosumer_greeting(character varying): still works" in problems(
        checks["prosumer_in_code"]
    )
    assert "prosumer_greeting" not in problems(checks["broken_code"])


def test_code_stored_parsed_before_the_rename_keeps_working(ready_db, verify_here):
    """A view and a BEGIN ATOMIC function are tracked in pg_depend: the rename renames what they name."""
    execute(
        ready_db,
        [
            "CREATE FUNCTION wallets_of(p varchar) RETURNS bigint LANGUAGE sql STABLE "
            "BEGIN ATOMIC SELECT count(*) FROM wallet w WHERE w.prosumer_id = p; END",
            "CREATE VIEW prosumer_meters AS SELECT prosumer_id, meter_id FROM smart_meter",
        ],
        superuser=False,
    )
    ready_db.manage("migrate")
    assert call(ready_db, "SELECT wallets_of('p-alice')") == 1
    assert call(ready_db, "SELECT count(*) FROM prosumer_meters") == 1
    code, report, checks, _ = verify_here(ready_db)
    assert code == 0
    works = problems(checks["prosumer_in_code"])
    assert "view prosumer_meters: still works" in works
    assert "wallets_of" not in problems(checks["broken_code"])


def test_a_stale_function_the_role_may_not_execute_is_read_instead_and_fixed_by_a_superuser(
    renamed_db, verify_here
):
    execute(
        renamed_db,
        [
            "SET check_function_bodies = off",  # as pg_restore creates functions, or one written before
            "CREATE FUNCTION trade_total(p varchar) RETURNS numeric LANGUAGE sql STABLE AS "
            "$$ SELECT sum(total_idrs_value) FROM market_trade WHERE seller_prosumer_id = p $$",
            "REVOKE EXECUTE ON FUNCTION trade_total(varchar) FROM PUBLIC",
        ],
    )
    code, report, checks, _ = verify_here(renamed_db)
    assert code == 0
    assert (
        "function trade_total(character varying) fails when called: names seller_prosumer_id, which the "
        "rename "
        "renamed" in problems(checks["broken_code"])
    )
    assert any(
        fix.startswith("as a superuser: CREATE OR REPLACE FUNCTION public.trade_total")
        for fix in checks["broken_code"]["fixes"]
    )
    follow_fixes(renamed_db, report)
    code, report, checks, _ = verify_here(renamed_db)
    assert checks["broken_code"]["status"] == "pass", json.dumps(report, indent=1)


def test_a_stale_function_behind_a_column_default_is_an_error(renamed_db, verify_here):
    """Every insert into the table runs it: the application's own writes fail."""
    execute(
        renamed_db,
        [
            "SET check_function_bodies = off",
            "CREATE FUNCTION default_label() RETURNS varchar LANGUAGE sql VOLATILE AS "
            "$$ SELECT min(prosumer_id) FROM wallet $$",
            'ALTER TABLE telemetry_aggregate ALTER COLUMN "meterId" SET DEFAULT default_label()',
        ],
        superuser=False,
    )
    code, report, checks, _ = verify_here(renamed_db)
    assert code == 1
    assert checks["broken_code"]["status"] == "fail"
    assert "used by default value for column meterId of table telemetry_aggregate" in problems(
        checks["broken_code"]
    )
    follow_fixes(renamed_db, report)
    code, report, checks, _ = verify_here(renamed_db)
    assert code == 0, json.dumps(report, indent=1)


def test_a_stale_polymorphic_sql_function_is_read_since_the_validator_only_parses_it(renamed_db, verify_here):
    execute(
        renamed_db,
        [
            "SET check_function_bodies = off",
            "CREATE FUNCTION owner_of(anyelement) RETURNS varchar LANGUAGE sql STABLE AS "
            "$$ SELECT min(prosumer_id) FROM wallet WHERE wallet_address = $1::text $$",
        ],
        superuser=False,
    )
    code, report, checks, _ = verify_here(renamed_db)
    assert code == 0
    assert "function owner_of(anyelement) fails when called: names prosumer_id, which the rename renamed" in (
        problems(checks["broken_code"])
    )
    follow_fixes(renamed_db, report)
    assert call(renamed_db, "SELECT owner_of('0xa11ce'::text)") == "p-alice"


BROKEN_UPSTREAM = [
    "trigger trg_update_wallet_last_used_conversions on idrs_conversion runs "
    "update_wallet_last_used_from_orders(), which names wallets: no such table",
    "trigger trg_update_wallet_last_used_trades on market_trade runs "
    "update_wallet_last_used_from_trades(), which names wallets: no such table",
]


def test_trigger_functions_broken_before_the_rename_are_named_as_such_never_blamed_on_it(
    legacy_db, verify_here
):
    """The real database's two "WALLETS" triggers: a warning before and after, never the rename's failure."""
    preflight = legacy_db.manage("verify_user_migration", "--preflight", "--json", check=False)
    assert preflight.returncode == 0, preflight.stdout
    before = {check["name"]: check for check in json.loads(preflight.stdout)["checks"]}
    assert before["broken_before_rename"]["status"] == "warn"
    assert [line.split(". Fix")[0] for line in before["broken_before_rename"]["details"]] == BROKEN_UPSTREAM
    legacy_db.manage("migrate")
    code, _report, after, _ = verify_here(legacy_db)
    assert code == 0
    assert after["broken_before_rename"]["status"] == "warn"
    assert "the rename neither caused nor changes it" in after["broken_before_rename"]["summary"]
    assert [line.split(". Fix")[0] for line in after["broken_before_rename"]["details"]] == BROKEN_UPSTREAM
    assert "update_wallet_last_used" not in problems(after["broken_code"])  # not the rename's breakage
    execute(
        legacy_db,
        [
            "CREATE OR REPLACE FUNCTION update_wallet_last_used_from_trades() RETURNS trigger "
            "LANGUAGE plpgsql AS $$ BEGIN UPDATE wallet SET last_used_at = now() "
            "WHERE wallet_address IN (NEW.buyer_wallet_address, NEW.seller_wallet_address); "
            "RETURN NEW; END $$",
            "DROP TRIGGER trg_update_wallet_last_used_conversions ON idrs_conversion",
        ],
        superuser=False,
    )
    code, _report, fixed, _ = verify_here(legacy_db)
    assert (code, fixed["broken_before_rename"]["status"]) == (0, "pass")
