"""The prosumer -> user rename, run as a team runs it: ``manage.py migrate`` as the table owner."""

import threading
import time

import psycopg
import pytest

from enerlink.devtools import scratch

REFERENCING_COLUMNS = {
    ("wallet", "user_id"),
    ("smart_meter", "user_id"),
    ("transaction_log", "user_id"),
    ("market_trade", "buyer_user_id"),
    ("market_trade", "seller_user_id"),
    ("idrs_conversion", "user_id"),
    ("token_blacklist", "user_id"),
}
GUIDE_COMPOSITES = {"idx_wallet_user_active", "idx_smartmeter_user_status"}
# The guide's names for the single-column indexes (ours for token_blacklist, which it forgot).
CANONICAL_INDEX_NAMES = {
    ("wallet", "user_id"): "idx_wallet_user_id",
    ("smart_meter", "user_id"): "idx_smartmeter_user_id",
    ("transaction_log", "user_id"): "idx_transactionlog_user_id",
    ("idrs_conversion", "user_id"): "idx_idrsconversion_user_id",
    ("market_trade", "buyer_user_id"): "idx_markettrade_buyer_user",
    ("market_trade", "seller_user_id"): "idx_markettrade_seller_user",
    ("token_blacklist", "user_id"): "idx_tokenblacklist_user_id",
}
TABLE_COMMENT = "User accounts table (formerly prosumer)"
BROKEN_UPSTREAM_TRIGGERS = {"trg_update_wallet_last_used_conversions", "trg_update_wallet_last_used_trades"}
# The guide's column comments (the last one is ours: the guide forgot token_blacklist).
COLUMN_COMMENTS = {
    ("user", "user_id"): "Unique identifier for user",
    ("wallet", "user_id"): "Reference to user who owns this wallet",
    ("smart_meter", "user_id"): "Reference to user who owns this meter",
    ("transaction_log", "user_id"): "Reference to user associated with this transaction",
    ("market_trade", "buyer_user_id"): "User ID of the buyer",
    ("market_trade", "seller_user_id"): "User ID of the seller",
    ("idrs_conversion", "user_id"): "Reference to user who performed this conversion",
    ("token_blacklist", "user_id"): "Reference to user whose token is blacklisted",
}


def user_foreign_keys(conn):
    return conn.execute(
        """
        SELECT c.conrelid::regclass::text, a.attname, c.conname, fa.attname, c.confdeltype, c.confupdtype,
               c.condeferrable, c.convalidated
          FROM pg_constraint c
          JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
          JOIN pg_attribute fa ON fa.attrelid = c.confrelid AND fa.attnum = c.confkey[1]
         WHERE c.contype = 'f' AND c.confrelid = '"user"'::regclass
         ORDER BY 1, 2
        """
    ).fetchall()


def names_with_prosumer(conn):
    return conn.execute(
        """
        SELECT 'column', attrelid::regclass::text || '.' || attname FROM pg_attribute
         WHERE attname ~* 'prosumer' AND NOT attisdropped
           AND attrelid IN (SELECT oid FROM pg_class WHERE relnamespace = 'public'::regnamespace
                              AND relkind IN ('r', 'p', 'i'))
        UNION ALL SELECT 'relation', relname FROM pg_class
         WHERE relname ~* 'prosumer' AND relnamespace = 'public'::regnamespace AND relkind <> 'v'
        UNION ALL SELECT 'constraint', conname FROM pg_constraint
         WHERE conname ~* 'prosumer' AND connamespace = 'public'::regnamespace
        UNION ALL SELECT 'trigger', tgname FROM pg_trigger WHERE tgname ~* 'prosumer'
        """
    ).fetchall()


def assert_renamed(conn):
    assert conn.execute("SELECT to_regclass('prosumer'), to_regclass('\"user\"')::text").fetchone() == (
        None,
        '"user"',
    )
    fks = user_foreign_keys(conn)
    # Exactly one FK per referencing column, canonical name, pointing at "user"(user_id).
    assert {(table, column) for table, column, *_ in fks} == REFERENCING_COLUMNS
    assert len(fks) == len(REFERENCING_COLUMNS)
    for table, column, name, target, on_delete, _on_update, deferrable, validated in fks:
        assert name == f"{table}_{column}_fkey"
        assert target == "user_id"
        assert on_delete == ("c" if table == "token_blacklist" else "a"), (table, on_delete)
        assert not deferrable and validated
    assert conn.execute(
        "SELECT conname FROM pg_constraint WHERE conrelid = '\"user\"'::regclass AND contype = 'p'"
    ).fetchone() == ("user_pkey",)
    indexes = dict(
        conn.execute(
            "SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i "
            "JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indisvalid"
        ).fetchall()
    )
    for (table, column), name in CANONICAL_INDEX_NAMES.items():
        assert indexes[name].endswith(f"ON public.{table} USING btree ({column})"), name
    assert "WHERE is_active" in indexes["idx_wallet_user_active"]
    assert indexes["idx_smartmeter_user_status"].endswith("(user_id, status)")
    triggers = {name for (name,) in conn.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")}
    # The upstream's two broken triggers are on the real database only, not on one migrate created.
    assert triggers - BROKEN_UPSTREAM_TRIGGERS == {"set_timestamp_smart_meters", "set_timestamp_users"}
    assert conn.execute("SELECT obj_description('\"user\"'::regclass, 'pg_class')").fetchone() == (
        TABLE_COMMENT,
    )
    for (table, column), comment in COLUMN_COMMENTS.items():
        actual = conn.execute(
            "SELECT col_description(%s::regclass, (SELECT attnum FROM pg_attribute "
            "WHERE attrelid = %s::regclass AND attname = %s))",
            [f'"{table}"', f'"{table}"', column],
        ).fetchone()
        assert actual == (comment,), (table, column)
    assert names_with_prosumer(conn) == []


def test_fresh_database_forward_to_head(created_db):
    database = created_db
    database.manage("migrate")
    with database.connect() as conn:
        assert_renamed(conn)
        assert conn.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user").fetchone() == (
            False,
        ), "the migration must run as a non-superuser"
        applied = conn.execute(
            "SELECT app || '.' || name FROM django_migrations WHERE app IN ('accounts', 'energy')"
        ).fetchall()
        assert {"accounts.0003_rename_prosumer_to_user", "energy.0003_user_indexes_concurrently"} <= {
            row[0] for row in applied
        }
    assert "No changes detected" in database.manage("makemigrations", "--check", "--dry-run").stdout


def catalog_identity(conn):
    """What a metadata-only rename must not change: storage files and constraint identities."""
    tables = [table for table in scratch.LEGACY_TABLES if table != "prosumer"]
    parent = conn.execute(
        "SELECT coalesce(to_regclass('prosumer'), to_regclass('\"user\"'))::oid"
    ).fetchone()[0]
    files = dict(
        conn.execute(
            "SELECT relname, relfilenode FROM pg_class WHERE relnamespace = 'public'::regnamespace "
            "AND relkind = 'r' AND (relname = ANY(%s) OR oid = %s)",
            [tables, parent],
        ).fetchall()
    )
    files["prosumer"] = files.pop("user", files.get("prosumer"))
    index_columns = sorted(
        conn.execute(
            "SELECT c.relname, a.attnum, a.attname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "JOIN pg_attribute a ON a.attrelid = i.indexrelid "
            "WHERE i.indrelid = ANY(%s::regclass[]) OR i.indrelid = %s",
            [tables, parent],
        ).fetchall()
    )
    keys = dict(
        conn.execute(
            "SELECT oid, (confdeltype, confupdtype, condeferrable, condeferred, convalidated)::text "
            "FROM pg_constraint "
            "WHERE contype = 'f' AND (conrelid::regclass::text = ANY(%s) OR confrelid = %s)",
            [tables, parent],
        ).fetchall()
    )
    assert len(keys) == 12  # the seven to prosumer and five between ledger tables
    return files, keys, index_columns


def test_legacy_fixture_round_trip_restores_everything(ready_db):
    before_schema = scratch.schema_dump(ready_db)
    before_rows = scratch.table_fingerprints(ready_db, scratch.LEGACY_TABLES)
    with ready_db.connect() as conn:
        before_identity = catalog_identity(conn)

    ready_db.manage("migrate")
    with ready_db.connect() as conn:
        assert_renamed(conn)
        # Metadata only: no table rewritten, no key dropped and re-added, every rule kept.
        assert catalog_identity(conn)[:2] == before_identity[:2]
        # The hand-named index on market_trade.seller_prosumer_id got the canonical name, not a twin.
        assert conn.execute(
            "SELECT array_agg(indexrelid::regclass::text ORDER BY indexrelid::regclass::text) FROM pg_index "
            "WHERE indrelid = 'market_trade'::regclass AND NOT indisprimary"
        ).fetchone() == (["idx_markettrade_buyer_user", "idx_markettrade_seller_user"],)
        # Hand-made objects follow the renamed table (views are stored by OID).
        assert conn.execute("SELECT count(*) FROM prosumer_wallet_summary").fetchone() == (2,)
        # The journal recorded each table's identity (OID and data file), which the rename kept.
        snapshot = conn.execute(
            "SELECT j.new_name, (j.details->>'oid')::oid = c.oid, "
            "(j.details->>'relfilenode')::oid = c.relfilenode FROM user_rename_journal j "
            "JOIN pg_class c ON c.oid = (j.details->>'oid')::oid "
            "WHERE j.kind = 'table_identity' ORDER BY 1"
        ).fetchall()
        renamed_tables = sorted({"user", *(table for table, _ in REFERENCING_COLUMNS)})
        assert snapshot == [(table, True, True) for table in renamed_tables]

    ready_db.manage("migrate", "accounts", "0002")
    assert scratch.schema_dump(ready_db) == before_schema
    assert scratch.table_fingerprints(ready_db, scratch.LEGACY_TABLES) == before_rows
    with ready_db.connect() as conn:
        assert catalog_identity(conn) == before_identity
        assert conn.execute("SELECT count(*) FROM user_rename_journal").fetchone() == (0,)

    # And forward again: the round trip is repeatable.
    ready_db.manage("migrate")
    with ready_db.connect() as conn:
        assert_renamed(conn)


def test_reverse_to_0001_drops_only_what_the_migrations_added(adopted_db):
    before_schema = scratch.schema_dump(adopted_db)
    adopted_db.manage("migrate")
    adopted_db.manage("migrate", "accounts", "0001")
    assert scratch.schema_dump(adopted_db) == before_schema


def test_sqlmigrate_shows_the_sql_that_runs(created_db):
    database = created_db
    out = database.manage("sqlmigrate", "accounts", "0003").stdout
    assert "SET LOCAL lock_timeout = '2000ms';" in out
    assert "SET LOCAL enerlink.rename_lock_budget = '2000ms';" in out
    # The files beside the migration are what runs, byte for byte.
    migrations = scratch.PROJECT_ROOT / "accounts" / "migrations"
    for name in ("locks", "forward"):
        assert (migrations / f"0003_rename_prosumer_to_user.{name}.sql").read_text().strip() in out
    statements = "\n".join(line for line in out.splitlines() if not line.lstrip().startswith("--"))
    assert "FROM pg_constraint c" in statements and "ALTER TABLE %s RENAME COLUMN %I TO %I" in statements
    assert "DROP CONSTRAINT" not in statements and "session_replication_role" not in statements
    assert "CREATE INDEX" not in statements
    backwards = database.manage("sqlmigrate", "accounts", "0003", "--backwards").stdout
    assert "FROM user_rename_journal WHERE kind IN ('rename', 'comment') ORDER BY step DESC" in backwards
    # The reverse undoes its own record in its own transaction, as does the journal's migration.
    unrecord = (
        "DELETE FROM django_migrations WHERE app = 'accounts' AND name = '0003_rename_prosumer_to_user';"
    )
    assert unrecord in backwards and backwards.rstrip().endswith("COMMIT;")
    journal_backwards = database.manage("sqlmigrate", "accounts", "0002", "--backwards").stdout
    assert "DELETE FROM django_migrations WHERE app = 'accounts' AND name = '0002_renamejournalentry';" in (
        journal_backwards
    )
    assert journal_backwards.index("DELETE FROM django_migrations") < journal_backwards.index("COMMIT;")
    # energy 0003: each build journaled before it starts and bounded; on the way back, unrecorded first.
    indexes = database.manage("sqlmigrate", "energy", "0003").stdout
    journal = indexes.index("INSERT INTO user_rename_journal")
    assert (
        journal < indexes.index("SET lock_timeout = '600000ms';") < indexes.index("CREATE INDEX CONCURRENTLY")
    )
    indexes_backwards = database.manage("sqlmigrate", "energy", "0003", "--backwards").stdout
    unrecord_energy = (
        "DELETE FROM django_migrations WHERE app = 'energy' AND name = '0003_user_indexes_concurrently';"
    )
    assert indexes_backwards.index(unrecord_energy) < indexes_backwards.index("DROP INDEX CONCURRENTLY")
    env_timeout = database.manage(
        "sqlmigrate", "accounts", "0003", env={"ENERLINK_RENAME_LOCK_TIMEOUT": "0.75s"}
    ).stdout
    assert "SET LOCAL enerlink.rename_lock_budget = '750ms';" in env_timeout


def test_lock_contention_fails_fast_names_the_blocker_and_changes_nothing(ready_db):
    before = scratch.schema_dump(ready_db)
    started = time.monotonic()
    ready_db.manage("showmigrations", "accounts")
    startup = time.monotonic() - started

    blocker = ready_db.connect()
    blocker.autocommit = False
    blocker.execute("SET application_name = 'long-report'")
    blocker.execute("SELECT count(*) FROM wallet")  # ACCESS SHARE, held until the transaction ends
    blocker_pid = blocker.info.backend_pid
    try:
        started = time.monotonic()
        result = ready_db.manage(
            "migrate",
            check=False,
            env={"ENERLINK_RENAME_LOCK_TIMEOUT": "1s", "ENERLINK_RENAME_LOCK_RETRIES": "0"},
        )
        elapsed = time.monotonic() - started
    finally:
        blocker.rollback()
        blocker.close()
    assert result.returncode == 1
    assert "could not lock table wallet (ACCESS EXCLUSIVE mode) within the lock budget 1s" in result.stderr
    assert f"pid {blocker_pid} (AccessShareLock" in result.stderr and "'long-report'" in result.stderr
    assert "Nothing was changed" in result.stderr and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("CommandError: could not lock table wallet")
    # Within the budget plus a second (beyond the command's own start-up time).
    assert elapsed < startup + 1.0 + 1.0, (elapsed, startup)
    assert scratch.schema_dump(ready_db) == before
    ready_db.manage("migrate")
    with ready_db.connect() as conn:
        assert_renamed(conn)


def test_writes_wait_only_while_the_rename_holds_its_locks(ready_db):
    """A writer running beside the rename keeps working: its inserts land before or after."""
    stop = threading.Event()
    outcomes = []

    def writer():
        with ready_db.connect() as conn:
            while not stop.is_set():
                for column in ("prosumer_id", "user_id"):
                    try:
                        conn.execute(
                            f"INSERT INTO transaction_log ({column}, transaction_type, amount_primary, "
                            "currency_primary, transaction_timestamp) "
                            "VALUES ('p-alice', 'PROBE', 1, 'ETK', now())"
                        )
                        outcomes.append(column)
                        break
                    except psycopg.errors.UndefinedColumn:
                        continue
                time.sleep(0.005)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        ready_db.manage("migrate")
    finally:
        stop.set()
        thread.join()
    assert "prosumer_id" in outcomes or "user_id" in outcomes
    with ready_db.connect() as conn:
        assert_renamed(conn)
        assert conn.execute(
            "SELECT count(*) FROM transaction_log WHERE transaction_type = 'PROBE'"
        ).fetchone() == (len(outcomes),)


@pytest.mark.parametrize("fail_at_step", [1, 12, 30])
def test_an_exception_between_two_statements_leaves_nothing_changed(ready_db, fail_at_step):
    # The rename journals each statement right after running it; a trigger on the journal
    # interrupts the transaction between statement N and N+1.
    with ready_db.connect() as conn:
        conn.execute(
            f"""
            CREATE FUNCTION inject_failure() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF NEW.step = {fail_at_step} THEN
                    RAISE EXCEPTION 'injected failure after rename step %', NEW.step;
                END IF;
                RETURN NEW;
            END $$;
            CREATE TRIGGER inject_failure BEFORE INSERT ON user_rename_journal
                FOR EACH ROW EXECUTE FUNCTION inject_failure();
            """
        )
    before_schema = scratch.schema_dump(ready_db)
    before_rows = scratch.table_fingerprints(ready_db, scratch.LEGACY_TABLES)
    result = ready_db.manage("migrate", check=False)
    assert result.returncode == 1
    assert f"injected failure after rename step {fail_at_step}" in result.stderr
    assert scratch.schema_dump(ready_db) == before_schema
    assert scratch.table_fingerprints(ready_db, scratch.LEGACY_TABLES) == before_rows
    with ready_db.connect() as conn:
        assert conn.execute(
            "SELECT count(*) FROM django_migrations WHERE app = 'accounts' AND name LIKE '0003%%'"
        ).fetchone() == (0,)
        assert conn.execute("SELECT count(*) FROM user_rename_journal").fetchone() == (0,)
        conn.execute("DROP TRIGGER inject_failure ON user_rename_journal")
    ready_db.manage("migrate")


def test_a_database_renamed_by_the_guide_gets_a_clear_message(ready_db):
    with ready_db.connect(superuser=True) as conn:
        conn.execute((scratch.PROJECT_ROOT / "benchmarks" / "guide_all_in_one.sql").read_text())
    before = scratch.schema_dump(ready_db)
    result = ready_db.manage("migrate", check=False)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert 'found table "user" and no table prosumer: this database was already renamed' in result.stderr
    assert "manage.py verify_user_migration" in result.stderr
    assert scratch.schema_dump(ready_db) == before


def test_a_partly_renamed_database_is_refused(adopted_db):
    with adopted_db.connect() as conn:
        conn.execute("ALTER TABLE wallet ADD COLUMN user_id varchar")
    result = adopted_db.manage("migrate", check=False)
    assert result.returncode == 1
    assert "table wallet has both columns prosumer_id and user_id" in result.stderr


def test_two_keys_on_one_column_are_refused_by_name_and_nothing_changes(ready_db):
    with ready_db.connect() as conn:
        conn.execute(
            "ALTER TABLE wallet ADD CONSTRAINT fk_wallet_owner FOREIGN KEY (prosumer_id) "
            "REFERENCES prosumer (prosumer_id)"
        )
    before = scratch.schema_dump(ready_db)
    result = ready_db.manage("migrate", check=False)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert (
        'column wallet.prosumer_id has 2 foreign keys to prosumer ("FK_62a1a16628b883318e6b443cf52", '
        "fk_wallet_owner): one per column is expected" in result.stderr
    )
    assert scratch.schema_dump(ready_db) == before


def test_initial_migration_refuses_an_already_renamed_database(scratch_db):
    database = scratch_db()
    with database.connect() as conn:
        conn.execute('CREATE TABLE "user" (user_id varchar PRIMARY KEY)')
    result = database.manage("migrate", "accounts", "0001", check=False)
    assert result.returncode == 1
    assert 'this database was already renamed: table "user" exists' in result.stderr
