"""Trigger functions that fail today for a reason the rename has nothing to do with: named, never blamed.

The real database's ``update_wallet_last_used_from_trades()`` and
``update_wallet_last_used_from_orders()`` update ``WALLETS``, which the upstream backend
itself renamed ``wallet``: every insert into ``market_trade`` and ``idrs_conversion`` fails
there, before the rename and after it. The same check runs in the preflight (which
registers it in its own order) and in the report, as a warning: it never fails a
deploy, and it says that the rename neither caused nor fixed it
(``accounts.verification.broken_triggers`` finds them).
"""

from accounts.verification.broken_triggers import broken_trigger_functions
from accounts.verification.registry import AFTER_RENAME, check
from accounts.verification.results import WARNING, doubtful, passed

TITLE = "trigger functions already broken, whatever the rename (a table they name does not exist)"


@check("R090", "broken_before_rename", TITLE, severity=WARNING, suite=AFTER_RENAME)
def check_broken_before_rename(ctx):
    found = broken_trigger_functions(ctx.cursor)
    if not found:
        return passed("every trigger function on the renamed tables names tables that exist")
    return doubtful(
        f"{len(found)} trigger(s) run a function that names a table that does not exist: each statement "
        "that fires one fails, with or without the rename (it names no prosumer: the rename neither caused "
        "nor changes it)",
        [
            f"trigger {broken.trigger} on {broken.table} runs {broken.function}, which names "
            f"{', '.join(broken.missing)}: no such table. Fix the function in the backend's release or drop "
            "the trigger (docs/adoption.md, 'Broken before the rename')"
            for broken in found
        ],
    )
