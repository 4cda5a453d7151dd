"""The compatibility schema of old names (manage.py user_rename_compat) is still installed.

Its views say prosumer on purpose, and live in a schema of their own: the name
and code checks look only in the user table's schema, so they never count them
as leftovers. This check says, once, that the schema is there and what to do
about it: remove it when no old instance is left.
"""

from accounts.compat import installed_schemas
from accounts.verification.registry import check
from accounts.verification.results import WARNING, failed, passed


@check("R100", "compat_schema", "no compatibility schema left installed", severity=WARNING)
def check_compat_schema(ctx):
    schemas = installed_schemas(ctx.cursor)
    if not schemas:
        return passed("no compatibility schema of old names is installed")
    names = ", ".join(name for name, _views in schemas)
    return failed(
        f"compatibility schema {names} is installed: old instances may still use the old names",
        [
            f"schema {name} ({views} views): when no old instance is left (manage.py user_rename_compat "
            f"status --schema {name}), run manage.py user_rename_compat remove --schema {name}"
            for name, views in schemas
        ],
    )
