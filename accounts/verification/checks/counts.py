"""Exact row counts, on request only (``verify_user_migration --count``).

No other check needs them: ``table_identity`` proves that the rename lost no row
from the data files, at a cost that does not grow with the rows. A count reads
every row of every table the rename touched, so it runs only when asked for.

What it proves: how many rows each table holds now, exactly. It cannot prove
that none were lost at the rename (nothing exact was recorded then, and rows
come and go in a live database); beside the planner's estimate the rename
journaled, a table holding far fewer rows than then is named as a warning for a
person to judge (a purge, an erasure, or a restore that lost data).
"""

from accounts.expectations import expected_foreign_keys
from accounts.verification.registry import check
from accounts.verification.results import WARNING, failed, passed

# Below this share of the rename's estimate, a table is named (estimates are within a few percent).
SHORTFALL = 0.5


def counted_tables(ctx):
    """(name, estimate at the rename or None): the journaled tables, else the user table and its referrers."""
    if ctx.recorded_identities:
        return [(table.name, table.reltuples) for table in ctx.recorded_identities]
    names = dict.fromkeys([ctx.user_table, *(key.table for key in expected_foreign_keys())])
    return [(name, None) for name in names]


@check("R140", "row_counts", "exact row counts (--count)", severity=WARNING, reads_rows=True, on_request=True)
def check_row_counts(ctx):
    fewer, details, total = [], [], 0
    for name, estimate in counted_tables(ctx):
        qualified = ctx.quote(name)
        if not ctx.value("SELECT to_regclass(%s) IS NOT NULL", [qualified]):
            details.append(f"{name}: gone, not counted")
            continue
        ctx.progress(f"counting {name}")
        rows = ctx.value(f"SELECT count(*) FROM {qualified}")
        total += rows
        if estimate is None or estimate < 0:
            details.append(f"{name}: {rows:,} rows (no estimate recorded at the rename)")
        elif rows < estimate * SHORTFALL:
            fewer.append(
                f"{name}: {rows:,} rows, the planner estimated about {estimate:,} at the rename: "
                "rows went since (a purge, an erasure, or a restore that lost data)"
            )
        else:
            details.append(f"{name}: {rows:,} rows (about {estimate:,} estimated at the rename)")
    if fewer:
        return failed(f"{len(fewer)} table(s) hold far fewer rows than at the rename", fewer + details)
    return passed(f"{total:,} rows counted exactly in {len(details)} tables", details)
