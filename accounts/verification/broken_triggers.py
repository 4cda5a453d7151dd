"""Trigger functions that were broken before the rename: they name a table that does not exist.

On the real EnerLink database two trigger functions update ``WALLETS``, a table the
upstream backend itself renamed ``wallet``: every insert into ``market_trade`` and
``idrs_conversion`` fails there today, with or without the rename. Such a function
names no prosumer, so the rename neither causes nor changes its failure; the preflight
and the report say so, as a warning of its own, so that nobody blames the rename
for it and nobody thinks the rename fixed it.

A PL/pgSQL body is parsed with PostgreSQL's own parser (pglast): each SQL statement
it runs is read for the tables it names (not its CTEs), and each is looked up the
way the function would, on the search_path of the session.
"""

from dataclasses import dataclass

import pglast
from pglast.visitors import Visitor

from accounts import catalog
from accounts.verification.stale_code import plpgsql_strings

# The non-internal triggers of the given tables whose function is PL/pgSQL and does not say prosumer
# (a body that does is the rename's business: the code checks judge it).
TRIGGER_FUNCTIONS = """
SELECT t.tgrelid::regclass::text, t.tgname, p.oid::regprocedure::text, pg_get_functiondef(p.oid)
  FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid JOIN pg_language l ON l.oid = p.prolang
 WHERE t.tgrelid = ANY (%s::oid[]) AND NOT t.tgisinternal AND l.lanname = 'plpgsql'
   AND p.prosrc !~* 'prosumer'
 ORDER BY 1, 2
"""
MISSING = "SELECT name FROM unnest(%s::text[]) AS name WHERE to_regclass(name) IS NULL ORDER BY 1"


@dataclass(frozen=True)
class BrokenTrigger:
    table: str
    trigger: str
    function: str
    missing: tuple


class _Tables(Visitor):
    def __init__(self):
        self.named, self.ctes = set(), set()

    def visit_RangeVar(self, ancestors, node):
        self.named.add(((node.schemaname + ".") if node.schemaname else "") + node.relname)

    def visit_CommonTableExpr(self, ancestors, node):
        self.ctes.add(node.ctename)


def tables_named(definition):
    """The tables a PL/pgSQL function's statements name (as regclass text), or None if it cannot be read."""
    try:
        tree = pglast.parse_plpgsql(definition)
    except pglast.parser.ParseError:
        return None
    visitor = _Tables()
    for query in plpgsql_strings(tree, "query"):
        try:
            visitor(pglast.parse_sql(query))
        except pglast.parser.ParseError:
            try:  # an expression of the function (IF ..., RETURN ...): a SELECT list
                visitor(pglast.parse_sql("SELECT " + query))
            except pglast.parser.ParseError:
                continue
    return sorted(_quoted(name) for name in visitor.named - visitor.ctes)


def _quoted(name):
    """A parsed name as SQL again: a part the parser kept in capitals was quoted in the body."""
    return ".".join(
        part if part == part.lower() and part.isidentifier() else f'"{part}"' for part in name.split(".")
    )


def broken_trigger_functions(cursor):
    """Each trigger on the user table or a table referencing it whose function names a missing table."""
    try:
        table = catalog.user_table(cursor)
    except catalog.AmbiguousUserTable:
        return []  # prosumer beside "user": the report's user_table check names it
    if table is None:
        return []
    tables = [table.oid, *{key.table_oid for key in catalog.referencing_keys(cursor, table)}]
    cursor.execute(TRIGGER_FUNCTIONS, [tables])
    found = []
    for on_table, trigger, function, definition in cursor.fetchall():
        named = tables_named(definition)
        if not named:
            continue
        cursor.execute(MISSING, [named])
        missing = tuple(name for (name,) in cursor.fetchall())
        if missing:
            found.append(BrokenTrigger(on_table, trigger, function, missing))
    return found
