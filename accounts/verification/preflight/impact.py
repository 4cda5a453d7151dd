"""Which database code stops working when names change, and which keeps working: one rule, in one place.

PostgreSQL binds some code to objects by OID when it is created, and resolves
other code by name each time it runs:

* views, materialized views, rules, defaults, CHECK constraints, policies and
  SQL functions with a SQL-standard body (``BEGIN ATOMIC ... END`` or
  ``RETURN ...``, ``pg_proc.prosqlbody``) are stored parsed: they follow a
  renamed table or column and keep working (only names they show, such as a
  view's own name or its output columns, keep saying prosumer);
* functions whose body is text (``LANGUAGE sql`` with a quoted body, PL/pgSQL,
  any other procedural language: ``pg_proc.prosrc``) are parsed at each call:
  if the body names a table, column or sequence the rename renames, the call
  fails after the rename (``relation "prosumer" does not exist``).

The body is matched against the renamed names as whole identifiers (quoted or
not, any case), after removing comments. String literals are kept, because
dynamic SQL (``EXECUTE 'SELECT ... FROM prosumer'``) breaks too; a literal that
only mentions the word in a message is therefore reported as breaking: the rule
errs towards looking at a function rather than missing one. A function whose
*name* says prosumer keeps working (functions are not renamed).

The same rule serves after the rename: pass the names that no longer exist.
"""

import re
from dataclasses import dataclass

# Languages whose prosrc is not code this rule can read: a C symbol, an internal function name.
OPAQUE_LANGUAGES = {"c", "internal"}
COMMENTS = re.compile(r"--[^\n]*|/\*.*?\*/", re.DOTALL)


@dataclass(frozen=True)
class Impact:
    breaks: bool
    reason: str


def names_pattern(names):
    """A regex matching any of ``names`` as a whole SQL identifier, quoted or not, in any case."""
    alternatives = "|".join(re.escape(name) for name in sorted(set(names), key=len, reverse=True))
    return re.compile(rf"(?<![\w$])({alternatives})(?![\w$])", re.IGNORECASE)


def function_impact(language, bound_body, source, renamed_names):
    """What the rename does to a function: ``bound_body`` is whether ``pg_proc.prosqlbody`` is set."""
    if bound_body:
        return Impact(False, "keeps working: its SQL-standard body is bound to the tables, not their names")
    if language in OPAQUE_LANGUAGES:
        return Impact(False, f"keeps working: a {language} function does not name tables")
    found = sorted(
        {match.lower() for match in names_pattern(renamed_names).findall(COMMENTS.sub(" ", source or ""))}
    )
    if found:
        return Impact(
            True,
            f"will stop working: its {language} body names {', '.join(found)}, which PostgreSQL looks up at "
            "each call; update it in the same deploy as the rename",
        )
    return Impact(
        False, "keeps working: its body names nothing the rename renames (only its name says prosumer)"
    )
