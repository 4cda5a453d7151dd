"""Does a function still work after the rename? One rule, used before it (preflight) and after (report).

PostgreSQL binds some code to objects by OID when it is created, and resolves
other code by name each time it runs:

* A view, or a SQL function with a ``BEGIN ATOMIC`` body (PostgreSQL 14+), is
  stored parsed and tracked in pg_depend: the rename renamed what it refers to,
  and it works on.
* A SQL function with a body in quotes is stored as text. Its language's
  validator (``fmgr_sql_validator``, what ``CREATE FUNCTION`` runs) parses and
  analyses that text against today's catalog without running it: a body that
  names ``prosumer_id`` fails there exactly as it fails when called.
* PL/pgSQL's validator checks syntax only, and resolves names when the function
  runs. Its body is therefore read with PostgreSQL's own lexer (pglast, which
  embeds it), so comments and string literals do not count: an identifier that
  is a name the rename took away (``prosumer_id``, ``buyer_prosumer_id``, table
  ``prosumer``), that no table column, table or view bears any more, and that is
  not one of the function's own variables, fails when its statement runs. So does
  one inside the SQL a statement runs with ``EXECUTE`` (``EXECUTE 'SELECT ... FROM
  prosumer'``, ``FOR ... IN EXECUTE``, ``RETURN QUERY EXECUTE``, ``OPEN ... FOR
  EXECUTE``): the string constants of that expression are read as SQL too. A
  string anywhere else (a message) does not count.
* Other languages (PL/Python, PL/Perl) cannot be read this way: a body that says
  prosumer is reported as "cannot be checked"; C and internal functions name no
  table.

Before the rename (the preflight), the names the rename will take away are the
``gone`` names, and a SQL function is read like a PL/pgSQL one (its validator would
accept it today); after the rename, PostgreSQL's validator answers for it.
"""

from dataclasses import dataclass, field

import pglast
from django.db import DatabaseError, transaction
from pglast import parser

from enerlink.commands import first_line

WORKS = "works"
BROKEN = "broken"
UNKNOWN = "unknown"

BOUND = "its SQL-standard body is bound to the tables, not their names: the rename renames what it names"
# Languages whose prosrc is not code: a C symbol, an internal function's name.
OPAQUE_LANGUAGES = {"c", "internal"}
# The PL/pgSQL statements that run SQL built at run time, and where their expression is.
DYNAMIC_STATEMENTS = {
    "PLpgSQL_stmt_dynexecute": "query",
    "PLpgSQL_stmt_dynfors": "query",
    "PLpgSQL_stmt_return_query": "dynquery",
    "PLpgSQL_stmt_open": "dynquery",
}

INSUFFICIENT_PRIVILEGE = "42501"
QUERY_CANCELED = "57014"


@dataclass
class Verdict:
    state: str
    reason: str = ""
    stale: dict = field(default_factory=dict)  # old name -> new name, as named in the body
    dynamic: set = field(default_factory=set)  # of those, the ones named only in SQL run by EXECUTE

    @property
    def breaks(self):
        return self.state == BROKEN


def identifiers(text):
    """(start, end, name) of every identifier in ``text``, as PostgreSQL's lexer reads it."""
    found = []
    for token in parser.scan(text):
        if token.name != "IDENT":
            continue
        spelled = text[token.start : token.end + 1]
        name = spelled[1:-1].replace('""', '"') if spelled.startswith('"') else spelled.lower()
        found.append((token.start, token.end + 1, name))
    return found


def plpgsql_strings(tree, wanted):
    """Every string stored under the key ``wanted`` in a parsed PL/pgSQL function (pglast's JSON tree)."""
    found = []

    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == wanted and isinstance(value, str):
                    found.append(value)
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(tree)
    return found


def dynamic_sql(tree):
    """The SQL text in the string constants of every expression a PL/pgSQL function runs with EXECUTE."""
    expressions = []

    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key in DYNAMIC_STATEMENTS and isinstance(value, dict):
                    expressions.extend(plpgsql_strings(value.get(DYNAMIC_STATEMENTS[key]), "query"))
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(tree)
    texts = []
    for expression in expressions:
        for token in parser.scan(expression):
            if token.name == "SCONST":
                spelled = expression[token.start : token.end + 1]
                if spelled.startswith("'"):
                    texts.append(spelled[1:-1].replace("''", "'"))
    return texts


def stale_in_text(text, gone):
    """Old name -> new name for each name ``text`` (SQL) uses that the rename took away; {} if unreadable."""
    try:
        return stale_identifiers(text, gone, set())
    except pglast.parser.ParseError:
        return {}


def judge_text(language, bound_body, definition, body, gone, arguments=()):
    """The rule, on a function's text: the Verdict for a function whose body names ``gone`` names.

    ``gone`` maps each name the rename takes away to its new one; ``bound_body`` is whether
    ``pg_proc.prosqlbody`` is set. Used as it is before the rename, and after it for every
    language but SQL, which PostgreSQL's validator judges (``judge_function``).
    """
    if bound_body:
        return Verdict(WORKS, BOUND)
    if language in OPAQUE_LANGUAGES:
        return Verdict(WORKS, f"a {language} function names no table")
    own = {name.lower() for name in arguments}
    dynamic = {}
    if language == "plpgsql":
        try:
            tree = pglast.parse_plpgsql(definition)
        except pglast.parser.ParseError as error:
            return Verdict(UNKNOWN, f"its PL/pgSQL could not be read ({error})")
        own |= {name.lower() for name in plpgsql_strings(tree, "refname")}
        for text in dynamic_sql(tree):
            dynamic.update(stale_in_text(text, gone))
    elif language != "sql":
        if any(name in (body or "") for name in gone):
            return Verdict(UNKNOWN, f"a {language} body cannot be checked without calling it")
        return Verdict(WORKS, "its body names nothing the rename renames")
    named = stale_identifiers(body or "", gone, own)
    stale = {**dynamic, **named}
    if stale:
        only_dynamic = set(dynamic) - set(named)
        where = f" (in SQL it runs with EXECUTE: {', '.join(sorted(only_dynamic))})" if only_dynamic else ""
        return Verdict(
            BROKEN, f"names {', '.join(sorted(stale))}, which the rename renamed{where}", stale, only_dynamic
        )
    return Verdict(
        WORKS, "names nothing the rename renames (prosumer only in comments, messages or its own names)"
    )


def stale_identifiers(body, gone, own_names):
    """Old name -> new name for each name the body uses that the rename took away."""
    return {name: gone[name] for _s, _e, name in identifiers(body) if name in gone and name not in own_names}


def validate_sql_function(ctx, oid):
    """None when PostgreSQL's SQL validator accepts the body today; its error otherwise.

    Raises PermissionError when the role may not execute the function (then nobody can tell).
    """
    try:
        with transaction.atomic(using=ctx.connection.alias):
            ctx.cursor.execute("SELECT set_config('check_function_bodies', 'on', true)")
            ctx.cursor.execute("SELECT fmgr_sql_validator(%s)", [oid])
    except DatabaseError as error:
        sqlstate = getattr(error.__cause__, "sqlstate", None)
        if sqlstate == INSUFFICIENT_PRIVILEGE:
            raise PermissionError(str(error)) from error
        if sqlstate == QUERY_CANCELED:
            raise  # the report's statement_timeout, not the function's fault
        return first_line(error, "invalid")
    return None


def judge_function(ctx, function):
    """The Verdict on one function (a row of code.FUNCTIONS)."""
    if function.atomic:
        return Verdict(WORKS, BOUND)
    gone = ctx.gone_names
    arguments = {name.lower() for name in function.argument_names}
    if function.language == "sql":
        # The validator only parses a polymorphic function's body; without EXECUTE it may not run.
        try:
            error = None if function.polymorphic else validate_sql_function(ctx, function.oid)
        except PermissionError:
            error = None
        else:
            if not function.polymorphic and error is None:
                return Verdict(WORKS, "PostgreSQL's SQL validator accepts its body today")
            if error is not None:
                return Verdict(BROKEN, error, stale_identifiers(function.body, gone, arguments))
    return judge_text(
        function.language, False, function.definition, function.body, gone, function.argument_names
    )


def rewritten_definition(function, stale, quote, dynamic=()):
    """CREATE OR REPLACE FUNCTION with each stale identifier of the body given its new name, or None.

    None too when a name is stale only inside SQL run by EXECUTE: a string is the team's to rewrite.
    """
    if not stale or dynamic or function.body not in function.definition:
        return None
    body = function.body
    for start, end, name in reversed(identifiers(body)):
        if name in stale:
            body = body[:start] + quote(stale[name]) + body[end:]
    return function.definition.replace(function.body, body, 1).rstrip() + ";"
