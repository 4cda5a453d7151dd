"""Other database sessions in words: whom a command waits for, and how to see what PostgreSQL hides.

PostgreSQL shows a role the pid, user and application of every session, but the
state, query and start times of another role's sessions only to members of
pg_read_all_stats. A description says what it can see and, for the rest, which
grant shows it, rather than printing blanks.

This is the one description of sessions and of the holders of a lock: migrate's
wait for another migrate and its index phase, the repair and the compatibility
schema use it. The rename's SQL, which runs inside PostgreSQL and imports nothing,
describes the holders of its locks with the same query
(``pg_temp.enerlink_holders`` in accounts/migrations/0003_*.locks.sql), and
tests/test_sessions.py holds the two to the same words.
"""

SESSIONS = """
SELECT a.pid, a.usename, a.application_name, a.state, coalesce(a.xact_start, a.backend_start)
  FROM pg_stat_activity a WHERE a.pid = ANY(%s) ORDER BY a.pid
"""


# Per session and table: its lock modes there, user, application, and what this role may see of its state.
HOLDERS = """
SELECT string_agg(
           CASE WHEN h.pid IS NULL THEN format('a prepared transaction (%%s on %%s; see pg_prepared_xacts)',
                                               h.modes, h.relation)
                ELSE format('pid %%s (%%s on %%s, user %%s, application %%L%%s)', h.pid, h.modes, h.relation,
                            coalesce(h.usename::text, 'none: a background process such as autovacuum'),
                            coalesce(h.application_name, ''),
                            CASE WHEN h.state IS NULL THEN ''
                                 ELSE format(', %%s since %%s', h.state, to_char(h.since, 'HH24:MI:SS')) END)
           END, '; ' ORDER BY h.pid, h.relation),
       bool_or(h.pid IS NOT NULL AND h.usename IS NOT NULL AND h.state IS NULL)
  FROM (SELECT l.pid, l.relation::regclass::text AS relation, string_agg(DISTINCT l.mode, '+') AS modes,
               a.usename, a.application_name, a.state, coalesce(a.xact_start, a.backend_start) AS since
          FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid
         WHERE l.locktype = 'relation' AND l.relation = ANY (%s::regclass[]) AND l.granted
           AND l.pid IS DISTINCT FROM pg_backend_pid() AND (l.mode = ANY (%s::text[]) OR %s::text[] IS NULL)
         GROUP BY l.pid, l.relation, a.usename, a.application_name, a.state, a.xact_start, a.backend_start) h
"""


def hidden_hint(conn):
    role = _fetchall(conn, "SELECT current_user", None)[0][0]
    return (
        f"PostgreSQL hides the state and start time of other roles' sessions from role {role} "
        f"(GRANT pg_read_all_stats TO {role} shows them)"
    )


def describe_holders(conn, relations, modes=None, gone="a transaction that ended meanwhile"):
    """``pid 4242 (AccessShareLock on wallet, user reporting, application 'metabase', active since
    10:02:11); ...``: the sessions holding a lock on any of ``relations`` (names or OIDs), in ``modes``
    only when given (e.g. ``["AccessExclusiveLock"]``). ``gone`` when none holds one any more.
    """
    rows = _fetchall(conn, HOLDERS, [[str(relation) for relation in relations], modes, modes])
    described, hidden = rows[0] if rows else (None, False)
    if described is None:
        return gone
    return f"{described}; {hidden_hint(conn)}" if hidden else described


def describe_sessions(conn, pids, gone="a session that ended meanwhile"):
    """``pid 4242 (user reporting, application 'metabase', active since 10:02:11); ...`` for ``pids``.

    ``conn`` is a psycopg connection or a DB-API cursor (Django's). ``gone`` is returned when
    none of the sessions is there any more.
    """
    rows = _fetchall(conn, SESSIONS, [list(pids)])
    if not rows:
        return gone
    described, hidden = [], False
    for pid, user, application, state, since in rows:
        if user is None:
            user = "none: a background process such as autovacuum"
        elif state is None:
            hidden = True
        seen = "" if state is None else f", {state} since {since:%H:%M:%S}" if since else f", {state}"
        described.append(f"pid {pid} (user {user}, application {application or ''!r}{seen})")
    text = "; ".join(described)
    return f"{text}; {hidden_hint(conn)}" if hidden else text


def _fetchall(conn, query, params):
    if hasattr(conn, "fetchall"):  # a DB-API cursor (Django's)
        conn.execute(query, params)
        return conn.fetchall()
    return conn.execute(query, params).fetchall()
