"""The rename under logical replication, following docs/logical-replication.md, with writes going on.

Two databases of the server under test: the publisher (a legacy copy, renamed by
``manage.py migrate``) and a subscriber (a copy of the same database, as an
analytics copy would be). The subscription uses a slot created beforehand, which
a subscription between two databases of one cluster needs (``CREATE
SUBSCRIPTION`` would otherwise wait for itself). A writer keeps inserting and
updating through the rename, switching to the new names when the old ones
disappear, as a new deploy does. Every SQL statement of the procedure is taken
from the document, so the two cannot drift apart; at the end every replicated
table has the same rows on both sides: no change was lost.
"""

import contextlib
import threading
import time
from pathlib import Path

import psycopg
import pytest

from enerlink.devtools import scratch
from tests import replication

DOC = (Path(__file__).resolve().parents[1] / "docs" / "logical-replication.md").read_text()
SUBSCRIPTION = "enerlink_sub"  # the document's name; each test replaces it with a unique one
TABLES = scratch.LEGACY_TABLES

# The procedure's statements, each of which must appear verbatim in the document.
SET_DISABLE_ON_ERROR = "ALTER SUBSCRIPTION enerlink_sub SET (disable_on_error = true);"
RENAME_POINT = "SELECT pg_current_wal_lsn();"
STOPPED = "SELECT NOT subenabled FROM pg_subscription WHERE subname = 'enerlink_sub';"
CAUGHT_UP = (
    "SELECT confirmed_flush_lsn >= '<lsn from step 3>' "
    "FROM pg_replication_slots WHERE slot_name = 'enerlink_sub';"
)
DISABLE = "ALTER SUBSCRIPTION enerlink_sub DISABLE;"
WORKER_GONE = (
    "SELECT count(*) = 0 FROM pg_stat_subscription WHERE subname = 'enerlink_sub' AND pid IS NOT NULL;"
)
ENABLE = "ALTER SUBSCRIPTION enerlink_sub ENABLE;"
ERRORS = "SELECT apply_error_count FROM pg_stat_subscription_stats WHERE subname = 'enerlink_sub';"
PROCEDURE = [SET_DISABLE_ON_ERROR, RENAME_POINT, STOPPED, CAUGHT_UP, DISABLE, WORKER_GONE, ENABLE, ERRORS]


def test_every_statement_of_the_procedure_is_in_the_document():
    for statement in PROCEDURE:
        assert statement in DOC, statement
    assert "python manage.py verify_user_migration --preflight --allow-logical-replication" in DOC
    assert "python manage.py migrate" in DOC


class Writer(threading.Thread):
    """Inserts users, wallets and log rows and updates names, one statement per transaction, until stopped.

    Each statement uses the names that exist: when the rename commits, the next statement fails on
    the old name and is retried with the new one, so no write is skipped.
    """

    LEGACY = {"user": "prosumer", "key": "prosumer_id"}
    RENAMED = {"user": '"user"', "key": "user_id"}

    def __init__(self, url, tag):
        super().__init__(daemon=True)
        self.url, self.tag = url, tag
        self.names = self.LEGACY
        self.written = {"legacy": 0, "renamed": 0}
        self.stop = threading.Event()
        self.error = None

    def statements(self, n):
        user = f"{self.tag}-{n}"
        names = self.names
        return [
            f"INSERT INTO {names['user']} ({names['key']}, email, password_hash, created_at, updated_at) "
            f"VALUES ('{user}', '{user}@example.org', 'x', now(), now())",
            f"INSERT INTO wallet (wallet_address, {names['key']}, created_at, import_method, is_active) "
            f"VALUES ('0x{user}', '{user}', now(), 'GENERATED', true)",
            f"INSERT INTO transaction_log ({names['key']}, transaction_type, amount_primary, "
            f"currency_primary, transaction_timestamp) VALUES ('{user}', 'TRANSFER', {n}, 'ETK', now())",
            f"UPDATE {names['user']} SET name = 'written {n}' WHERE {names['key']} = 'p-alice'",
        ]

    def run(self):
        try:
            with psycopg.connect(self.url, autocommit=True, application_name="writer") as conn:
                n = 0
                while not self.stop.is_set():
                    n += 1
                    for index in range(4):
                        while True:
                            try:
                                conn.execute(self.statements(n)[index])
                                break
                            except (psycopg.errors.UndefinedTable, psycopg.errors.UndefinedColumn):
                                assert self.names is self.LEGACY, "the new names vanished"
                                self.names = self.RENAMED
                    self.written["legacy" if self.names is self.LEGACY else "renamed"] += 1
                    time.sleep(0.01)
        except BaseException as error:  # noqa: BLE001 (reported by the test, in its own thread)
            self.error = error


def sql(statement, subscription, lsn=None):
    statement = statement.replace("enerlink_sub", subscription)
    return statement.replace("'<lsn from step 3>'", f"'{lsn}'") if lsn else statement


@pytest.fixture
def pair(scratch_db, templates):
    """(publisher, subscriber): two copies of the legacy database, the second subscribed to the first."""
    replication.require_logical_wal()
    publisher = scratch_db(template=templates.get("ready"))
    subscriber = scratch_db(template=templates.get("ready"))
    subscription = f"sub_{subscriber.name}"
    with publisher.connect() as conn:
        conn.execute(f"CREATE PUBLICATION enerlink_pub FOR TABLE {', '.join(TABLES)}")
    with publisher.connect(superuser=True) as conn:
        conn.execute("SELECT pg_create_logical_replication_slot(%s, 'pgoutput')", [subscription])
    with subscriber.connect(superuser=True) as conn:
        conn.execute(
            f"CREATE SUBSCRIPTION {subscription} CONNECTION '{replication.conninfo(publisher.name)}' "
            f"PUBLICATION enerlink_pub WITH (create_slot = false, slot_name = '{subscription}', "
            "copy_data = false)"  # the subscriber starts as a copy of the same database
        )
    try:
        yield publisher, subscriber, subscription
    finally:
        with subscriber.connect(superuser=True) as conn:
            with contextlib.suppress(psycopg.Error):
                conn.execute(f"ALTER SUBSCRIPTION {subscription} DISABLE")
            conn.execute(f"ALTER SUBSCRIPTION {subscription} SET (slot_name = NONE)")
            conn.execute(f"DROP SUBSCRIPTION {subscription}")
        with publisher.connect(superuser=True) as conn:
            conn.execute(
                "SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = %s",
                [subscription],
            )
            replication.wait_until(
                lambda: (
                    not conn.execute(
                        "SELECT active FROM pg_replication_slots WHERE slot_name = %s", [subscription]
                    ).fetchone()[0]
                ),
                "the walsender to let go of the slot",
            )
            conn.execute("SELECT pg_drop_replication_slot(%s)", [subscription])


def test_the_documented_order_renames_publisher_and_subscriber_with_no_change_lost(pair):
    publisher, subscriber, subscription = pair
    on_publisher, on_subscriber = publisher.superuser_url, subscriber.superuser_url
    replication.wait_until(
        lambda: replication.value(
            on_publisher, "SELECT active FROM pg_replication_slots WHERE slot_name = %s", [subscription]
        ),
        "the subscription to start streaming",
    )
    # The preflight refuses on both sides, naming the publication and the subscription.
    result = publisher.manage("verify_user_migration", "--preflight", check=False)
    assert result.returncode == 1 and "publication enerlink_pub includes" in result.stdout
    result = subscriber.manage("verify_user_migration", "--preflight", "--json", check=False)
    assert result.returncode == 1 and f"subscription {subscription} (enabled) replicates" in result.stdout

    writer = Writer(publisher.url, tag=f"w{publisher.name[-6:]}")
    writer.start()
    try:
        replication.wait_until(
            lambda: writer.written["legacy"] >= 20 or writer.error, "writes before the rename"
        )
        # 1. On the subscriber: stop at the first change it cannot apply, instead of retrying it in a loop.
        replication.execute(on_subscriber, sql(SET_DISABLE_ON_ERROR, subscription))
        errors_before = replication.value(on_subscriber, sql(ERRORS, subscription))
        # 2. On the publisher: the preflight, told about the subscriber, then the rename; writes go on.
        publisher.manage("verify_user_migration", "--preflight", "--allow-logical-replication")
        publisher.manage("migrate")
        # 3. The rename's point in the stream.
        lsn = replication.value(on_publisher, RENAME_POINT)
        # 4. The subscriber reaches it: it stops at the first change after the rename, or has passed it.
        replication.wait_until(
            lambda: (
                replication.value(on_subscriber, sql(STOPPED, subscription))
                or replication.value(on_publisher, sql(CAUGHT_UP, subscription, lsn))
            ),
            "the subscriber to reach the rename",
        )
        # 5. Disabled, and its worker gone.
        replication.execute(on_subscriber, sql(DISABLE, subscription))
        replication.wait_until(
            lambda: replication.value(on_subscriber, sql(WORKER_GONE, subscription)),
            "the apply worker to stop",
        )
        assert replication.value(on_subscriber, sql(ERRORS, subscription)) > errors_before, (
            "the subscriber should have stopped on the first change after the rename (else the test proves "
            "nothing about the order)"
        )
        # 6. The subscriber's own rename: it is a copy of the same database, so the same migrations.
        subscriber.manage("migrate")
        # 7. Enabled again: it resumes with the change it stopped at.
        replication.execute(on_subscriber, sql(ENABLE, subscription))
        replication.wait_until(
            lambda: writer.written["renamed"] >= 20 or writer.error, "writes after the rename", timeout=120
        )
    finally:
        writer.stop.set()
        writer.join(30)
    assert writer.error is None, repr(writer.error)
    assert writer.written["legacy"] >= 20 and writer.written["renamed"] >= 20, writer.written

    # 8. Caught up: the slot has confirmed everything written; then the same rows on both sides.
    end = replication.value(on_publisher, RENAME_POINT)
    replication.wait_until(
        lambda: replication.value(on_publisher, sql(CAUGHT_UP, subscription, end)),
        "the subscriber to catch up after being enabled again",
        timeout=120,
    )
    assert replication.value(on_subscriber, sql(STOPPED, subscription)) is False, "it must not stop again"
    renamed_tables = ["user" if table == "prosumer" else table for table in TABLES]
    published = scratch.table_fingerprints(publisher, renamed_tables)
    assert published == scratch.table_fingerprints(subscriber, renamed_tables)
    with publisher.connect() as conn:
        written = conn.execute(
            "SELECT count(*) FROM wallet WHERE wallet_address LIKE %s", [f"0x{writer.tag}-%"]
        )
        assert written.fetchone()[0] == sum(writer.written.values())
