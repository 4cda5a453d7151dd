"""What the compatibility schema holds today, how it differs from what it should hold, and who uses it.

A view is *current* when PostgreSQL prints its definition exactly as it prints
the definition install would write today (a temporary probe view, compared with
``pg_get_viewdef`` in the same session, so the text is comparable on every
server version). *Drift* is named more precisely from the catalog: the columns
of the real table that the view does not read (a column added after install).

Who still uses the schema is only partly visible: PostgreSQL shows no other
session's search_path. What it shows is each session's application_name, its
locks (only while a statement or transaction runs) and the text of its last
statement. docs/compat.md says what each can and cannot tell.
"""

from dataclasses import asdict, dataclass, field

from accounts.compat.definitions import MARKER, expected_views, quote

SCHEMA_FACTS = """
SELECT n.oid, pg_get_userbyid(n.nspowner), obj_description(n.oid, 'pg_namespace')
  FROM pg_namespace n WHERE n.nspname = %s
"""
# Every object that lives in the schema (each has a dependency on its namespace; a view's row
# type depends on the view, not on the schema, so it is not listed twice).
SCHEMA_CONTENTS = """
SELECT d.classid::regclass::text, d.objid,
       pg_describe_object(d.classid, d.objid, 0),
       coalesce(c.relkind, ''), coalesce(c.relname, ''),
       coalesce(obj_description(d.objid, d.classid::regclass::name), '')
  FROM pg_depend d LEFT JOIN pg_class c ON d.classid = 'pg_class'::regclass AND c.oid = d.objid
 WHERE d.refclassid = 'pg_namespace'::regclass AND d.refobjid = %s AND d.deptype = 'n'
   -- a sequence owned by a table column goes with its table: named once, by the table
   AND NOT EXISTS (SELECT 1 FROM pg_depend o WHERE o.classid = d.classid AND o.objid = d.objid
                     AND o.refclassid = 'pg_class'::regclass AND o.deptype IN ('a', 'i'))
 ORDER BY 3
"""
VIEW_SOURCES = """
SELECT DISTINCT d.refobjid FROM pg_rewrite r
  JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = r.oid
 WHERE r.ev_class = %s AND d.refclassid = 'pg_class'::regclass AND d.refobjid <> %s
"""
UNREAD_COLUMNS = """
SELECT a.attname FROM pg_attribute a
 WHERE a.attrelid = %s AND a.attnum > 0 AND NOT a.attisdropped
   AND a.attnum NOT IN (SELECT d.refobjsubid FROM pg_rewrite r
                          JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = r.oid
                         WHERE r.ev_class = %s AND d.refobjid = %s)
 ORDER BY a.attnum
"""
PROBE = "enerlink_compat_probe"
INSTALLED_SCHEMAS = """
SELECT n.nspname, (SELECT count(*) FROM pg_class c WHERE c.relnamespace = n.oid AND c.relkind = 'v')
  FROM pg_namespace n WHERE starts_with(obj_description(n.oid, 'pg_namespace'), %s) ORDER BY 1
"""
SESSIONS = r"""
SELECT a.pid, a.usename, a.application_name, a.state,
       to_char(coalesce(a.xact_start, a.backend_start), 'YYYY-MM-DD HH24:MI:SS'),
       EXISTS (SELECT 1 FROM pg_locks l WHERE l.pid = a.pid AND l.relation = ANY (%(views)s::oid[])),
       a.application_name = ANY (%(apps)s::text[]),
       coalesce(a.query ~* %(pattern)s, false)
  FROM pg_stat_activity a
 WHERE a.datname = current_database() AND a.pid <> pg_backend_pid() AND a.backend_type = 'client backend'
 ORDER BY a.pid
"""

OK = "ok"
MISSING = "missing"  # install creates it
DIFFERS = "differs"  # install replaces it
STALE = "stale"  # one of ours that no table needs any more: install drops it


@dataclass
class ViewState:
    name: str
    state: str
    table: str | None = None
    oid: int | None = None
    missing_columns: list = field(default_factory=list)

    def describe(self):
        if self.state == MISSING:
            return f"view {self.name} is missing"
        if self.state == STALE:
            return f"view {self.name} reads {self.table}, which no longer references the user table"
        if self.missing_columns:
            return f"view {self.name} lacks column(s) {', '.join(self.missing_columns)} of {self.table}"
        if self.state == DIFFERS:
            return f"view {self.name} does not read {self.table} as install would write it"
        return f"view {self.name} over {self.table}"


@dataclass
class Session:
    pid: int
    user: str
    application_name: str
    state: str
    since: str
    reasons: list

    def describe(self):
        return (
            f"pid {self.pid} (user {self.user}, application {self.application_name!r}, {self.state} since "
            f"{self.since}): {', '.join(self.reasons)}"
        )


@dataclass
class Status:
    schema: str
    installed: bool
    ours: bool = False
    owner: str | None = None
    views: list = field(default_factory=list)
    foreign_objects: list = field(default_factory=list)
    sessions: list = field(default_factory=list)

    @property
    def problems(self):
        return [view.describe() for view in self.views if view.state != OK] + [
            f"{name} was not created by user_rename_compat" for name in self.foreign_objects
        ]

    @property
    def current(self):
        return self.installed and self.ours and not self.problems

    def as_dict(self):
        return {
            **asdict(self),
            "current": self.current,
            "problems": self.problems,
            "search_path": f"{self.schema},public",
        }


@dataclass(frozen=True)
class SchemaObject:
    catalog: str
    oid: int
    description: str
    relkind: str
    name: str
    comment: str

    @property
    def ours(self):
        return self.catalog == "pg_class" and self.relkind == "v" and self.comment.startswith(MARKER)


def is_ours(comment):
    return (comment or "").startswith(MARKER)


def installed_schemas(cursor):
    """(name, number of views) of every schema marked as ours, whatever --schema it was installed with."""
    cursor.execute(INSTALLED_SCHEMAS, [MARKER])
    return [(name, views) for name, views in cursor.fetchall()]


def schema_facts(cursor, schema):
    """(oid, owner, comment) of the schema, or None when it does not exist."""
    cursor.execute(SCHEMA_FACTS, [schema])
    return cursor.fetchone()


def schema_contents(cursor, namespace_oid):
    cursor.execute(SCHEMA_CONTENTS, [namespace_oid])
    return [SchemaObject(*row) for row in cursor.fetchall()]


def view_source(cursor, view_oid):
    cursor.execute(VIEW_SOURCES, [view_oid, view_oid])
    sources = [oid for (oid,) in cursor.fetchall()]
    return sources[0] if len(sources) == 1 else None


def unread_columns(cursor, view_oid, table_oid):
    cursor.execute(UNREAD_COLUMNS, [table_oid, view_oid, table_oid])
    return [name for (name,) in cursor.fetchall()]


def reads_as_defined(cursor, view_oid, definition):
    """True when the view's query is exactly the one install would write today (a probe view compared)."""
    cursor.execute(f"CREATE TEMPORARY VIEW {PROBE} AS {definition.select_sql}")
    try:
        cursor.execute(
            f"SELECT pg_get_viewdef(%s::oid) = pg_get_viewdef('pg_temp.{PROBE}'::regclass)", [view_oid]
        )
        return cursor.fetchone()[0]
    finally:
        cursor.execute(f"DROP VIEW pg_temp.{PROBE}")


def compare(cursor, namespace_oid, definitions):
    """The state of each expected view and of our views no table needs; the objects that are not ours."""
    contents = schema_contents(cursor, namespace_oid)
    objects = {obj.name: obj for obj in contents if obj.catalog == "pg_class"}
    others = [obj.description for obj in contents if not obj.ours]
    states = []
    for definition in definitions:
        obj = objects.get(definition.name)
        if obj is None or not obj.ours:
            states.append(ViewState(definition.name, MISSING, definition.table))
            continue
        missing = unread_columns(cursor, obj.oid, definition.table_oid)
        if view_source(cursor, obj.oid) != definition.table_oid or not reads_as_defined(
            cursor, obj.oid, definition
        ):
            states.append(ViewState(definition.name, DIFFERS, definition.table, obj.oid, missing))
        else:
            states.append(ViewState(definition.name, OK, definition.table, obj.oid))
    expected = {definition.name for definition in definitions}
    for obj in objects.values():
        if obj.ours and obj.name not in expected:
            source = view_source(cursor, obj.oid)
            cursor.execute("SELECT %s::regclass::text", [source])
            states.append(ViewState(obj.name, STALE, cursor.fetchone()[0] if source else None, obj.oid))
    return states, others


def sessions_using(cursor, schema, view_oids, application_names):
    """Sessions that seem to use the schema, each with the signs PostgreSQL shows of it."""
    cursor.execute(
        SESSIONS,
        {
            "views": list(view_oids),
            "apps": list(application_names),
            "pattern": rf"prosumer|\m{schema}\M",
        },
    )
    found = []
    for pid, user, app, state, since, holds_lock, by_name, by_query in cursor.fetchall():
        reasons = []
        if holds_lock:
            reasons.append("holds a lock on a compatibility view")
        if by_name:
            reasons.append(f"application_name {app!r}")
        if by_query:
            reasons.append("its last statement names prosumer")
        if reasons:
            found.append(Session(pid, user, app, state or "unknown", since, reasons))
    return found


def inspect(cursor, schema, application_names=(), waiting=None):
    """The Status of ``schema``: call inside a transaction that is rolled back (the probe views).

    ``waiting.on(...)`` is told which tables the probe views may wait for (operations.Waiting).
    """
    facts = schema_facts(cursor, schema)
    if facts is None:
        return Status(schema, installed=False)
    namespace_oid, owner, comment = facts
    status = Status(schema, installed=True, ours=is_ours(comment), owner=owner)
    if not status.ours:
        return status
    definitions = expected_views(cursor)
    if waiting is not None:
        waiting.on("the tables", [d.table_oid for d in definitions], exclusive_holders_only=True)
    status.views, status.foreign_objects = compare(cursor, namespace_oid, definitions)
    view_oids = [view.oid for view in status.views if view.oid]
    status.sessions = sessions_using(cursor, schema, view_oids, application_names)
    return status


def quoted_view(schema, name):
    return f"{quote(schema)}.{quote(name)}"
