"""Other database sessions in words: whom a command waits for, and how to see what PostgreSQL hides.

PostgreSQL shows a role the pid, user and application of every session, but the
state, query and start times of another role's sessions only to members of
pg_read_all_stats. A description says what it can see and, for the rest, which
grant shows it, rather than printing blanks. The rename's SQL describes the
holders of its locks the same way (accounts/migrations/0003_*.locks.sql).
"""

SESSIONS = """
SELECT a.pid, a.usename, a.application_name, a.state, coalesce(a.xact_start, a.backend_start)
  FROM pg_stat_activity a WHERE a.pid = ANY(%s) ORDER BY a.pid
"""


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
    if hidden:
        role = _fetchall(conn, "SELECT current_user", None)[0][0]
        text += (
            f"; PostgreSQL hides the state and start time of other roles' sessions from role {role} "
            f"(GRANT pg_read_all_stats TO {role} shows them)"
        )
    return text


def _fetchall(conn, query, params):
    if hasattr(conn, "fetchall"):  # a DB-API cursor (Django's)
        conn.execute(query, params)
        return conn.fetchall()
    return conn.execute(query, params).fetchall()
