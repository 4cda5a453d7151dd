"""Views and functions whose name or text says prosumer: they may break, or mislead."""

from accounts.verification.registry import check
from accounts.verification.results import WARNING, failed, passed

CODE_WITH_PROSUMER = r"""
SELECT 'view', c.relname
  FROM pg_class c
 WHERE c.relnamespace = %(ns)s AND c.relkind IN ('v', 'm')
   AND (c.relname ~* 'prosumer' OR pg_get_viewdef(c.oid) ~* 'prosumer'
        OR EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname ~* 'prosumer'))
UNION ALL
SELECT 'function', p.oid::regprocedure::text
  FROM pg_proc p
 WHERE p.pronamespace = %(ns)s AND (p.proname ~* 'prosumer' OR p.prosrc ~* 'prosumer')
ORDER BY 1, 2
"""


@check("prosumer_in_code", "views and functions naming prosumer", severity=WARNING)
def check_prosumer_in_code(ctx):
    found = [f"{kind} {name}" for kind, name in ctx.rows(CODE_WITH_PROSUMER, {"ns": ctx.namespace})]
    if found:
        return failed(f"{len(found)} view(s) or function(s) name prosumer; review them", found)
    return passed("no view or function names prosumer")
