"""Does a function still work after the rename? Asked of PostgreSQL where it can answer, read otherwise.

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
  not one of the function's own variables, fails when its statement runs.
* Other languages (PL/Python, PL/Perl, C) cannot be read this way: a body that
  says prosumer is reported as "cannot be checked".
"""

from dataclasses import dataclass, field

import pglast
from django.db import DatabaseError, transaction
from pglast import parser

from enerlink.commands import first_line

WORKS = "works"
BROKEN = "broken"
UNKNOWN = "unknown"

INSUFFICIENT_PRIVILEGE = "42501"
QUERY_CANCELED = "57014"


@dataclass
class Verdict:
    state: str
    reason: str = ""
    stale: dict = field(default_factory=dict)  # old name -> new name, as named in the body


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


def plpgsql_variables(definition):
    """The names a PL/pgSQL function declares (parameters, DECLAREd variables, FOUND, ...)."""
    return {name.lower() for name in plpgsql_strings(pglast.parse_plpgsql(definition), "refname")}


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
        return Verdict(WORKS, "its body is stored parsed: the rename renamed what it names")
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
        stale = stale_identifiers(function.body, gone, arguments)
    elif function.language == "plpgsql":
        try:
            own = plpgsql_variables(function.definition) | arguments
        except pglast.parser.ParseError as error:
            return Verdict(UNKNOWN, f"its PL/pgSQL could not be read ({error})")
        stale = stale_identifiers(function.body, gone, own)
    else:
        if any(name in function.body for name in gone):
            return Verdict(UNKNOWN, f"a {function.language} body cannot be checked without calling it")
        return Verdict(WORKS, "its body names nothing the rename renamed")
    if stale:
        names = ", ".join(sorted(stale))
        return Verdict(BROKEN, f"names {names}, which the rename renamed", stale)
    return Verdict(
        WORKS, "names nothing the rename took away (prosumer only in comments, strings or its own names)"
    )


def rewritten_definition(function, stale, quote):
    """CREATE OR REPLACE FUNCTION with each stale identifier of the body given its new name, or None."""
    if not stale or function.body not in function.definition:
        return None
    body = function.body
    for start, end, name in reversed(identifiers(body)):
        if name in stale:
            body = body[:start] + quote(stale[name]) + body[end:]
    return function.definition.replace(function.body, body, 1).rstrip() + ";"
