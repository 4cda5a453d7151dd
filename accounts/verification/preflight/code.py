"""Views, functions, triggers and types that name prosumer: which will stop working, which need a follow-up.

How a function is judged is ``stale_code.judge_text``: the one rule, which the
report applies after the rename too. Views keep working (PostgreSQL binds them to the table),
but a view's own name and output columns keep saying prosumer. Triggers on the
tables the rename touches are renamed with them; a trigger whose function will
stop working makes every write that fires it fail after the rename. Types are
not renamed (the table's own row type follows the table).
"""

from accounts.catalog import renamed_column
from accounts.verification import stale_code
from accounts.verification.preflight.scope import oid_list, scope
from accounts.verification.registry import BEFORE_RENAME, check
from accounts.verification.results import WARNING, doubtful, passed

USER_NAMESPACES = """
SELECT oid FROM pg_namespace
 WHERE nspname NOT IN ('pg_catalog', 'information_schema') AND nspname !~ '^pg_(toast|temp_|toast_temp_)'
"""

NOT_FROM_EXTENSION = (
    "NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = '{catalog}'::regclass AND d.objid = {oid} "
    "AND d.deptype = 'e')"
)

FUNCTIONS = f"""
SELECT p.oid, p.oid::regprocedure::text, p.proname ~* 'prosumer', l.lanname, p.prosqlbody IS NOT NULL,
       p.prosrc, CASE WHEN l.lanname = 'plpgsql' THEN pg_get_functiondef(p.oid) END,
       coalesce(p.proargnames, '{{}}')
  FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
 WHERE p.pronamespace IN ({USER_NAMESPACES}) AND p.prokind IN ('f', 'p')
   AND {NOT_FROM_EXTENSION.format(catalog="pg_proc", oid="p.oid")}
   AND (p.proname ~* 'prosumer' OR p.prosrc ~* 'prosumer'
        OR EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid
                     AND d.refclassid = 'pg_class'::regclass AND d.refobjid = ANY (%(tables)s::oid[])))
 ORDER BY 2
"""

VIEWS = f"""
SELECT c.oid::regclass::text, CASE c.relkind WHEN 'm' THEN 'materialized view' ELSE 'view' END,
       c.relname ~* 'prosumer',
       ARRAY(SELECT a.attname::text FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0
               AND NOT a.attisdropped AND a.attname ~* 'prosumer' ORDER BY a.attnum)
  FROM pg_class c
 WHERE c.relkind IN ('v', 'm') AND c.relnamespace IN ({USER_NAMESPACES})
   AND {NOT_FROM_EXTENSION.format(catalog="pg_class", oid="c.oid")}
   AND (c.relname ~* 'prosumer' OR pg_get_viewdef(c.oid) ~* 'prosumer'
        OR EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname ~* 'prosumer'))
 ORDER BY 1
"""

TRIGGERS = """
SELECT t.tgname, t.tgrelid::regclass::text, t.tgrelid = ANY (%(tables)s::oid[]), t.tgfoid
  FROM pg_trigger t
 WHERE NOT t.tgisinternal AND (t.tgname ~* 'prosumer' OR t.tgfoid = ANY (%(breaking)s::oid[]))
 ORDER BY 2, 1
"""

TYPES = f"""
SELECT t.oid::regtype::text,
       CASE t.typtype WHEN 'e' THEN 'enum' WHEN 'd' THEN 'domain' WHEN 'c' THEN 'composite type'
            WHEN 'r' THEN 'range' ELSE 'type' END
  FROM pg_type t
 WHERE t.typnamespace IN ({USER_NAMESPACES}) AND t.typname ~* 'prosumer'
   AND NOT EXISTS (SELECT 1 FROM pg_type e WHERE e.typarray = t.oid)
   AND (t.typrelid = 0 OR (SELECT relkind FROM pg_class WHERE oid = t.typrelid) = 'c')
   AND {NOT_FROM_EXTENSION.format(catalog="pg_type", oid="t.oid")}
 ORDER BY 1
"""

SEQUENCES = "SELECT relname FROM pg_class WHERE relkind = 'S' AND relnamespace = %s AND relname ~* 'prosumer'"


def impact_line(language, verdict):
    """What the rename will do to a function that ``verdict`` (stale_code) says breaks, or cannot be read."""
    if verdict.state == stale_code.UNKNOWN:
        return f"cannot be checked: {verdict.reason}; read it before the rename"
    dynamic = (
        f" (in SQL it runs with EXECUTE: {', '.join(sorted(verdict.dynamic))})" if verdict.dynamic else ""
    )
    return (
        f"will stop working: its {language} body names {', '.join(sorted(verdict.stale))}{dynamic}, which "
        "PostgreSQL looks up at each call; update it in the same deploy as the rename"
    )


def renamed_names(ctx, found):
    """The table, columns and sequences the rename renames, as code would name them."""
    names = {found.table.name, found.table.key}
    names |= {key.column for key in found.keys if "prosumer" in key.column}
    names |= {name for (name,) in ctx.rows(SEQUENCES, [found.namespace])}
    return names


@check(
    "P080",
    "prosumer_code",
    "views, functions, triggers and types naming prosumer",
    severity=WARNING,
    suite=BEFORE_RENAME,
)
def check_prosumer_code(ctx):
    found = scope(ctx)
    tables = oid_list(found.table_oids)
    names = renamed_names(ctx, found)
    breaking, follow_ups, unaffected = [], [], []
    breaking_oids, function_names = [], {}
    gone = {name: renamed_column(name) for name in names}
    rows = ctx.rows(FUNCTIONS, {"tables": tables})
    for oid, signature, named, language, bound, source, definition, arguments in rows:
        verdict = stale_code.judge_text(language, bound, definition, source, gone, arguments)
        function_names[oid] = signature
        if verdict.state != stale_code.WORKS:
            breaking_oids.append(oid)
            breaking.append(f"function {signature}: {impact_line(language, verdict)}")
        elif named:
            follow_ups.append(
                f"function {signature}: keeps working: {verdict.reason}; its name still says prosumer"
            )
        else:
            unaffected.append(f"function {signature}: keeps working: {verdict.reason}")
    for name, table, renamed_with_table, function in ctx.rows(
        TRIGGERS, {"tables": tables, "breaking": breaking_oids}
    ):
        if function in breaking_oids:
            breaking.insert(
                0,
                f"trigger {name} on {table}: its function {function_names[function]} will stop working, "
                "so every write that fires it fails after the rename; update the function in the same deploy",
            )
        elif renamed_with_table:
            unaffected.append(f"trigger {name} on {table}: the rename renames it")
        else:
            follow_ups.append(f"trigger {name} on {table}: keeps working; its name still says prosumer")
    for view, kind, named, columns in ctx.rows(VIEWS):
        said = (["its name"] if named else []) + [f"column {column}" for column in columns]
        line = f"{kind} {view}: keeps working (bound to the tables, not their names)"
        if said:
            follow_ups.append(
                f"{line}; {' and '.join(said)} still say prosumer: rename when its readers are ready"
            )
        else:
            unaffected.append(line)
    for type_name, kind in ctx.rows(TYPES):
        follow_ups.append(
            f"{kind} {type_name}: keeps working; not renamed (ALTER TYPE ... RENAME TO when convenient)"
        )
    if breaking:
        return doubtful(
            f"{len(breaking)} object(s) will stop working after the rename: update them in the same deploy; "
            f"{len(follow_ups)} more keep working but still say prosumer",
            breaking + follow_ups + unaffected,
        )
    if follow_ups:
        return doubtful(
            f"{len(follow_ups)} object(s) keep working but will still say prosumer: a follow-up",
            follow_ups + unaffected,
        )
    return passed("nothing that names prosumer needs a follow-up", unaffected)
