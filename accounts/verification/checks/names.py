"""No column, table, index, constraint, trigger, sequence or type of the schema is still named prosumer.

Types count too: an enum or a domain named after prosumer (a hand-made
``prosumer_status``) is a leftover of the old name like any column. The row
types PostgreSQL makes for each table, and array types, follow their table and
are not listed twice. Each leftover but a table comes with the statement that
renames it as the rename renames names (prosumer becomes user); a table
prosumer beside "user" needs a person to say which one holds the users.
"""

from accounts.verification.registry import check
from accounts.verification.results import failed, passed

NAMES_WITH_PROSUMER = r"""
WITH found (kind, name, fix) AS (
SELECT 'column', c.relname || '.' || a.attname,
       format('ALTER %%s %%s RENAME COLUMN %%I TO %%I;',
              CASE c.relkind WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END,
              c.oid::regclass, a.attname, regexp_replace(a.attname, 'prosumer', 'user', 'gi'))
  FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
 WHERE c.relnamespace = %(ns)s AND c.relkind IN ('r', 'p', 'i', 'I', 'm', 'f')
   AND a.attnum > 0 AND NOT a.attisdropped AND a.attname ~* 'prosumer'
UNION ALL
SELECT CASE c.relkind WHEN 'S' THEN 'sequence' WHEN 'i' THEN 'index' WHEN 'I' THEN 'index' ELSE 'table' END,
       c.relname,
       CASE WHEN c.relkind IN ('S', 'i', 'I')
            THEN format('ALTER %%s %%s RENAME TO %%I;',
                        CASE c.relkind WHEN 'S' THEN 'SEQUENCE' ELSE 'INDEX' END, c.oid::regclass,
                        regexp_replace(c.relname, 'prosumer', 'user', 'gi')) END
  FROM pg_class c WHERE c.relnamespace = %(ns)s AND c.relkind NOT IN ('v', 'c') AND c.relname ~* 'prosumer'
UNION ALL
SELECT 'constraint', coalesce(nullif(conrelid, 0)::regclass::text, contypid::regtype::text) || '.' || conname,
       CASE WHEN conrelid <> 0
            THEN format('ALTER TABLE %%s RENAME CONSTRAINT %%I TO %%I;', conrelid::regclass, conname,
                        regexp_replace(conname, 'prosumer', 'user', 'gi'))
            ELSE format('ALTER DOMAIN %%s RENAME CONSTRAINT %%I TO %%I;', contypid::regtype, conname,
                        regexp_replace(conname, 'prosumer', 'user', 'gi')) END
  FROM pg_constraint WHERE connamespace = %(ns)s AND conname ~* 'prosumer'
UNION ALL
SELECT 'trigger', t.tgrelid::regclass::text || '.' || t.tgname,
       format('ALTER TRIGGER %%I ON %%s RENAME TO %%I;', t.tgname, t.tgrelid::regclass,
              regexp_replace(t.tgname, 'prosumer', 'user', 'gi'))
  FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
 WHERE c.relnamespace = %(ns)s AND NOT t.tgisinternal AND t.tgname ~* 'prosumer'
UNION ALL
SELECT CASE t.typtype WHEN 'e' THEN 'enum type' WHEN 'd' THEN 'domain' ELSE 'type' END, t.typname,
       format('ALTER %%s %%s RENAME TO %%I;', CASE t.typtype WHEN 'd' THEN 'DOMAIN' ELSE 'TYPE' END,
              t.oid::regtype, regexp_replace(t.typname, 'prosumer', 'user', 'gi'))
  FROM pg_type t
 WHERE t.typnamespace = %(ns)s AND t.typname ~* 'prosumer' AND t.typelem = 0
   AND (t.typrelid = 0 OR (SELECT relkind FROM pg_class WHERE oid = t.typrelid) = 'c')
)
SELECT kind, name, fix FROM found ORDER BY 1, 2
"""


@check("prosumer_names", "no object still named prosumer")
def check_prosumer_names(ctx):
    # The query's own % signs are doubled: the driver reads %(ns)s as its parameter.
    rows = ctx.rows(NAMES_WITH_PROSUMER, {"ns": ctx.namespace})
    if rows:
        found = [f"{kind} {name}" for kind, name, _fix in rows]
        fixes = [fix for _kind, _name, fix in rows if fix]
        return failed(f"{len(found)} object(s) still named prosumer", found, fixes)
    return passed("no column, constraint, index, trigger, sequence or type is named prosumer")
