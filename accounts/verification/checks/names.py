"""No column, table, index, constraint, trigger or sequence of the user's schema is still named prosumer."""

from accounts.verification.registry import check
from accounts.verification.results import failed, passed

NAMES_WITH_PROSUMER = r"""
SELECT 'column', c.relname || '.' || a.attname
  FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
 WHERE c.relnamespace = %(ns)s AND c.relkind IN ('r', 'p', 'i', 'I', 'm', 'f')
   AND a.attnum > 0 AND NOT a.attisdropped AND a.attname ~* 'prosumer'
UNION ALL
SELECT CASE c.relkind WHEN 'S' THEN 'sequence' WHEN 'i' THEN 'index' WHEN 'I' THEN 'index' ELSE 'table' END,
       c.relname
  FROM pg_class c WHERE c.relnamespace = %(ns)s AND c.relkind NOT IN ('v', 'c') AND c.relname ~* 'prosumer'
UNION ALL
SELECT 'constraint', conrelid::regclass::text || '.' || conname
  FROM pg_constraint WHERE connamespace = %(ns)s AND conname ~* 'prosumer'
UNION ALL
SELECT 'trigger', t.tgrelid::regclass::text || '.' || t.tgname
  FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
 WHERE c.relnamespace = %(ns)s AND NOT t.tgisinternal AND t.tgname ~* 'prosumer'
ORDER BY 1, 2
"""


@check("prosumer_names", "no object still named prosumer")
def check_prosumer_names(ctx):
    found = [f"{kind} {name}" for kind, name in ctx.rows(NAMES_WITH_PROSUMER, {"ns": ctx.namespace})]
    if found:
        return failed(f"{len(found)} object(s) still named prosumer", found)
    return passed("no column, constraint, index, trigger or sequence is named prosumer")
