"""Which checks apply: before the rename the preflight's; after it (by any means) the report's own."""

from accounts import catalog, facts
from accounts.verification.registry import AFTER_RENAME, BEFORE_RENAME, check, precondition, registered_checks
from accounts.verification.results import failed, passed
from accounts.verification.runner import CannotVerify, ensure_connected

STATE_CHECK = "rename_state"


@precondition(BEFORE_RENAME)
def checks_before_rename(connection):
    """The preflight's checks on a legacy database; the state check and the report's on a renamed one."""
    ensure_connected(connection)
    with connection.cursor() as cursor:
        try:
            table = catalog.user_table(cursor)
        except catalog.AmbiguousUserTable:
            table = "both"
        if table is None:
            cursor.execute("SELECT current_database()")
            raise CannotVerify(catalog.wrong_database(cursor.fetchone()[0]))
    preflight = registered_checks(BEFORE_RENAME)
    state = [registered for registered in preflight if registered.name == STATE_CHECK]
    if table == "both":
        return state
    if table.renamed:
        return state + registered_checks(AFTER_RENAME)
    return preflight


@check("P010", STATE_CHECK, "not renamed yet", suite=BEFORE_RENAME)
def check_rename_state(ctx):
    try:
        table = catalog.user_table(ctx.cursor)
    except catalog.AmbiguousUserTable:
        return failed(
            'both tables prosumer and "user" exist: the rename refuses to guess which one holds the users',
            ["drop or rename the stray one (compare their rows first), then run the preflight again"],
        )
    if table.renamed and facts.rename_recorded(ctx.cursor):
        return passed(
            "already renamed by manage.py migrate (accounts 0003 is applied): nothing to prepare; "
            "the report's checks follow",
            ["this is what manage.py verify_user_migration reports"],
        )
    if table.renamed:
        return failed(
            "already renamed without the migration (by hand or by the guide's script): the report's checks "
            "below say what that rename got wrong",
            [
                "do not run manage.py migrate on it: repair each finding below or restore the pre-rename "
                "backup (docs/adoption.md, 'Databases renamed by hand')",
                "then record the rename: manage.py migrate accounts 0003 --fake",
            ],
        )
    keys = catalog.referencing_keys(ctx.cursor, table)
    tables = sorted({key.table for key in keys})
    return passed(
        f"table prosumer is not renamed yet; {len(keys)} foreign key(s) in {len(tables)} table(s) "
        "reference it",
        [f"{key.table}.{key.column}: {key.name}" for key in keys],
    )
