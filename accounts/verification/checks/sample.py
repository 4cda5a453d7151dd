"""The guide's relationship sample, read through the new names, with emails masked."""

from accounts.verification.formatting import mask_email
from accounts.verification.registry import check
from accounts.verification.results import WARNING, failed, passed

SAMPLE_SIZE = 5


@check("R170", "relationship_sample", "relationship sample (PII masked)", severity=WARNING)
def check_relationship_sample(ctx):
    if not (ctx.column_exists("wallet", "user_id") and ctx.column_exists("smart_meter", "user_id")):
        return failed("wallet.user_id or smart_meter.user_id is missing: the sample cannot be read")
    rows = ctx.rows(
        f"""
        SELECT u.user_id, u.email,
               (SELECT count(*) FROM wallet w WHERE w.user_id = u.user_id),
               (SELECT count(*) FROM smart_meter m WHERE m.user_id = u.user_id)
          FROM {ctx.quote(ctx.user_table)} u ORDER BY u.user_id LIMIT %s
        """,
        [SAMPLE_SIZE],
    )
    details = [
        {"user_id": user_id, "email": mask_email(email), "wallets": wallets, "meters": meters}
        for user_id, email, wallets, meters in rows
    ]
    return passed(f"{len(details)} users read with their wallets and meters", details)
