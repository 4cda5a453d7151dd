"""Interrupted at the worst moments, every migration of the rename path leaves a state that the same
command (or the one it names) heals: records that always agree with the schema, and an index phase
that is bounded, says whom it waits for, and never leaves an index nobody owns.

Each interruption is caused on a real server: a kill -9 of manage.py, pg_terminate_backend of its
backend, or a failure injected by a trigger at the exact statement.
"""

import threading

import pytest

from enerlink.devtools import scratch
from tests.faults import (
    applied,
    assert_one_line,
    indexes,
    migrate_backend_blocked,
    open_snapshot,
    open_transaction,
    start_manage,
    wait_until,
)
from tests.test_rename import CANONICAL_INDEX_NAMES, GUIDE_COMPOSITES, assert_renamed

CANONICAL_INDEXES = set(CANONICAL_INDEX_NAMES.values()) | GUIDE_COMPOSITES

# Fails Django's own "unrecord" of one migration: the DELETE it runs after the migration's transaction
# committed (client-side binding puts the migration's name in the statement's text).
FAIL_DJANGO_UNRECORD = """
CREATE FUNCTION fail_django_unrecord() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_query() LIKE '%"django_migrations"."app"%' AND current_query() LIKE '%{name}%' THEN
        RAISE EXCEPTION 'injected failure: the process died after {name} was reversed';
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER fail_django_unrecord AFTER DELETE ON django_migrations
    FOR EACH STATEMENT EXECUTE FUNCTION fail_django_unrecord();
"""
DROP_INJECTION = (
    "DROP TRIGGER fail_django_unrecord ON django_migrations; DROP FUNCTION fail_django_unrecord();"
)


@pytest.mark.parametrize(
    ("target", "name", "table_dropped"),
    [
        (("accounts", "0002"), "0003_rename_prosumer_to_user", None),
        (("accounts", "0001"), "0002_renamejournalentry", "user_rename_journal"),
    ],
    ids=["rename", "journal"],
)
def test_a_reverse_and_its_record_are_undone_together(ready_db, target, name, table_dropped):
    """The process dies right after the reverse committed, before Django's own unrecord: the migration's
    reverse deleted its row in its own transaction, so the records still agree with the schema."""
    # (Dumps are compared within one database: the PostgreSQL 15 of CI stamps each column it creates.)
    database = ready_db
    if target == ("accounts", "0002"):
        expected = scratch.schema_dump(database)
        database.manage("migrate")
    else:
        database.manage("migrate", "accounts", "0001")
        expected = scratch.schema_dump(database)
        database.manage("migrate", "accounts", "0002")
    with database.connect() as conn:
        conn.execute(FAIL_DJANGO_UNRECORD.format(name=name))
    result = database.manage("migrate", *target, check=False)
    assert result.returncode == 1
    assert f"injected failure: the process died after {name} was reversed" in assert_one_line(result.stderr)
    with database.connect() as conn:
        assert applied(conn, "accounts", name) == 0
        assert conn.execute("SELECT to_regclass('prosumer') IS NOT NULL").fetchone() == (True,)
        if table_dropped:
            assert conn.execute("SELECT to_regclass(%s)", [table_dropped]).fetchone() == (None,)
    # The same command again: nothing left to undo, and it says so.
    again = database.manage("migrate", *target)
    assert "No migrations to apply." in again.stdout
    with database.connect() as conn:
        conn.execute(DROP_INJECTION)
    assert scratch.schema_dump(database) == expected
    database.manage("migrate")
    with database.connect() as conn:
        assert_renamed(conn)


@pytest.mark.parametrize("heal_with", ["same_command", "forward"])
def test_a_reverse_interrupted_while_dropping_the_concurrent_indexes_heals(ready_db, heal_with):
    """energy 0003's reverse unrecords itself first, so a reverse cut short while it drops indexes reads as
    "not applied": the same reverse then drops what is left (in the rename's reverse), and a forward
    migrate builds what is missing."""
    database = ready_db
    expected = scratch.schema_dump(database)
    database.manage("migrate")
    blocker = open_transaction(database, "SELECT count(*) FROM market_trade", application="report")
    reverse = start_manage(database, "migrate", "accounts", "0002")
    try:
        with database.connect(superuser=True) as conn:
            pid = wait_until(lambda: migrate_backend_blocked(conn), what="the reverse waiting in energy 0003")
            conn.execute("SELECT pg_terminate_backend(%s)", [pid])
        out, err = reverse.communicate(timeout=60)
    finally:
        blocker.rollback()
        blocker.close()
    assert reverse.returncode == 1, out + err
    line = err.strip().splitlines()[-1]
    assert line.startswith(
        "CommandError: lost the connection to the database while unapplying energy.0003"
    ), err
    assert "terminating connection due to administrator command" in line
    assert "Traceback" not in err
    with database.connect() as conn:
        assert applied(conn, "energy", "0003") == 0
        left = indexes(conn)
        assert "idx_idrsconversion_user_id" not in left  # dropped before the interruption
        assert "idx_wallet_user_id" in left  # not reached
    if heal_with == "same_command":
        database.manage("migrate", "accounts", "0002")
    else:
        database.manage("migrate")
        with database.connect() as conn:
            assert_renamed(conn)
            assert applied(conn, "energy", "0003") == 1
        database.manage("verify_user_migration", "--fast", "--no-store")
        database.manage("migrate", "accounts", "0002")
    assert scratch.schema_dump(database) == expected


def test_a_forward_run_killed_in_the_index_phase_then_reversed_leaves_no_index_behind(ready_db):
    """kill -9 while a concurrent build waits (its index INVALID, others built): the reverse drops every
    index the journal says energy 0003 built, valid or not."""
    expected = scratch.schema_dump(ready_db)
    ready_db.manage("migrate", "energy", "0002")  # the rename; the index phase is next
    writer = open_transaction(ready_db, "LOCK TABLE market_trade IN ROW EXCLUSIVE MODE", application="writer")
    migrate = start_manage(ready_db, "migrate")
    try:
        with ready_db.connect(superuser=True) as conn:
            wait_until(
                lambda: indexes(conn).get("idx_markettrade_buyer_user") is False,
                what="the build of idx_markettrade_buyer_user waiting",
            )
            wait_until(lambda: migrate_backend_blocked(conn), what="the build waiting for the writer")
            migrate.kill()
            migrate.communicate(timeout=30)
            # The backend notices its client is gone (client_connection_check_interval) and stops the build.
            wait_until(
                lambda: (
                    not conn.execute(
                        "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'manage.py migrate'"
                    ).fetchone()[0]
                ),
                timeout=10,
                what="the killed migrate's backend ending",
            )
    finally:
        writer.rollback()
        writer.close()
    with ready_db.connect() as conn:
        left = indexes(conn)
        assert left["idx_markettrade_buyer_user"] is False and left["idx_wallet_user_id"] is True
        assert applied(conn, "energy", "0003") == 0
    ready_db.manage("migrate", "accounts", "0002")
    assert scratch.schema_dump(ready_db) == expected


def test_a_rerun_right_after_a_killed_run_waits_for_it_and_completes(ready_db):
    """The killed run's backend may still be finishing its concurrent build: the re-run waits for it (the
    migrate lock) instead of deadlocking with it, then builds what is missing."""
    ready_db.manage("migrate", "energy", "0002")  # the rename; the index phase is next
    writer = open_transaction(
        ready_db, "LOCK TABLE transaction_log IN ROW EXCLUSIVE MODE", application="writer"
    )
    first = start_manage(ready_db, "migrate")
    try:
        with ready_db.connect(superuser=True) as conn:
            wait_until(
                lambda: indexes(conn).get("idx_transactionlog_user_id") is False,
                what="the build of idx_transactionlog_user_id waiting",
            )
        first.kill()
        first.communicate(timeout=30)
        second = start_manage(ready_db, "migrate")
        threading.Timer(0.5, writer.rollback).start()
        out, err = second.communicate(timeout=120)
    finally:
        writer.close()
    assert second.returncode == 0, out + err
    assert "deadlock" not in (out + err).lower()
    with ready_db.connect() as conn:
        assert_renamed(conn)
        assert all(indexes(conn).values())
        assert applied(conn, "energy", "0003") == 1


@pytest.mark.parametrize("blocker", ["writer_on_the_table", "older_snapshot"])
def test_the_index_phase_waits_within_its_bound_and_says_for_whom(ready_db, blocker):
    """The library waits without limit (lock_timeout 0) and prints nothing; here each wait is bounded by
    ENERLINK_INDEX_LOCK_TIMEOUT, the blocker is named while it waits, the INVALID index is dropped when
    the blocker lets it, and the command stops in one line. A re-run finishes the job."""
    ready_db.manage("migrate", "energy", "0002")
    if blocker == "writer_on_the_table":
        holder = open_transaction(
            ready_db, "LOCK TABLE wallet IN ROW EXCLUSIVE MODE", superuser=True, application="batch-writer"
        )
    else:
        holder = open_snapshot(ready_db, application="batch-writer")
    holder_pid = holder.info.backend_pid
    try:
        result = ready_db.manage("migrate", check=False, env={"ENERLINK_INDEX_LOCK_TIMEOUT": "3s"})
        with ready_db.connect() as conn:
            left = indexes(conn, "idx_wallet_user_id")
    finally:
        holder.rollback()
        holder.close()
    assert result.returncode == 1, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    who = f"pid {holder_pid} (user postgres, application 'batch-writer'); PostgreSQL hides the state"
    assert lines[0].startswith(
        "energy 0003: the build of index idx_wallet_user_id on wallet waits for " + who
    )
    assert lines[-1].startswith(
        "IndexPhaseStopped: energy 0003: the build of index idx_wallet_user_id on wallet waited longer than "
        f"ENERLINK_INDEX_LOCK_TIMEOUT (3 s) for {who}"
    )
    assert len(lines) == 2 and "Traceback" not in result.stderr
    if blocker == "older_snapshot":
        assert left == {} and "Nothing of that index is left." in lines[-1]
    else:
        assert (
            left == {"idx_wallet_user_id": False}
            and "Its INVALID index idx_wallet_user_id is left" in lines[-1]
        )
    ready_db.manage("migrate")
    with ready_db.connect() as conn:
        assert_renamed(conn)
        assert all(indexes(conn).values())
