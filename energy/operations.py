"""Migration operations of the energy app: concurrent index builds that can be undone exactly.

Each canonical index is built with django-pg-migration-tools' safer build
(``CREATE INDEX CONCURRENTLY IF NOT EXISTS`` after dropping an INVALID leftover),
with three changes that make the index phase safe to interrupt and to run beside a
live application:

* Before it starts a build it records the index in the rename's journal
  (kind ``index_build``), so that the way back drops exactly the indexes this
  phase built, also after a run that was interrupted half way (the reverse of
  accounts 0003 drops those that are left).
* Each wait of a build or drop is bounded by ENERLINK_INDEX_LOCK_TIMEOUT instead of
  the library's ``lock_timeout = 0`` (wait for ever); while it waits, a second
  connection asks ``pg_blocking_pids`` whom for, and says so. When the bound is
  reached the INVALID index is dropped (if its blocker lets it) and the command
  stops with one line naming the blocker.
* Backward, only the indexes the journal says this phase built are dropped: one
  the legacy database already had (and the rename merely renamed) survives, so
  the reverse rename can give it back its original name.
"""

import logging
import threading
from contextlib import contextmanager

from django.core.management.base import CommandError
from django.db import DatabaseError
from django_pg_migration_tools.operations import SafeIndexOperationManager, SaferAddIndexConcurrently

from enerlink.commands import sqlstate
from enerlink.db import connect
from enerlink.durations import setting_ms
from enerlink.sessions import describe_sessions

# The journal accounts 0003 writes (accounts.RenameJournalEntry); named here, not imported,
# so that energy's migrations depend on no other app's code.
JOURNAL_TABLE = "user_rename_journal"
INDEX_BUILD = "index_build"
# How long a build waits before it first says whom for, and how often it looks again.
WATCH_INTERVAL = 1.0
# How long dropping the INVALID leftover of a build that ran out of time may wait.
CLEANUP_LOCK_TIMEOUT = "1s"

logger = logging.getLogger("enerlink.migrate")


class IndexPhaseStopped(CommandError):
    """An index build or drop waited longer than ENERLINK_INDEX_LOCK_TIMEOUT: one line for the command."""


class BoundedIndexManager(SafeIndexOperationManager):
    """The library's safer build and drop, waiting at most ``lock_timeout`` where it would wait for ever."""

    def __init__(self, lock_timeout):
        self.lock_timeout = lock_timeout

    def _show_lock_timeout(self, schema_editor):
        # sqlmigrate: no value to restore afterwards (the library would print a second SET).
        return None if schema_editor.collect_sql else super()._show_lock_timeout(schema_editor)

    def _set_lock_timeout(self, schema_editor, value):
        if value is not None:
            super()._set_lock_timeout(schema_editor, self.lock_timeout if value == "0" else value)


@contextmanager
def reporting_waits(connection, what):
    """Say (once per new set of blockers) whom ``connection``'s statement waits for, from a second session."""
    pid = connection.connection.info.backend_pid
    stop = threading.Event()
    seen = {"blockers": None}

    def watch():
        try:
            with connect(connection.alias, autocommit=True) as conn:
                while not stop.wait(WATCH_INTERVAL):
                    pids = conn.execute("SELECT pg_blocking_pids(%s)", [pid]).fetchone()[0]
                    if not pids:
                        continue
                    described = describe_sessions(conn, pids)
                    if described != seen["blockers"]:
                        seen["blockers"] = described
                        logger.warning("%s waits for %s", what, described)
        except Exception:  # noqa: BLE001, S110 (the watcher only informs: it must never break the build)
            pass

    thread = threading.Thread(target=watch, name="enerlink-index-watch", daemon=True)
    thread.start()
    try:
        yield seen
    finally:
        stop.set()
        thread.join(timeout=5)


class AddIndexConcurrentlyUnlessRenamed(SaferAddIndexConcurrently):
    """Build a canonical index concurrently (journaled, bounded, saying whom it waits for) unless one exists.

    An index the rename already gave its canonical name is found by ``IF NOT EXISTS``,
    is not journaled, and is therefore never dropped on the way back.
    """

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        model = to_state.apps.get_model(app_label, self.model_name)
        if not self.allow_migrate_model(schema_editor.connection.alias, model):
            return
        schema_editor.execute(self.journal_sql(model._meta.db_table))
        self.bounded(
            schema_editor,
            "build",
            model,
            lambda manager: manager.safer_create_index(
                app_label=app_label,
                schema_editor=schema_editor,
                from_state=from_state,
                to_state=to_state,
                index=self.index,
                model=model,
                unique=False,
            ),
        )

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        model = from_state.apps.get_model(app_label, self.model_name)
        if not self.allow_migrate_model(schema_editor.connection.alias, model):
            return
        if not schema_editor.collect_sql and not self.journaled_as_built(schema_editor):
            return
        self.bounded(
            schema_editor,
            "drop",
            model,
            lambda manager: manager.safer_drop_index(
                app_label=app_label,
                schema_editor=schema_editor,
                from_state=from_state,
                to_state=to_state,
                index=self.index,
                model=model,
            ),
        )
        schema_editor.execute(
            f"DELETE FROM {JOURNAL_TABLE} WHERE kind = '{INDEX_BUILD}' AND old_name = '{self.index.name}';"
        )

    def journal_sql(self, table):
        """Record that this phase builds the index, unless a valid one of that name is there already."""
        name = self.index.name
        return (
            f"INSERT INTO {JOURNAL_TABLE} (step, kind, object_type, table_name, old_name, new_name) "
            f"SELECT (SELECT coalesce(max(step), 0) + 1 FROM {JOURNAL_TABLE}), '{INDEX_BUILD}', 'index', "
            f"'{table}', '{name}', '{name}' "
            f"WHERE NOT EXISTS (SELECT 1 FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            f"WHERE c.relname = '{name}' AND i.indisvalid "
            f"AND c.relnamespace = (SELECT relnamespace FROM pg_class WHERE oid = to_regclass('{table}'))) "
            f"AND NOT EXISTS (SELECT 1 FROM {JOURNAL_TABLE} "
            f"WHERE kind = '{INDEX_BUILD}' AND old_name = '{name}');"
        )

    def journaled_as_built(self, schema_editor):
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(
                f"SELECT to_regclass('{JOURNAL_TABLE}') IS NOT NULL AND EXISTS ("
                f"SELECT 1 FROM {JOURNAL_TABLE} WHERE kind = '{INDEX_BUILD}' AND old_name = %s)",
                [self.index.name],
            )
            return cursor.fetchone()[0]

    def bounded(self, schema_editor, action, model, run):
        """Run the library's build or drop with its waits bounded, saying whom it waits for."""
        ms = setting_ms("ENERLINK_INDEX_LOCK_TIMEOUT")
        bound = f"{ms}ms"
        manager = BoundedIndexManager(bound)
        if schema_editor.collect_sql:  # sqlmigrate: only collect the statements
            run(manager)
            return
        connection = schema_editor.connection
        what = f"energy 0003: the {action} of index {self.index.name} on {model._meta.db_table}"
        with connection.cursor() as cursor:
            cursor.execute("SHOW lock_timeout")
            original = cursor.fetchone()[0]
        try:
            with reporting_waits(connection, what) as seen:
                run(manager)
        except DatabaseError as error:
            if sqlstate(error) != "55P03":  # lock_not_available
                raise
            left = self.drop_invalid_leftover(schema_editor, manager) if action == "build" else ""
            done = "built" if action == "build" else "dropped"
            raise IndexPhaseStopped(
                f"{what} waited longer than ENERLINK_INDEX_LOCK_TIMEOUT ({ms / 1000:g} s) for "
                f"{seen['blockers'] or 'a lock held by another session'}. {left}Run the same command again "
                f"once that transaction ends; the indexes {done} so far stay {done}."
            ) from error
        finally:
            try:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT set_config('lock_timeout', %s, false)", [original])
            except DatabaseError:
                pass  # the connection is gone: the error being raised says so

    def drop_invalid_leftover(self, schema_editor, manager):
        """Drop what the interrupted build left (an INVALID index), waiting briefly; say what is left."""
        try:
            with schema_editor.connection.cursor() as cursor:
                cursor.execute("SELECT set_config('lock_timeout', %s, false)", [CLEANUP_LOCK_TIMEOUT])
            manager._ensure_not_an_invalid_index(schema_editor, self.index.name)
        except DatabaseError:
            return f"Its INVALID index {self.index.name} is left (that session blocks the drop too). "
        return "Nothing of that index is left. "
