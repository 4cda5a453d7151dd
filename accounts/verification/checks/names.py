"""No column, table, index, constraint, trigger, sequence or type of the schema is still named prosumer.

Types count too: an enum or a domain named after prosumer (a hand-made
``prosumer_status``) is a leftover of the old name like any column. The row
types PostgreSQL makes for each table, and array types, follow their table and
are not listed twice. Each leftover but a table comes with the statement that
renames it as the rename renames names (prosumer becomes user), to be run by
a superuser where the role running the report does not own the object; a table
prosumer beside "user", and what belongs to it, need a person to say which one
holds the users.
"""

from accounts.verification.registry import check
from accounts.verification.results import failed, passed

SUPERUSER = "as a superuser: "

NAMES_WITH_PROSUMER = r"""
WITH found (kind, name, fix, owned) AS (
SELECT 'column', c.relname || '.' || a.attname,
       CASE WHEN coalesce(t.relname, c.relname) !~* 'prosumer'
            THEN format('ALTER %%s %%s RENAME COLUMN %%I TO %%I;',
                        CASE c.relkind WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'f' THEN 'FOREIGN TABLE'
                                       ELSE 'TABLE' END,
                        c.oid::regclass, a.attname, regexp_replace(a.attname, 'prosumer', 'user', 'gi')) END,
       pg_has_role(c.relowner, 'USAGE')
  FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
  LEFT JOIN pg_index i ON i.indexrelid = c.oid LEFT JOIN pg_class t ON t.oid = i.indrelid
 WHERE c.relnamespace = %(ns)s AND c.relkind IN ('r', 'p', 'i', 'I', 'm', 'f')
   AND a.attnum > 0 AND NOT a.attisdropped AND a.attname ~* 'prosumer'
UNION ALL
SELECT CASE c.relkind WHEN 'S' THEN 'sequence' WHEN 'i' THEN 'index' WHEN 'I' THEN 'index' ELSE 'table' END,
       c.relname,
       CASE WHEN c.relkind IN ('S', 'i', 'I') AND coalesce(t.relname, '') !~* 'prosumer'
            THEN format('ALTER %%s %%s RENAME TO %%I;',
                        CASE c.relkind WHEN 'S' THEN 'SEQUENCE' ELSE 'INDEX' END, c.oid::regclass,
                        regexp_replace(c.relname, 'prosumer', 'user', 'gi')) END,
       pg_has_role(c.relowner, 'USAGE')
  FROM pg_class c LEFT JOIN pg_index i ON i.indexrelid = c.oid LEFT JOIN pg_class t ON t.oid = i.indrelid
 WHERE c.relnamespace = %(ns)s AND c.relkind NOT IN ('v', 'c') AND c.relname ~* 'prosumer'
UNION ALL
SELECT 'constraint',
       coalesce(nullif(k.conrelid, 0)::regclass::text, k.contypid::regtype::text) || '.' || k.conname,
       CASE WHEN k.conrelid <> 0 AND t.relname !~* 'prosumer'
            THEN format('ALTER TABLE %%s RENAME CONSTRAINT %%I TO %%I;', k.conrelid::regclass, k.conname,
                        regexp_replace(k.conname, 'prosumer', 'user', 'gi'))
            WHEN k.conrelid = 0
            THEN format('ALTER DOMAIN %%s RENAME CONSTRAINT %%I TO %%I;', k.contypid::regtype, k.conname,
                        regexp_replace(k.conname, 'prosumer', 'user', 'gi')) END,
       pg_has_role(coalesce(t.relowner, d.typowner), 'USAGE')
  FROM pg_constraint k LEFT JOIN pg_class t ON t.oid = k.conrelid LEFT JOIN pg_type d ON d.oid = k.contypid
 WHERE k.connamespace = %(ns)s AND k.conname ~* 'prosumer'
UNION ALL
SELECT 'trigger', t.tgrelid::regclass::text || '.' || t.tgname,
       CASE WHEN c.relname !~* 'prosumer'
            THEN format('ALTER TRIGGER %%I ON %%s RENAME TO %%I;', t.tgname, t.tgrelid::regclass,
                        regexp_replace(t.tgname, 'prosumer', 'user', 'gi')) END,
       pg_has_role(c.relowner, 'USAGE')
  FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
 WHERE c.relnamespace = %(ns)s AND NOT t.tgisinternal AND t.tgname ~* 'prosumer'
UNION ALL
SELECT CASE t.typtype WHEN 'e' THEN 'enum type' WHEN 'd' THEN 'domain' ELSE 'type' END, t.typname,
       format('ALTER %%s %%s RENAME TO %%I;', CASE t.typtype WHEN 'd' THEN 'DOMAIN' ELSE 'TYPE' END,
              t.oid::regtype, regexp_replace(t.typname, 'prosumer', 'user', 'gi')),
       pg_has_role(t.typowner, 'USAGE')
  FROM pg_type t
 WHERE t.typnamespace = %(ns)s AND t.typname ~* 'prosumer' AND t.typelem = 0
   AND (t.typrelid = 0 OR (SELECT relkind FROM pg_class WHERE oid = t.typrelid) = 'c')
)
SELECT kind, name, fix, owned FROM found ORDER BY 1, 2
"""


@check("R060", "prosumer_names", "no object still named prosumer")
def check_prosumer_names(ctx):
    # The query's own % signs are doubled: the driver reads %(ns)s as its parameter.
    rows = ctx.rows(NAMES_WITH_PROSUMER, {"ns": ctx.namespace})
    if rows:
        found = [f"{kind} {name}" for kind, name, _fix, _owned in rows]
        fixes = [fix if owned else f"{SUPERUSER}{fix}" for _kind, _name, fix, owned in rows if fix]
        return failed(f"{len(found)} object(s) still named prosumer", found, fixes)
    return passed("no column, constraint, index, trigger, sequence or type is named prosumer")
