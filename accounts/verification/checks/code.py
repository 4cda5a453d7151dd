"""Views and functions after the rename: those that no longer work, and those that work but say prosumer.

A function whose body names ``prosumer_id`` fails when it is called (see
``accounts.verification.stale_code`` for how that is found out without calling
it). What that costs depends on who calls it:

* a trigger, a column default, a CHECK constraint, an index or a view that uses
  it makes ordinary writes or reads of the application's tables fail: an error;
* a function nothing in the database uses fails only when a client calls it,
  which the report cannot see (a reporting job, a BI tool, or nobody): a
  warning of its own, "no longer works", apart from the views and functions
  that still work and only say prosumer in their names (``prosumer_in_code``).

The fix of a broken function is the same function with the names the rename
took away replaced by the new ones, which PostgreSQL validates on creation.
"""

from dataclasses import dataclass

from accounts.catalog import CODE_FUNCTIONS as FUNCTIONS
from accounts.catalog import CODE_VIEWS as VIEWS
from accounts.verification import stale_code
from accounts.verification.registry import check
from accounts.verification.results import WARNING, doubtful, failed, passed

# What in the database runs a function by itself: triggers, defaults, constraints, indexes, views.
SUPERUSER = "as a superuser: "

USED_BY = """
SELECT DISTINCT pg_describe_object(d.classid, d.objid, d.objsubid)
  FROM pg_depend d
 WHERE d.refclassid = 'pg_proc'::regclass AND d.refobjid = %s AND d.deptype = 'n'
 ORDER BY 1
"""


@dataclass(frozen=True)
class Function:
    oid: int
    name: str
    language: str
    body: str
    atomic: bool
    argument_names: list
    polymorphic: bool
    definition: str
    owned: bool  # by the role running the report (or a role it is a member of)


def judged_code(ctx):
    """[(kind, name, Verdict, used by, Function)] for each view and function saying prosumer; once a run."""
    if "judged_code" not in ctx.memo:
        judged = [
            (kind, name, stale_code.Verdict(stale_code.WORKS, "views are stored parsed"), [], None)
            for name, kind in ctx.rows(VIEWS, {"ns": ctx.namespace})
        ]
        for row in ctx.rows(FUNCTIONS, {"ns": ctx.namespace}):
            function = Function(*row)
            verdict = stale_code.judge_function(ctx, function)
            used_by = (
                [what for (what,) in ctx.rows(USED_BY, [function.oid])]
                if verdict.state != stale_code.WORKS
                else []
            )
            judged.append(("function", function.name, verdict, used_by, function))
        ctx.memo["judged_code"] = judged
    return ctx.memo["judged_code"]


@check("R070", "broken_code", "functions that no longer work after the rename")
def check_broken_code(ctx):
    used, unused, unknown, fixes = [], [], [], []
    for _kind, name, verdict, used_by, function in judged_code(ctx):
        if verdict.state == stale_code.UNKNOWN:
            unknown.append(f"function {name} may fail when called: {verdict.reason}")
        elif verdict.state == stale_code.BROKEN:
            line = f"function {name} fails when called: {verdict.reason}"
            if used_by:
                used.append(f"{line}; used by {', '.join(used_by)}, which fail(s) with it")
            else:
                unused.append(f"{line}; nothing in the database calls it (a client may)")
            rewritten = stale_code.rewritten_definition(function, verdict.stale, ctx.quote, verdict.dynamic)
            if rewritten:
                fixes.append(rewritten if function.owned else f"{SUPERUSER}{rewritten}")
    if used:
        return failed(
            f"{len(used)} function(s) broken by the rename and used by the database itself",
            used + unused + unknown,
            fixes,
        )
    if unused or unknown:
        return doubtful(
            f"{len(unused)} function(s) no longer work, {len(unknown)} cannot be checked; nothing in the "
            "database calls them",
            unused + unknown,
            fixes,
        )
    return passed("no function names what the rename renamed")


@check("R080", "prosumer_in_code", "views and functions that still work but say prosumer", severity=WARNING)
def check_prosumer_in_code(ctx):
    found = [
        f"{kind} {name}: still works ({verdict.reason}); only its name, columns or text say prosumer"
        for kind, name, verdict, _used_by, _function in judged_code(ctx)
        if verdict.state == stale_code.WORKS
    ]
    if found:
        return failed(f"{len(found)} view(s) or function(s) still say prosumer; they work", found)
    return passed("no view or function says prosumer")
