"""Install, inspect and remove the compatibility schema, each in one transaction that changes all or nothing.

``install`` makes the schema hold exactly the views ``definitions.expected_views``
describes: it creates the missing ones, replaces those that differ, drops ours
that no table needs any more and keeps the rest untouched (so a re-run heals a
partial install and an up-to-date one takes no lock at all on the views).
``remove`` drops our views and the schema with RESTRICT, never CASCADE: an
object someone else put in the schema, or built on one of its views, makes it
refuse instead of vanishing with it. All three follow the project's lock policy
(enerlink.lock_policy): each lock waited for at most ``lock_timeout``; a wait that
runs out rolls the transaction back and is tried again after a pause, and after the
last attempt the command stops naming the sessions that held the lock.
"""

import time
from dataclasses import dataclass, field

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, transaction

from accounts.compat.definitions import (
    DEFAULT_SCHEMA,
    SCHEMA_COMMENT,
    VIEW_COMMENT,
    Busy,
    CompatError,
    check_schema_name,
    expected_views,
    quote,
)
from accounts.compat.inspection import (
    DIFFERS,
    MISSING,
    OK,
    STALE,
    compare,
    inspect,
    is_ours,
    schema_contents,
    schema_facts,
    sessions_using,
)
from enerlink.commands import first_line
from enerlink.durations import invalid_duration
from enerlink.lock_policy import LockPolicy
from enerlink.sessions import describe_holders

LOCK_STATES = {"55P03", "40P01"}  # lock_not_available (lock_timeout), deadlock_detected
DEFAULT_APPLICATION_NAMES = ["enerlink-old-backend"]

# Privileges others hold on a table that a view can carry, and that its view lacks.
MISSING_GRANTS = """
SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(a.grantee)) END,
       a.privilege_type
  FROM pg_class c, aclexplode(c.relacl) a
 WHERE c.oid = %s AND a.grantee <> c.relowner
   AND a.privilege_type IN ('SELECT', 'INSERT', 'UPDATE', 'DELETE')
EXCEPT
SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(a.grantee)) END,
       a.privilege_type
  FROM pg_class c, aclexplode(c.relacl) a WHERE c.oid = %s::regclass
ORDER BY 1, 2
"""


def default_schema():
    return getattr(settings, "ENERLINK_COMPAT_SCHEMA", DEFAULT_SCHEMA)


def default_application_names():
    return list(getattr(settings, "ENERLINK_COMPAT_APPLICATION_NAMES", DEFAULT_APPLICATION_NAMES))


def literal(text):
    """A SQL string literal (utility statements such as COMMENT take no bind parameters)."""
    return "'" + text.replace("'", "''") + "'"


@dataclass
class Waiting:
    """What the statement being run may wait for, so that a lock timeout can name who holds it."""

    what: str = ""
    oids: list = field(default_factory=list)
    exclusive_holders_only: bool = False

    def on(self, what, oids, exclusive_holders_only=False):
        self.what, self.oids, self.exclusive_holders_only = what, list(oids), exclusive_holders_only


@dataclass
class InstallResult:
    schema: str
    created_schema: bool = False
    created: list = field(default_factory=list)
    replaced: list = field(default_factory=list)
    kept: list = field(default_factory=list)
    dropped: list = field(default_factory=list)
    granted: list = field(default_factory=list)

    @property
    def changed(self):
        return bool(self.created_schema or self.created or self.replaced or self.dropped or self.granted)

    def describe(self):
        views = len(self.created) + len(self.replaced) + len(self.kept)
        how = f"old instances connect with search_path={self.schema},public"
        if not self.changed:
            return f"compatibility schema {self.schema} is already current ({views} views); nothing changed"
        verb = "installed" if self.created_schema else "healed"
        parts = [
            f"{len(items)} {label}"
            for items, label in (
                (self.created, "created"),
                (self.replaced, "replaced"),
                (self.dropped, "dropped"),
                (self.kept, "kept"),
                (self.granted, "grant(s) added"),
            )
            if items
        ]
        return f"{verb} compatibility schema {self.schema}: {views} views ({', '.join(parts)}); {how}"


@dataclass
class RemoveResult:
    schema: str
    removed: bool = False
    views: list = field(default_factory=list)
    sessions: list = field(default_factory=list)

    def describe(self):
        if not self.removed:
            return f"compatibility schema {self.schema} is not installed; nothing to remove"
        line = f"removed compatibility schema {self.schema} ({len(self.views)} views); real tables untouched"
        if self.sessions:
            pids = ", ".join(str(session.pid) for session in self.sessions)
            line += (
                f"; {len(self.sessions)} session(s) that looked like old instances were still connected "
                f"(pid {pids}): their legacy names now fail"
            )
        return line


def pg_error(error):
    """The psycopg error behind a Django DatabaseError (or the error itself)."""
    cause = error
    while cause is not None and getattr(cause, "sqlstate", None) is None:
        cause = cause.__cause__
    return cause


def connect(using):
    if using not in connections:
        raise CompatError(f"unknown database alias {using!r} (see DATABASES in settings)")
    connection = connections[using]
    try:
        connection.ensure_connection()
    except Exception as error:  # noqa: BLE001 (any driver error means: could not connect)
        raise CompatError(f"could not connect to the database: {first_line(error)}") from error
    return connection


def set_lock_timeout(cursor, value):
    if invalid_duration(value):
        raise CompatError(
            f"lock timeout {value!r} is not a positive PostgreSQL duration: use a value such as 2s or 500ms"
        )
    cursor.execute("SELECT set_config('lock_timeout', %s, true)", [str(value)])


def run(using, action, schema, lock_timeout, work):
    """Run ``work(cursor, waiting)`` in one transaction, again after a lock wait that ran out (the lock
    policy); turn every database refusal into a CompatError."""
    connection = connect(using)
    policy = LockPolicy.from_settings(lock_timeout)
    for attempt in range(1, policy.attempts + 1):
        waiting = Waiting()
        try:
            with transaction.atomic(using=using), connection.cursor() as cursor:
                set_lock_timeout(cursor, policy.timeout)
                return work(cursor, waiting)
        except DatabaseError as error:
            failure = explain(connection, error, action, schema, policy.timeout, waiting, attempt)
            if not isinstance(failure, Busy) or attempt == policy.attempts:
                raise failure from error
        time.sleep(policy.wait_seconds(attempt))
    raise AssertionError("unreachable")  # pragma: no cover


def explain(connection, error, action, schema, lock_timeout, waiting, attempts=1):
    """A one-line CompatError for a database error that rolled ``action`` back."""
    cause = pg_error(error)
    state = getattr(cause, "sqlstate", None)
    diag = getattr(cause, "diag", None)
    primary = getattr(diag, "message_primary", None) or first_line(error)
    retry = f'Nothing was changed; re-run "manage.py user_rename_compat {action} --schema {schema}"'
    if state in LOCK_STATES:
        modes = ["AccessExclusiveLock"] if waiting.exclusive_holders_only else None
        try:
            with connection.cursor() as cursor:
                holders = describe_holders(cursor, waiting.oids, modes)
        except DatabaseError:
            holders = "a session that could not be read (the connection failed)"
        tries = f" ({attempts} attempts)" if attempts > 1 else ""
        why = (
            f" within lock_timeout {lock_timeout}{tries}: held by"
            if state == "55P03"
            else ": a deadlock with"
        )
        return Busy(
            f"could not lock {waiting.what}{why} {holders}. {retry} once that transaction ends"
            + (" (stop the old instances first)" if action == "remove" else "")
        )
    if state == "42501":  # insufficient_privilege
        return CompatError(
            f"{primary}: user_rename_compat needs the role that owns the tables, with CREATE on the database "
            f"for install. {retry} as that role"
        )
    if state == "2BP01":  # dependent_objects_still_exist
        detail = "; ".join((getattr(diag, "message_detail", None) or "").splitlines())
        return CompatError(f"{primary} ({detail}): drop or change those objects first. {retry}")
    return CompatError(f"{action} failed: {primary}. {retry}")


REFUSE_OTHER_OWNER = (
    "the views must belong to the role that owns the tables (they read the tables with their owner's "
    "rights, and that role must be able to remove them): you are {current}, table(s) {tables} belong to "
    "{owners}; connect as that role"
)


def refuse_foreign_owner(cursor, definitions):
    cursor.execute("SELECT current_user")
    current = cursor.fetchone()[0]
    others = [definition for definition in definitions if definition.owner != current]
    if others:
        raise CompatError(
            REFUSE_OTHER_OWNER.format(
                current=current,
                tables=", ".join(definition.table for definition in others),
                owners=", ".join(sorted({definition.owner for definition in others})),
            )
        )


def install(schema=None, using=DEFAULT_DB_ALIAS, lock_timeout=None):
    """Create or heal the schema so that it holds exactly today's views; return an InstallResult."""
    schema = check_schema_name(schema or default_schema())
    return run(
        using, "install", schema, lock_timeout, lambda cursor, waiting: _install(cursor, waiting, schema)
    )


def _install(cursor, waiting, schema):
    definitions = expected_views(cursor)
    refuse_foreign_owner(cursor, definitions)
    result = InstallResult(schema)
    facts = schema_facts(cursor, schema)
    if facts is None:
        cursor.execute(f"CREATE SCHEMA {quote(schema)}")
        cursor.execute(
            f"COMMENT ON SCHEMA {quote(schema)} IS {literal(SCHEMA_COMMENT.format(schema=schema))}"
        )
        result.created_schema = True
        facts = schema_facts(cursor, schema)
    namespace_oid, _owner, comment = facts
    if not is_ours(comment):
        raise CompatError(
            f"schema {schema} exists and was not created by user_rename_compat (its comment does not say "
            "so): refusing to touch it; choose another --schema"
        )
    taken = {obj.name: obj for obj in schema_contents(cursor, namespace_oid) if obj.catalog == "pg_class"}
    clashes = [taken[d.name].description for d in definitions if d.name in taken and not taken[d.name].ours]
    if clashes:
        raise CompatError(
            f"schema {schema} already holds {', '.join(clashes)}, not created by user_rename_compat: "
            "move or drop it, then re-run install; nothing was changed"
        )

    # Comparing (a probe view) and creating a view read the tables' definitions: they wait only for an
    # exclusive holder of a table, such as a running rename.
    waiting.on("the tables", [d.table_oid for d in definitions], exclusive_holders_only=True)
    states, _others = compare(cursor, namespace_oid, definitions)
    by_name = {definition.name: definition for definition in definitions}
    for state in states:
        view = f"{quote(schema)}.{quote(state.name)}"
        if state.state == OK:
            result.kept.append(state.name)
            continue
        if state.state == STALE:
            waiting.on(f"view {schema}.{state.name}", [state.oid])
            cursor.execute(f"DROP VIEW {view}")
            result.dropped.append(state.name)
            continue
        definition = by_name[state.name]
        waiting.on(f"table {definition.table}", [definition.table_oid], exclusive_holders_only=True)
        if state.state == MISSING:
            cursor.execute(f"CREATE VIEW {view} AS {definition.select_sql}")
            result.created.append(state.name)
        elif state.state == DIFFERS:
            waiting.on(f"view {schema}.{state.name}", [state.oid])
            replace_view(cursor, view, definition)
            result.replaced.append(state.name)
        cursor.execute(f"COMMENT ON VIEW {view} IS {literal(VIEW_COMMENT.format(table=definition.table))}")

    grantees = set()
    for definition in definitions:
        view = f"{quote(schema)}.{quote(definition.name)}"
        cursor.execute(MISSING_GRANTS, [definition.table_oid, view])
        for grantee, privilege in cursor.fetchall():
            cursor.execute(f"GRANT {privilege} ON {view} TO {grantee}")
            result.granted.append(f"{privilege} on {definition.name} to {grantee}")
            grantees.add(grantee)
    for grantee in sorted(grantees):
        cursor.execute(f"GRANT USAGE ON SCHEMA {quote(schema)} TO {grantee}")
    return result


def replace_view(cursor, view, definition):
    """CREATE OR REPLACE where PostgreSQL allows it (columns added at the end), else drop and create."""
    try:
        with transaction.atomic(using=cursor.db.alias):
            cursor.execute(f"CREATE OR REPLACE VIEW {view} AS {definition.select_sql}")
    except DatabaseError as error:
        if getattr(pg_error(error), "sqlstate", None) in LOCK_STATES:
            raise
        cursor.execute(f"DROP VIEW {view}")
        cursor.execute(f"CREATE VIEW {view} AS {definition.select_sql}")


def status(schema=None, using=DEFAULT_DB_ALIAS, application_names=None, lock_timeout=None):
    """The Status of the schema (read only: the probe views live in a transaction that is rolled back).

    Each probe view reads its table's definition, so it waits behind an exclusive holder such as a
    running rename: at most ``lock_timeout``.
    """
    schema = check_schema_name(schema or default_schema())
    names = default_application_names() if application_names is None else list(application_names)

    def work(cursor, waiting):
        found = inspect(cursor, schema, names, waiting)
        transaction.set_rollback(True, using=cursor.db.alias)
        return found

    return run(using, "status", schema, lock_timeout, work)


def remove(schema=None, using=DEFAULT_DB_ALIAS, lock_timeout=None, application_names=None):
    """Drop our views and the schema (RESTRICT), or nothing; return a RemoveResult."""
    schema = check_schema_name(schema or default_schema())
    names = default_application_names() if application_names is None else list(application_names)
    return run(
        using, "remove", schema, lock_timeout, lambda cursor, waiting: _remove(cursor, waiting, schema, names)
    )


def _remove(cursor, waiting, schema, application_names):
    result = RemoveResult(schema)
    facts = schema_facts(cursor, schema)
    if facts is None:
        return result
    namespace_oid, _owner, comment = facts
    if not is_ours(comment):
        raise CompatError(
            f"schema {schema} was not created by user_rename_compat (its comment does not say so): "
            "refusing to drop it"
        )
    contents = schema_contents(cursor, namespace_oid)
    foreign = [obj.description for obj in contents if not obj.ours]
    if foreign:
        raise CompatError(
            f"schema {schema} also holds {', '.join(foreign)}, not created by user_rename_compat: "
            "move or drop it yourself (docs/compat.md), then re-run remove; nothing was changed"
        )
    views = [obj for obj in contents if obj.ours]
    result.sessions = [
        session
        for session in sessions_using(cursor, schema, [], application_names)
        if any(reason.startswith("application_name") for reason in session.reasons)
    ]
    if views:
        waiting.on(f"the views of schema {schema}", [obj.oid for obj in views])
        cursor.execute("DROP VIEW " + ", ".join(f"{quote(schema)}.{quote(obj.name)}" for obj in views))
    waiting.on(f"schema {schema}", [])
    cursor.execute(f"DROP SCHEMA {quote(schema)}")
    result.removed = True
    result.views = [obj.name for obj in views]
    return result
