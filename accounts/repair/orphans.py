"""Rows whose user does not exist: they would make a key's validation fail, so they stop the repair first.

The guide turns off foreign-key triggers (``session_replication_role``) while it
runs, so rows can slip in without a user. Counting them reads every row of each
referencing table (an anti-join on the user table's key, under the lightest
lock, which blocks nobody); it is the one part of planning whose cost grows with
the data. Each blocker carries the query that lists the rows.
"""

from accounts.repair.sql import Quoter


def orphan_query(quote, user, user_key, table, column, select="t.*"):
    return (
        f"SELECT {select} FROM {quote(table)} t WHERE t.{quote(column)} IS NOT NULL AND NOT EXISTS "
        f"(SELECT 1 FROM {quote(user)} u WHERE u.{quote(user_key)} = t.{quote(column)})"
    )


def find_orphans(cursor, state, columns, current_column):
    """(where, count, query that lists them) for each key column (KeyColumn) that has rows without a user."""
    quote = Quoter(state.keywords)
    blockers = []
    for column in columns:
        current = current_column(column)
        if current is None:
            continue
        args = (quote, state.user.name, state.user.key, column.table, current)
        cursor.execute(orphan_query(*args, select="count(*)"))
        count = cursor.fetchone()[0]
        if count:
            blockers.append((f"{column.table}.{current}", count, orphan_query(*args)))
    return blockers
