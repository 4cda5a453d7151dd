"""``manage.py user_rename_compat``: the compatibility schema, run as a team runs it, on a real PostgreSQL.

Old instances reach these views through ``search_path=enerlink_prosumer,public``;
tests/test_compat_old_backend.py drives the old backend's own ORM through them.
Here: what the schema holds, that it follows the rename and its reverse, how it
is healed, inspected and removed, and every refusal.
"""

import json
import time

import psycopg
import pytest
from psycopg import sql

from enerlink.devtools import scratch

SCHEMA = "enerlink_prosumer"
MARKER = "enerlink user_rename_compat"
VIEWS = {
    "prosumer",
    "wallet",
    "smart_meter",
    "transaction_log",
    "market_trade",
    "idrs_conversion",
    "token_blacklist",
    "migrations",  # TypeORM's own table: the old backend finds it in its current schema (docs/compat.md)
}
OLD_CLIENT_OPTIONS = f"-c search_path={SCHEMA},public"


# The lock policy's retries (enerlink.lock_policy), with short pauses: 4 attempts in about a second.
QUICK_RETRIES = {"ENERLINK_RENAME_LOCK_RETRIES": "3", "ENERLINK_RENAME_RETRY_WAIT": "50ms"}


def compat(database, *args, env=None):
    result = database.manage("user_rename_compat", *args, check=False, env=env)
    assert "Traceback" not in result.stderr, result.stderr
    return result


def one_line(result):
    """The single line a failing command says (CommandError: ... on stderr)."""
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    return lines[0]


def status(database, *args):
    result = compat(database, "status", "--json", *args)
    return result.returncode, json.loads(result.stdout)


def views_in(conn, schema=SCHEMA):
    """{view: (view OID, [its columns], OID of the table it reads, [that table's columns, in order])}."""
    found = {}
    rows = conn.execute(
        "SELECT c.relname, c.oid FROM pg_class c WHERE c.relnamespace = %s::regnamespace AND c.relkind = 'v'",
        [schema],
    ).fetchall()
    for name, oid in rows:
        columns = [
            row[0]
            for row in conn.execute(
                "SELECT attname FROM pg_attribute WHERE attrelid = %s AND attnum > 0 ORDER BY attnum", [oid]
            )
        ]
        (table,) = conn.execute(
            "SELECT DISTINCT d.refobjid FROM pg_rewrite r JOIN pg_depend d "
            "ON d.classid = 'pg_rewrite'::regclass AND d.objid = r.oid "
            "WHERE r.ev_class = %s AND d.refclassid = 'pg_class'::regclass AND d.refobjid <> %s",
            [oid, oid],
        ).fetchone()
        found[name] = (oid, columns, table, table_columns(conn, table))
    return found


def table_columns(conn, table_oid):
    return [
        row[0]
        for row in conn.execute(
            "SELECT attname FROM pg_attribute WHERE attrelid = %s AND attnum > 0 AND NOT attisdropped "
            "ORDER BY attnum",
            [table_oid],
        )
    ]


def old_client(database, **kwargs):
    """A connection as the old backend makes it: the compatibility schema first in its search_path."""
    return psycopg.connect(
        database.url,
        autocommit=True,
        options=OLD_CLIENT_OPTIONS,
        application_name="enerlink-old-backend",
        **kwargs,
    )


def test_install_makes_one_view_per_table_under_the_old_names(legacy_db):
    result = compat(legacy_db, "install")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        f"installed compatibility schema {SCHEMA}: 8 views (8 created); "
        f"old instances connect with search_path={SCHEMA},public"
    )
    with legacy_db.connect() as conn:
        views = views_in(conn)
        assert set(views) == VIEWS  # energy_settlement and telemetry_aggregate: reached in public
        for name, (_oid, columns, table, base_columns) in views.items():
            assert conn.execute("SELECT %s::oid::regclass::text", [table]).fetchone()[0] == name
            assert columns == base_columns, name  # every column, in the table's order
        assert (
            "buyer_prosumer_id" in views["market_trade"][1]
            and "seller_prosumer_id" in views["market_trade"][1]
        )
        assert conn.execute(
            "SELECT count(*) FROM information_schema.views WHERE table_schema = %s "
            "AND is_updatable = 'YES' AND is_insertable_into = 'YES'",
            [SCHEMA],
        ).fetchone() == (8,)
        owner, comment = conn.execute(
            "SELECT pg_get_userbyid(nspowner), obj_description(oid, 'pg_namespace') FROM pg_namespace "
            "WHERE nspname = %s",
            [SCHEMA],
        ).fetchone()
        assert owner == legacy_db.owner and comment.startswith(MARKER)
    code, found = status(legacy_db)
    assert code == 0 and found["current"] and found["problems"] == []

    again = compat(legacy_db, "install")
    assert again.returncode == 0
    assert (
        again.stdout.strip() == f"compatibility schema {SCHEMA} is already current (8 views); nothing changed"
    )
    with legacy_db.connect() as conn:
        assert {name: view[0] for name, view in views_in(conn).items()} == {
            name: view[0] for name, view in views.items()
        }


def follow(database, views_before):
    """The views after a migration: same OIDs, same tables (by OID), same old column names."""
    with database.connect() as conn:
        views = views_in(conn)
        assert {name: (oid, columns, table) for name, (oid, columns, table, _) in views.items()} == {
            name: (oid, columns, table) for name, (oid, columns, table, _) in views_before.items()
        }
        # Each view column still reads the same table column (by number), whatever that column is called now.
        for name in ("prosumer", "wallet", "market_trade"):
            view_cols = ", ".join(f"v.{column}" for column in views[name][1])
            base_cols = ", ".join(f"t.{sql.Identifier(c).as_string(conn)}" for c in views[name][3])
            table = conn.execute("SELECT %s::oid::regclass::text", [views[name][2]]).fetchone()[0]
            assert conn.execute(
                f"SELECT count(*) FROM (SELECT {view_cols} FROM {SCHEMA}.{name} v "
                f"EXCEPT SELECT {base_cols} FROM {table} t) d"
            ).fetchone() == (0,)
        return views


def test_the_views_follow_their_tables_through_the_rename_and_its_reverse(ready_db):
    compat(ready_db, "install")
    with ready_db.connect() as conn:
        before = views_in(conn)
        assert before["prosumer"][3][0] == "prosumer_id"

    ready_db.manage("migrate")
    after = follow(ready_db, before)
    assert after["prosumer"][3][0] == "user_id" and after["prosumer"][1][0] == "prosumer_id"
    assert "buyer_user_id" in after["market_trade"][3] and "buyer_prosumer_id" in after["market_trade"][1]
    with ready_db.connect() as conn:
        assert conn.execute("SELECT %s::oid::regclass::text", [after["prosumer"][2]]).fetchone() == (
            '"user"',
        )
    # What install would write today (user_id AS prosumer_id) is what the rename left: current, nothing to do.
    assert status(ready_db)[0] == 0
    assert "already current" in compat(ready_db, "install").stdout

    ready_db.manage("migrate", "accounts", "0001")
    follow(ready_db, before)
    with ready_db.connect() as conn:
        assert conn.execute("SELECT %s::oid::regclass::text", [before["prosumer"][2]]).fetchone() == (
            "prosumer",
        )
    assert status(ready_db)[0] == 0


def test_reads_and_writes_through_the_views_reach_the_real_tables(renamed_db):
    compat(renamed_db, "install")
    with old_client(renamed_db) as conn:
        # Omitted columns and DEFAULT take the real table's defaults; RETURNING gives the view's names.
        assert conn.execute(
            "INSERT INTO prosumer (prosumer_id, email, password_hash, created_at, updated_at) "
            "VALUES ('c1', 'c1@x', 'h', now(), now()) "
            "RETURNING prosumer_id, created_at IS NOT NULL, updated_at IS NOT NULL"
        ).fetchone() == ("c1", True, True)
        assert conn.execute(
            "INSERT INTO wallet (wallet_address, prosumer_id, wallet_name, created_at, import_method, "
            "is_active) VALUES ('0xc1', 'c1', DEFAULT, now(), 'GENERATED', true) "
            "RETURNING import_method, wallet_name"
        ).fetchone() == ("GENERATED", None)
        log_ids = conn.execute(
            "INSERT INTO transaction_log (log_id, prosumer_id, transaction_type, amount_primary, "
            "currency_primary, transaction_timestamp) "
            "VALUES (DEFAULT, 'c1', 'T', 1, 'ETK', now()), (DEFAULT, 'c1', 'T', 2, 'ETK', now()) "
            "RETURNING log_id"
        ).fetchall()
        assert len(log_ids) == 2 and all(isinstance(log_id, int) for (log_id,) in log_ids)
        # ON CONFLICT on the old key name: the arbiter is the real table's primary key.
        assert conn.execute(
            "INSERT INTO prosumer (prosumer_id, email, password_hash, name, created_at, updated_at) "
            "VALUES ('c1', 'c1@x', 'h2', 'up', now(), now()) ON CONFLICT (prosumer_id) "
            "DO UPDATE SET name = EXCLUDED.name, updated_at = now() RETURNING name, password_hash"
        ).fetchone() == ("up", "h")
        # The real table's BEFORE UPDATE trigger fires.
        assert conn.execute(
            "UPDATE prosumer SET name = 'trig', updated_at = '2001-01-01' WHERE prosumer_id = 'c1' "
            "RETURNING updated_at > '2020-01-01'"
        ).fetchone() == (True,)
        # Keys and their rules: a missing user is refused, NO ACTION keeps the wallet, CASCADE clears tokens.
        with pytest.raises(psycopg.errors.ForeignKeyViolation, match='is not present in table "user"'):
            conn.execute(
                "INSERT INTO wallet (wallet_address, prosumer_id, created_at, import_method, is_active) "
                "VALUES ('0xbad', 'nobody', now(), 'GENERATED', true)"
            )
        with pytest.raises(psycopg.errors.ForeignKeyViolation, match='still referenced from table "wallet"'):
            conn.execute("DELETE FROM prosumer WHERE prosumer_id = 'c1'")
        conn.execute(
            "INSERT INTO prosumer (prosumer_id, email, password_hash, created_at, updated_at) "
            "VALUES ('c2', 'c2@x', 'h', now(), now())"
        )
        # Omitted columns and DEFAULT take the real table's defaults.
        assert conn.execute(
            "INSERT INTO token_blacklist (blacklist_type, prosumer_id, token_hash, expires_at, is_active) "
            "VALUES ('TOKEN', 'c2', 't', now() + interval '1 day', DEFAULT) RETURNING reason, is_active"
        ).fetchone() == ("LOGOUT", True)
        assert conn.execute(
            "DELETE FROM prosumer WHERE prosumer_id = 'c2' RETURNING prosumer_id"
        ).fetchone() == ("c2",)
    with renamed_db.connect() as conn:  # the real tables, under the new names
        assert conn.execute(
            'SELECT name, password_hash FROM "user" WHERE user_id = %s', ["c1"]
        ).fetchone() == (
            "trig",
            "h",
        )
        assert conn.execute("SELECT user_id FROM wallet WHERE wallet_address = '0xc1'").fetchone() == ("c1",)
        assert conn.execute(
            "SELECT count(*) FROM transaction_log WHERE user_id = 'c1' AND log_id = ANY (%s)",
            [[log_id for (log_id,) in log_ids]],
        ).fetchone() == (2,)
        assert conn.execute("SELECT count(*) FROM token_blacklist WHERE user_id = 'c2'").fetchone() == (0,)


def test_status_shows_drift_and_install_heals_it(legacy_db):
    compat(legacy_db, "install")
    with legacy_db.connect() as conn:
        conn.execute("ALTER TABLE wallet ADD COLUMN nickname varchar")
        conn.execute(f"DROP VIEW {SCHEMA}.smart_meter")  # as an install interrupted half way would leave it
    code, found = status(legacy_db)
    assert code == 1 and not found["current"]
    assert found["problems"] == [
        "view smart_meter is missing",
        "view wallet lacks column(s) nickname of public.wallet",
    ]
    readable = compat(legacy_db, "status")
    assert readable.returncode == 1
    assert "view wallet lacks column(s) nickname of public.wallet" in readable.stdout
    assert 'not current (2 problem(s)): run "manage.py user_rename_compat install' in one_line(readable)

    healed = compat(legacy_db, "install")
    assert healed.returncode == 0, healed.stderr
    assert healed.stdout.startswith(
        f"healed compatibility schema {SCHEMA}: 8 views (1 created, 1 replaced, 6 kept)"
    )
    assert status(legacy_db)[0] == 0
    with legacy_db.connect() as conn:
        assert views_in(conn)["wallet"][1][-1] == "nickname"


def test_install_is_one_transaction_and_names_who_holds_a_table(legacy_db):
    holder = legacy_db.connect()
    holder.autocommit = False
    holder.execute("SET application_name = 'long-migration'")
    holder.execute("LOCK TABLE wallet IN ACCESS EXCLUSIVE MODE")
    holder_pid = holder.info.backend_pid
    try:
        started = time.monotonic()
        result = compat(legacy_db, "install", "--lock-timeout", "300ms", env=QUICK_RETRIES)
        elapsed = time.monotonic() - started
    finally:
        holder.rollback()
        holder.close()
    assert result.returncode == 1
    line = one_line(result)
    assert "could not lock table public.wallet within lock_timeout 300ms (4 attempts)" in line
    assert f"pid {holder_pid} (AccessExclusiveLock on wallet" in line and "'long-migration'" in line
    assert 'Nothing was changed; re-run "manage.py user_rename_compat install' in line
    assert elapsed < 30  # bounded by the lock timeout, not by the holder
    with legacy_db.connect() as conn:  # the views made before the wait are gone with the schema
        assert conn.execute("SELECT to_regnamespace(%s)", [SCHEMA]).fetchone() == (None,)
    assert compat(legacy_db, "install").returncode == 0


def test_status_waits_at_most_the_lock_timeout_behind_a_table_lock(legacy_db):
    compat(legacy_db, "install")
    holder = legacy_db.connect()
    holder.autocommit = False
    holder.execute("LOCK TABLE smart_meter IN ACCESS EXCLUSIVE MODE")  # as a running rename does
    holder_pid = holder.info.backend_pid
    try:
        result = compat(legacy_db, "status", "--lock-timeout", "300ms", env=QUICK_RETRIES)
    finally:
        holder.rollback()
        holder.close()
    assert result.returncode == 2
    line = one_line(result)
    assert "could not lock the tables within lock_timeout 300ms (4 attempts)" in line
    assert f"pid {holder_pid} (AccessExclusiveLock on smart_meter" in line
    assert status(legacy_db)[0] == 0


def test_remove_waits_at_most_the_lock_timeout_names_the_session_and_changes_nothing(renamed_db):
    before_install = scratch.schema_dump(renamed_db)
    compat(renamed_db, "install")
    installed = scratch.schema_dump(renamed_db)
    rows = scratch.table_fingerprints(renamed_db, ["user", *sorted(VIEWS - {"prosumer"})])

    client = old_client(renamed_db)
    client.autocommit = False
    client.execute("SELECT prosumer_id FROM prosumer WHERE prosumer_id = 'p-alice'")  # open transaction
    pid = client.info.backend_pid
    try:
        code, found = status(renamed_db)
        assert code == 0
        (seen,) = [session for session in found["sessions"] if session["pid"] == pid]
        assert seen["application_name"] == "enerlink-old-backend"
        assert seen["reasons"] == [
            "holds a lock on a compatibility view",
            "application_name 'enerlink-old-backend'",
            "its last statement names prosumer",
        ]
        started = time.monotonic()
        busy = compat(renamed_db, "remove", "--lock-timeout", "500ms", env=QUICK_RETRIES)
        elapsed = time.monotonic() - started
        assert busy.returncode == 1
        line = one_line(busy)
        assert f"could not lock the views of schema {SCHEMA} within lock_timeout 500ms (4 attempts)" in line
        assert f"pid {pid} (AccessShareLock on {SCHEMA}.prosumer" in line and "'enerlink-old-backend'" in line
        assert "Nothing was changed" in line and "(stop the old instances first)" in line
        assert elapsed < 30
        assert scratch.schema_dump(renamed_db) == installed
        client.commit()

        removed = compat(renamed_db, "remove")
        assert removed.returncode == 0, removed.stderr
        assert removed.stdout.strip() == (
            f"removed compatibility schema {SCHEMA} (8 views); real tables untouched; "
            f"1 session(s) that looked like old instances were still connected (pid {pid}): "
            "their legacy names now fail"
        )
        with pytest.raises(psycopg.errors.UndefinedTable, match='relation "prosumer" does not exist'):
            client.execute("SELECT prosumer_id FROM prosumer")
    finally:
        client.close()
    assert scratch.schema_dump(renamed_db) == before_install
    assert scratch.table_fingerprints(renamed_db, ["user", *sorted(VIEWS - {"prosumer"})]) == rows
    again = compat(renamed_db, "remove")
    assert again.returncode == 0
    assert again.stdout.strip() == f"compatibility schema {SCHEMA} is not installed; nothing to remove"
    assert compat(renamed_db, "status").returncode == 1  # not installed


def test_a_schema_it_did_not_create_is_never_touched(legacy_db):
    with legacy_db.connect() as conn:
        conn.execute("CREATE SCHEMA reporting; CREATE TABLE reporting.daily (d date)")
    before = scratch.schema_dump(legacy_db)
    for action in ("install", "remove"):
        result = compat(legacy_db, action, "--schema", "reporting")
        assert result.returncode == 2
        assert "schema reporting" in one_line(result) and "not created by user_rename_compat" in one_line(
            result
        )
    assert compat(legacy_db, "status", "--schema", "reporting").returncode == 2
    assert scratch.schema_dump(legacy_db) == before


def test_remove_refuses_objects_that_are_not_its_own(legacy_db):
    compat(legacy_db, "install")
    with legacy_db.connect() as conn:
        # What TypeORM does when the real schema has no typeorm_metadata table (docs/compat.md).
        conn.execute(f"CREATE TABLE {SCHEMA}.typeorm_metadata (type varchar NOT NULL, name varchar)")
    code, found = status(legacy_db)
    assert code == 1 and found["problems"] == [
        f"table {SCHEMA}.typeorm_metadata was not created by user_rename_compat"
    ]
    before = scratch.schema_dump(legacy_db)
    result = compat(legacy_db, "remove")
    assert result.returncode == 2
    assert (
        f"schema {SCHEMA} also holds table {SCHEMA}.typeorm_metadata, not created by user_rename_compat"
        in one_line(result)
    )
    assert scratch.schema_dump(legacy_db) == before

    with legacy_db.connect() as conn:
        conn.execute(f"DROP TABLE {SCHEMA}.typeorm_metadata")
        conn.execute(f"CREATE VIEW public.wallet_report AS SELECT wallet_address FROM {SCHEMA}.wallet")
    before = scratch.schema_dump(legacy_db)
    result = compat(legacy_db, "remove")
    assert result.returncode == 2
    line = one_line(result)
    assert "cannot drop desired object(s) because other objects depend on them" in line
    assert f"view wallet_report depends on view {SCHEMA}.wallet" in line and "Nothing was changed" in line
    assert scratch.schema_dump(legacy_db) == before


def test_typeorm_tables_get_a_view_when_the_real_schema_has_them(legacy_db):
    with legacy_db.connect() as conn:
        # The real schema has TypeORM's migrations table already; typeorm_metadata comes with views.
        conn.execute(
            "CREATE TABLE typeorm_metadata (type varchar NOT NULL, database varchar, schema varchar, "
            '"table" varchar, name varchar, value text)'
        )
    result = compat(legacy_db, "install")
    assert "9 views (9 created)" in result.stdout
    with legacy_db.connect() as conn:
        views = views_in(conn)
        assert set(views) == VIEWS | {"typeorm_metadata"}
        assert views["typeorm_metadata"][1] == ["type", "database", "schema", "table", "name", "value"]
    with old_client(legacy_db) as conn:
        # TypeORM looks for its table in its current schema (first in search_path): it finds the real one.
        assert conn.execute(
            "SELECT table_type FROM information_schema.tables WHERE table_schema = current_schema() "
            "AND table_name = 'migrations'"
        ).fetchone() == ("VIEW",)
        assert conn.execute("SELECT name FROM migrations ORDER BY id").fetchall() == [
            ("DropTradeOrdersCacheTable1730476800000",),
            ("DropSystemConfigTable1761992110457",),
            ("RenameKwhColumnsToWh1761992645604",),
        ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["install", "--schema", "Enerlink"], "invalid schema name 'Enerlink'"),
        (["install", "--schema", "1compat"], "invalid schema name '1compat'"),
        (["remove", "--schema", "a-b"], "invalid schema name 'a-b'"),
        (["status", "--schema", "x" * 64], "invalid schema name"),
        (["install", "--schema", "public"], "schema name 'public' is reserved"),
        (["remove", "--schema", "pg_compat"], "schema name 'pg_compat' is reserved"),
        (["remove", "--schema", "information_schema"], "is reserved"),
        (["frobnicate"], "unknown action 'frobnicate': use install, status or remove"),
        ([], "no action given: use install, status or remove"),
        (["install", "--lock-timeout", "soon"], "lock timeout 'soon' is not a positive PostgreSQL duration"),
        (["install", "--database", "other"], "unknown database alias 'other'"),
    ],
)
def test_bad_input_gets_one_line_and_changes_nothing(legacy_db, args, message):
    result = compat(legacy_db, *args)
    assert result.returncode == 2
    assert message in one_line(result)
    with legacy_db.connect() as conn:
        assert conn.execute(
            "SELECT count(*) FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%%' "
            "AND nspname NOT IN ('public', 'information_schema')"
        ).fetchone() == (0,)


def test_a_session_with_the_old_instances_search_path_is_refused(legacy_db):
    compat(legacy_db, "install")
    for action in ("install", "status"):
        result = compat(legacy_db, action, env={"PGOPTIONS": OLD_CLIENT_OPTIONS})
        assert result.returncode == 2
        assert (
            f"this session's search_path ({SCHEMA},public) includes the compatibility schema {SCHEMA}: "
            "that is the old instances' setting" in one_line(result)
        )


def test_a_database_without_a_user_table_is_refused(scratch_db):
    empty = scratch_db()
    result = compat(empty, "install")
    assert result.returncode == 2
    assert f"wrong database: '{empty.name}' has neither table prosumer nor \"user\"" in one_line(result)
    assert compat(empty, "status").returncode == 1  # not installed
    assert compat(empty, "remove").returncode == 0  # nothing installed, nothing to remove
    with empty.connect() as conn:
        assert conn.execute("SELECT to_regnamespace(%s)", [SCHEMA]).fetchone() == (None,)


@pytest.fixture
def other_role(legacy_db, login_role):
    """A LOGIN role that owns nothing, dropped afterwards with what legacy_db granted it."""
    return login_role("enerlink_compat", granted_in=legacy_db)


def test_privileges_are_checked_and_grants_follow_the_tables(legacy_db, other_role):
    as_other = {"DATABASE_URL": scratch.server_url(legacy_db.name, user=other_role)}
    with legacy_db.connect() as conn:
        conn.execute(sql.SQL("GRANT SELECT, INSERT ON wallet TO {}").format(sql.Identifier(other_role)))

    result = compat(legacy_db, "install", env=as_other)
    assert result.returncode == 2
    assert (
        "the views must belong to the role that owns the tables (they read the tables with their owner's "
        f"rights, and that role must be able to remove them): you are {other_role}" in one_line(result)
    )

    with legacy_db.connect(superuser=True) as conn:
        conn.execute(
            sql.SQL("REVOKE CREATE ON DATABASE {} FROM {}").format(
                sql.Identifier(legacy_db.name), sql.Identifier(legacy_db.owner)
            )
        )
    result = compat(legacy_db, "install")
    assert result.returncode == 2
    assert f"permission denied for database {legacy_db.name}: user_rename_compat needs the role" in one_line(
        result
    )
    with legacy_db.connect(superuser=True) as conn:
        conn.execute(
            sql.SQL("GRANT CREATE ON DATABASE {} TO {}").format(
                sql.Identifier(legacy_db.name), sql.Identifier(legacy_db.owner)
            )
        )

    result = compat(legacy_db, "install")
    assert "2 grant(s) added" in result.stdout
    # The other role reads and writes the wallet through the view with the rights it had on the table.
    with psycopg.connect(as_other["DATABASE_URL"], autocommit=True, options=OLD_CLIENT_OPTIONS) as conn:
        assert conn.execute("SELECT current_schemas(false)").fetchone() == ([SCHEMA, "public"],)
        conn.execute(
            "INSERT INTO wallet (wallet_address, prosumer_id, created_at, import_method, is_active) "
            "VALUES ('0xother', 'p-alice', now(), 'GENERATED', true)"
        )
        assert conn.execute("SELECT prosumer_id FROM wallet WHERE wallet_address = '0xother'").fetchone() == (
            "p-alice",
        )
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("SELECT * FROM prosumer")

    result = compat(legacy_db, "remove", env=as_other)
    assert result.returncode == 2
    assert "must be owner of" in one_line(result) and "Nothing was changed" in one_line(result)
    assert status(legacy_db)[0] == 0


def test_the_report_with_compat_installed_has_exactly_one_more_warning(renamed_db):
    def report():
        result = renamed_db.manage("verify_user_migration", "--json", "--no-store", check=False)
        checks = {check.pop("name"): check for check in json.loads(result.stdout)["checks"]}
        for check in checks.values():
            check.pop("seconds")
        return result.returncode, checks

    code, before = report()
    compat(renamed_db, "install")
    code_after, after = report()
    assert code == code_after == 0
    assert before.pop("compat_schema")["status"] == "pass"
    extra = after.pop("compat_schema")
    assert extra["status"] == "warn" and extra["severity"] == "warning"
    assert extra["summary"] == (
        f"compatibility schema {SCHEMA} is installed: old instances may still use the old names"
    )
    assert extra["details"] == [
        f"schema {SCHEMA} (8 views): when no old instance is left (manage.py user_rename_compat status "
        f"--schema {SCHEMA}), run manage.py user_rename_compat remove --schema {SCHEMA}"
    ]
    # Every other check says exactly what it said without the schema: its views are no leftover.
    assert after == before
    compat(renamed_db, "remove")
    assert report()[1]["compat_schema"]["status"] == "pass"


def test_migrate_in_a_session_with_the_old_instances_search_path_is_refused(ready_db):
    """With the compatibility schema first, prosumer names its view: migrate must not rename that."""
    compat(ready_db, "install")
    before = scratch.schema_dump(ready_db)
    result = ready_db.manage("migrate", check=False, env={"PGOPTIONS": OLD_CLIENT_OPTIONS})
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert one_line(result) == (
        f"CommandError: prosumer names a view in schema {SCHEMA} for this session (search_path = {SCHEMA},"
        "public), not the table: run migrate with the application's own search_path (unset PGOPTIONS, or "
        "the role's search_path setting); nothing was changed"
    )
    assert scratch.schema_dump(ready_db) == before
    ready_db.manage("migrate")  # with the application's own search_path it renames
