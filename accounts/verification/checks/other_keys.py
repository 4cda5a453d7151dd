"""Keys to "user" from columns no model knows: named, as a warning, never as an error.

A table of another app (or a hand-made one) that references the users is
legitimate: the rename found and renamed its key like any other, and the
report cannot know what rules that app wants. It names each such key so that
its owner can look at it, and says when the key is not enforced (NOT VALID,
or its triggers off), which no app wants.
"""

from accounts import catalog
from accounts.expectations import expected_foreign_keys
from accounts.facts import REFERENTIAL_ACTIONS
from accounts.verification.registry import check
from accounts.verification.results import WARNING, failed, passed

SILENT_TRIGGERS = "SELECT count(*) FROM pg_trigger WHERE tgconstraint = %s AND tgenabled NOT IN ('O', 'A')"


@check("R050", "other_keys_to_user", 'keys to "user" that no model knows', severity=WARNING)
def check_other_keys_to_user(ctx):
    # Not catalog.user_table(): a stray table prosumer beside "user" is another check's finding.
    user_oid = ctx.value("SELECT to_regclass(%s)::oid", [ctx.quote(ctx.user_table)])
    user_table = catalog.UserTable(user_oid, catalog.USER_TABLE, catalog.USER_KEY)
    known = {(key.table, key.column) for key in expected_foreign_keys()}
    found = []
    for key in catalog.referencing_keys(ctx.cursor, user_table):
        if {(key.table_name, key.column), (key.table_name, catalog.renamed_column(key.column))} & known:
            continue  # a model's column, perhaps still under its legacy name (prosumer_names says so)
        line = (
            f"{key.table}.{key.column} ({key.name}, "
            f"ON DELETE {REFERENTIAL_ACTIONS.get(key.on_delete, key.on_delete)}) "
            'references "user" but no model knows that column: another app\'s table? Its owner decides '
            "its rules"
        )
        if not key.validated:
            line += "; it is NOT VALID: existing rows were never checked"
        if ctx.value(SILENT_TRIGGERS, [key.oid]):
            line += "; its triggers do not fire: rows whose user does not exist can go in"
        found.append(line)
    if found:
        return failed(f'{len(found)} key(s) to "user" from column(s) no model knows', found)
    return passed('every key to "user" is on a column the models know')
