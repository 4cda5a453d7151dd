"""The connecting role can do what the rename does, without being a superuser.

``ALTER TABLE ... RENAME``, ``ALTER INDEX/TRIGGER/SEQUENCE ... RENAME`` and
``COMMENT ON`` need the owner of each object (or a role whose privileges the
connecting role inherits); the migrations create tables in the schema (the
journal, the verification runs) and the rename a function and a table in
``pg_temp``. Nothing needs a superuser, and running as one makes the new tables
belong to the superuser instead of the application role.
"""

from accounts.verification.preflight.scope import oid_list, scope
from accounts.verification.registry import BEFORE_RENAME, check
from accounts.verification.results import doubtful, failed, passed

OWNERS = """
SELECT c.oid::regclass::text,
       CASE c.relkind WHEN 'S' THEN 'sequence' ELSE 'table' END,
       pg_get_userbyid(c.relowner),
       pg_has_role(current_user, c.relowner, 'USAGE')
  FROM pg_class c
 WHERE c.oid = ANY (%(tables)s::oid[])
    OR (c.relkind = 'S' AND c.relnamespace = %(ns)s AND c.relname ~* 'prosumer')
 ORDER BY 2, 1
"""

PRIVILEGES = """
SELECT current_user, r.rolsuper,
       has_schema_privilege(current_user, %(ns)s::oid, 'CREATE'),
       has_database_privilege(current_user, current_database(), 'TEMP'),
       (SELECT nspname FROM pg_namespace WHERE oid = %(ns)s), current_database()
  FROM pg_roles r WHERE r.rolname = current_user
"""

# Tables the migrations write to when they exist already: (table, privileges needed).
WRITTEN = {"django_migrations": "SELECT, INSERT, DELETE", "user_rename_journal": "SELECT, INSERT, DELETE"}


@check("P030", "role", "the connecting role can rename (no superuser needed)", suite=BEFORE_RENAME)
def check_role(ctx):
    found = scope(ctx)
    owners = ctx.rows(OWNERS, {"tables": oid_list(found.table_oids), "ns": found.namespace})
    role, superuser, can_create, can_temp, schema, database = ctx.rows(PRIVILEGES, {"ns": found.namespace})[0]
    problems, details = [], []
    for name, kind, owner, owned in owners:
        if owned:
            details.append(f"{kind} {name}: owned by {owner}")
        else:
            problems.append(
                f"{kind} {name} is owned by {owner}, not by {role} (nor a role it inherits): the rename "
                f"needs its owner; as {owner} or a superuser run ALTER {kind.upper()} {name} OWNER TO {role}"
            )
    if not can_create:
        problems.append(
            f"{role} may not create tables in schema {schema} (the migrations add the rename's journal and "
            f"the verification runs there): GRANT CREATE ON SCHEMA {schema} TO {role}"
        )
    if not can_temp:
        problems.append(
            f"{role} may not create temporary objects (the rename uses a function and a table in pg_temp): "
            f"GRANT TEMPORARY ON DATABASE {database} TO {role}"
        )
    for table, needed in WRITTEN.items():
        if not ctx.value("SELECT to_regclass(%s) IS NOT NULL", [table]):
            continue
        missing = [
            privilege.strip()
            for privilege in needed.split(",")
            if not ctx.value("SELECT has_table_privilege(current_user, %s, %s)", [table, privilege.strip()])
        ]
        if missing:
            privileges = ", ".join(missing)
            problems.append(
                f"{role} may not {privileges} on {table}: GRANT {privileges} ON {table} TO {role}"
            )
    if problems:
        return failed(f"{role} cannot run the rename: {len(problems)} problem(s)", problems + details)
    table_owners = sorted({owner for _, kind, owner, _ in owners if kind == "table"})
    if superuser:
        return doubtful(
            f"{role} is a superuser: the rename needs none; run it as the owner of the tables "
            f"({', '.join(table_owners)}), or the tables the migrations create belong to {role}",
            details,
        )
    return passed(
        f"{role} owns every table the rename touches and is not a superuser (none is needed)", details
    )
