"""What the rename will touch, read once per run from the catalog (``accounts.catalog``)."""

from dataclasses import dataclass

from accounts import catalog


@dataclass(frozen=True)
class Scope:
    """Table prosumer, the keys that reference it and the tables that hold them."""

    table: catalog.UserTable
    keys: list
    namespace: int

    @property
    def table_oids(self):
        """prosumer first, then each referencing table once, in name order."""
        seen = {self.table.oid: self.table.name}
        for key in sorted(self.keys, key=lambda key: key.table):
            seen.setdefault(key.table_oid, key.table)
        return list(seen)


def scope(ctx):
    """The Scope of the database behind ``ctx``, cached on it."""
    if not hasattr(ctx, "_preflight_scope"):
        table = catalog.user_table(ctx.cursor)
        namespace = ctx.value("SELECT relnamespace FROM pg_class WHERE oid = %s", [table.oid])
        ctx._preflight_scope = Scope(table, catalog.referencing_keys(ctx.cursor, table), namespace)
    return ctx._preflight_scope


def oid_list(oids):
    """A list of OIDs as a query parameter for ``= ANY (%s::oid[])``."""
    return [int(oid) for oid in oids]
